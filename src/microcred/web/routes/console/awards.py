"""The console's awarding form and awards list (with search and filters).

The form (issue 16): an optional validity window (valid from, valid until: calendar dates, UTC), the award mail
(on by default; sent once the award is committed, and a mail that cannot be sent never undoes the award), and a
warning, to be confirmed, when the earner already holds a current award of the achievement.

The list filters by earner or achievement name, achievement, status, and the day of issue (`issued_from`,
`issued_to`: ISO dates, inclusive, UTC days), the dates in the awards query itself. A date that is not one is a 400
with the mistake on its field and no list (an unfiltered list would look filtered)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred import issuing, urls
from microcred.accounts import mail
from microcred.accounts.services import User
from microcred.awards import queries as award_queries
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.errors import DomainError
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.ownership import delivery
from microcred.settings import Settings
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.assessment_results import award_readiness
from microcred.web.routes.console.common import (
    Awarder,
    FormData,
    achievements_for,
    awards_for,
    console_router,
    localized_name,
    redirect,
)

router = console_router()

STATUSES = ("active", "expired", "suspended", "revoked", "replaced")


def true_status(summary: award_queries.AwardSummary, now: datetime | None = None) -> str:
    """What the award is now: revoked and suspended first (the status lists say so), then replaced (renewed or
    re-issued), then expired (its validUntil has passed), otherwise active."""
    if summary.status in ("revoked", "suspended"):
        return summary.status
    if summary.replaced_by_id is not None:
        return "replaced"
    if summary.valid_until is not None and summary.valid_until <= (now or utcnow()):
        return "expired"
    return "active"


def status_labels() -> dict[str, str]:
    return {
        "active": _("Active"),
        "expired": _("Expired"),
        "suspended": _("Suspended"),
        "revoked": _("Revoked"),
        "replaced": _("Replaced"),
    }


def _parse_date(form: Form, name: str) -> date | None:
    """A calendar date (YYYY-MM-DD, as a date field sends it); a field error when it is not one."""
    value = form.text(name, max_length=10)
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        form.errors[name] = _("Enter a date as year-month-day, such as 2027-06-30.")
        return None
    if parsed.year < 2000:
        form.errors[name] = _("Enter a date as year-month-day, such as 2027-06-30.")
        return None
    return parsed


def validity_dates(form: Form, today: date) -> tuple[datetime | None, datetime | None]:
    """The award's validity from the form's dates (UTC): valid from the start of its first day, until the end of
    its last day; the last day is today or later and not before the first."""
    start = _parse_date(form, "valid_from")
    end = _parse_date(form, "valid_until")
    if end is not None and start is not None and end < start:
        form.errors["valid_until"] = _(
            "The valid-until date must be on or after the valid-from date (%(date)s).", date=start.isoformat()
        )
        end = None
    elif end is not None and end < today:
        form.errors["valid_until"] = _("The valid-until date is in the past: choose today or a later date.")
        end = None
    valid_from = datetime.combine(start, time.min, tzinfo=UTC) if start else None
    valid_until = datetime.combine(end, time(23, 59, 59), tzinfo=UTC) if end else None
    return valid_from, valid_until


def held_award(session: Session, earner_id: str, achievement_id: str) -> award_queries.Award | None:
    """The earner's current (active, unexpired, not replaced) award of the achievement, if any."""
    for award in award_queries.current_awards(session, uuid.UUID(earner_id), include_expired=False):
        if str(award.achievement_id) == achievement_id:
            return award
    return None


def email_award(session: Session, settings: Settings, award: award_queries.Award) -> bool:
    """The award mail (EN/FR, the earner's language) with its claim link, once the award is committed: the link
    is committed before the message leaves, and the attempt is in the audit log. False when it could not be made
    or sent (never raised: the award stands)."""
    language = delivery.preferred_language(session, award, settings.default_language)
    try:
        built = delivery.award_message(session, settings, award, language=language)
        session.commit()
    except DomainError:
        session.rollback()
        delivery.record_emailed(session, award.id, sent=False, language=language)
        session.commit()
        return False
    sent = mail.send_message(settings, built.message)
    delivery.record_emailed(session, award.id, sent=sent, language=language)
    session.commit()
    return sent


MAIL_COOKIE = "award_mail"  # the award mail's outcome, for the notice on the page the form redirects to


def mail_outcome(request: Request, award_id: str) -> str | None:
    """Whether the award mail of this award went out (``sent``, ``failed``) or None (not asked for), as the form
    left it for the next page (it only words a notice; the audit log keeps the attempt)."""
    award, _sep, outcome = request.cookies.get(MAIL_COOKIE, "").partition(":")
    return outcome if award == award_id and outcome in ("sent", "failed") else None


def mail_notice(outcome: str | None, name: str, page_url: str) -> str | None:
    """What the staff member is told of the award mail after issuing (``name``: the earner)."""
    if outcome == "sent":
        return _("An email with a link to claim it was sent to %(name)s.", name=name)
    if outcome == "failed":
        return _(
            "The award was issued, but the email to %(name)s could not be sent: the mail server did not accept "
            "it. Send them its public page (%(url)s), or ask them to sign in with their email address to find it "
            "in their backpack.",
            name=name,
            url=page_url,
        )
    return None


def _award_page(
    request: Request,
    session: Session,
    user: User,
    *,
    form: Form,
    status_code: int = 200,
    general_error: str | None = None,
    duplicate: award_queries.Award | None = None,
) -> Response:
    published = [(a, localized_name(session, a)) for a in achievements_for(session, user, status="published")]
    return render(
        request,
        "console/award_form.html",
        {
            "form": form,
            "achievement_options": [(str(a.id), name) for a, name in published],
            "earner_options": [(str(e.id), f"{e.name} <{e.email}>") for e in earners.list_earners(session)],
            "general_error": general_error,
            "duplicate": duplicate,
            "duplicate_issued": duplicate.issued_at.strftime("%Y-%m-%d") if duplicate else None,
            "assessment": award_readiness(session, form.data.get("achievement_id"), form.data.get("earner_id")),
        },
        status_code=status_code,
    )


