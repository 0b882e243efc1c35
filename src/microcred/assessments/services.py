"""Assessment design, per-outcome results and evidence; what an award of an assessed achievement carries.

Rules:
- the design (method, identity verified, one rubric per outcome) is set while the achievement is a draft:
  published achievements are frozen because credentials embed their rubrics;
- a rubric is ordered levels (low -> high) with a required level, or a score range with a required value;
- pass rule: every outcome reaches its required level (or required score);
- issuing is refused until every outcome has a passing result (`issuance_inputs` names the others);
- only *public* evidence ever reaches a credential or a public endpoint; private evidence is for the earner and
  the issuer.
Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.assessments.models import (
    ASSESSMENT_METHODS,
    VISIBILITIES,
    AssessmentDesign,
    AssessmentResult,
    Evidence,
    RubricCriterion,
)
from microcred.assessments.storage import DEFAULT_MAX_BYTES, EvidenceStore, check_file
from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.catalog.models import Achievement, LearningOutcome
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.errors import InvalidInput, NotFound
from microcred.validation import as_uuid, one_of, optional_text, optional_url, required_text
from microcred.vc import ob

SCORE_RESULT_TYPES = ("RawScore", "Percent", "ScaledScore", "RubricScore")


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


# -- design ------------------------------------------------------------------------------------------------
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
    return session.scalars(
        select(AssessmentDesign).where(AssessmentDesign.achievement_id == as_uuid(achievement_id, "achievement"))
    ).one_or_none()


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


# -- results ---------------------------------------------------------------------------------------------------
def _criteria_by_outcome(design: AssessmentDesign) -> dict[uuid.UUID, RubricCriterion]:
    return {c.outcome_id: c for c in design.criteria}


def _evaluate(criterion: RubricCriterion, level: Any, score: Any, what: str) -> tuple[str | None, float | None, bool]:
    if criterion.scale == "levels":
        if level is None or score is not None:
            raise InvalidInput(f"{what}: this outcome is assessed on a rubric; give the level achieved (not a score)")
        chosen = _level(criterion.levels, level, what)
        ids = [lv["id"] for lv in criterion.levels]
        return chosen["id"], None, ids.index(chosen["id"]) >= ids.index(criterion.required_level_id)
    if score is None or level is not None:
        raise InvalidInput(f"{what}: this outcome is assessed by a score; give the score (not a level)")
    value = _finite(score, f"{what}: score")
    assert criterion.value_min is not None and criterion.value_max is not None and criterion.required_value is not None
    if not criterion.value_min <= value <= criterion.value_max:
        raise InvalidInput(
            f"{what}: score {_number_text(value)} is outside "
            f"{_number_text(criterion.value_min)}-{_number_text(criterion.value_max)}"
        )
    return None, value, value >= criterion.required_value


def record_result(
    session: Session,
    *,
    achievement_id: uuid.UUID | str,
    earner_id: uuid.UUID | str,
    outcome: Any,
    level: Any = None,
    score: Any = None,
    assessor: str,
) -> AssessmentResult:
    """Record (or replace) an earner's result on one outcome: the level achieved, or the score."""
    achievement = catalog.get_achievement(session, achievement_id)
    earner = earners.get_earner(session, earner_id)
    design = get_design(session, achievement.id)
    if design is None:
        raise InvalidInput(f"achievement {achievement.name!r} has no assessment design; define its rubrics first")
    target = _outcome(achievement, outcome, "result")
    what = f"result for outcome {target.position + 1}"
    level_id, value, passed = _evaluate(_criteria_by_outcome(design)[target.id], level, score, what)
    row = session.scalars(
        select(AssessmentResult).where(
            AssessmentResult.earner_id == earner.id, AssessmentResult.outcome_id == target.id
        )
    ).one_or_none()
    if row is None:
        row = AssessmentResult(
            id=uuid.uuid4(), achievement_id=achievement.id, earner_id=earner.id, outcome_id=target.id
        )
        session.add(row)
    row.level_id, row.score, row.passed = level_id, value, passed
    row.assessor = required_text(assessor, "assessor", max_length=200)
    row.recorded_at = utcnow()
    session.flush()
    audit.record(
        session,
        "assessment.result_recorded",
        f"earner:{earner.id}",
        {"achievement_id": str(achievement.id), "outcome_id": str(target.id), "passed": passed},
    )
    return row


