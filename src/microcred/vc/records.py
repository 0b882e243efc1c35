"""The transcript record of OB 3.0 credentials (issue 8): what a registrar needs beyond OB core, carried as
``ext:`` alignments and result descriptions (docs/ob-extensions.md), and the award's own record line (credits
earned, term, dates, final result, award route). Split from :mod:`microcred.vc.ob`, which re-exports it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from microcred.vc.dataintegrity import format_datetime
from microcred.vc.errors import SchemaValidationError
from microcred.vc.outcomes import ResultType

EXT_CREDIT_UNIT = "ext:CreditUnit"
EXT_NOTIONAL_WORKLOAD = "ext:NotionalWorkload"
EXT_EQF_LEVEL = "ext:EQFLevel"
EXT_QUALIFICATION_LEVEL = "ext:QualificationLevel"
EXT_FORM_OF_PARTICIPATION = "ext:FormOfParticipation"
EXT_QUALITY_ASSURANCE = "ext:QualityAssurance"
EXT_AWARDING_BODY = "ext:AwardingBody"
EXT_PREREQUISITE = "ext:Prerequisite"
EXT_AWARD_ROUTE = "ext:AwardRoute"
EQF_LEVEL_URL = "http://data.europa.eu/snb/eqf/"  # + level: the Europass EQF concept


class CreditUnit(StrEnum):
    """The unit of ``creditsAvailable`` / ``creditsEarned``: PESC credit units (TRN-2) and ECTS."""

    SEMESTER = "Semester"
    QUARTER = "Quarter"
    CLOCK_HOURS = "ClockHours"
    CONTINUING_EDUCATION_UNITS = "ContinuingEducationUnits"
    ECTS = "ECTS"
    NO_CREDIT = "NoCredit"


class GradingScheme(StrEnum):
    """How a definition's final result is graded (each maps to an OB ``resultType``: ``GRADING_SCHEMES``)."""

    PASS_FAIL = "pass_fail"
    LETTER_GRADE = "letter_grade"
    PERCENT = "percent"


class LetterGrade(StrEnum):
    """The letter grades a ``letter_grade`` final result allows, best first."""

    A_PLUS = "A+"
    A = "A"
    A_MINUS = "A-"
    B_PLUS = "B+"
    B = "B"
    B_MINUS = "B-"
    C_PLUS = "C+"
    C = "C"
    C_MINUS = "C-"
    D_PLUS = "D+"
    D = "D"
    D_MINUS = "D-"
    F = "F"


class AwardRoute(StrEnum):
    """How an award was earned: by the course, or by recognition of prior learning (``AWARD_ROUTES`` gives the
    value the credential carries)."""

    COURSE = "course"
    RPL = "rpl"


# Plain strings (never enum members) go into documents: they are signed, canonicalized and compared as text.
GRADING_SCHEMES: dict[str, str] = {
    GradingScheme.PASS_FAIL.value: ResultType.STATUS.value,
    GradingScheme.LETTER_GRADE.value: ResultType.LETTER_GRADE.value,
    GradingScheme.PERCENT.value: ResultType.PERCENT.value,
}
LETTER_GRADES: tuple[str, ...] = tuple(grade.value for grade in LetterGrade)
AWARD_ROUTES: dict[str, str] = {AwardRoute.COURSE.value: "course", AwardRoute.RPL.value: "recognitionOfPriorLearning"}


@dataclass(frozen=True, kw_only=True)
class TranscriptRecordFields:
    """The fields of a definition's transcript record, written once: the issuer's input
    (``transcripts.records.AchievementRecordInput``, and through it the API's request body) and what the credential
    carries (:class:`TranscriptDefinition`) both extend it. Keyword construction only, so the two can add fields of
    their own without an order to keep."""

    credit_unit: str | None = None  # a CreditUnit
    eqf_level: int | None = None
    qualification_framework: str | None = None
    qualification_level: str | None = None
    form_of_participation: str | None = None
    quality_assurance_type: str | None = None
    quality_assurance_reference: str | None = None
    awarding_body: str | None = None
    awarding_country: str | None = None
    grading_scheme: str | None = None  # a GradingScheme


