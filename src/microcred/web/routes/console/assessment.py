"""The console's assessment design screen (issue 16, point 2): `/console/achievements/{id}/assessment`, the method,
whether identity is verified, and one rubric per outcome (ordered levels with the required level, or a score range
with a pass score). The results screens are `assessment_results.py`.

The form is read here with the same rules as `assessments.design.define_assessment` (which the API and the CLI go
through), so every mistake is a message in the staff member's language tied to its field; the service then saves
it, and anything it still refuses is a 400 with the form re-shown. The design can change only while the achievement
is a draft: credentials embed its rubrics."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.assessments import services as assessments
from microcred.catalog.services import Achievement, LearningOutcome
from microcred.errors import DomainError
from microcred.i18n import gettext as _
from microcred.web.deps import SessionDep
from microcred.web.forms import Form
from microcred.web.render import render
from microcred.web.routes.console.common import (
    Editor,
    FormData,
    Viewer,
    console_router,
    localized_name,
    own_achievement,
    redirect,
)

router = console_router()

SCALES = ("levels", "score")


def method_labels() -> dict[str, str]:
    """Each assessment method (`assessments.models.ASSESSMENT_METHODS`, in its order: the tests bind them)."""
    return {
        "project": _("Project"),
        "exam": _("Exam"),
        "observed_performance": _("Observed performance"),
        "portfolio": _("Portfolio"),
        "practical": _("Practical work"),
        "presentation": _("Presentation"),
        "interview": _("Interview"),
        "other": _("Another method"),
    }


def result_type_labels() -> dict[str, str]:
    return {
        "RawScore": _("Raw score"),
        "Percent": _("Percentage"),
        "ScaledScore": _("Scaled score"),
        "RubricScore": _("Rubric score"),
    }


def number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def _level_line(level: dict[str, Any]) -> str:
    parts = [str(level["name"])]
    if level.get("description") or level.get("points") is not None:
        parts.append(str(level.get("description") or ""))
    if level.get("points") is not None:
        parts.append(str(level["points"]))
    return " | ".join(parts)


def form_from_design(achievement: Achievement, design: Any) -> Form:
    """The form's values for a saved design (or an empty form, method unset, when there is none)."""
    data: dict[str, Any] = {}
    if design is None:
        return Form(data)
    data.update(
        method=design.method, identity_verified="1" if design.identity_verified else "", description=design.description
    )
    by_outcome = {c.outcome_id: c for c in design.criteria}
    for i, outcome in enumerate(achievement.outcomes):
        criterion = by_outcome.get(outcome.id)
        if criterion is None:
            continue
        data[f"r{i}_scale"] = criterion.scale
        if criterion.scale == "levels":
            data[f"r{i}_levels"] = "\n".join(_level_line(lv) for lv in criterion.levels)
            data[f"r{i}_required_level"] = next(
                (lv["name"] for lv in criterion.levels if lv["id"] == criterion.required_level_id), ""
            )
        else:
            data[f"r{i}_min"] = number_text(criterion.value_min)
            data[f"r{i}_max"] = number_text(criterion.value_max)
            data[f"r{i}_required"] = number_text(criterion.required_value)
            data[f"r{i}_result_type"] = criterion.levels[0].get("result_type", "RawScore")
    return Form(data)


def _number(form: Form, name: str, *, required: bool) -> float | None:
    """Any finite number (negative too: a score scale may start below zero), with a field error otherwise."""
    value = form.text(name, required=required, max_length=30)
    if value is None:
        return None
    try:
        number = float(value.replace(",", ".").replace("\u2212", "-"))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        form.errors[name] = _("Enter a number, such as 70 or 7.5.")
        return None
    return number


def _parse_level(line: str, n: int, form: Form, name: str) -> dict[str, Any] | None:
    parts = [part.strip() for part in line.split("|")]
    if len(parts) > 3:
        form.errors[name] = _("Level %(n)s: write at most a name, a description and points, separated by “|”.", n=n)
        return None
    level_name, description, points = [*parts, "", ""][:3]
    if not level_name:
        form.errors[name] = _("Level %(n)s has no name: write its name first on its line.", n=n)
        return None
    if len(level_name) > 200:
        form.errors[name] = _("Level %(n)s: a level's name has at most 200 characters.", n=n)
        return None
    level: dict[str, Any] = {"name": level_name, "description": description or None}
    if points:
        try:
            value = float(points.replace(",", "."))
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            form.errors[name] = _("Level %(n)s: its points must be a number, such as 2 or 2.5.", n=n)
            return None
        level["points"] = value
    return level