def list_results(
    session: Session, *, achievement_id: uuid.UUID | str, earner_id: uuid.UUID | str
) -> list[AssessmentResult]:
    return list(
        session.scalars(
            select(AssessmentResult).where(
                AssessmentResult.achievement_id == as_uuid(achievement_id, "achievement"),
                AssessmentResult.earner_id == as_uuid(earner_id, "earner"),
            )
        )
    )


# -- evidence ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileUpload:
    data: bytes
    filename: str | None = None


def add_evidence(
    session: Session,
    *,
    achievement_id: uuid.UUID | str,
    earner_id: uuid.UUID | str,
    visibility: str,
    outcome: Any = None,
    name: str | None = None,
    description: str | None = None,
    narrative: str | None = None,
    url: str | None = None,
    genre: str | None = None,
    audience: str | None = None,
    file: FileUpload | None = None,
    store: EvidenceStore | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Evidence:
    """One evidence item (a narrative, a URL or a file) for an earner's assessment, public or private.

    A file is checked (size, type by its bytes) before anything is stored, then kept by SHA-256 in ``store``.
    """
    achievement = catalog.get_achievement(session, achievement_id)
    earner = earners.get_earner(session, earner_id)
    target = None if outcome is None else _outcome(achievement, outcome, "evidence")
    row = Evidence(
        id=uuid.uuid4(),
        achievement_id=achievement.id,
        earner_id=earner.id,
        outcome_id=target.id if target else None,
        visibility=one_of(visibility, "visibility", VISIBILITIES),
        name=optional_text(name, "evidence name", max_length=300),
        description=optional_text(description, "evidence description"),
        narrative=optional_text(narrative, "evidence narrative"),
        url=optional_url(url, "evidence url"),
        genre=optional_text(genre, "evidence genre", max_length=100),
        audience=optional_text(audience, "evidence audience", max_length=200),
        created_at=utcnow(),
    )
    if file is not None and row.url:
        raise InvalidInput("evidence is a URL or a file, not both")
    if file is None and not (row.narrative or row.url):
        raise InvalidInput("evidence needs a narrative, a url or a file")
    if file is not None:
        if store is None:
            raise InvalidInput("no evidence store is configured")
        row.file_type = check_file(file.data, max_bytes=max_bytes)
        row.file_size = len(file.data)
        row.file_name = optional_text(file.filename, "file name", max_length=300)
        row.name = row.name or row.file_name
        row.file_sha256 = store.put(file.data)
    session.add(row)
    session.flush()
    audit.record(
        session,
        "assessment.evidence_added",
        f"earner:{earner.id}",
        {
            "achievement_id": str(achievement.id),
            "evidence_id": str(row.id),
            "visibility": row.visibility,
            **({"file_sha256": row.file_sha256} if row.file_sha256 else {}),
        },
    )
    return row


def list_evidence(
    session: Session,
    *,
    achievement_id: uuid.UUID | str,
    earner_id: uuid.UUID | str,
    include_private: bool,
) -> list[Evidence]:
    stmt = select(Evidence).where(
        Evidence.achievement_id == as_uuid(achievement_id, "achievement"),
        Evidence.earner_id == as_uuid(earner_id, "earner"),
    )
    if not include_private:
        stmt = stmt.where(Evidence.visibility == "public")
    return list(session.scalars(stmt.order_by(Evidence.created_at, Evidence.id)))


def get_evidence(session: Session, evidence_id: uuid.UUID | str) -> Evidence:
    row = session.get(Evidence, as_uuid(evidence_id, "evidence"))
    if row is None:
        raise NotFound(f"no evidence with id {evidence_id}")
    return row


def public_evidence_file(session: Session, evidence_id: uuid.UUID | str, store: EvidenceStore) -> tuple[bytes, str]:
    """The bytes and content type of a *public* evidence file (private or missing: NotFound, indistinguishably)."""
    try:
        row = get_evidence(session, evidence_id)
    except (NotFound, InvalidInput):
        raise NotFound("no such public evidence file") from None
    if row.visibility != "public" or row.file_sha256 is None or row.file_type is None:
        raise NotFound("no such public evidence file")
    return store.get(row.file_sha256), row.file_type


def evidence_file(session: Session, evidence_id: uuid.UUID | str, store: EvidenceStore) -> tuple[bytes, str, Evidence]:
    """Any evidence file (public or private): for the issuer's authenticated API."""
    row = get_evidence(session, evidence_id)
    if row.file_sha256 is None or row.file_type is None:
        raise NotFound(f"evidence {row.id} has no file")
    return store.get(row.file_sha256), row.file_type, row


def evidence_url(evidence_id: uuid.UUID | str, base_url: str) -> str:
    """The stable public address of a public evidence file."""
    return f"{base_url.rstrip('/')}/evidence/{evidence_id}"


def evidence_json(row: Evidence, base_url: str) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "achievement_id": str(row.achievement_id),
        "earner_id": str(row.earner_id),
        "outcome_id": str(row.outcome_id) if row.outcome_id else None,
        "visibility": row.visibility,
        "name": row.name,
        "description": row.description,
        "narrative": row.narrative,
        "url": row.url,
        "genre": row.genre,
        "audience": row.audience,
        "file": (
            {
                "sha256": row.file_sha256,
                "content_type": row.file_type,
                "size": row.file_size,
                "url": evidence_url(row.id, base_url) if row.visibility == "public" else None,
            }
            if row.file_sha256
            else None
        ),
    }


