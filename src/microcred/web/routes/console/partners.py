"""The console screens of the endorsement consultation workflow (issue 7): the issuer requests and follows
relevance and answers, and records its own relevance reviews (as `microcred achievements review`); the partner
reviewer lists requests and answers them on the review form."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from microcred.accounts.services import User
from microcred.audit.services import acting_as
from microcred.catalog import services as catalog
from microcred.errors import NotFound
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.partners import services as partners
from microcred.web.auth import CsrfChecked, require
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.forms import Form, form_data
from microcred.web.render import render

router = APIRouter(
    prefix="/console/endorsements", tags=["console"], include_in_schema=False, dependencies=[CsrfChecked]
)
Viewer = Annotated[User, Depends(require("view"))]
Editor = Annotated[User, Depends(require("edit_achievements"))]
FormData = Annotated[dict[str, Any], Depends(form_data)]


def _is_reviewer(user: User) -> bool:
    return user.role == "partner_reviewer"


def _visible_request(session: Session, user: User, request_id: str) -> uuid.UUID:
    """The id of the request if the user's organisation is its partner (reviewer) or its issuer; else NotFound."""
    row = partners.get_request(session, request_id)
    if _is_reviewer(user) and row.partner_id == user.organisation_id:
        return row.id
    if (
        not _is_reviewer(user)
        and catalog.get_achievement(session, row.achievement_id).issuer_id == user.organisation_id
    ):
        return row.id
    raise NotFound(_("no endorsement request with this id for your organisation"))


def state_label(state: str) -> str:
    return {
        "pending": _("Awaiting the partner's review"),
        "changes_requested": _("Changes requested"),
        "declined": _("Declined"),
        "endorsed": _("Endorsed"),
        "current": _("Current"),
        "due": _("Review due soon"),
        "lapsed": _("Lapsed"),
        "unreviewed": _("Not reviewed"),
        "revoked": _("Revoked"),
        "expired": _("Expired"),
        "not_yet_valid": _("Not yet valid"),
    }.get(state, state)


def _index(
    request: Request,
    session: Session,
    user: User,
    *,
    form: Form | None = None,
    status_code: int = 200,
    review: tuple[str, Form] | None = None,
    reviewed: tuple[str, str] | None = None,
) -> Response:
    """The endorsements page; ``review``: the achievement whose review form failed, with its errors; ``reviewed``:
    the achievement whose review was just recorded, and its date (the confirmation)."""
    context: dict[str, Any] = {
        "state_label": state_label,
        "reviewer": _is_reviewer(user),
        "form": form or Form({}),
        "review_for": review[0] if review else None,
        "review_form": review[1] if review else Form({}),
        "note_max": partners.MAX_TEXT,
    }
    if _is_reviewer(user):
        context["requests"] = [
            partners.request_json(session, r) for r in partners.list_requests(session, partner_id=user.organisation_id)
        ]
    else:
        org_id = user.organisation_id
        context["requests"] = [
            partners.request_json(session, r) for r in partners.list_requests(session, issuer_id=org_id)
        ]
        context["relevance"] = [r.as_dict() for r in partners.relevance_report(session, issuer_id=org_id)]
        context["endorsements"] = [
            partners.endorsement_summary(session, e) for e in partners.list_endorsements(session, issuer_id=org_id)
        ]
        context["achievements"] = [(str(a.id), a.name) for a in catalog.list_achievements(session, issuer_id=org_id)]
        context["partners"] = [(str(o.id), o.name) for _p, o in partners.list_partners(session)]
        context["policy"] = partners.get_policy(session, org_id) if org_id else None
        done = [r for r in context["relevance"] if reviewed and r["achievement_id"] == reviewed[0]]
        context["reviewed"] = {**done[0], "reviewed_on": reviewed[1]} if done and reviewed else None
    return render(request, "partners/index.html", context, status_code=status_code)


def _day(value: str | None) -> str | None:
    """A date from the query string as YYYY-MM-DD, or None (it only words the confirmation)."""
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


@router.get("", name="console_endorsements")
def index(
    request: Request, session: SessionDep, user: Viewer, reviewed: str | None = None, on: str | None = None
) -> Response:
    day = _day(on)
    return _index(request, session, user, reviewed=(reviewed, day) if reviewed and day else None)


@router.post("/reviews", name="console_relevance_review")
def record_review(request: Request, session: SessionDep, user: Editor, data: FormData) -> Response:
    """The issuer's relevance review of one of its achievements (restarts the review cycle), by this staff member
    (the audit actor and the review's author); an empty or too long note is an error on the field, nothing saved."""
    form = Form(data)
    chosen = form.text("achievement", required=True)
    achievement = catalog.find_achievement(session, chosen) if chosen else None
    if achievement is None or achievement.issuer_id != user.organisation_id:
        raise NotFound(_("no achievement with this id in your organisation"))
    note = form.text("note", required=True, max_length=partners.MAX_TEXT)
    if not form.ok:
        if "note" in form.errors and note is None:
            form.errors["note"] = _("Say what you reviewed and with whom: the note is required.")
        return _index(request, session, user, status_code=400, review=(str(achievement.id), form))
    with acting_as(f"web:{user.email}"):
        row = partners.record_review(session, achievement.id, note=note or "")
    session.commit()
    on = row.reviewed_at.date().isoformat()
    return RedirectResponse(f"/console/endorsements?reviewed={achievement.id}&on={on}#relevance", status_code=303)