@router.get("/award", name="console_award")
def award_form(
    request: Request, session: SessionDep, user: Awarder, achievement: str | None = None, earner: str | None = None
) -> Response:
    data = {"achievement_id": achievement or "", "earner_id": earner or "", "send_mail": "1"}  # the mail: on
    return _award_page(request, session, user, form=Form(data))


@router.post("/award", name="console_award_issue")
def issue(request: Request, session: SessionDep, settings: SettingsDep, user: Awarder, data: FormData) -> Response:
    form = Form(data)
    achievement_ids = [str(a.id) for a in achievements_for(session, user, status="published")]
    achievement_id = form.choice("achievement_id", achievement_ids)
    earner_id = form.choice("earner_id", [str(e.id) for e in earners.list_earners(session)])
    evidence_name = form.text("evidence_name")
    evidence_url = form.url("evidence_url")
    evidence_narrative = form.text("evidence_narrative", max_length=5000)
    valid_from, valid_until = validity_dates(form, utcnow().date())
    send_mail = bool(data.get("send_mail"))
    if not (form.ok and achievement_id and earner_id):
        return _award_page(request, session, user, form=form, status_code=400)
    held = held_award(session, earner_id, achievement_id)
    if held is not None and not data.get("confirm_duplicate"):
        return _award_page(request, session, user, form=form, status_code=400, duplicate=held)
    evidence = []
    if evidence_name or evidence_url or evidence_narrative:
        evidence.append({"name": evidence_name, "url": evidence_url, "narrative": evidence_narrative})
    try:
        award = issuing.issue(
            session,
            issuing.IssueRequest(
                achievement_id=achievement_id,
                earner_id=earner_id,
                evidence=evidence,
                valid_from=valid_from,
                valid_until=valid_until,
            ),
            issuing.Signing(settings.base_url, keystore.load_master_key(settings)),
        )
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _award_page(request, session, user, form=form, status_code=400, general_error=str(exc))
    outcome = ("sent" if email_award(session, settings, award) else "failed") if send_mail else "off"
    response = redirect(f"/console/awards?issued={award.id}")
    response.set_cookie(
        MAIL_COOKIE,
        f"{award.id}:{outcome}",
        max_age=600,
        path="/console/awards",
        secure=settings.base_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


def _filter_date(form: Form, name: str) -> date | None:
    """A day to filter on, as a date field sends it (YYYY-MM-DD); a field error when it is not one."""
    value = form.text(name, max_length=100)
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        form.errors[name] = _("Enter a date as year-month-day, such as 2027-06-30.")
        return None


def issued_range(form: Form) -> tuple[datetime | None, datetime | None]:
    """The awards list's day-of-issue filter as [from, before) moments (UTC): from the start of the first day to the
    start of the day after the last; a field error when a date is not one or the last is before the first."""
    start = _filter_date(form, "issued_from")
    end = _filter_date(form, "issued_to")
    if start is not None and end is not None and end < start:
        form.errors["issued_to"] = _(
            "The “issued to” date must be on or after the “issued from” date (%(date)s).", date=start.isoformat()
        )
        return None, None
    issued_from = datetime.combine(start, time.min, tzinfo=UTC) if start else None
    issued_before = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC) if end and end < date.max else None
    return issued_from, issued_before


def _awards_issued(
    session: Session, user: User, issued_from: datetime | None, issued_before: datetime | None
) -> list[award_queries.AwardSummary]:
    """The awards this staff member sees, issued in [from, before)."""
    return awards_for(session, user, issued_from=issued_from, issued_before=issued_before)


@dataclass(frozen=True)
class ListFilters:
    """The awards list's search fields (GET parameters)."""

    q: str = ""
    achievement: str = ""
    status: str = ""
    issued_from: str = ""
    issued_to: str = ""


@router.get("/awards", name="console_awards")
def award_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Awarder,
    filters: Annotated[ListFilters, Depends()],
    issued: str | None = None,
) -> Response:
    dates = Form({"issued_from": filters.issued_from, "issued_to": filters.issued_to})
    start, before = issued_range(dates)
    summaries = _awards_issued(session, user, start, before) if dates.ok else []
    needle = filters.q.strip().lower()
    if needle:
        summaries = [s for s in summaries if needle in s.earner_name.lower() or needle in s.achievement_name.lower()]
    if filters.achievement:
        summaries = [s for s in summaries if str(s.achievement_id) == filters.achievement]
    now = utcnow()
    rows = [
        {"s": s, "status": true_status(s, now), "url": urls.credential_url(s.id, settings.base_url)} for s in summaries
    ]
    if filters.status:
        rows = [row for row in rows if row["status"] == filters.status]
    issued_url = urls.credential_url(issued, settings.base_url) if issued else None
    issued_to = next((s.earner_name for s in summaries if str(s.id) == issued), "")
    notice = mail_notice(mail_outcome(request, issued), issued_to, issued_url) if issued and issued_url else None
    return render(
        request,
        "console/awards.html",
        {
            "rows": rows,
            "q": filters.q,
            "achievement": filters.achievement,
            "status": filters.status,
            "achievements": [(a, localized_name(session, a)) for a in achievements_for(session, user)],
            "statuses": list(status_labels().items()),
            "issued_url": issued_url,
            "mail_notice": notice,
            "dates": dates,
        },
        status_code=200 if dates.ok else 400,
    )
