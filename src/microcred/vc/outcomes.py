"""Learning outcomes in OB 3.0 terms: the outcome kinds (the one vocabulary), alignments, rubric levels, the
outcome's ``ResultDescription`` and the earner's ``Result`` on it. Split from :mod:`microcred.vc.ob`, which
re-exports every name here (``ob.Outcome`` keeps working)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class OutcomeKind(StrEnum):
    """The kinds of learning outcome (knowledge, skills, attitudes): the one definition every layer reads."""

    KNOWLEDGE = "knowledge"
    SKILL = "skill"
    ATTITUDE = "attitude"


# The kinds as plain strings, in order (database check constraints, form choices, messages).
OUTCOME_KINDS: tuple[str, ...] = tuple(kind.value for kind in OutcomeKind)


class ResultStatus(StrEnum):
    """OB 3.0 ``Result.status`` (the ResultStatusType enumeration of the OB 3.0 JSON Schema)."""

    COMPLETED = "Completed"
    ENROLLED = "Enrolled"
    FAILED = "Failed"
    IN_PROGRESS = "InProgress"
    ON_HOLD = "OnHold"
    PROVISIONAL = "Provisional"
    WITHDREW = "Withdrew"


RESULT_STATUSES: tuple[str, ...] = tuple(status.value for status in ResultStatus)


class ResultType(StrEnum):
    """OB 3.0 ``ResultDescription.resultType`` (the ResultType enumeration of the OB 3.0 JSON Schema)."""

    GRADE_POINT_AVERAGE = "GradePointAverage"
    LETTER_GRADE = "LetterGrade"
    PERCENT = "Percent"
    PERFORMANCE_LEVEL = "PerformanceLevel"
    PREDICTED_SCORE = "PredictedScore"
    RAW_SCORE = "RawScore"
    RESULT = "Result"
    RUBRIC_CRITERION = "RubricCriterion"
    RUBRIC_CRITERION_LEVEL = "RubricCriterionLevel"
    RUBRIC_SCORE = "RubricScore"
    SCALED_SCORE = "ScaledScore"
    STATUS = "Status"


# The outcome's kind travels in an Alignment with an ``ext:`` targetType (docs/ob-extensions.md).
EXT_OUTCOME_KIND = "ext:OutcomeKind"
OUTCOME_KIND_FRAMEWORK = "Learning outcome kinds: knowledge, skills and attitudes"
OUTCOME_KIND_URL = "https://microcred.org/ns/outcome-kind/"  # + kind: a stable identifier, never dereferenced


@dataclass(frozen=True)
class AlignmentTarget:
    """A framework concept an outcome aligns to (e.g. an ESCO skill URI)."""

    target_url: str
    target_name: str
    target_framework: str | None = None
    target_code: str | None = None
    target_type: str | None = None
    target_description: str | None = None

    def to_json(self) -> dict[str, Any]:
        alignment: dict[str, Any] = {
            "type": ["Alignment"],
            "targetName": self.target_name,
            "targetUrl": self.target_url,
        }
        for key, value in (
            ("targetFramework", self.target_framework),
            ("targetCode", self.target_code),
            ("targetType", self.target_type),
            ("targetDescription", self.target_description),
        ):
            if value:
                alignment[key] = value
        return alignment


@dataclass(frozen=True)
class RubricLevel:
    """One level of an outcome's rubric (OB RubricCriterionLevel); ``id`` is what ``achievedLevel`` points at."""

    id: str
    name: str
    description: str | None = None
    points: str | None = None

    def to_json(self) -> dict[str, Any]:
        level: dict[str, Any] = {"id": self.id, "type": ["RubricCriterionLevel"], "name": self.name}
        if self.description:
            level["description"] = self.description
        level["level"] = self.name
        if self.points is not None:
            level["points"] = self.points
        return level


@dataclass(frozen=True)
class Outcome:
    """A learning outcome: a statement, its kind (knowledge | skill | attitude) and its alignments.

    How it is assessed: ``rubric_levels`` (ordered low -> high) with ``required_level`` (a level id), or a score
    between ``value_min`` and ``value_max`` with ``required_value`` (``result_type`` e.g. RawScore, Percent);
    neither: a plain ``Status`` result.
    """

    id: str
    statement: str
    kind: str
    alignments: tuple[AlignmentTarget, ...] = ()
    rubric_levels: tuple[RubricLevel, ...] = ()
    required_level: str | None = None
    result_type: str | None = None
    value_min: str | None = None
    value_max: str | None = None
    required_value: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in OUTCOME_KINDS:
            raise ValueError(f"outcome kind must be one of {', '.join(OUTCOME_KINDS)}, not {self.kind!r}")
        if self.required_level is not None and self.required_level not in {lv.id for lv in self.rubric_levels}:
            raise ValueError(f"required level {self.required_level!r} is not one of the outcome's rubric levels")

    def kind_alignment(self) -> dict[str, Any]:
        """The outcome's kind as an Alignment (``ext:OutcomeKind``): OB has no property for it."""
        return {
            "type": ["Alignment"],
            "targetName": self.kind.capitalize(),
            "targetUrl": OUTCOME_KIND_URL + self.kind,
            "targetCode": self.kind,
            "targetFramework": OUTCOME_KIND_FRAMEWORK,
            "targetType": EXT_OUTCOME_KIND,
        }

    def to_json(self) -> dict[str, Any]:
        """The OB ``ResultDescription`` of this outcome (its kind in an ``ext:OutcomeKind`` alignment)."""
        doc: dict[str, Any] = {"id": self.id, "type": ["ResultDescription"], "name": self.statement}
        if self.rubric_levels:
            doc["resultType"] = self.result_type or "RubricCriterionLevel"
            doc["rubricCriterionLevel"] = [level.to_json() for level in self.rubric_levels]
            if self.required_level:
                doc["requiredLevel"] = self.required_level
        elif self.result_type:
            doc["resultType"] = self.result_type
            for key, value in (
                ("valueMin", self.value_min),
                ("valueMax", self.value_max),
                ("requiredValue", self.required_value),
            ):
                if value is not None:
                    doc[key] = value
        else:
            doc["resultType"] = "Status"
        doc["alignment"] = [target.to_json() for target in self.alignments] + [self.kind_alignment()]
        return doc


@dataclass(frozen=True)
class OutcomeResult:
    """The earner's result on one outcome (OB Result linked to the outcome's ResultDescription)."""

    outcome_id: str
    status: str | None = "Completed"
    value: str | None = None
    achieved_level: str | None = None  # the id of a RubricLevel of the outcome
