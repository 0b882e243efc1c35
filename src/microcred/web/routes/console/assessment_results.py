"""The console's assessment results (issue 16, point 2): `/console/assessments/{achievement_id}/results`, the cohort
grid (earners x outcomes, each cell the level or score and whether it passes), and
`/console/assessments/{achievement_id}/results/{earner_id}`, one earner's results per outcome and their evidence
(narrative, web address or file; public or private), with the award offered once every outcome passes.

For whoever may award (`award`: administrators, issuer staff, assessors) of the organisation that owns the
achievement. Results go through `assessments.services.record_result`, evidence through `add_evidence`; the form is
checked first with the same rules so every mistake is a message tied to its field, and a refusal is a 400 with the
form re-shown, nothing written. The award itself goes through the award form's POST (`/console/award`), whose
issuing pipeline takes the recorded results (`assessments.issuing.AssessmentResults`)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.accounts.services import User
from microcred.assessments import services as assessments
from microcred.assessments.storage import EvidenceTooLarge, UnsupportedEvidenceType, folder_store
from microcred.audit.services import acting_as
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement, LearningOutcome
from microcred.earners import services as earners
from microcred.errors import DomainError, NotFound
from microcred.i18n import gettext as _
from microcred.web.deps import SessionDep, SettingsDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.assessment import number_text
from microcred.web.routes.console.common import (
    Awarder,
    FormData,
    console_router,
    localized_name,
    own_achievement,
    redirect,
)

router = console_router()


@dataclass(frozen=True)
class Rubric:
    """What the results form needs of an outcome's rubric."""

    scale: str
    levels: list[tuple[str, str]]  # (id, name), lowest first
    required: str  # the required level's name, or the pass score
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Cell:
    """An earner's result on one outcome: ``state`` passed, failed or missing; ``value`` the level or score."""

    index: int
    outcome: LearningOutcome
    rubric: Rubric
    state: str
    value: str | None


@dataclass(frozen=True)
class Standing:
    """An earner's results on every outcome of an assessed achievement."""

    achievement_id: uuid.UUID
    earner_id: uuid.UUID
    cells: list[Cell]

    @property
    def ready(self) -> bool:
        return all(c.state == "passed" for c in self.cells)

    @property
    def problems(self) -> list[Cell]:
        return [c for c in self.cells if c.state != "passed"]

    @property
    def url(self) -> str:
        return f"/console/assessments/{self.achievement_id}/results/{self.earner_id}"


def _rubric(criterion: Any) -> Rubric:
    levels = [(str(lv["id"]), str(lv["name"])) for lv in criterion.levels if "id" in lv]
    if criterion.scale == "levels":
        required = next((name for id_, name in levels if id_ == criterion.required_level_id), "")
        return Rubric("levels", levels, required)
    return Rubric("score", [], number_text(criterion.required_value), criterion.value_min, criterion.value_max)


def rubrics(session: Session, achievement: Achievement) -> dict[uuid.UUID, Rubric] | None:
    """Each outcome's rubric by outcome id; None when the achievement has no assessment design."""
    design = assessments.get_design(session, achievement.id)
    if design is None:
        return None
    return {c.outcome_id: _rubric(c) for c in design.criteria}


def _cell(index: int, outcome: LearningOutcome, rubric: Rubric, result: Any) -> Cell:
    if result is None:
        return Cell(index, outcome, rubric, "missing", None)
    if result.level_id is not None:
        value = next((name for id_, name in rubric.levels if id_ == result.level_id), result.level_id)
    else:
        value = number_text(result.score)
    return Cell(index, outcome, rubric, "passed" if result.passed else "failed", value)


def standing(
    achievement: Achievement, earner_id: uuid.UUID, by_outcome: dict[uuid.UUID, Rubric], results: list[Any]
) -> Standing:
    mine = {r.outcome_id: r for r in results if r.earner_id == earner_id}
    cells = [
        _cell(i, o, by_outcome[o.id], mine.get(o.id)) for i, o in enumerate(achievement.outcomes) if o.id in by_outcome
    ]
    return Standing(achievement.id, earner_id, cells)


