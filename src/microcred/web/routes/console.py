"""The issuer console: organisations and people, achievements, earners, awarding, the awards list."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from microcred.accounts import services as accounts
from microcred.accounts.models import STAFF_ROLES, User
from microcred.awards import services as awards
from microcred.catalog import editing, translations
from microcred.catalog import services as catalog
from microcred.catalog.models import OUTCOME_KINDS, Achievement
from microcred.earners import services as earners
from microcred.errors import DomainError, NotFound
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.issuers.models import ORGANISATION_KINDS
from microcred.web.auth import CsrfChecked, require
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.forms import Form, form_data
from microcred.web.i18n import LANGUAGES, current_language
from microcred.web.i18n import gettext as _
from microcred.web.render import render

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False, dependencies=[CsrfChecked])

Viewer = Annotated[User, Depends(require("view"))]
Editor = Annotated[User, Depends(require("edit_achievements"))]
Awarder = Annotated[User, Depends(require("award"))]
EarnerManager = Annotated[User, Depends(require("manage_earners"))]
PeopleManager = Annotated[User, Depends(require("manage_people"))]
OrgManager = Annotated[User, Depends(require("manage_organisations"))]
FormData = Annotated[dict[str, Any], Depends(form_data)]

MAX_IMAGE_BYTES = 256 * 1024
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
DEFAULT_OUTCOME_ROWS = 3
MAX_OUTCOME_ROWS = 12


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _issuing(user: User) -> bool:
    return user.role in ("org_admin", "issuer_staff", "assessor")


def _achievements_for(session: Session, user: User, *, status: str | None = None) -> list[Achievement]:
    if _issuing(user):
        return catalog.list_achievements(session, issuer_id=user.organisation_id, status=status)
    return catalog.list_achievements(session, status="published")  # partner reviewers: what is on offer


def _own_achievement(session: Session, user: User, achievement_id: str) -> Achievement:
    achievement = catalog.get_achievement(session, achievement_id)
    if _issuing(user) and achievement.issuer_id == user.organisation_id:
        return achievement
    if not _issuing(user) and achievement.status == "published":
        return achievement
    raise NotFound(_("no achievement with this id in your organisation"))


def _localized_name(session: Session, achievement: Achievement) -> str:
    name, _description = translations.localized(
        session, achievement.id, current_language(), name=achievement.name, description=achievement.description
    )
    return name


# -- dashboard --------------------------------------------------------------------------------------
@router.get("", name="console")
def dashboard(request: Request, session: SessionDep, user: Viewer) -> Response:
    achievements = _achievements_for(session, user)
    organisation = issuers.find_organisation(session, user.organisation_id) if user.organisation_id else None
    award_count = len(_awards_for(session, user)) if accounts.can(user, "award") else None
    return render(
        request,
        "console/dashboard.html",
        {
            "organisation": organisation,
            "achievement_count": len(achievements),
            "draft_count": sum(1 for a in achievements if a.status == "draft"),
            "earner_count": len(earners.list_earners(session)) if accounts.can(user, "manage_earners") else None,
            "award_count": award_count,
            "role_label": role_label(user.role),
        },
    )


def role_label(role: str) -> str:
    return {
        "org_admin": _("Organisation administrator"),
        "issuer_staff": _("Issuer staff"),
        "assessor": _("Assessor"),
        "partner_reviewer": _("Partner reviewer"),
        "earner": _("Earner"),
    }.get(role, role)


def kind_label(kind: str) -> str:
    return {
        "institution": _("Institution"),
        "employer": _("Employer"),
        "agency": _("Agency"),
        "professional_body": _("Professional body"),
    }.get(kind, kind)


# -- organisations and people --------------------------------------------------------------------------
def _organisations_page(
    request: Request, session: Session, *, form: Form | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "console/organisations.html",
        {
            "organisations": issuers.list_organisations(session),
            "kinds": [(k, kind_label(k)) for k in ORGANISATION_KINDS],
            "form": form or Form({"kind": "institution", "country": "CA"}),
        },
        status_code=status_code,
    )


@router.get("/organisations", name="console_organisations")
def organisations(request: Request, session: SessionDep, user: Viewer) -> Response:
    return _organisations_page(request, session)


@router.post("/organisations", name="console_organisation_create")
def create_organisation(
    request: Request, session: SessionDep, settings: SettingsDep, user: OrgManager, data: FormData
) -> Response:
    form = Form(data)
    values = {
        "kind": form.choice("kind", ORGANISATION_KINDS),
        "name": form.text("name", required=True),
        "country": form.text("country", required=True, max_length=2),
        "url": form.url("url"),
        "email": form.email("email"),
    }
    country = values["country"]
    if country is not None and not (len(country) == 2 and country.isalpha()):
        form.errors["country"] = _("Enter a two-letter country code, such as CA.")
    if form.ok:
        try:
            org = issuers.create_organisation(session, **values)  # type: ignore[arg-type]
            issuers.ensure_signing_key(session, org, master_key=keystore.load_master_key(settings))
            session.commit()
            return _redirect("/console/organisations?created=1")
        except DomainError as exc:
            session.rollback()
            form.errors["name"] = str(exc)
    return _organisations_page(request, session, form=form, status_code=400)


def _people_page(request: Request, session: Session, *, form: Form | None = None, status_code: int = 200) -> Response:
    return render(
        request,
        "console/people.html",
        {
            "people": accounts.list_users(session),
            "organisations": {o.id: o for o in issuers.list_organisations(session)},
            "org_options": [(str(o.id), o.name) for o in issuers.list_organisations(session)],
            "roles": [(r, role_label(r)) for r in STAFF_ROLES],
            "role_label": role_label,
            "form": form or Form({"role": "issuer_staff"}),
        },
        status_code=status_code,
    )


@router.get("/people", name="console_people")
def people(request: Request, session: SessionDep, user: PeopleManager) -> Response:
    return _people_page(request, session)


@router.post("/people", name="console_person_create")
def create_person(request: Request, session: SessionDep, user: PeopleManager, data: FormData) -> Response:
    form = Form(data)
    organisation_ids = [str(o.id) for o in issuers.list_organisations(session)]
    name = form.text("name", required=True)
    email = form.email("email", required=True)
    role = form.choice("role", STAFF_ROLES)
    organisation_id = form.choice("organisation_id", organisation_ids)
    password = data.get("password") if isinstance(data.get("password"), str) else None
    if password and len(password) < accounts.MIN_PASSWORD_LENGTH:
        form.errors["password"] = _("A password has at least %(n)s characters.", n=accounts.MIN_PASSWORD_LENGTH)
    if email and accounts.find_user_by_email(session, email) is not None:
        form.errors["email"] = _("Someone already has an account with this email address.")
    if form.ok:
        accounts.create_user(
            session,
            email=email or "",
            name=name or "",
            role=role or "",
            organisation_id=organisation_id,
            password=password or None,
        )
        session.commit()
        return _redirect("/console/people?created=1")
    return _people_page(request, session, form=form, status_code=400)


# -- achievements ---------------------------------------------------------------------------------------
@router.get("/achievements", name="console_achievements")
def achievements(request: Request, session: SessionDep, user: Viewer, status: str | None = None) -> Response:
    status = status if status in ("draft", "published") else None
    items = [(a, _localized_name(session, a)) for a in _achievements_for(session, user, status=status)]
    return render(request, "console/achievements.html", {"items": items, "status": status})


def _empty_achievement_form() -> Form:
    return Form({"language": current_language(), "outcome_count": str(DEFAULT_OUTCOME_ROWS)})


def _form_from_achievement(session: Session, achievement: Achievement) -> Form:
    data: dict[str, Any] = {
        "name": achievement.name,
        "description": achievement.description,
        "language": achievement.language,
        "criteria_narrative": achievement.criteria_narrative,
        "criteria_url": achievement.criteria_url or "",
        "workload_hours": f"{achievement.workload_hours:g}",
        "credits": f"{achievement.credits:g}" if achievement.credits is not None else "",
        "level": achievement.level or "",
    }
    for language, row in translations.translations(session, achievement.id).items():
        data[f"name_{language}"] = row.name or ""
        data[f"description_{language}"] = row.description or ""
    for i, outcome in enumerate(achievement.outcomes):
        data[f"outcome_{i}_statement"] = outcome.statement
        data[f"outcome_{i}_kind"] = outcome.kind
        if outcome.alignments:
            data[f"outcome_{i}_concept_url"] = outcome.alignments[0].target_url
            data[f"outcome_{i}_concept_name"] = outcome.alignments[0].target_name
    data["outcome_count"] = str(max(len(achievement.outcomes), 1))
    return Form(data)


def _outcome_rows(form: Form) -> int:
    try:
        count = int(str(form.data.get("outcome_count", DEFAULT_OUTCOME_ROWS)))
    except ValueError:
        count = DEFAULT_OUTCOME_ROWS
    return max(1, min(count, MAX_OUTCOME_ROWS))


def _read_achievement(form: Form) -> tuple[dict[str, Any], dict[str, tuple[str | None, str | None]]]:
    """The achievement's fields, its outcomes, and its other-language texts, with errors on ``form``."""
    language = form.choice("language", LANGUAGES) or "en"
    values: dict[str, Any] = {
        "name": form.text("name", required=True),
        "description": form.text("description", required=True, max_length=5000),
        "language": language,
        "criteria_narrative": form.text("criteria_narrative", required=True, max_length=5000),
        "criteria_url": form.url("criteria_url"),
        "workload_hours": form.number("workload_hours", required=True, positive=True),
        "credits": form.number("credits"),
        "level": form.text("level", max_length=200),
    }
    other: dict[str, tuple[str | None, str | None]] = {}
    for code in LANGUAGES:
        if code != language:
            other[code] = (form.text(f"name_{code}"), form.text(f"description_{code}", max_length=5000))
    outcomes = []
    for i in range(_outcome_rows(form)):
        statement = form.text(f"outcome_{i}_statement", max_length=2000)
        concept_url = form.text(f"outcome_{i}_concept_url", max_length=2000)
        concept_name = form.text(f"outcome_{i}_concept_name", max_length=500)
        if statement is None and concept_url is None and concept_name is None:
            continue
        if statement is None:
            form.errors[f"outcome_{i}_statement"] = _("Describe the outcome, or clear this row.")
        kind = form.choice(f"outcome_{i}_kind", OUTCOME_KINDS)
        alignments = []
        if concept_url is not None:
            form.url(f"outcome_{i}_concept_url")
            if concept_name is None:
                form.errors[f"outcome_{i}_concept_name"] = _("Give the concept's name (its preferred label).")
            alignments.append({"target_url": concept_url, "target_name": concept_name or "", "target_type": "ext:ESCO"})
        elif concept_name is not None:
            form.errors[f"outcome_{i}_concept_url"] = _("Give the concept's address (its URI).")
        outcomes.append({"statement": statement or "", "kind": kind or "skill", "alignments": alignments})
    if not outcomes:
        form.errors["outcome_0_statement"] = _("A micro-credential needs at least one learning outcome.")
    values["outcomes"] = outcomes
    return values, other


