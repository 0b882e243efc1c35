"""The console's award detail page (`/console/awards/{id}`): the award, its true status and history, and its
lifecycle actions (issue 16). Registered after the bulk pages, whose `/console/awards/bulk...` paths come first.
Staff also send the award mail again (`ownership.delivery`, as `POST /api/awards/{id}/email` and `microcred earners
email`) and download the baked badge (PNG, SVG) and the PDF certificate (`awards.exports`, as the earner does in
the backpack, counted the same way).

Every action is a CSRF-checked POST that goes through the domain services (`awards.lifecycle`, `issuing`), which
lock the award's row and refuse a transition it is not in (Conflict): a double submit is refused, never applied
twice. A refusal is shown on the page, in the staff member's language, with 400."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred import issuing, urls
from microcred.accounts.services import User
from microcred.audit.services import acting_as
from microcred.awards import exports, lifecycle
from microcred.awards import queries as award_queries
from microcred.earners import services as earners
from microcred.errors import DomainError, NotFound
from microcred.i18n import current_language
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.settings import Settings
from microcred.web import counting
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.errors import error_response
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.backpack.ownership import file_response
from microcred.web.routes.console.awards import email_award, status_labels, true_status
from microcred.web.routes.console.common import (
    Awarder,
    FormData,
    console_router,
    localized_name,
    own_achievement,
    redirect,
)

router = console_router()

DONE = ("revoked", "suspended", "reinstated", "renewed", "emailed")
REASON_MAX = 2000
DOWNLOADS = ("png", "svg", "pdf")  # the JSON is the public page's ?format=json (linked on the page)


@dataclass(frozen=True)
class HistoryEntry:
    action: str
    label: str
    at: datetime
    actor: str | None
    reason: str | None
    link: str | None = None  # the other award of a renewal or re-issue


def _own_award(session: Session, user: User, award_id: str) -> award_queries.Award | None:
    """The award, if its achievement is the staff member's organisation's; otherwise None (a 404, never a hint that
    it exists elsewhere)."""
    award = award_queries.find_award(session, award_id)
    if award is None:
        return None
    try:
        achievement = own_achievement(session, user, str(award.achievement_id))
    except NotFound:
        return None
    return award if achievement.issuer_id == user.organisation_id else None


def _not_found(request: Request) -> Response:
    """The 404 page, answered here while the request's session is open (the layout reads the signed-in user)."""
    return error_response(request, 404, _("no award with this id in your organisation"))


def _actor_label(actor: str | None) -> str | None:
    if not actor:
        return None
    if actor.startswith("web:"):
        return actor[4:]
    if actor.startswith("cli:"):
        return _("%(user)s (command line)", user=actor[4:])
    if actor == "api":
        return _("the API")
    if actor in ("web", "system"):
        return _("the platform")
    return actor


def _history(session: Session, award: award_queries.Award) -> list[HistoryEntry]:
    labels = {"revoked": _("Revoked"), "suspended": _("Suspended"), "reinstated": _("Reinstated")}
    entries = [
        HistoryEntry(e.action, labels.get(e.action, e.action), e.at, _actor_label(e.actor), e.reason)
        for e in award_queries.status_history(session, award.id)
    ]
    entries.append(HistoryEntry("issued", _("Award issued"), award.issued_at, None, None))
    if award.replaces_id is not None:
        entries.append(
            HistoryEntry(
                "replaces",
                _("Issued as the renewal or re-issue of an earlier award"),
                award.issued_at,
                None,
                None,
                f"/console/awards/{award.replaces_id}",
            )
        )
    if award.replaced_by_id is not None:
        new = award_queries.find_award(session, award.replaced_by_id)
        if new is not None:
            label = _("Renewed") if new.replacement == "renewal" else _("Re-issued")
            entries.append(HistoryEntry("renewed", label, new.issued_at, None, None, f"/console/awards/{new.id}"))
    return sorted(entries, key=lambda e: e.at)