# -- issuing ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IssuanceInputs:
    """What an award of an assessed achievement carries: results (stored and in the credential), public evidence."""

    stored_results: list[dict[str, Any]]
    results: list[ob.OutcomeResult]
    evidence: list[ob.EvidenceItem]


def issuance_inputs(
    session: Session, achievement: Achievement, earner_id: uuid.UUID, *, base_url: str
) -> IssuanceInputs | None:
    """None for an achievement without an assessment design; else the passing results and the PUBLIC evidence.

    Raises InvalidInput naming every outcome without a result or whose result does not pass.
    """
    design = get_design(session, achievement.id)
    if design is None:
        return None
    results = {r.outcome_id: r for r in list_results(session, achievement_id=achievement.id, earner_id=earner_id)}
    criteria = _criteria_by_outcome(design)
    problems = []
    for outcome in achievement.outcomes:
        found = results.get(outcome.id)
        label = f"outcome {outcome.position + 1} ({outcome.statement[:60]!r})"
        if found is None:
            problems.append(f"{label} has no recorded result")
        elif not found.passed:
            problems.append(f"{label} was not passed")
    if problems:
        raise InvalidInput("cannot issue until every outcome has a passing result: " + "; ".join(problems))
    stored, credential_results = [], []
    for outcome in achievement.outcomes:
        row, criterion = results[outcome.id], criteria[outcome.id]
        level = next((lv for lv in criterion.levels if lv.get("id") == row.level_id), None)
        value = None if row.score is None else _number_text(row.score)
        stored.append(
            {
                "outcome_id": str(outcome.id),
                "status": "Completed",
                "value": value if value is not None else (level["name"] if level else None),
                "level_id": row.level_id,
                "score": row.score,
            }
        )
        credential_results.append(
            ob.OutcomeResult(
                outcome_id=_uri(outcome.id),
                status=None,
                value=value,
                achieved_level=_uri(row.level_id) if row.level_id else None,
            )
        )
    evidence = [
        ob.EvidenceItem(
            id=(evidence_url(e.id, base_url) if e.file_sha256 else e.url) or _uri(e.id),
            name=e.name,
            description=e.description,
            narrative=e.narrative,
            genre=e.genre,
            audience=e.audience,
            outcome_id=_uri(e.outcome_id) if e.outcome_id else None,
        )
        for e in list_evidence(session, achievement_id=achievement.id, earner_id=earner_id, include_private=False)
    ]
    return IssuanceInputs(stored_results=stored, results=credential_results, evidence=evidence)


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