def _read_levels(form: Form, i: int) -> dict[str, Any] | None:
    """The levels (one per line, lowest first: `name | description | points`) and the required level."""
    name = f"r{i}_levels"
    lines = [line.strip() for line in str(form.data.get(name) or "").splitlines() if line.strip()]
    if len(lines) < 2:
        form.errors[name] = _("Give at least two levels, one per line, from the lowest to the highest.")
        return None
    levels = [_parse_level(line, n, form, name) for n, line in enumerate(lines, start=1)]
    if name in form.errors:
        return None
    names = [str(lv["name"]) for lv in levels if lv is not None]
    twice = next((n for n in names if [m.casefold() for m in names].count(n.casefold()) > 1), None)
    if twice is not None:
        form.errors[name] = _("Two levels are named “%(name)s”: give each level its own name.", name=twice)
        return None
    required = form.text(f"r{i}_required_level", max_length=200)
    if required is None:
        form.errors[f"r{i}_required_level"] = _(
            "Give the required level: the lowest level that passes (its name, or its number, 1 being the lowest)."
        )
        return None
    chosen = _match_level(names, required)
    if chosen is None:
        form.errors[f"r{i}_required_level"] = _(
            "“%(value)s” is not one of the levels above (%(names)s): give one of their names or numbers.",
            value=required[:64],
            names=", ".join(names),
        )
        return None
    return {"levels": levels, "required_level": chosen}


def _match_level(names: list[str], wanted: str) -> str | None:
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return names[int(wanted) - 1]
    return next((n for n in names if n.casefold() == wanted.casefold()), None)


def _read_score(form: Form, i: int) -> dict[str, Any] | None:
    low = _number(form, f"r{i}_min", required=False)
    high = _number(form, f"r{i}_max", required=True)
    required = _number(form, f"r{i}_required", required=True)
    result_type = form.choice(f"r{i}_result_type", tuple(assessments.SCORE_RESULT_TYPES), required=False)
    low = 0.0 if low is None and f"r{i}_min" not in form.errors else low
    if low is None or high is None or required is None:
        return None
    if not low < high:
        form.errors[f"r{i}_max"] = _("The maximum must be greater than the minimum (%(min)s).", min=number_text(low))
        return None
    if not low <= required <= high:
        form.errors[f"r{i}_required"] = _(
            "The pass score must be between the minimum and the maximum (%(min)s to %(max)s).",
            min=number_text(low),
            max=number_text(high),
        )
        return None
    return {"score": {"min": low, "max": high, "required": required, "result_type": result_type or "RawScore"}}


def read_design(form: Form, achievement: Achievement) -> dict[str, Any]:
    """`define_assessment`'s keyword arguments from the form, with field errors on ``form``."""
    method = form.choice("method", tuple(method_labels()))
    if "method" in form.errors:
        form.errors["method"] = _("Choose how the outcomes are assessed.")
    rubrics = []
    for i, outcome in enumerate(achievement.outcomes):
        scale = form.choice(f"r{i}_scale", SCALES)
        if scale is None:
            form.errors[f"r{i}_scale"] = _("Choose how this outcome is assessed: rubric levels or a score.")
            continue
        rubric = _read_levels(form, i) if scale == "levels" else _read_score(form, i)
        if rubric is not None:
            rubrics.append({"outcome_id": str(outcome.id), **rubric})
    return {
        "method": method or "",
        "identity_verified": bool(form.data.get("identity_verified")),
        "description": form.text("description", max_length=5000),
        "rubrics": rubrics,
    }


@dataclass(frozen=True)
class OutcomeRow:
    index: int
    outcome: LearningOutcome
    criterion: Any  # its saved rubric (None: none yet)


def _page(
    request: Request,
    session: Session,
    achievement: Achievement,
    *,
    form: Form,
    status_code: int = 200,
    general_error: str | None = None,
) -> Response:
    design = assessments.get_design(session, achievement.id)
    criteria = {c.outcome_id: c for c in design.criteria} if design else {}
    return render(
        request,
        "console/assessment_design.html",
        {
            "a": achievement,
            "name": localized_name(session, achievement),
            "design": design,
            "form": form,
            "rows": [OutcomeRow(i, o, criteria.get(o.id)) for i, o in enumerate(achievement.outcomes)],
            "methods": list(method_labels().items()),
            "method_labels": method_labels(),
            "result_types": list(result_type_labels().items()),
            "result_type_labels": result_type_labels(),
            "general_error": general_error,
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


@router.get("/achievements/{achievement_id}/assessment", name="console_assessment_design")
def design_page(request: Request, achievement_id: str, session: SessionDep, user: Viewer) -> Response:
    achievement = own_achievement(session, user, achievement_id)
    form = form_from_design(achievement, assessments.get_design(session, achievement.id))
    return _page(request, session, achievement, form=form)


@router.post("/achievements/{achievement_id}/assessment", name="console_assessment_define")
def define(request: Request, achievement_id: str, session: SessionDep, user: Editor, data: FormData) -> Response:
    achievement = own_achievement(session, user, achievement_id)
    form = Form(data)
    if achievement.status != "draft":
        message = _(
            "This achievement is published: its assessment cannot change, because the credentials issued carry "
            "its rubrics. Record results on its results page instead."
        )
        return _page(request, session, achievement, form=form, status_code=400, general_error=message)
    values = read_design(form, achievement)
    if not form.ok:
        return _page(request, session, achievement, form=form, status_code=400)
    try:
        assessments.define_assessment(session, achievement.id, **values)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _page(request, session, achievement, form=form, status_code=400, general_error=str(exc))
    return redirect(f"/console/achievements/{achievement.id}/assessment?saved=1")