def _achievement_form_page(
    request: Request,
    *,
    form: Form,
    achievement: Achievement | None,
    status_code: int = 200,
    general_error: str | None = None,
) -> Response:
    return render(
        request,
        "console/achievement_form.html",
        {
            "form": form,
            "achievement": achievement,
            "rows": _outcome_rows(form),
            "kinds": [(k, _(k)) for k in OUTCOME_KINDS],
            "languages": [("en", "English"), ("fr", "Français")],
            "general_error": general_error,
            "max_rows": MAX_OUTCOME_ROWS,
        },
        status_code=status_code,
    )


@router.get("/achievements/new", name="console_achievement_new")
def new_achievement(request: Request, user: Editor) -> Response:
    return _achievement_form_page(request, form=_empty_achievement_form(), achievement=None)


def _save_translations(
    session: Session, achievement_id: uuid.UUID, other: dict[str, tuple[str | None, str | None]]
) -> None:
    for code, (name, description) in other.items():
        translations.set_translation(session, achievement_id, code, name=name, description=description)


@router.post("/achievements/new", name="console_achievement_create")
def create_achievement(request: Request, session: SessionDep, user: Editor, data: FormData) -> Response:
    form = Form(data)
    if data.get("add_row"):
        form.data["outcome_count"] = str(_outcome_rows(form) + 1)
        return _achievement_form_page(request, form=form, achievement=None)
    values, other = _read_achievement(form)
    if form.ok:
        try:
            achievement = catalog.create_achievement(session, issuer_id=user.organisation_id or "", **values)
            _save_translations(session, achievement.id, other)
            session.commit()
            return _redirect(f"/console/achievements/{achievement.id}?saved=1")
        except DomainError as exc:
            session.rollback()
            return _achievement_form_page(request, form=form, achievement=None, status_code=400, general_error=str(exc))
    return _achievement_form_page(request, form=form, achievement=None, status_code=400)