@router.post("/requests", name="console_endorsement_request")
def create_request(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, Depends(require("edit_achievements"))],
    data: FormData,
) -> Response:
    form = Form(data)
    achievement_id = form.text("achievement", required=True)
    partner_id = form.text("partner", required=True)
    message = form.text("message", max_length=partners.MAX_TEXT)
    if achievement_id and catalog.find_achievement(session, achievement_id) is None:
        form.errors["achievement"] = _("Choose one of your achievements.")
    if not form.ok:
        return _index(request, session, user, form=form, status_code=400)
    achievement = catalog.get_achievement(session, achievement_id or "")
    if achievement.issuer_id != user.organisation_id:
        raise NotFound(_("no achievement with this id in your organisation"))
    row, notes = partners.request_endorsement(
        session,
        achievement_id=achievement.id,
        partner_id=partner_id or "",
        message=message,
        requested_by_id=user.id,
        base_url=settings.base_url,
    )
    session.commit()
    partners.send_notifications(settings, notes)
    return RedirectResponse(f"/console/endorsements/requests/{row.id}?sent=1", status_code=303)


def _review_page(
    request: Request, session: Session, settings: Any, user: User, request_id: uuid.UUID, *, form: Form | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    return render(
        request,
        "partners/review.html",
        {
            "ctx": partners.review_context(session, request_id, base_url=settings.base_url),
            "reviewer": _is_reviewer(user),
            "form": form or Form({}),
            "state_label": state_label,
        },
        status_code=status_code,
    )


@router.get("/requests/{request_id}", name="console_endorsement_review")
def review(request_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: Viewer) -> Response:
    return _review_page(request, session, settings, user, _visible_request(session, user, request_id))


def _yes_no(form: Form, name: str) -> bool | None:
    value = form.data.get(name)
    if value not in ("yes", "no"):
        form.errors[name] = _("Answer yes or no.")
        return None
    return bool(value == "yes")


@router.post("/requests/{request_id}/answer", name="console_endorsement_answer")
def answer(
    request_id: str, request: Request, session: SessionDep, settings: SettingsDep, user: Viewer, data: FormData
) -> Response:
    row_id = _visible_request(session, user, request_id)
    if not _is_reviewer(user):
        raise NotFound(_("no endorsement request with this id for your organisation"))
    form = Form(data)
    in_demand = _yes_no(form, "in_demand")
    rationale = form.text("rationale", required=True, max_length=partners.MAX_TEXT)
    reflects = _yes_no(form, "reflects")
    comment = form.text("comment", required=True, max_length=partners.MAX_TEXT)
    public_comment = form.text("endorsement_comment", max_length=partners.MAX_TEXT)
    note = form.text("note", max_length=partners.MAX_TEXT)
    decision = data.get("decision")
    if decision not in partners.DECISIONS:
        form.errors["decision"] = _("Choose a decision.")
    elif decision == "endorse" and (in_demand is False or reflects is False):
        form.errors["decision"] = _("You can endorse only when both answers are yes: request changes or decline.")
    elif decision != "endorse" and note is None:
        form.errors["note"] = _("Say what should change, or why you decline.")
    if not form.ok:
        return _review_page(request, session, settings, user, row_id, form=form, status_code=400)
    _row, _endorsement, notes = partners.answer_request(
        session,
        row_id,
        reviewer_id=user.id,
        answers=partners.Answers(bool(in_demand), rationale or "", bool(reflects), comment or "", public_comment),
        decision=str(decision),
        note=note,
        base_url=settings.base_url,
        master_key=keystore.load_master_key(settings),
    )
    session.commit()
    partners.send_notifications(settings, notes)
    return RedirectResponse(f"/console/endorsements/requests/{row_id}?answered=1", status_code=303)


@router.post("/requests/{request_id}/resubmit", name="console_endorsement_resubmit")
def resubmit(
    request_id: str,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, Depends(require("edit_achievements"))],
    data: FormData,
) -> Response:
    row_id = _visible_request(session, user, request_id)
    message = data.get("message")
    _row, notes = partners.resubmit_request(
        session, row_id, message=message if isinstance(message, str) else None, base_url=settings.base_url
    )
    session.commit()
    partners.send_notifications(settings, notes)
    return RedirectResponse(f"/console/endorsements/requests/{row_id}?sent=1", status_code=303)
