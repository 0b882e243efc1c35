"""The console's pathways (issue 16, point 4): `/console/pathways` (list, builder), the approval queue
`/console/pathways/approvals`, an achievement's transcript record and prerequisites (`.../{id}/transcript`).
Through the services the API and `microcred pathways` use; forms are checked here first (errors tied to fields, in
the staff member's language), a refusal is shown on the form (400), nothing written. A pathway is its credential's
organisation's: another organisation's pathway or completion is a 404."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred import issuing
from microcred.accounts.services import User
from microcred.audit.services import acting_as
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement
from microcred.earners import services as earners
from microcred.errors import Conflict, DomainError, NotFound
from microcred.i18n import gettext as _
from microcred.issuers import keystore
from microcred.transcripts import pathway_definitions, pathways, records
from microcred.vc.records import CreditUnit, GradingScheme
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.errors import error_response
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import (
    Awarder,
    Editor,
    FormData,
    achievements_for,
    console_router,
    localized_name,
    own_achievement,
    redirect,
)

router = console_router()

RULES = ("all_of", "n_of_m")
ISSUE_MODES = ("auto", "approval")
PARTICIPATION_FORMS = ("online", "onsite", "blended")
QA_TYPES = ("internal", "external_agency", "accreditation", "sector_standard")
MAX_EXTERNAL_ROWS = 10
RECORD_TEXTS = {  # field: max length (the columns' sizes)
    "human_code": 64,
    "qualification_framework": 200,
    "qualification_level": 200,
    "quality_assurance_reference": 2000,
    "awarding_body": 300,
}


@dataclass(frozen=True)
class CompletionRow:
    id: uuid.UUID
    pathway_id: uuid.UUID
    pathway_name: str
    earner_name: str
    earner_email: str
    created_at: datetime
    parts: list[str]
    award_id: uuid.UUID | None


def _labels() -> dict[str, str]:
    return {
        "all_of": _("Every component"),
        "n_of_m": _("A number of the components"),
        "auto": _("Issued at once"),
        "approval": _("Waits for staff approval"),
    }


def _not_found(request: Request, what: str) -> Response:
    messages = {
        "pathway": _("No pathway with this id in your organisation: choose one from the pathways list."),
        "completion": _("No completion with this id waits in your organisation's queue: see the queue below."),
    }
    return error_response(request, 404, messages[what])


# -- which pathways are the staff member's ----------------------------------------------------------------
def _own_pathways(session: Session, user: User) -> list[tuple[Any, Achievement]]:
    out = []
    for p in pathways.list_pathways(session):
        achievement = catalog.get_achievement(session, p.achievement_id)
        if achievement.issuer_id == user.organisation_id:
            out.append((p, achievement))
    return out


def _own_pathway(session: Session, user: User, pathway_id: str) -> tuple[Any, Achievement] | None:
    try:
        pathway = pathways.get_pathway(session, pathway_id)
    except (NotFound, DomainError):
        return None
    achievement = catalog.get_achievement(session, pathway.achievement_id)
    return (pathway, achievement) if achievement.issuer_id == user.organisation_id else None


@router.get("/pathways", name="console_pathways")
def pathway_list(request: Request, session: SessionDep, user: Editor, saved: str | None = None) -> Response:
    rows = [(p, localized_name(session, a)) for p, a in _own_pathways(session, user)]
    pending = len(_completions(session, user, "pending"))
    context = {"rows": rows, "pending": pending, "saved": saved in ("created", "updated"), "labels": _labels()}
    return render(request, "console/pathways.html", context)


# -- the builder -------------------------------------------------------------------------------------------
def _choices(session: Session, user: User, pathway: Any | None) -> list[Achievement]:
    """The achievements a component may be: the organisation's own, and any already in the pathway."""
    items = {a.id: a for a in achievements_for(session, user)}
    for c in pathway.components if pathway is not None else []:
        if c.achievement_id is not None and c.achievement_id not in items:
            items[c.achievement_id] = catalog.get_achievement(session, c.achievement_id)
    if pathway is not None:
        items.pop(pathway.achievement_id, None)
    return sorted(items.values(), key=lambda a: a.name.lower())