@dataclass(frozen=True, kw_only=True)
class TranscriptDefinition(TranscriptRecordFields):
    """What a registrar needs about a definition beyond OB core (``ext:`` alignments, see docs/ob-extensions.md).

    ``grading_scheme`` (pass_fail | letter_grade | percent) adds one ``ResultDescription`` for the final result
    (id ``<achievement id>#final-result``) that an award's :class:`SubjectRecord` result points at."""

    notional_hours: float | None = None
    prerequisites: tuple[str, ...] = ()  # achievement ids
    prerequisite_names: tuple[str, ...] = ()  # their names, in the same order (the alignment's targetName)

    def __post_init__(self) -> None:
        if self.grading_scheme is not None and self.grading_scheme not in GRADING_SCHEMES:
            raise ValueError(f"grading scheme must be one of {', '.join(GRADING_SCHEMES)}")
        if self.eqf_level is not None and not 1 <= self.eqf_level <= 8:
            raise ValueError("EQF level must be between 1 and 8")

    def final_result_description(self, achievement_id: str) -> dict[str, Any] | None:
        if self.grading_scheme is None:
            return None
        doc: dict[str, Any] = {
            "id": final_result_id(achievement_id),
            "type": ["ResultDescription"],
            "name": "Final result",
            "resultType": GRADING_SCHEMES[self.grading_scheme],
        }
        if self.grading_scheme == "letter_grade":
            doc["allowedValue"] = list(LETTER_GRADES)
        elif self.grading_scheme == "percent":
            doc["valueMin"], doc["valueMax"] = "0", "100"
        elif self.grading_scheme == "pass_fail":
            doc["allowedValue"] = ["Pass", "Fail"]
        return doc

    def alignments(self, achievement_id: str) -> list[dict[str, Any]]:
        """The record as Achievement alignments with ``ext:`` targetTypes (a fragment of the achievement's id
        stands as targetUrl where the value has no URL of its own), in a fixed order."""
        out = [
            alignment
            for alignment in (
                self._credit_unit_alignment(achievement_id),
                self._workload_alignment(achievement_id),
                self._eqf_alignment(),
                self._qualification_alignment(achievement_id),
                self._participation_alignment(achievement_id),
                self._quality_assurance_alignment(achievement_id),
                self._awarding_body_alignment(achievement_id),
            )
            if alignment is not None
        ]
        for index, prerequisite in enumerate(self.prerequisites):
            name = self.prerequisite_names[index] if index < len(self.prerequisite_names) else prerequisite
            out.append(
                _align(EXT_PREREQUISITE, name, prerequisite, targetDescription="an achievement that must be held first")
            )
        return out

    def _credit_unit_alignment(self, achievement_id: str) -> dict[str, Any] | None:
        if not self.credit_unit:
            return None
        return _align(
            EXT_CREDIT_UNIT,
            CREDIT_UNIT_NAMES.get(self.credit_unit, self.credit_unit),
            f"{achievement_id}#credit-unit",
            targetCode=self.credit_unit,
            targetDescription="unit of creditsAvailable and creditsEarned",
        )

    def _workload_alignment(self, achievement_id: str) -> dict[str, Any] | None:
        if self.notional_hours is None:
            return None
        hours = f"{self.notional_hours:g}"
        return _align(
            EXT_NOTIONAL_WORKLOAD,
            f"{hours} hours of notional learning",
            f"{achievement_id}#notional-workload",
            targetCode=hours_duration(self.notional_hours),
            targetDescription="notional workload (ISO 8601 duration in targetCode)",
        )

    def _eqf_alignment(self) -> dict[str, Any] | None:
        if self.eqf_level is None:
            return None
        level = int(self.eqf_level)
        return _align(
            EXT_EQF_LEVEL,
            f"EQF level {level}",
            f"{EQF_LEVEL_URL}{level}",
            targetCode=str(level),
            targetFramework="European Qualifications Framework",
        )

    def _qualification_alignment(self, achievement_id: str) -> dict[str, Any] | None:
        if not self.qualification_level:
            return None
        return _align(
            EXT_QUALIFICATION_LEVEL,
            self.qualification_level,
            f"{achievement_id}#qualification-level",
            targetCode=self.qualification_level,
            targetFramework=self.qualification_framework,
        )

    def _participation_alignment(self, achievement_id: str) -> dict[str, Any] | None:
        if not self.form_of_participation:
            return None
        return _align(
            EXT_FORM_OF_PARTICIPATION,
            self.form_of_participation,
            f"{achievement_id}#form-of-participation",
            targetCode=self.form_of_participation,
        )

    def _quality_assurance_alignment(self, achievement_id: str) -> dict[str, Any] | None:
        if not (self.quality_assurance_type or self.quality_assurance_reference):
            return None
        reference = self.quality_assurance_reference
        url = reference if reference and reference.startswith(("https://", "http://")) else None
        return _align(
            EXT_QUALITY_ASSURANCE,
            self.quality_assurance_type or "quality assurance",
            url or f"{achievement_id}#quality-assurance",
            targetDescription=reference,
        )

    def _awarding_body_alignment(self, achievement_id: str) -> dict[str, Any] | None:
        if not (self.awarding_body or self.awarding_country):
            return None
        return _align(
            EXT_AWARDING_BODY,
            self.awarding_body or self.awarding_country or "",
            f"{achievement_id}#awarding-body",
            targetCode=self.awarding_country,
            targetDescription="awarding body (targetName) and its ISO 3166 country code (targetCode)",
        )


