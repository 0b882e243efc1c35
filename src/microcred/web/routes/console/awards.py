"""The console's awarding form and awards list (with search and filters)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred import issuing, urls
from microcred.accounts.services import User
from microcred.awards import queries as award_queries
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.errors import DomainError
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.forms import Form
from microcred.web.render import render
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


def _award_page(
    request: Request,
    session: Session,
    user: User,
    *,
    form: Form,
    status_code: int = 200,
    general_error: str | None = None,
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
        },
        status_code=status_code,
    )


@router.get("/award", name="console_award")
def award_form(
    request: Request, session: SessionDep, user: Awarder, achievement: str | None = None, earner: str | None = None
) -> Response:
    return _award_page(
        request, session, user, form=Form({"achievement_id": achievement or "", "earner_id": earner or ""})
    )


@router.post("/award", name="console_award_issue")
def issue(request: Request, session: SessionDep, settings: SettingsDep, user: Awarder, data: FormData) -> Response:
    form = Form(data)
    achievement_ids = [str(a.id) for a in achievements_for(session, user, status="published")]
    achievement_id = form.choice("achievement_id", achievement_ids)
    earner_id = form.choice("earner_id", [str(e.id) for e in earners.list_earners(session)])
    evidence_name = form.text("evidence_name")
    evidence_url = form.url("evidence_url")
    evidence_narrative = form.text("evidence_narrative", max_length=5000)
    if form.ok and achievement_id and earner_id:
        evidence = []
        if evidence_name or evidence_url or evidence_narrative:
            evidence.append({"name": evidence_name, "url": evidence_url, "narrative": evidence_narrative})
        try:
            award = issuing.issue_award(
                session,
                achievement_id=achievement_id,
                earner_id=earner_id,
                evidence=evidence,
                base_url=settings.base_url,
                master_key=keystore.load_master_key(settings),
            )
            session.commit()
        except DomainError as exc:
            session.rollback()
            return _award_page(request, session, user, form=form, status_code=400, general_error=str(exc))
        return redirect(f"/console/awards?issued={award.id}")
    return _award_page(request, session, user, form=form, status_code=400)


@router.get("/awards", name="console_awards")
def award_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Awarder,
    q: str = "",
    achievement: str = "",
    status: str = "",
    issued: str | None = None,
) -> Response:
    summaries = awards_for(session, user)
    needle = q.strip().lower()
    if needle:
        summaries = [s for s in summaries if needle in s.earner_name.lower() or needle in s.achievement_name.lower()]
    if achievement:
        summaries = [s for s in summaries if str(s.achievement_id) == achievement]
    now = utcnow()
    rows = [
        {"s": s, "status": true_status(s, now), "url": urls.credential_url(s.id, settings.base_url)} for s in summaries
    ]
    if status:
        rows = [row for row in rows if row["status"] == status]
    issued_url = urls.credential_url(issued, settings.base_url) if issued else None
    return render(
        request,
        "console/awards.html",
        {
            "rows": rows,
            "q": q,
            "achievement": achievement,
            "status": status,
            "achievements": [(a, localized_name(session, a)) for a in achievements_for(session, user)],
            "statuses": list(status_labels().items()),
            "issued_url": issued_url,
        },
    )