def _form_of(pathway: Any) -> Form:
    data: dict[str, Any] = {
        "rule": pathway.rule,
        "required_count": str(pathway.required_count or ""),
        "min_credits": f"{pathway.min_credits:g}" if pathway.min_credits is not None else "",
        "ordered": "yes" if pathway.ordered else "",
        "issue_mode": pathway.issue_mode,
    }
    external = [c for c in pathway.components if c.achievement_id is None]
    for c in pathway.components:
        if c.achievement_id is not None:
            data[f"component_{c.achievement_id}"] = "yes"
            data[f"position_{c.achievement_id}"] = str(c.position + 1)
    for i, c in enumerate(external):
        data[f"ext_{i}_label"] = c.label or ""
        data[f"ext_{i}_achievement"] = c.external_achievement_id or ""
        data[f"ext_{i}_alignment"] = c.alignment_url or ""
        data[f"ext_{i}_position"] = str(c.position + 1)
    data["ext_count"] = str(max(len(external), 1))
    return Form(data)


def _ext_rows(form: Form) -> int:
    try:
        count = int(str(form.data.get("ext_count", 1)))
    except ValueError:
        count = 1
    return max(1, min(count, MAX_EXTERNAL_ROWS))


def _position(form: Form, name: str) -> int | None:
    text = form.text(name, max_length=6)
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        form.errors[name] = _("Enter a whole number from 1, or leave it empty.")
        return None
    return int(text)


def _read_components(form: Form, choices: list[Achievement], credential: uuid.UUID | None) -> list[dict[str, Any]]:
    """The chosen components in their order (the positions given, then the form's order), errors on ``form``."""
    picked: list[tuple[float, int, dict[str, Any]]] = []
    for i, a in enumerate(choices):
        if form.data.get(f"component_{a.id}") != "yes":
            continue
        position = _position(form, f"position_{a.id}")
        if a.id == credential:
            form.errors[f"component_{a.id}"] = _("A pathway cannot be its own component: untick this one.")
        picked.append((position or float("inf"), i, {"achievement_id": str(a.id)}))
    for i in range(_ext_rows(form)):
        label = form.text(f"ext_{i}_label", max_length=300)
        achievement = form.url(f"ext_{i}_achievement")
        alignment = form.url(f"ext_{i}_alignment")
        position = _position(form, f"ext_{i}_position")
        if achievement is None and alignment is None:
            if label is not None:
                form.errors[f"ext_{i}_achievement"] = _(
                    "Give the external achievement's id or an alignment address, or clear this row."
                )
            continue
        item = {"external_achievement_id": achievement, "alignment_url": alignment, "label": label}
        picked.append((position or float("inf"), len(choices) + i, item))
    if not picked and not form.errors:
        form.errors["components"] = _("Choose at least one component: an achievement, or an external credential.")
    return [item for _p, _i, item in sorted(picked, key=lambda t: (t[0], t[1]))]


def _read_rule(form: Form, count: int) -> dict[str, Any]:
    rule = form.choice("rule", RULES) or "all_of"
    required: int | None = None
    if rule == "n_of_m":
        text = form.text("required_count", required=True, max_length=6)
        if text is not None and (not text.isdigit() or not 1 <= int(text) <= max(count, 1)):
            form.errors["required_count"] = _(
                "Enter a whole number from 1 to the number of components chosen (%(n)s).", n=count
            )
        elif text is not None:
            required = int(text)
    return {
        "rule": rule,
        "required_count": required,
        "min_credits": form.number("min_credits"),
        "ordered": form.data.get("ordered") == "yes",
        "issue_mode": form.choice("issue_mode", ISSUE_MODES) or "auto",
    }


def _credential_choices(session: Session, user: User) -> list[Achievement]:
    taken = {p.achievement_id for p in pathways.list_pathways(session)}
    return [a for a in sorted(achievements_for(session, user), key=lambda a: a.name.lower()) if a.id not in taken]


