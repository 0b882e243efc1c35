"""The console's achievements: list, create and edit drafts (outcomes, alignments, translations), publish,
image upload."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from microcred.catalog import editing, translations
from microcred.catalog import services as catalog
from microcred.catalog.services import OUTCOME_KINDS, Achievement
from microcred.errors import DomainError
from microcred.i18n import LANGUAGES, current_language
from microcred.i18n import gettext as _
from microcred.web.deps import SessionDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console import outcomes
from microcred.web.routes.console.common import (
    Editor,
    FormData,
    Viewer,
    achievements_for,
    console_router,
    localized_name,
    own_achievement,
    redirect,
)

MAX_IMAGE_BYTES = 256 * 1024
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
DEFAULT_OUTCOME_ROWS = 3
MAX_OUTCOME_ROWS = 12

router = console_router()


@router.get("/achievements", name="console_achievements")
def achievements(request: Request, session: SessionDep, user: Viewer, status: str | None = None) -> Response:
    status = status if status in ("draft", "published") else None
    items = [(a, localized_name(session, a)) for a in achievements_for(session, user, status=status)]
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
        for j, alignment in enumerate(outcome.alignments[: outcomes.MAX_CONCEPTS]):
            data[f"outcome_{i}_concept_{j}"] = alignment.target_url
    data["outcome_count"] = str(max(len(achievement.outcomes), 1))
    return Form(data)


def _outcome_rows(form: Form) -> int:
    try:
        count = int(str(form.data.get("outcome_count", DEFAULT_OUTCOME_ROWS)))
    except ValueError:
        count = DEFAULT_OUTCOME_ROWS
    return max(1, min(count, MAX_OUTCOME_ROWS))


def _read_achievement(session: Session, form: Form) -> tuple[dict[str, Any], dict[str, tuple[str | None, str | None]]]:
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
    values["outcomes"] = outcomes.read_outcomes(session, form, _outcome_rows(form))
    return values, other


def warnings_token(warnings: list[str]) -> str:
    """What the confirmation checkbox carries: the warnings it was shown (a change since needs a new look)."""
    return hashlib.sha256("\n".join(warnings).encode()).hexdigest()[:24]


@dataclass
class _Page:
    """What the form page shows besides the form: the achievement edited, a picker step, unconfirmed warnings."""

    achievement: Achievement | None
    step: outcomes.Step | None = None
    warnings: list[str] = field(default_factory=list)
    general_error: str | None = None


def _achievement_form_page(
    request: Request, session: Session, form: Form, page: _Page, *, status_code: int = 200
) -> Response:
    rows = _outcome_rows(form)
    return render(
        request,
        "console/achievement_form.html",
        {
            "form": form,
            "achievement": page.achievement,
            "rows": rows,
            "outcome_rows": outcomes.outcome_rows(session, form, rows, page.step),
            "kinds": [(k, _(k)) for k in OUTCOME_KINDS],
            "kind_label": outcomes.kind_label,
            "no_framework": outcomes.missing_message() if outcomes.framework_missing(session) else None,
            "esco_terms": [(value, _(label)) for value, label in outcomes.ESCO_TERMS.items()],
            "languages": [("en", "English"), ("fr", "Français")],
            "general_error": page.general_error,
            "warnings": page.warnings,
            "warnings_token": warnings_token(page.warnings) if page.warnings else "",
            "max_rows": MAX_OUTCOME_ROWS,
            "max_concepts": outcomes.MAX_CONCEPTS,
        },
        status_code=status_code,
    )


@router.get("/achievements/new", name="console_achievement_new")
def new_achievement(request: Request, session: SessionDep, user: Editor) -> Response:
    return _achievement_form_page(request, session, _empty_achievement_form(), _Page(None))


def _save_translations(
    session: Session, achievement_id: uuid.UUID, other: dict[str, tuple[str | None, str | None]]
) -> None:
    for code, (name, description) in other.items():
        translations.set_translation(session, achievement_id, code, name=name, description=description)


def _save(session: Session, user: Any, achievement: Achievement | None, values: dict[str, Any]) -> Achievement:
    if achievement is None:
        return catalog.create_achievement(session, issuer_id=user.organisation_id or "", **values)
    return editing.update_draft(session, achievement.id, **values)


def _save_confirmed(
    session: Session, user: Any, achievement: Achievement | None, values: dict[str, Any], confirmed: str
) -> Achievement:
    """Save, asking the service to refuse unconfirmed kind warnings; the warnings the author confirmed (the
    checkbox names the list it was shown) are saved with the alignments."""
    try:
        return _save(session, user, achievement, {**values, "confirm_warnings": False})
    except catalog.AlignmentWarnings as exc:
        if not confirmed or confirmed != warnings_token(exc.warnings):
            raise
        session.rollback()
        return _save(session, user, achievement, {**values, "confirm_warnings": True})


def _submit(request: Request, session: Session, user: Any, data: dict[str, Any], page: _Page) -> Response:
    """The form's buttons: a picker step or another outcome (the form again, everything kept), or save."""
    form = Form(data)
    action = outcomes.form_action(data, _outcome_rows(form))
    if action == "add_row":
        form.data["outcome_count"] = str(_outcome_rows(form) + 1)
        return _achievement_form_page(request, session, form, page)
    if action != "save":
        page.step = outcomes.run_step(session, form, action, _outcome_rows(form))
        if page.step is None:
            page.general_error = _("Unknown action: use the form's buttons.")
            return _achievement_form_page(request, session, form, page, status_code=400)
        return _achievement_form_page(request, session, form, page, status_code=400 if form.errors else 200)
    values, other = _read_achievement(session, form)
    if not form.ok:
        return _achievement_form_page(request, session, form, page, status_code=400)
    confirmed = str(data.get("confirm_warnings") or "")
    try:
        saved = _save_confirmed(session, user, page.achievement, values, confirmed)
        _save_translations(session, saved.id, other)
        session.commit()
    except catalog.AlignmentWarnings as exc:
        session.rollback()
        page.warnings = exc.warnings
        return _achievement_form_page(request, session, form, page, status_code=400)
    except DomainError as exc:
        session.rollback()
        page.general_error = str(exc)
        return _achievement_form_page(request, session, form, page, status_code=400)
    return redirect(f"/console/achievements/{saved.id}?saved=1")