@router.get("/achievements/{achievement_id}", name="console_achievement")
def achievement_detail(
    request: Request, achievement_id: str, session: SessionDep, user: Viewer, error: str | None = None
) -> Response:
    achievement = _own_achievement(session, user, achievement_id)
    return render(
        request,
        "console/achievement.html",
        {
            "a": achievement,
            "translations": translations.translations(session, achievement.id),
            "image_error": {
                "type": _("Upload a PNG or JPEG image."),
                "size": _("The image is larger than %(kib)s KiB.", kib=MAX_IMAGE_BYTES // 1024),
                "missing": _("Choose an image file first."),
            }.get(error or ""),
            "publish_error": request.query_params.get("publish_error"),
            "max_image_kib": MAX_IMAGE_BYTES // 1024,
        },
        status_code=400 if error else 200,
    )


@router.get("/achievements/{achievement_id}/edit", name="console_achievement_edit")
def edit_achievement(request: Request, achievement_id: str, session: SessionDep, user: Editor) -> Response:
    achievement = _own_achievement(session, user, achievement_id)
    if achievement.status != "draft":
        return _redirect(f"/console/achievements/{achievement.id}")
    return _achievement_form_page(request, form=_form_from_achievement(session, achievement), achievement=achievement)


@router.post("/achievements/{achievement_id}/edit", name="console_achievement_update")
def update_achievement(
    request: Request, achievement_id: str, session: SessionDep, user: Editor, data: FormData
) -> Response:
    achievement = _own_achievement(session, user, achievement_id)
    form = Form(data)
    if data.get("add_row"):
        form.data["outcome_count"] = str(_outcome_rows(form) + 1)
        return _achievement_form_page(request, form=form, achievement=achievement)
    values, other = _read_achievement(form)
    if form.ok:
        try:
            editing.update_draft(session, achievement.id, **values)
            _save_translations(session, achievement.id, other)
            session.commit()
            return _redirect(f"/console/achievements/{achievement.id}?saved=1")
        except DomainError as exc:
            session.rollback()
            return _achievement_form_page(
                request, form=form, achievement=achievement, status_code=400, general_error=str(exc)
            )
    return _achievement_form_page(request, form=form, achievement=achievement, status_code=400)


@router.post("/achievements/{achievement_id}/publish", name="console_achievement_publish")
def publish(achievement_id: str, session: SessionDep, user: Editor) -> Response:
    achievement = _own_achievement(session, user, achievement_id)
    try:
        catalog.publish_achievement(session, achievement.id)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _redirect(f"/console/achievements/{achievement.id}?" + urlencode({"publish_error": str(exc)}))
    return _redirect(f"/console/achievements/{achievement.id}?published=1")


@router.post("/achievements/{achievement_id}/image", name="console_achievement_image")
def upload_image(achievement_id: str, session: SessionDep, user: Editor, data: FormData) -> Response:
    achievement = _own_achievement(session, user, achievement_id)
    upload = data.get("image")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _redirect(f"/console/achievements/{achievement.id}?error=missing")
    content = upload.file.read(MAX_IMAGE_BYTES + 1)
    if len(content) > MAX_IMAGE_BYTES:
        return _redirect(f"/console/achievements/{achievement.id}?error=size")
    media_type = next((t for magic, t in IMAGE_TYPES.items() if content.startswith(magic)), None)
    if media_type is None:  # the bytes decide, not the file name or the declared type
        return _redirect(f"/console/achievements/{achievement.id}?error=type")
    editing.set_image(session, achievement.id, f"data:{media_type};base64," + base64.b64encode(content).decode())
    session.commit()
    return _redirect(f"/console/achievements/{achievement.id}?saved=1")


# -- earners ------------------------------------------------------------------------------------------
def _earners_page(request: Request, session: Session, *, form: Form | None = None, status_code: int = 200) -> Response:
    return render(
        request,
        "console/earners.html",
        {"earners": earners.list_earners(session), "form": form or Form({})},
        status_code=status_code,
    )


@router.get("/earners", name="console_earners")
def earner_list(request: Request, session: SessionDep, user: EarnerManager) -> Response:
    return _earners_page(request, session)


@router.post("/earners", name="console_earner_create")
def create_earner(request: Request, session: SessionDep, user: EarnerManager, data: FormData) -> Response:
    form = Form(data)
    name = form.text("name", required=True)
    email = form.email("email", required=True)
    if email and earners.find_earner_by_email(session, email) is not None:
        form.errors["email"] = _("An earner with this email address already exists.")
    if form.ok:
        earners.create_earner(session, name=name or "", email=email or "")
        session.commit()
        return _redirect("/console/earners?created=1")
    return _earners_page(request, session, form=form, status_code=400)


# -- awarding and the awards list -------------------------------------------------------------------
def _awards_for(session: Session, user: User) -> list[awards.AwardSummary]:
    mine = {a.id for a in _achievements_for(session, user)}
    return [s for s in awards.award_summaries(session) if s.achievement_id in mine]


def _award_page(
    request: Request,
    session: Session,
    user: User,
    *,
    form: Form,
    status_code: int = 200,
    general_error: str | None = None,
) -> Response:
    published = [(a, _localized_name(session, a)) for a in _achievements_for(session, user, status="published")]
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
    achievement_ids = [str(a.id) for a in _achievements_for(session, user, status="published")]
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
            award = awards.issue_award(
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
        return _redirect(f"/console/awards?issued={award.id}")
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
    summaries = _awards_for(session, user)
    needle = q.strip().lower()
    if needle:
        summaries = [s for s in summaries if needle in s.earner_name.lower() or needle in s.achievement_name.lower()]
    if achievement:
        summaries = [s for s in summaries if str(s.achievement_id) == achievement]
    if status:
        summaries = [s for s in summaries if s.status == status]
    rows = [{"s": s, "url": awards.credential_url(s.id, settings.base_url)} for s in summaries]
    issued_url = awards.credential_url(issued, settings.base_url) if issued else None
    return render(
        request,
        "console/awards.html",
        {
            "rows": rows,
            "q": q,
            "achievement": achievement,
            "status": status,
            "achievements": [(a, _localized_name(session, a)) for a in _achievements_for(session, user)],
            "statuses": [("active", _("Active")), ("suspended", _("Suspended")), ("revoked", _("Revoked"))],
            "issued_url": issued_url,
        },
    )