def _builder(request: Request, session: Session, user: User, form: Form, pathway: Any | None, **state: Any) -> Response:
    current = catalog.get_achievement(session, pathway.achievement_id) if pathway is not None else None
    context = {
        "form": form,
        "pathway": pathway,
        "credential": current,
        "credentials": _credential_choices(session, user) if pathway is None else [],
        "choices": _choices(session, user, pathway),
        "ext_rows": _ext_rows(form),
        "max_rows": MAX_EXTERNAL_ROWS,
        "labels": _labels(),
        "general_error": state.get("general_error"),
    }
    return render(request, "console/pathway_form.html", context, status_code=state.get("status_code", 200))


@router.get("/pathways/new", name="console_pathway_new")
def new_pathway(request: Request, session: SessionDep, user: Editor) -> Response:
    form = Form({"rule": "all_of", "issue_mode": "auto", "ext_count": "1"})
    return _builder(request, session, user, form, None)


def _save(request: Request, session: Session, user: User, data: dict[str, Any], pathway: Any | None) -> Response:
    form = Form(data)
    if data.get("add_row"):
        form.data["ext_count"] = str(_ext_rows(form) + 1)
        return _builder(request, session, user, form, pathway)
    credential: uuid.UUID | None = pathway.achievement_id if pathway is not None else None
    if pathway is None:
        chosen = form.choice("achievement_id", [str(a.id) for a in _credential_choices(session, user)])
        credential = uuid.UUID(chosen) if chosen else None
    components = _read_components(form, _choices(session, user, pathway), credential)
    options = _read_rule(form, len(components))
    if not form.ok:
        return _builder(request, session, user, form, pathway, status_code=400)
    try:
        with acting_as(f"web:{user.email}"):
            if pathway is None:
                pathways.create_pathway(session, achievement_id=str(credential), components=components, **options)
            else:
                pathway_definitions.update_pathway(session, pathway, components=components, **options)
        session.commit()
    except DomainError as exc:
        session.rollback()
        pathway = pathways.get_pathway(session, pathway.id) if pathway is not None else None
        return _builder(request, session, user, form, pathway, status_code=400, general_error=str(exc))
    return redirect("/console/pathways?saved=" + ("created" if pathway is None else "updated"))


@router.post("/pathways/new", name="console_pathway_create")
def create_pathway(request: Request, session: SessionDep, user: Editor, data: FormData) -> Response:
    return _save(request, session, user, data, None)


@router.get("/pathways/{pathway_id}/edit", name="console_pathway_edit")
def edit_pathway(request: Request, pathway_id: str, session: SessionDep, user: Editor) -> Response:
    own = _own_pathway(session, user, pathway_id)
    if own is None:
        return _not_found(request, "pathway")
    return _builder(request, session, user, _form_of(own[0]), own[0])


@router.post("/pathways/{pathway_id}/edit", name="console_pathway_update")
def update_pathway(request: Request, pathway_id: str, session: SessionDep, user: Editor, data: FormData) -> Response:
    own = _own_pathway(session, user, pathway_id)
    if own is None:
        return _not_found(request, "pathway")
    return _save(request, session, user, data, own[0])


# -- the approval queue ------------------------------------------------------------------------------------
def _completions(session: Session, user: User, status: str) -> list[CompletionRow]:
    mine = {p.id: localized_name(session, a) for p, a in _own_pathways(session, user)}
    rows = []
    for c in pathways.list_completions(session, status=status):
        if c.pathway_id not in mine:
            continue
        earner = earners.get_earner(session, c.earner_id)
        parts = [str(part.get("name", "")) for part in c.parts]
        row = (c.id, c.pathway_id, mine[c.pathway_id], earner.name, earner.email, c.created_at, parts, c.award_id)
        rows.append(CompletionRow(*row))
    return rows