@router.post("/achievements/new", name="console_achievement_create")
def create_achievement(request: Request, session: SessionDep, user: Editor, data: FormData) -> Response:
    return _submit(request, session, user, data, _Page(None))


@router.get("/achievements/{achievement_id}", name="console_achievement")
def achievement_detail(
    request: Request, achievement_id: str, session: SessionDep, user: Viewer, error: str | None = None
) -> Response:
    achievement = own_achievement(session, user, achievement_id)
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
    achievement = own_achievement(session, user, achievement_id)
    if achievement.status != "draft":
        return redirect(f"/console/achievements/{achievement.id}")
    return _achievement_form_page(request, session, _form_from_achievement(session, achievement), _Page(achievement))


@router.post("/achievements/{achievement_id}/edit", name="console_achievement_update")
def update_achievement(
    request: Request, achievement_id: str, session: SessionDep, user: Editor, data: FormData
) -> Response:
    achievement = own_achievement(session, user, achievement_id)
    return _submit(request, session, user, data, _Page(achievement))


@router.post("/achievements/{achievement_id}/publish", name="console_achievement_publish")
def publish(achievement_id: str, session: SessionDep, user: Editor) -> Response:
    achievement = own_achievement(session, user, achievement_id)
    try:
        catalog.publish_achievement(session, achievement.id)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return redirect(f"/console/achievements/{achievement.id}?" + urlencode({"publish_error": str(exc)}))
    return redirect(f"/console/achievements/{achievement.id}?published=1")


@router.post("/achievements/{achievement_id}/image", name="console_achievement_image")
def upload_image(achievement_id: str, session: SessionDep, user: Editor, data: FormData) -> Response:
    achievement = own_achievement(session, user, achievement_id)
    upload = data.get("image")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return redirect(f"/console/achievements/{achievement.id}?error=missing")
    content = upload.file.read(MAX_IMAGE_BYTES + 1)
    if len(content) > MAX_IMAGE_BYTES:
        return redirect(f"/console/achievements/{achievement.id}?error=size")
    media_type = next((t for magic, t in IMAGE_TYPES.items() if content.startswith(magic)), None)
    if media_type is None:  # the bytes decide, not the file name or the declared type
        return redirect(f"/console/achievements/{achievement.id}?error=type")
    editing.set_image(session, achievement.id, f"data:{media_type};base64," + base64.b64encode(content).decode())
    session.commit()
    return redirect(f"/console/achievements/{achievement.id}?saved=1")