def award_readiness(session: Session, achievement_id: str | None, earner_id: str | None) -> Standing | None:
    """For the award form: the earner's results on an assessed achievement (None: not assessed, or not chosen)."""
    try:
        ids = uuid.UUID(str(achievement_id)), uuid.UUID(str(earner_id))
    except ValueError:
        return None
    try:
        achievement = catalog.get_achievement(session, ids[0])
    except DomainError:
        return None
    by_outcome = rubrics(session, achievement)
    if by_outcome is None:
        return None
    return standing(
        achievement, ids[1], by_outcome, assessments.list_results(session, achievement_id=ids[0], earner_id=ids[1])
    )


def _assessed(session: Session, user: User, achievement_id: str) -> tuple[Achievement, dict[uuid.UUID, Rubric] | None]:
    achievement = own_achievement(session, user, achievement_id)
    if achievement.issuer_id != user.organisation_id:  # partner reviewers see published achievements, not results
        raise NotFound(_("no achievement with this id in your organisation"))
    return achievement, rubrics(session, achievement)


@router.get("/assessments/{achievement_id}/results", name="console_assessment_results")
def results_grid(
    request: Request, achievement_id: str, session: SessionDep, user: Awarder, earner: str | None = None
) -> Response:
    achievement, by_outcome = _assessed(session, user, achievement_id)
    everyone = earners.list_earners(session)
    if earner and by_outcome is not None and earner in {str(e.id) for e in everyone}:
        return redirect(f"/console/assessments/{achievement.id}/results/{earner}")
    rows = []
    if by_outcome is not None:
        results = assessments.achievement_results(session, achievement.id)
        names = {e.id: e for e in everyone}
        for earner_id in dict.fromkeys(r.earner_id for r in results):
            if earner_id in names:
                rows.append((names[earner_id], standing(achievement, earner_id, by_outcome, results)))
        rows.sort(key=lambda row: row[0].name.casefold())
    return render(
        request,
        "console/assessment_results.html",
        {
            "a": achievement,
            "name": localized_name(session, achievement),
            "assessed": by_outcome is not None,
            "rows": rows,
            "earner_options": [(str(e.id), f"{e.name} <{e.email}>") for e in everyone],
            "earner_error": _("Choose an earner from the list.") if earner else None,
        },
        status_code=400 if earner else 200,
    )


def _earner_or_404(session: Session, earner_id: str) -> Any:
    try:
        return earners.get_earner(session, earner_id)
    except DomainError:
        raise NotFound(_("no earner with this id")) from None


def earner_page(
    request: Request,
    session: Session,
    achievement: Achievement,
    earner: Any,
    *,
    form: Form | None = None,
    evidence_form: Form | None = None,
    status_code: int = 200,
    general_error: str | None = None,
) -> Response:
    """One earner's results page; ``form`` (results) and ``evidence_form`` carry what was submitted and its errors."""
    by_outcome = rubrics(session, achievement) or {}
    results = assessments.list_results(session, achievement_id=achievement.id, earner_id=earner.id)
    current = standing(achievement, earner.id, by_outcome, results)
    if form is None:
        data = {f"o{c.index}_level" if c.rubric.scale == "levels" else f"o{c.index}_score": "" for c in current.cells}
        for r in results:
            index = next((c.index for c in current.cells if c.outcome.id == r.outcome_id), None)
            if index is not None:
                data[f"o{index}_level"] = r.level_id or ""
                data[f"o{index}_score"] = number_text(r.score)
        form = Form(data)
    evidence = assessments.list_evidence(
        session, achievement_id=achievement.id, earner_id=earner.id, include_private=True
    )
    statements = {o.id: (i + 1, o.statement) for i, o in enumerate(achievement.outcomes)}
    return render(
        request,
        "console/assessment_earner.html",
        {
            "a": achievement,
            "name": localized_name(session, achievement),
            "earner": earner,
            "assessed": bool(by_outcome),
            "standing": current,
            "form": form,
            "evidence_form": evidence_form or Form({"ev_visibility": ""}),
            "evidence": [(e, statements.get(e.outcome_id) if e.outcome_id else None) for e in evidence],
            "outcome_options": [(str(o.id), _("Outcome %(n)s", n=i + 1)) for i, o in enumerate(achievement.outcomes)],
            "general_error": general_error,
            "saved": request.query_params.get("saved"),
        },
        status_code=status_code,
    )