def _actions(status: str) -> list[str]:
    """The actions that apply to an award in that state (the services refuse the others anyway)."""
    return {
        "active": ["suspend", "renew", "revoke"],
        "expired": ["renew", "suspend", "revoke"],
        "suspended": ["reinstate", "renew", "revoke"],
        "replaced": ["suspend", "revoke"],
        "revoked": [],
    }[status]


def _refusal(action: str, status: str, exc: DomainError) -> str:
    """The service's refusal in the staff member's language (its English text when the case is not known)."""
    if status == "revoked":
        return {
            "revoke": _("This award is already revoked."),
            "suspend": _("This award is revoked; revocation is permanent, so it cannot be suspended."),
            "reinstate": _("This award is revoked; revocation is permanent, so it cannot be reinstated."),
            "renew": _("This award is revoked; a revoked award cannot be renewed."),
        }[action]
    if action == "suspend" and status == "suspended":
        return _("This award is already suspended.")
    if action == "reinstate" and status != "suspended":
        return _("This award is not suspended; there is nothing to reinstate.")
    if action == "renew" and status == "replaced":
        return _("This award was already replaced: renew its replacement instead (see its history below).")
    return str(exc)


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    award: award_queries.Award,
    *,
    form: Form | None = None,
    status_code: int = 200,
    **state: Any,
) -> Response:
    """The detail page; ``state``: general_error (a refusal), done (what was just done), confirm_revoke (the
    confirmation step), failed (the form whose fields are shown again, with their errors)."""
    summary = award_queries.summarise(session, award)
    achievement = own_achievement(session, user, str(award.achievement_id))
    status = true_status(summary)
    page_url = urls.credential_url(award.id, settings.base_url)
    erased = earners.is_erased(session, award.earner_id)
    context: dict[str, Any] = {
        "award": summary,
        "achievement_name": localized_name(session, achievement),
        "status": status,
        "status_label": status_labels()[status],
        "history": _history(session, award),
        "actions": _actions(status),
        "page_url": page_url,
        "json_url": page_url + "?format=json",
        "form": form or Form({}),
        "general_error": state.get("general_error"),
        "done": state.get("done") if state.get("done") in DONE else None,
        "confirm_revoke": bool(state.get("confirm_revoke")),
        "failed": state.get("failed"),
        "reason_max": REASON_MAX,
        "erased": erased,
        "mail_to": None if erased else mask_email(earners.get_earner(session, award.earner_id).email),
    }
    return render(request, "console/award_detail.html", context, status_code=status_code)


@router.get("/awards/{award_id}", name="console_award_detail")
def award_detail(
    award_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Awarder,
    done: str | None = None,
) -> Response:
    award = _own_award(session, user, award_id)
    if award is None:
        return _not_found(request)
    return _page(request, session, settings, user, award, done=done)


def _act(
    action: str,
    award_id: str,
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    data: dict[str, Any],
) -> Response:
    award = _own_award(session, user, award_id)
    if award is None:
        return _not_found(request)
    form = Form(data)
    reason = form.text("reason", required=action in ("revoke", "suspend"), max_length=REASON_MAX)
    confirmed = data.get("confirm") == "yes"
    shown = "confirm" if action == "revoke" and confirmed else action
    if not form.ok:
        return _page(
            request, session, settings, user, award, form=form, status_code=400, failed=shown, confirm_revoke=confirmed
        )
    if action == "revoke" and not confirmed:
        return _page(request, session, settings, user, award, form=form, confirm_revoke=True, failed="confirm")
    target = award.id
    try:
        with acting_as(f"web:{user.email}"):
            if action == "revoke":
                lifecycle.revoke_award(session, award.id, reason=reason or "")
            elif action == "suspend":
                lifecycle.suspend_award(session, award.id, reason=reason or "")
            elif action == "reinstate":
                lifecycle.reinstate_award(session, award.id, reason=reason)
            else:
                new = issuing.renew_award(
                    session, award.id, base_url=settings.base_url, master_key=keystore.load_master_key(settings)
                )
                target = new.id
        session.commit()
    except DomainError as exc:
        session.rollback()
        award = award_queries.get_award(session, award_id)
        status = true_status(award_queries.summarise(session, award))
        message = _refusal(action, status, exc)
        return _page(
            request, session, settings, user, award, form=form, status_code=400, general_error=message, failed=action
        )
    done = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated", "renew": "renewed"}[action]
    return redirect(f"/console/awards/{target}?done={done}")


