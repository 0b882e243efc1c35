"""The console's partners page (`/console/partners`, issue 16 point 4): the partner organisations and the signed
endorsements of the staff member's organisation's achievements (a partner reviewer: those their organisation
signed), each with its state and a link to the public endorsement document; and withdrawing one.

Withdrawing is a CSRF-checked POST that first shows a confirmation step with its consequences (nothing is done
until `confirm=yes`), then goes through `partners.services.revoke_endorsement` (the row is locked, so it is
revoked once; a second confirm is a 400). Who may withdraw: an organisation administrator of the achievement's
issuer (`manage_organisations`), or a reviewer of the partner that signed it; anyone else gets a 403.

Registering a partner organisation (issue 16): `/console/partners/new` and a CSRF-checked POST `/console/partners`,
for organisation administrators only, as `microcred partners create` does it (`partners.create_partner`, then
`issuers.ensure_signing_key`, in one transaction). The fields are checked first, so each mistake is a message on
its field and nothing is saved; the service's own refusals are mapped to the same fields. `create_partner` does not
refuse a name already in use (it would make a second organisation), so the form warns, and a second partner of that
name needs "Register it anyway" ticked."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.accounts.services import User
from microcred.audit.services import acting_as
from microcred.catalog import services as catalog
from microcred.errors import Conflict, DomainError, NotFound
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.issuers.services import Organisation
from microcred.partners import services as partners
from microcred.settings import Settings
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.errors import error_response
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import FormData, OrgManager, Viewer, console_router, redirect

router = console_router()

MAX_REASON = 2000


@dataclass(frozen=True)
class PartnerRow:
    id: str
    name: str
    kind: str
    sector: str | None
    url: str | None
    country: str


@dataclass(frozen=True)
class EndorsementRow:
    id: str
    partner: str
    achievement: str
    state: str
    state_label: str
    signed: str
    valid_until: str | None
    revoked: str | None
    document_url: str
    can_revoke: bool


PARTNER_KINDS = ("employer", "industry", "professional_body")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _kind_labels() -> dict[str, str]:
    return {
        "employer": _("Employer"),
        "industry": _("Industry association"),
        "professional_body": _("Professional body"),
    }


def _kind_options() -> list[tuple[str, str]]:
    """The partner types in plain words, for the registration form's select."""
    return [
        ("employer", _("Employer (a business that hires graduates)")),
        ("industry", _("Industry association (represents the businesses of a sector)")),
        ("professional_body", _("Professional body (regulates or certifies a profession)")),
    ]


def _state_labels() -> dict[str, str]:
    return {
        "current": _("Current"),
        "expired": _("Expired"),
        "revoked": _("Revoked"),
        "not_yet_valid": _("Not yet valid"),
    }


def _partner_rows(session: Session) -> list[PartnerRow]:
    kinds = _kind_labels()
    return [
        PartnerRow(str(o.id), o.name, kinds.get(p.partner_type, p.partner_type), p.sector, o.url, o.country)
        for p, o in partners.list_partners(session)
    ]


def _may_revoke(session: Session, user: User, partner_id: uuid.UUID, achievement_id: uuid.UUID) -> bool:
    if user.organisation_id is None:
        return False
    if user.role == "partner_reviewer":
        return partner_id == user.organisation_id
    if not accounts.can(user, "manage_organisations"):
        return False
    return catalog.get_achievement(session, achievement_id).issuer_id == user.organisation_id


def _visible(user: User) -> dict[str, Any]:
    """The list_endorsements filter for this staff member (none: no organisation, nothing to show)."""
    if user.role == "partner_reviewer":
        return {"partner_id": user.organisation_id}
    return {"issuer_id": user.organisation_id}


def _endorsement_rows(session: Session, settings: Settings, user: User) -> list[EndorsementRow]:
    if user.organisation_id is None:
        return []
    labels = _state_labels()
    rows = []
    for row in partners.list_endorsements(session, **_visible(user)):
        summary = partners.endorsement_summary(session, row)
        rows.append(
            EndorsementRow(
                summary["id"],
                summary["partner"],
                summary["achievement"],
                summary["state"],
                labels.get(summary["state"], summary["state"]),
                summary["valid_from"][:10],
                summary["valid_until"][:10] if summary["valid_until"] else None,
                summary["revoked_at"][:10] if summary["revoked_at"] else None,
                f"{settings.base_url.rstrip('/')}/endorsements/{summary['id']}",
                _may_revoke(session, user, row.partner_id, row.achievement_id),
            )
        )
    return rows


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    *,
    status_code: int = 200,
    **state: Any,
) -> Response:
    """``state``: done ("revoked"), registered (a partner's id), general_error, confirm (the EndorsementRow to
    confirm), form."""
    context: dict[str, Any] = {
        "partners": _partner_rows(session),
        "endorsements": _endorsement_rows(session, settings, user),
        "reviewer": user.role == "partner_reviewer",
        "may_register": accounts.can(user, "manage_organisations"),
        "registered": _registered(session, settings, state.get("registered")),
        "done": state.get("done") == "revoked",
        "general_error": state.get("general_error"),
        "confirm": state.get("confirm"),
        "form": state.get("form") or Form({}),
    }
    return render(request, "console/partners_directory.html", context, status_code=status_code)


@router.get("/partners", name="console_partners_directory")
def partners_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Viewer,
    done: str | None = None,
    registered: str | None = None,
) -> Response:
    return _page(request, session, settings, user, done=done, registered=registered)


def _target(session: Session, settings: Settings, user: User, endorsement_id: str) -> EndorsementRow | None:
    """The endorsement as the page lists it, or None if it is not one this staff member sees."""
    try:
        wanted = str(uuid.UUID(endorsement_id))
    except ValueError:
        return None
    return next((r for r in _endorsement_rows(session, settings, user) if r.id == wanted), None)