@router.get("/assessments/{achievement_id}/results/{earner_id}", name="console_assessment_earner")
def earner_results(
    request: Request, achievement_id: str, earner_id: str, session: SessionDep, user: Awarder
) -> Response:
    achievement, _rubrics = _assessed(session, user, achievement_id)
    return earner_page(request, session, achievement, _earner_or_404(session, earner_id))


def _score(form: Form, name: str, rubric: Rubric) -> float | None:
    text = form.text(name, max_length=30)
    if text is None:
        return None
    try:
        value = float(text.replace(",", ".").replace("\u2212", "-"))
    except ValueError:
        value = math.nan
    assert rubric.low is not None and rubric.high is not None
    if not (math.isfinite(value) and rubric.low <= value <= rubric.high):
        form.errors[name] = _(
            "Enter a score from %(min)s to %(max)s, such as %(required)s.",
            min=number_text(rubric.low),
            max=number_text(rubric.high),
            required=rubric.required,
        )
        return None
    return value


def read_results(form: Form, cells: list[Cell]) -> list[dict[str, Any]]:
    """`record_result` keyword arguments for each outcome given a level or a score (blank: left as it is)."""
    given: list[dict[str, Any]] = []
    for cell in cells:
        if cell.rubric.scale == "levels":
            name = f"o{cell.index}_level"
            level = form.text(name, max_length=60)
            if level is not None and level not in {id_ for id_, _name in cell.rubric.levels}:
                form.errors[name] = _("Choose one of this outcome's levels.")
            elif level is not None:
                given.append({"outcome": str(cell.outcome.id), "level": level})
        else:
            score = _score(form, f"o{cell.index}_score", cell.rubric)
            if score is not None:
                given.append({"outcome": str(cell.outcome.id), "score": score})
    return given


@router.post("/assessments/{achievement_id}/results/{earner_id}", name="console_assessment_record")
def record(
    request: Request, achievement_id: str, earner_id: str, session: SessionDep, user: Awarder, data: FormData
) -> Response:
    achievement, by_outcome = _assessed(session, user, achievement_id)
    earner = _earner_or_404(session, earner_id)
    form = Form(data)
    if not by_outcome:
        message = _("This achievement has no assessment design: define its rubrics first.")
        return earner_page(request, session, achievement, earner, form=form, status_code=400, general_error=message)
    cells = standing(achievement, earner.id, by_outcome, []).cells
    given = read_results(form, cells)
    if form.ok and not given:
        first = cells[0]
        form.errors[f"o{first.index}_{'level' if first.rubric.scale == 'levels' else 'score'}"] = _(
            "Give at least one outcome's level or score, then save."
        )
    if not form.ok:
        return earner_page(request, session, achievement, earner, form=form, status_code=400)
    try:
        with acting_as(f"web:{user.email}"):
            for result in given:
                assessments.record_result(
                    session, achievement_id=achievement.id, earner_id=earner.id, assessor=user.name, **result
                )
        session.commit()
    except DomainError as exc:
        session.rollback()
        return earner_page(request, session, achievement, earner, form=form, status_code=400, general_error=str(exc))
    return redirect(f"/console/assessments/{achievement.id}/results/{earner.id}?saved=results")


