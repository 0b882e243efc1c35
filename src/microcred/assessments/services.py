"""Assessments: per-outcome results and what an award of an assessed achievement carries; the design
(:mod:`microcred.assessments.design`) and the evidence (:mod:`microcred.assessments.evidence`) live in their own
modules and every public name of theirs is importable from here.

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

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.assessments.design import SCORE_RESULT_TYPES as SCORE_RESULT_TYPES
from microcred.assessments.design import _finite, _level, _number_text, _outcome, _uri, get_design
from microcred.assessments.design import achievement_assessment_fields as achievement_assessment_fields
from microcred.assessments.design import define_assessment as define_assessment
from microcred.assessments.design import design_json as design_json
from microcred.assessments.design import outcome_rubric_fields as outcome_rubric_fields
from microcred.assessments.design import rubric_outcome_fields as rubric_outcome_fields
from microcred.assessments.evidence import EvidenceFields as EvidenceFields
from microcred.assessments.evidence import FileUpload as FileUpload
from microcred.assessments.evidence import add_evidence as add_evidence
from microcred.assessments.evidence import evidence_file as evidence_file
from microcred.assessments.evidence import evidence_json as evidence_json
from microcred.assessments.evidence import get_evidence as get_evidence
from microcred.assessments.evidence import list_evidence
from microcred.assessments.evidence import public_evidence_file as public_evidence_file
from microcred.assessments.models import AssessmentDesign, AssessmentResult, RubricCriterion
from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.errors import InvalidInput
from microcred.urls import evidence_url
from microcred.validation import as_uuid, required_text
from microcred.vc import ob

__all__ = [
    "SCORE_RESULT_TYPES",
    "EvidenceFields",
    "FileUpload",
    "IssuanceInputs",
    "achievement_assessment_fields",
    "achievement_results",
    "add_evidence",
    "define_assessment",
    "design_json",
    "evidence_file",
    "evidence_json",
    "evidence_url",
    "get_design",
    "get_evidence",
    "issuance_inputs",
    "list_evidence",
    "list_results",
    "outcome_rubric_fields",
    "public_evidence_file",
    "record_result",
    "rubric_outcome_fields",
]


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


def achievement_results(session: Session, achievement_id: uuid.UUID | str) -> list[AssessmentResult]:
    """Every earner's results on an achievement (the console's cohort grid)."""
    return list(
        session.scalars(
            select(AssessmentResult)
            .where(AssessmentResult.achievement_id == as_uuid(achievement_id, "achievement"))
            .order_by(AssessmentResult.recorded_at, AssessmentResult.id)
        )
    )


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