def _align(kind: str, name: str, url: str, **extra: str | None) -> dict[str, Any]:
    """One ``ext:`` alignment: targetName, targetUrl, the given extras that have a value, then targetType."""
    doc: dict[str, Any] = {"type": ["Alignment"], "targetName": name, "targetUrl": url}
    doc.update({key: value for key, value in extra.items() if value})
    doc["targetType"] = kind
    return doc


CREDIT_UNIT_NAMES: dict[str, str] = {
    CreditUnit.SEMESTER: "semester credits",
    CreditUnit.QUARTER: "quarter credits",
    CreditUnit.CLOCK_HOURS: "clock hours",
    CreditUnit.CONTINUING_EDUCATION_UNITS: "continuing education units",
    CreditUnit.ECTS: "ECTS credits",
    CreditUnit.NO_CREDIT: "no credit",
}


@dataclass(frozen=True)
class SubjectRecord:
    """The award's transcript line: OB ``creditsEarned``, ``term``, ``activityStartDate``/``EndDate``, the final
    ``result`` (against the definition's grading scheme) and microcred's ``awardRoute`` (course | rpl)."""

    credits_earned: float | None = None
    term: str | None = None
    activity_start: datetime | None = None
    activity_end: datetime | None = None
    result_value: str | None = None
    award_route: str | None = None

    def __post_init__(self) -> None:
        if self.award_route is not None and self.award_route not in AWARD_ROUTES:
            raise ValueError(f"award route must be one of {', '.join(AWARD_ROUTES)}")


def final_result_id(achievement_id: str) -> str:
    return f"{achievement_id}#final-result"


def hours_duration(hours: float) -> str:
    """ISO 8601 duration of ``hours`` (``PT40H``, ``PT7H30M``)."""
    minutes = round(hours * 60)
    whole, rest = divmod(minutes, 60)
    return f"PT{whole}H" + (f"{rest}M" if rest else "")


def award_route_id(achievement_id: str) -> str:
    return f"{achievement_id}#award-route"


def award_route_description(achievement_id: str) -> dict[str, Any]:
    """How an award may be earned (``ext:AwardRoute``): by the course, or by recognition of prior learning."""
    return {
        "id": award_route_id(achievement_id),
        "type": ["ResultDescription"],
        "name": "Award route",
        "resultType": EXT_AWARD_ROUTE,
        "allowedValue": list(AWARD_ROUTES.values()),
    }


def record_json(
    record: SubjectRecord, achievement_id: str, transcript: TranscriptDefinition | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The record's AchievementSubject properties, and its Results (final result, award route)."""
    doc: dict[str, Any] = {}
    if record.credits_earned is not None:
        doc["creditsEarned"] = float(record.credits_earned)
    if record.term:
        doc["term"] = record.term
    if record.activity_start is not None:
        doc["activityStartDate"] = format_datetime(record.activity_start)
    if record.activity_end is not None:
        doc["activityEndDate"] = format_datetime(record.activity_end)
    if (
        record.activity_start is not None
        and record.activity_end is not None
        and record.activity_end < record.activity_start
    ):
        raise SchemaValidationError(["activityEndDate: must not be before activityStartDate"])
    results: list[dict[str, Any]] = []
    if record.award_route:
        results.append(
            {
                "type": ["Result"],
                "resultDescription": award_route_id(achievement_id),
                "value": AWARD_ROUTES[record.award_route],
            }
        )
    if record.result_value is None:
        return doc, results
    scheme = transcript.grading_scheme if transcript else None
    if scheme is None:
        raise SchemaValidationError(["result: the achievement declares no grading scheme for a final result"])
    result: dict[str, Any] = {
        "type": ["Result"],
        "resultDescription": final_result_id(achievement_id),
        "value": record.result_value,
    }
    if scheme == "pass_fail":
        result["status"] = "Completed" if record.result_value == "Pass" else "Failed"
    return doc, [*results, result]
