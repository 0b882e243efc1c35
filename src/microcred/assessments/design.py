"""Assessment design: the method, whether identity is verified, and one rubric per outcome (ordered levels with a
required level, or a score range with a required value), set while the achievement is a draft; and what the
design puts into a credential (`vc.ob.Outcome` rubric fields, the achievement's assessment fields).
Split from :mod:`microcred.assessments.services`, which re-exports every public name."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.assessments.models import ASSESSMENT_METHODS, AssessmentDesign, RubricCriterion
from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement, LearningOutcome
from microcred.db import reads
from microcred.db.base import utcnow
from microcred.errors import InvalidInput
from microcred.validation import as_uuid, one_of, optional_text, required_text
from microcred.vc import ob
from microcred.vc.outcomes import ResultType

# The OB result types a score-scale rubric may report (of vc.outcomes.ResultType).
SCORE_RESULT_TYPES: tuple[str, ...] = tuple(
    result_type.value
    for result_type in (ResultType.RAW_SCORE, ResultType.PERCENT, ResultType.SCALED_SCORE, ResultType.RUBRIC_SCORE)
)


def _uri(value: uuid.UUID | str) -> str:
    return f"urn:uuid:{value}"


def _keys(value: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = set(value) - allowed
    if unknown:
        raise InvalidInput(f"unknown {what} field(s): {', '.join(sorted(map(str, unknown)))}")


def _finite(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{what} must be a number")
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{what} must be a number") from None
    if not math.isfinite(number):
        raise InvalidInput(f"{what} must be a finite number")
    return number


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _outcome(achievement: Achievement, ref: Any, what: str) -> LearningOutcome:
    """An outcome of the achievement by id (uuid) or by 1-based position."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        if 1 <= ref <= len(achievement.outcomes):
            return achievement.outcomes[ref - 1]
        raise InvalidInput(f"{what}: the achievement has no outcome {ref} (it has {len(achievement.outcomes)})")
    try:
        wanted = ref if isinstance(ref, uuid.UUID) else uuid.UUID(str(ref).removeprefix("urn:uuid:"))
    except ValueError:
        raise InvalidInput(f"{what}: {str(ref)[:64]!r} is neither an outcome id nor a position") from None
    for outcome in achievement.outcomes:
        if outcome.id == wanted:
            return outcome
    raise InvalidInput(f"{what}: outcome {wanted} is not an outcome of this achievement")


def _score_criterion(outcome: LearningOutcome, score: Any, what: str) -> RubricCriterion:
    """A score range (min < max) with the required value inside it, and its OB result type."""
    if not isinstance(score, Mapping):
        raise InvalidInput(f"{what}: score must be an object with min, max and required")
    _keys(score, {"min", "max", "required", "result_type"}, f"{what} score")
    low = _finite(score.get("min", 0), f"{what}: score min")
    high = _finite(score.get("max"), f"{what}: score max")
    required = _finite(score.get("required"), f"{what}: required score")
    if not low < high or not low <= required <= high:
        raise InvalidInput(f"{what}: need min < max and min <= required <= max")
    result_type = one_of(score.get("result_type", "RawScore"), f"{what}: result_type", SCORE_RESULT_TYPES)
    return RubricCriterion(
        id=uuid.uuid4(),
        outcome_id=outcome.id,
        position=outcome.position,
        scale="score",
        levels=[{"result_type": result_type}],
        value_min=low,
        value_max=high,
        required_value=required,
    )


def _rubric_levels(levels_raw: Any, what: str) -> list[dict[str, Any]]:
    """At least two levels, ordered low -> high, each a name (or name, description, points), names distinct."""
    if not isinstance(levels_raw, list) or len(levels_raw) < 2:
        raise InvalidInput(f"{what}: a rubric needs at least two levels, ordered from lowest to highest")
    levels: list[dict[str, Any]] = []
    for n, level in enumerate(levels_raw):
        where = f"{what}, level {n + 1}"
        if isinstance(level, str):
            level = {"name": level}
        if not isinstance(level, Mapping):
            raise InvalidInput(f"{where} must be a name or an object with name, description, points")
        _keys(level, {"name", "description", "points"}, where)
        points = level.get("points")
        levels.append(
            {
                "id": str(uuid.uuid4()),
                "name": required_text(level.get("name"), f"{where}: name", max_length=200),
                "description": optional_text(level.get("description"), f"{where}: description"),
                "points": None if points is None else _number_text(_finite(points, f"{where}: points")),
            }
        )
    names = [lv["name"].casefold() for lv in levels]
    if len(set(names)) != len(names):
        raise InvalidInput(f"{what}: level names must differ")
    return levels


def _criterion(achievement: Achievement, raw: Any, index: int) -> RubricCriterion:
    what = f"rubric {index + 1}"
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{what} must be an object with outcome and levels (or score)")
    _keys(raw, {"outcome", "outcome_id", "levels", "required_level", "score"}, what)
    outcome = _outcome(achievement, raw.get("outcome_id", raw.get("outcome")), what)
    what = f"rubric for outcome {outcome.position + 1}"
    levels_raw, score = raw.get("levels"), raw.get("score")
    if bool(levels_raw) == bool(score):
        raise InvalidInput(f"{what}: give either levels (with required_level) or a score range, not both or neither")
    if score:
        return _score_criterion(outcome, score, what)
    levels = _rubric_levels(levels_raw, what)
    required_ref = raw.get("required_level")
    if required_ref is None:
        raise InvalidInput(f"{what}: required_level (the lowest passing level's name or 1-based number) is required")
    required_level = _level(levels, required_ref, what)
    return RubricCriterion(
        id=uuid.uuid4(),
        outcome_id=outcome.id,
        position=outcome.position,
        scale="levels",
        levels=levels,
        required_level_id=required_level["id"],
    )