@router.post("/partners/endorsements/{endorsement_id}/revoke", name="console_partners_revoke")
def revoke(
    request: Request,
    endorsement_id: str,
    session: SessionDep,
    settings: SettingsDep,
    user: Viewer,
    data: FormData,
) -> Response:
    row = _target(session, settings, user, endorsement_id)
    if row is None:
        message = _("No endorsement with this id for your organisation: choose one on the partners page.")
        return error_response(request, 404, message)
    if not row.can_revoke:
        message = _(
            "Only an administrator of the organisation that issues the achievement, or a reviewer of the partner "
            "that signed it, may withdraw this endorsement. Ask one of them from the partners page."
        )
        return error_response(request, 403, message)
    already = _("This endorsement is already withdrawn: nothing more was done. Its state is shown below.")
    if row.state == "revoked":
        return _page(request, session, settings, user, status_code=400, general_error=already)
    form = Form(data)
    reason = form.text("reason", required=data.get("confirm") == "yes", max_length=MAX_REASON)
    if data.get("confirm") != "yes" or not form.ok or reason is None:
        code = 400 if data.get("confirm") == "yes" else 200
        return _page(request, session, settings, user, status_code=code, confirm=row, form=form)
    try:
        with acting_as(f"web:{user.email}"):
            _revoked, notes = partners.revoke_endorsement(session, row.id, reason=reason)
        session.commit()
    except Conflict:
        session.rollback()
        return _page(request, session, settings, user, status_code=400, general_error=already)
    except (NotFound, DomainError):
        session.rollback()
        message = _("This endorsement could not be withdrawn: check the reason and try again.")
        return _page(request, session, settings, user, status_code=400, confirm=row, form=form, general_error=message)
    partners.send_notifications(settings, notes)
    return redirect("/console/partners?done=revoked")


# -- registering a partner organisation ---------------------------------------------------------------------------
def _registered(session: Session, settings: Settings, partner_id: str | None) -> dict[str, str] | None:
    """The name and did:web of the partner just registered (the confirmation after the redirect), if it is one."""
    if not partner_id:
        return None
    try:
        org = issuers.find_organisation(session, partner_id)
    except DomainError:
        return None
    if org is None or partners.find_partner(session, org.id) is None:
        return None
    return {"name": org.name, "did": issuers.did_for(org, settings.base_url)}


def _same_name(session: Session, name: str) -> Organisation | None:
    """An organisation (partner or not) already registered under this name, ignoring case and spaces."""
    wanted = " ".join(name.split()).casefold()
    return next((o for o in issuers.list_organisations(session) if " ".join(o.name.split()).casefold() == wanted), None)


def _read_partner(form: Form) -> dict[str, Any]:
    """The form's fields as create_partner takes them, each mistake a message on its field (in the form's order)."""
    name = form.text("name", required=True)
    kind = form.choice("partner_type", PARTNER_KINDS)
    country = (form.text("country", required=True, max_length=2000) or "").upper()
    if country and not _COUNTRY.match(country):
        form.errors["country"] = _("Enter the country as its two-letter ISO code, such as CA for Canada.")
    return {
        "name": name,
        "partner_type": kind,
        "country": country,
        "sector": form.text("sector"),
        "email": form.email("email"),
        "url": form.url("url"),
    }


def _service_error(form: Form, exc: DomainError) -> str | None:
    """A refusal of create_partner as a message on its field (its messages start with the field's name); a general
    message when it names none."""
    messages = {
        "name": _("Enter the organisation's name (at most 300 characters)."),
        "partner type": _("Choose one of the options."),
        "country": _("Enter the country as its two-letter ISO code, such as CA for Canada."),
        "sector": _("At most %(n)s characters.", n=300),
        "email": _("Enter an email address, such as name@example.org."),
        "url": _("Enter a web address starting with https:// or http://."),
    }
    field = next((f for f in messages if str(exc).startswith(f + " ")), None)
    if field is None:
        return _("The partner organisation could not be registered: check the fields and try again.")
    form.errors["partner_type" if field == "partner type" else field] = messages[field]
    return None


def _new_page(
    request: Request,
    form: Form,
    *,
    status_code: int = 200,
    general_error: str | None = None,
    duplicate: Organisation | None = None,
) -> Response:
    context: dict[str, Any] = {
        "form": form,
        "kind_options": _kind_options(),
        "general_error": general_error,
        "duplicate": duplicate,
        "duplicate_created": duplicate.created_at.strftime("%Y-%m-%d") if duplicate else None,
    }
    return render(request, "console/partner_new.html", context, status_code=status_code)


@router.get("/partners/new", name="console_partners_new")
def new_partner_form(request: Request, user: OrgManager) -> Response:
    return _new_page(request, Form({"country": "CA"}))


@router.post("/partners", name="console_partners_register")
def register(
    request: Request, session: SessionDep, settings: SettingsDep, user: OrgManager, data: FormData
) -> Response:
    form = Form(data)
    fields = _read_partner(form)
    if not form.ok:
        return _new_page(request, form, status_code=400)
    existing = _same_name(session, fields["name"])
    if existing is not None and not data.get("confirm_duplicate"):
        return _new_page(request, form, status_code=400, duplicate=existing)
    try:
        with acting_as(f"web:{user.email}"):
            org, _partner = partners.create_partner(session, **fields)
            issuers.ensure_signing_key(session, org, master_key=keystore.load_master_key(settings))
        session.commit()
    except DomainError as exc:
        session.rollback()
        general = _service_error(form, exc)
        return _new_page(request, form, status_code=400, general_error=general)
    return redirect(f"/console/partners?registered={org.id}")