def mask_email(address: str | None) -> str | None:
    """An address as the page shows it: its first character, then ``***``, then the domain (a***@example.org)."""
    local, at, domain = (address or "").strip().partition("@")
    if not local or not at or not domain:
        return None
    return f"{local[0]}***@{domain}"


def _resend_refusal(session: Session, award: award_queries.Award, status: str) -> str | None:
    """Why the award mail cannot be sent again (None: it can)."""
    if status == "revoked":
        return _("This award is revoked: its email is not sent again, since the credential no longer verifies.")
    if earners.is_erased(session, award.earner_id):
        return _("The earner erased their account: the platform keeps no address to send the award to.")
    if mask_email(earners.get_earner(session, award.earner_id).email) is None:
        return _("The earner has no email address on record, so the award email cannot be sent.")
    return None


@router.post("/awards/{award_id}/email", name="console_award_email")
def resend_email(
    award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: Awarder
) -> Response:
    """Send the award mail again (a new claim link, in the earner's language), as the award form does at issue
    time: the link is committed before the message leaves and the attempt is in the audit log, by this staff
    member. A mail server that cannot be reached or refuses it is said on the page (502), never a 500."""
    award = _own_award(session, user, award_id)
    if award is None:
        return _not_found(request)
    refusal = _resend_refusal(session, award, true_status(award_queries.summarise(session, award)))
    if refusal is not None:
        return _page(request, session, settings, user, award, status_code=400, general_error=refusal, failed="email")
    with acting_as(f"web:{user.email}"):
        sent = email_award(session, settings, award)
    if not sent:
        message = _(
            "The award email could not be sent: the mail server could not be reached or did not accept it. Try "
            "again later, or send the earner its public page (%(url)s).",
            url=urls.credential_url(award.id, settings.base_url),
        )
        return _page(request, session, settings, user, award, status_code=502, general_error=message, failed="email")
    return redirect(f"/console/awards/{award.id}?done=emailed")


@router.get("/awards/{award_id}/download/{fmt}", name="console_award_download")
def download(
    award_id: str, fmt: str, request: Request, session: SessionDep, settings: SettingsDep, user: Awarder
) -> Response:
    """The badge image with the signed credential baked in (PNG, SVG) or the PDF certificate, in the staff
    member's language, as the earner downloads them from the backpack (and counted the same way)."""
    award = _own_award(session, user, award_id)
    if award is None:
        return _not_found(request)
    if fmt not in DOWNLOADS:
        return error_response(request, 404, _("There is no such download: choose PNG, SVG or PDF."))
    if earners.is_erased(session, award.earner_id):
        return error_response(
            request, 400, _("The earner erased their account: the platform keeps no copy of this credential.")
        )
    try:
        out = exports.export_file(session, award, fmt, base_url=settings.base_url, lang=current_language(), gettext=_)
    except DomainError as exc:
        return error_response(request, 400, str(exc))
    return counting.download(request, file_response(out), award, fmt)


@router.post("/awards/{award_id}/revoke", name="console_award_revoke")
def revoke(
    award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: Awarder, data: FormData
) -> Response:
    return _act("revoke", award_id, request, session, settings, user, data)


@router.post("/awards/{award_id}/suspend", name="console_award_suspend")
def suspend(
    award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: Awarder, data: FormData
) -> Response:
    return _act("suspend", award_id, request, session, settings, user, data)


@router.post("/awards/{award_id}/reinstate", name="console_award_reinstate")
def reinstate(
    award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: Awarder, data: FormData
) -> Response:
    return _act("reinstate", award_id, request, session, settings, user, data)


@router.post("/awards/{award_id}/renew", name="console_award_renew")
def renew(
    award_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: Awarder, data: FormData
) -> Response:
    return _act("renew", award_id, request, session, settings, user, data)