def _level(levels: list[dict[str, Any]], ref: Any, what: str) -> dict[str, Any]:
    if isinstance(ref, int) and not isinstance(ref, bool):
        if 1 <= ref <= len(levels):
            return levels[ref - 1]
    elif isinstance(ref, str):
        wanted = ref.strip().removeprefix("urn:uuid:")
        for level in levels:
            if level["id"] == wanted or level["name"].casefold() == wanted.casefold():
                return level
    names = ", ".join(repr(lv["name"]) for lv in levels)
    raise InvalidInput(f"{what}: {str(ref)[:64]!r} is not one of its levels ({names})")


def define_assessment(
    session: Session,
    achievement_id: uuid.UUID | str,
    *,
    method: str,
    rubrics: Sequence[Mapping[str, Any]],
    identity_verified: bool = False,
    description: str | None = None,
) -> AssessmentDesign:
    """Set (or replace) the assessment of a draft achievement: a rubric for every outcome."""
    achievement = catalog.get_achievement(session, achievement_id)
    if achievement.status != "draft":
        raise InvalidInput("the assessment of a published achievement cannot change: credentials embed its rubrics")
    reads.forget(session, ("assessment_design", achievement.id))
    if not isinstance(identity_verified, bool):
        raise InvalidInput("identity_verified must be true or false")
    criteria = [_criterion(achievement, raw, i) for i, raw in enumerate(rubrics)]
    covered = [c.outcome_id for c in criteria]
    if len(set(covered)) != len(covered):
        raise InvalidInput("two rubrics for the same outcome")
    missing = [o for o in achievement.outcomes if o.id not in set(covered)]
    if missing:
        listed = "; ".join(f"outcome {o.position + 1} ({o.statement[:60]!r})" for o in missing)
        raise InvalidInput(f"every outcome needs a rubric; missing: {listed}")
    existing = get_design(session, achievement.id)
    if existing is not None:
        session.delete(existing)
        session.flush()
    design = AssessmentDesign(
        id=uuid.uuid4(),
        achievement_id=achievement.id,
        method=one_of(method, "method", ASSESSMENT_METHODS),
        identity_verified=identity_verified,
        description=optional_text(description, "description"),
        created_at=utcnow(),
    )
    design.criteria = sorted(criteria, key=lambda c: c.position)
    session.add(design)
    session.flush()
    audit.record(
        session,
        "achievement.assessment_defined",
        f"achievement:{achievement.id}",
        {"method": design.method, "identity_verified": design.identity_verified, "rubrics": len(criteria)},
    )
    return design


def get_design(session: Session, achievement_id: uuid.UUID | str) -> AssessmentDesign | None:
    """The design (read once per bulk chunk: `db.reads`; a published achievement's design never changes)."""
    aid = as_uuid(achievement_id, "achievement")
    return reads.shared(
        session,
        ("assessment_design", aid),
        lambda: session.scalars(select(AssessmentDesign).where(AssessmentDesign.achievement_id == aid)).one_or_none(),
    )


def design_json(design: AssessmentDesign | None) -> dict[str, Any] | None:
    if design is None:
        return None
    return {
        "method": design.method,
        "identity_verified": design.identity_verified,
        "description": design.description,
        "pass_rule": "every outcome reaches its required level or score",
        "rubrics": [
            {
                "outcome_id": str(c.outcome_id),
                "scale": c.scale,
                **(
                    {
                        "levels": c.levels,
                        "required_level": next(lv["name"] for lv in c.levels if lv["id"] == c.required_level_id),
                    }
                    if c.scale == "levels"
                    else {
                        "score": {
                            "min": c.value_min,
                            "max": c.value_max,
                            "required": c.required_value,
                            "result_type": c.levels[0]["result_type"],
                        }
                    }
                ),
            }
            for c in design.criteria
        ],
    }


def rubric_outcome_fields(criterion: RubricCriterion) -> dict[str, Any]:
    """The `vc.ob.Outcome` keyword arguments that describe this rubric in a credential."""
    if criterion.scale == "levels":
        return {
            "rubric_levels": tuple(
                ob.RubricLevel(id=_uri(lv["id"]), name=lv["name"], description=lv["description"], points=lv["points"])
                for lv in criterion.levels
            ),
            "required_level": _uri(criterion.required_level_id) if criterion.required_level_id else None,
            "result_type": "RubricCriterionLevel",
        }
    assert criterion.value_min is not None and criterion.value_max is not None and criterion.required_value is not None
    return {
        "result_type": criterion.levels[0]["result_type"],
        "value_min": _number_text(criterion.value_min),
        "value_max": _number_text(criterion.value_max),
        "required_value": _number_text(criterion.required_value),
    }


def achievement_assessment_fields(session: Session, achievement: Achievement) -> dict[str, Any]:
    """`vc.ob.AchievementDefinition` keyword arguments for the assessment (method, identity verified)."""
    design = get_design(session, achievement.id)
    if design is None:
        return {}
    return {"assessment_method": design.method.replace("_", " "), "identity_verified": design.identity_verified}


def outcome_rubric_fields(session: Session, achievement: Achievement) -> dict[uuid.UUID, dict[str, Any]]:
    design = get_design(session, achievement.id)
    if design is None:
        return {}
    return {c.outcome_id: rubric_outcome_fields(c) for c in design.criteria}
