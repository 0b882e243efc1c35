"""The console's organisation settings (issue 16, point 4): `/console/organisations/{id}`, profile and policy.

Every staff member may read an organisation's page (its profile is public anyway: `/issuers/{id}`). Only the
administrators of that organisation (`manage_organisations`, and it is theirs) may change it: anyone else's POST
is refused with 403 and the page read-only, pointing to their own organisation's page. The profile is changed
through `issuers.services.update_organisation` and, for an institution, its relevance policy (endorsement
required to issue, review cycle, reminder window) through `partners.services.set_policy`, both in one
transaction attributed to the staff member; each records its audit entry. A field that fails its check is a 400
with the message next to the field, and nothing is saved."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.accounts.services import User
from microcred.audit.services import acting_as
from microcred.errors import DomainError
from microcred.i18n import gettext as _
from microcred.issuers import services as issuers
from microcred.issuers.services import Organisation
from microcred.partners import services as partners
from microcred.web.deps import SessionDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import FormData, OrgManager, Viewer, console_router, redirect
from microcred.web.routes.console.issuers import kind_label

router = console_router()

_COUNTRY = re.compile(r"^[A-Z]{2}$")
PROFILE_FIELDS = ("name", "legal_name", "url", "email", "country", "region", "registration_id", "description")


def may_edit(user: User, org: Organisation) -> bool:
    return accounts.can(user, "manage_organisations") and user.organisation_id == org.id


def _has_policy(org: Organisation) -> bool:
    """Only an issuing institution has a relevance policy (partners endorse, they do not issue)."""
    return org.kind == "institution"


def _initial(session: Session, org: Organisation) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(org, name) or "" for name in PROFILE_FIELDS}
    policy = partners.get_policy(session, org.id)
    data.update(
        require_endorsement="yes" if policy.require_endorsement else "",
        review_months=str(policy.review_months),
        reminder_days=str(policy.reminder_days),
    )
    return data


def _page(
    request: Request,
    session: Session,
    user: User,
    org: Organisation,
    *,
    form: Form | None = None,
    status_code: int = 200,
    general_error: str | None = None,
) -> Response:
    context: dict[str, Any] = {
        "organisation": org,
        "kind": kind_label(org.kind),
        "editable": may_edit(user, org),
        "has_policy": _has_policy(org),
        "policy": partners.get_policy(session, org.id),
        "form": form or Form(_initial(session, org)),
        "general_error": general_error,
        "saved": request.query_params.get("saved") == "1",
        "own_org_id": user.organisation_id if user.organisation_id != org.id else None,
    }
    return render(request, "console/organisation_settings.html", context, status_code=status_code)


@router.get("/organisations/{org_id}", name="console_organisation")
def organisation_page(request: Request, session: SessionDep, user: Viewer, org_id: str) -> Response:
    return _page(request, session, user, issuers.get_organisation(session, org_id))


def _whole_number(form: Form, name: str, low: int, high: int, message: str) -> int | None:
    text = form.text(name, required=True, max_length=10)
    if text is None:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        form.errors[name] = message
        return None
    return int(text)


def _profile(form: Form) -> dict[str, Any]:
    """The profile fields, checked as the API and `update_organisation` check them (errors on the form)."""
    values: dict[str, Any] = {
        "name": form.text("name", required=True, max_length=300),
        "legal_name": form.text("legal_name", max_length=300),
        "url": form.url("url"),
        "email": form.email("email"),
        "country": (form.text("country", required=True, max_length=2) or "").upper(),
        "region": form.text("region", max_length=100),
        "registration_id": form.text("registration_id", max_length=200),
        "description": form.text("description", max_length=10000),
    }
    if "country" not in form.errors and not _COUNTRY.match(values["country"]):
        form.errors["country"] = _("Enter a two-letter country code, such as CA.")
    return values


def _policy(form: Form) -> dict[str, Any]:
    return {
        "require_endorsement": form.data.get("require_endorsement") == "yes",
        "review_months": _whole_number(
            form, "review_months", 1, 60, _("Enter a whole number of months from 1 to 60, such as 12.")
        ),
        "reminder_days": _whole_number(
            form, "reminder_days", 1, 365, _("Enter a whole number of days from 1 to 365, such as 60.")
        ),
    }


def _save(session: Session, user: User, org: Organisation, profile: dict[str, Any], policy: dict[str, Any]) -> None:
    with acting_as(f"web:{user.email}"):
        issuers.update_organisation(session, org.id, **profile)
        if policy and partners.get_policy(session, org.id) != partners.Policy(**policy):
            partners.set_policy(session, org.id, **policy)


@router.post("/organisations/{org_id}", name="console_organisation_update")
def update_organisation(
    request: Request, session: SessionDep, user: OrgManager, org_id: str, data: FormData
) -> Response:
    org = issuers.get_organisation(session, org_id)
    if not may_edit(user, org):
        message = _(
            "Only the administrators of %(name)s can change its settings: nothing was saved. "
            "Ask one of them, or change your own organisation's settings.",
            name=org.name,
        )
        return _page(request, session, user, org, status_code=403, general_error=message)
    form = Form(data)
    profile = _profile(form)
    policy = _policy(form) if _has_policy(org) else {}
    if not form.ok:
        return _page(request, session, user, org, form=form, status_code=400)
    try:
        _save(session, user, org, profile, policy)
        session.commit()
    except DomainError as exc:
        session.rollback()
        org = issuers.get_organisation(session, org.id)
        message = _("Nothing was saved: %(reason)s. Correct the form and save again.", reason=str(exc))
        return _page(request, session, user, org, form=form, status_code=400, general_error=message)
    return redirect(f"/console/organisations/{org.id}?saved=1")