def _queue(request: Request, session: Session, user: User, **state: Any) -> Response:
    """The queue; ``state``: confirm (the completion whose approval is asked), done / award (just approved),
    general_error, status_code."""
    issued = _completions(session, user, "issued")
    context = {
        "pending": _completions(session, user, "pending"),
        "issued": list(reversed(issued))[:20],
        "confirm": state.get("confirm"),
        "done_award": state.get("award"),
        "general_error": state.get("general_error"),
    }
    return render(request, "console/pathway_queue.html", context, status_code=state.get("status_code", 200))


@router.get("/pathways/approvals", name="console_pathway_queue")
def approval_queue(request: Request, session: SessionDep, user: Awarder, award: str | None = None) -> Response:
    try:
        done = uuid.UUID(award) if award else None
    except ValueError:
        done = None
    return _queue(request, session, user, award=done)


@router.post("/pathways/approvals/{completion_id}/approve", name="console_pathway_approve")
def approve(
    request: Request, completion_id: str, session: SessionDep, settings: SettingsDep, user: Awarder, data: FormData
) -> Response:
    pending = {str(c.id): c for c in _completions(session, user, "pending")}
    issued = {str(c.id) for c in _completions(session, user, "issued")}
    if completion_id in issued:
        message = _("This completion was already approved (a second click?): its credential is listed below.")
        return _queue(request, session, user, general_error=message, status_code=400)
    row = pending.get(completion_id)
    if row is None:
        return _not_found(request, "completion")
    if data.get("confirm") != "yes":
        return _queue(request, session, user, confirm=row)
    try:
        with acting_as(f"web:{user.email}"):
            award = issuing.approve_pathway_completion(
                session, row.id, base_url=settings.base_url, master_key=keystore.load_master_key(settings)
            )
        session.commit()
    except Conflict:
        session.rollback()
        message = _("This completion was already decided meanwhile: nothing more was done. See the queue below.")
        return _queue(request, session, user, general_error=message, status_code=400)
    except DomainError as exc:
        session.rollback()
        message = _(
            "The credential could not be issued: %(reason)s. Check the earner's awards and the pathway's rule.",
            reason=str(exc),
        )
        return _queue(request, session, user, general_error=message, status_code=400)
    return redirect(f"/console/pathways/approvals?award={award.id}")


# -- an achievement's transcript record and prerequisites --------------------------------------------------
def _record_labels() -> dict[str, dict[str, str]]:
    return {
        "credit_unit": {
            "Semester": _("Semester credits"),
            "Quarter": _("Quarter credits"),
            "ClockHours": _("Clock hours"),
            "ContinuingEducationUnits": _("Continuing education units (CEU)"),
            "ECTS": _("ECTS credits"),
            "NoCredit": _("No credit"),
        },
        "form_of_participation": {"online": _("Online"), "onsite": _("On site"), "blended": _("Blended")},
        "quality_assurance_type": {
            "internal": _("Internal institutional quality assurance"),
            "external_agency": _("External quality assurance agency"),
            "accreditation": _("Accreditation"),
            "sector_standard": _("Sector standard"),
        },
        "grading_scheme": {"pass_fail": _("Pass or fail"), "letter_grade": _("Letter grade"), "percent": _("Percent")},
        "eqf_level": {str(n): str(n) for n in range(1, 9)},
    }


CHOICES = {
    "credit_unit": tuple(u.value for u in CreditUnit),
    "form_of_participation": PARTICIPATION_FORMS,
    "quality_assurance_type": QA_TYPES,
    "grading_scheme": tuple(g.value for g in GradingScheme),
    "eqf_level": tuple(str(n) for n in range(1, 9)),
}


def _record_form(session: Session, achievement: Achievement) -> Form:
    record = records.get_achievement_record(session, achievement.id)
    data: dict[str, Any] = {}
    for name in (*RECORD_TEXTS, *CHOICES, "awarding_country"):
        value = getattr(record, name) if record is not None else None
        data[name] = "" if value is None else str(value)
    for r in records.prerequisites(session, achievement.id):
        data[f"requires_{r.id}"] = "yes"
    return Form(data)