def read_evidence(form: Form, achievement: Achievement) -> dict[str, Any]:
    """`add_evidence` keyword arguments (but the file) from the evidence form, with field errors on ``form``."""
    outcome = form.choice("ev_outcome", [str(o.id) for o in achievement.outcomes], required=False)
    visibility = form.choice("ev_visibility", ("public", "private"))
    if "ev_visibility" in form.errors:
        form.errors["ev_visibility"] = _(
            "Choose who may see it: public (anyone the earner shows the credential to) or private (the earner and "
            "your organisation)."
        )
    return {
        "outcome": outcome,
        "visibility": visibility or "",
        "name": form.text("ev_name", max_length=300),
        "narrative": form.text("ev_narrative", max_length=5000),
        "url": form.url("ev_url"),
    }


def _upload(form: Form, limit: int) -> assessments.FileUpload | None:
    upload = form.data.get("ev_file")
    filename = getattr(upload, "filename", None)
    if upload is None or isinstance(upload, str) or not filename:
        return None
    return assessments.FileUpload(upload.file.read(limit + 1), filename)


def _file_error(exc: DomainError, limit: int) -> str:
    if isinstance(exc, EvidenceTooLarge):
        return _("The file is larger than %(kib)s KiB: upload a smaller one, or give a web address.", kib=limit // 1024)
    if isinstance(exc, UnsupportedEvidenceType):
        return _("Upload a PDF, PNG, JPEG or plain text file (the file's content decides, not its name).")
    return _("The file is empty: choose the file again.")


@router.post("/assessments/{achievement_id}/results/{earner_id}/evidence", name="console_assessment_evidence")
def add_evidence(
    request: Request,
    achievement_id: str,
    earner_id: str,
    session: SessionDep,
    settings: SettingsDep,
    user: Awarder,
    data: FormData,
) -> Response:
    achievement, _rubrics = _assessed(session, user, achievement_id)
    earner = _earner_or_404(session, earner_id)
    form = Form(data)
    values = read_evidence(form, achievement)
    upload = _upload(form, settings.max_evidence_bytes)
    if upload is not None and values["url"]:
        form.errors["ev_url"] = _("Give a web address or a file, not both: clear one of them.")
    elif upload is None and not (values["narrative"] or values["url"]) and form.ok:
        form.errors["ev_narrative"] = _("Give a narrative, a web address or a file.")
    if not form.ok:
        return earner_page(request, session, achievement, earner, evidence_form=form, status_code=400)
    try:
        with acting_as(f"web:{user.email}"):
            assessments.add_evidence(
                session,
                achievement_id=achievement.id,
                earner_id=earner.id,
                file=upload,
                store=folder_store(settings.data_dir),
                max_bytes=settings.max_evidence_bytes,
                **values,
            )
        session.commit()
    except DomainError as exc:
        session.rollback()
        if upload is not None:
            form.errors["ev_file"] = _file_error(exc, settings.max_evidence_bytes)
            return earner_page(request, session, achievement, earner, evidence_form=form, status_code=400)
        return earner_page(
            request, session, achievement, earner, evidence_form=form, status_code=400, general_error=str(exc)
        )
    return redirect(f"/console/assessments/{achievement.id}/results/{earner.id}?saved=evidence#evidence")


@router.get("/assessments/{achievement_id}/evidence/{evidence_id}/file", name="console_assessment_evidence_file")
def evidence_file(
    achievement_id: str, evidence_id: str, session: SessionDep, settings: SettingsDep, user: Awarder
) -> Response:
    """An evidence file, public or private, for the organisation's staff."""
    achievement, _rubrics = _assessed(session, user, achievement_id)
    try:
        content, content_type, row = assessments.evidence_file(session, evidence_id, folder_store(settings.data_dir))
    except DomainError:
        raise NotFound(_("no evidence file with this id for this achievement")) from None
    if row.achievement_id != achievement.id:
        raise NotFound(_("no evidence file with this id for this achievement"))
    return Response(
        content,
        media_type=content_type + ("; charset=utf-8" if content_type == "text/plain" else ""),
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