def _prerequisite_choices(session: Session, user: User, achievement: Achievement) -> list[Achievement]:
    items = {a.id: a for a in achievements_for(session, user)}
    items.update({r.id: r for r in records.prerequisites(session, achievement.id)})
    items.pop(achievement.id, None)
    return sorted(items.values(), key=lambda a: a.name.lower())


def _read_record(form: Form, achievement: Achievement) -> dict[str, Any]:
    values: dict[str, Any] = {name: form.text(name, max_length=n) for name, n in RECORD_TEXTS.items()}
    for name, allowed in CHOICES.items():
        values[name] = form.choice(name, allowed, required=False)
    country = form.text("awarding_country", max_length=2)
    if country is not None and not (len(country) == 2 and country.isascii() and country.isalpha()):
        form.errors["awarding_country"] = _("Enter a two-letter country code, such as CA or FR.")
    values["awarding_country"] = country.upper() if country else None
    if values["qualification_level"] and not values["qualification_framework"]:
        form.errors["qualification_framework"] = _("Name the framework the qualification level belongs to.")
    unit = values["credit_unit"]
    if unit and unit != "NoCredit" and achievement.credits is None:
        form.errors["credit_unit"] = _(
            "This achievement has no credit value: set its credits on the achievement first, or choose No credit."
        )
    return values


def _cycle(session: Session, achievement: Achievement, required: list[Achievement]) -> Achievement | None:
    """A chosen prerequisite that already requires ``achievement`` (directly or through others), if any."""
    for r in required:
        seen: set[uuid.UUID] = set()
        todo = [r.id]
        while todo:
            for p in records.prerequisites(session, todo.pop()):
                if p.id == achievement.id:
                    return r
                if p.id not in seen:
                    seen.add(p.id)
                    todo.append(p.id)
    return None


def _record_page(
    request: Request, session: Session, user: User, achievement: Achievement, form: Form, **state: Any
) -> Response:
    own = pathways.pathway_of(session, achievement.id)
    context = {
        "a": achievement,
        "name": localized_name(session, achievement),
        "form": form,
        "labels": _record_labels(),
        "choices": _prerequisite_choices(session, user, achievement),
        "pathway": own,
        "part_of": [
            (p, localized_name(session, catalog.get_achievement(session, p.achievement_id)))
            for p in pathways.pathways_containing(session, achievement.id)
        ],
        "saved": state.get("saved"),
        "general_error": state.get("general_error"),
    }
    return render(request, "console/transcript_record.html", context, status_code=state.get("status_code", 200))


@router.get("/achievements/{achievement_id}/transcript", name="console_transcript_record")
def transcript_record(
    request: Request, achievement_id: str, session: SessionDep, user: Editor, saved: str | None = None
) -> Response:
    achievement = own_achievement(session, user, achievement_id)
    form = _record_form(session, achievement)
    return _record_page(request, session, user, achievement, form, saved=bool(saved))


@router.post("/achievements/{achievement_id}/transcript", name="console_transcript_record_save")
def save_transcript_record(
    request: Request, achievement_id: str, session: SessionDep, user: Editor, data: FormData
) -> Response:
    achievement = own_achievement(session, user, achievement_id)
    form = Form(data)
    values = _read_record(form, achievement)
    required = [a for a in _prerequisite_choices(session, user, achievement) if data.get(f"requires_{a.id}") == "yes"]
    looping = _cycle(session, achievement, required)
    if looping is not None:
        form.errors[f"requires_{looping.id}"] = _(
            "%(other)s already requires this achievement: it cannot also be its prerequisite. Untick it.",
            other=looping.name,
        )
    if not form.ok:
        return _record_page(request, session, user, achievement, form, status_code=400)
    try:
        with acting_as(f"web:{user.email}"):
            records.set_achievement_record(session, achievement.id, values)
            records.set_prerequisites(session, achievement.id, [a.id for a in required])
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _record_page(request, session, user, achievement, form, status_code=400, general_error=str(exc))
    return redirect(f"/console/achievements/{achievement.id}/transcript?saved=1")
