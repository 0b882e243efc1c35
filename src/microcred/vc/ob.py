"""The one Open Badges 3.0 document builder: domain values in, a schema-valid OpenBadgeCredential out."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microcred.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.dataintegrity import format_datetime
from microcred.vc.errors import SchemaValidationError
from microcred.vc.schema import ACHIEVEMENT_CREDENTIAL_SCHEMA, SCHEMA_TYPE, schema_errors

OUTCOME_KINDS = ("knowledge", "skill", "attitude")

# What OB 3.0 has no property for travels in its extensible structures (docs/ob-extensions.md has the mapping):
# an Alignment with an ``ext:`` targetType, a ResultDescription/Result with an ``ext:`` resultType, Evidence text.
# Only contexts that every verifier bundles are used; nothing needs a microcred context.
EXT_OUTCOME_KIND = "ext:OutcomeKind"
EXT_CREDIT_UNIT = "ext:CreditUnit"
EXT_NOTIONAL_WORKLOAD = "ext:NotionalWorkload"
EXT_EQF_LEVEL = "ext:EQFLevel"
EXT_QUALIFICATION_LEVEL = "ext:QualificationLevel"
EXT_FORM_OF_PARTICIPATION = "ext:FormOfParticipation"
EXT_QUALITY_ASSURANCE = "ext:QualityAssurance"
EXT_AWARDING_BODY = "ext:AwardingBody"
EXT_PREREQUISITE = "ext:Prerequisite"
EXT_AWARD_ROUTE = "ext:AwardRoute"
OUTCOME_KIND_FRAMEWORK = "Learning outcome kinds: knowledge, skills and attitudes"
OUTCOME_KIND_URL = "https://microcred.org/ns/outcome-kind/"  # + kind: a stable identifier, never dereferenced
EQF_LEVEL_URL = "http://data.europa.eu/snb/eqf/"  # + level: the Europass EQF concept
SUMMATIVE_ASSESSMENT = "Summative assessment"
OUTCOME_LINE = "Learning outcome: "


@dataclass(frozen=True)
class IssuerProfile:
    """The issuing body (OB 3.0 Profile). ``id`` is its did:web (or did:key / https URL)."""

    id: str
    name: str
    url: str | None = None
    email: str | None = None
    description: str | None = None
    image: str | None = None
    country: str | None = None
    region: str | None = None
    registration_id: str | None = None
    legal_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        profile: dict[str, Any] = {"id": self.id, "type": ["Profile"], "name": self.name}
        if self.url:
            profile["url"] = self.url
        if self.email:
            profile["email"] = self.email
        if self.description:
            profile["description"] = self.description
        if self.image:
            profile["image"] = {"id": self.image, "type": "Image"}
        if self.country or self.region:
            address: dict[str, Any] = {"type": ["Address"]}
            if self.country:
                address["addressCountry"] = self.country
                address["addressCountryCode"] = self.country
            if self.region:
                address["addressRegion"] = self.region
            profile["address"] = address
        # OB 3.0 has no legal-name or registration-number property: both travel as IdentifierEntry (VER-2).
        identifiers = []
        if self.registration_id:
            identifiers.append(
                {"type": "IdentifierEntry", "identifier": self.registration_id, "identifierType": "identifier"}
            )
        if self.legal_name and self.legal_name != self.name:
            identifiers.append({"type": "IdentifierEntry", "identifier": self.legal_name, "identifierType": "name"})
        if identifiers:
            profile["otherIdentifier"] = identifiers
        return profile


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
class AchievementDefinition:
    id: str
    name: str
    description: str
    criteria_narrative: str | None = None
    criteria_url: str | None = None
    achievement_type: str = "MicroCredential"
    image: str | None = None
    in_language: str | None = None
    credits_available: float | None = None
    human_code: str | None = None
    tags: tuple[str, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    creator: IssuerProfile | None = None
    # the summative assessment (an Evidence entry of the credential): e.g. "project", "exam"; identity verified?
    assessment_method: str | None = None
    identity_verified: bool | None = None
    # transcript record (issue 8); OB has creditsAvailable/humanCode, the rest are ext: alignments
    transcript: TranscriptDefinition | None = None
    # signed EndorsementCredentials of the achievement (issue 7: partner endorsements), embedded as they are
    endorsements: tuple[dict[str, Any], ...] = ()


GRADING_SCHEMES = {"pass_fail": "Status", "letter_grade": "LetterGrade", "percent": "Percent"}
LETTER_GRADES = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")
AWARD_ROUTES = {"course": "course", "rpl": "recognitionOfPriorLearning"}


@dataclass(frozen=True)
class TranscriptDefinition:
    """What a registrar needs about a definition beyond OB core (``ext:`` alignments, see docs/ob-extensions.md).

    ``grading_scheme`` (pass_fail | letter_grade | percent) adds one ``ResultDescription`` for the final result
    (id ``<achievement id>#final-result``) that an award's :class:`SubjectRecord` result points at."""

    credit_unit: str | None = None
    notional_hours: float | None = None
    eqf_level: int | None = None
    qualification_framework: str | None = None
    qualification_level: str | None = None
    form_of_participation: str | None = None
    quality_assurance_type: str | None = None
    quality_assurance_reference: str | None = None
    awarding_body: str | None = None
    awarding_country: str | None = None
    grading_scheme: str | None = None
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
        stands as targetUrl where the value has no URL of its own)."""

        def align(kind: str, name: str, url: str, **extra: str | None) -> dict[str, Any]:
            doc: dict[str, Any] = {"type": ["Alignment"], "targetName": name, "targetUrl": url}
            doc.update({key: value for key, value in extra.items() if value})
            doc["targetType"] = kind
            return doc

        out: list[dict[str, Any]] = []
        if self.credit_unit:
            out.append(
                align(
                    EXT_CREDIT_UNIT,
                    CREDIT_UNIT_NAMES.get(self.credit_unit, self.credit_unit),
                    f"{achievement_id}#credit-unit",
                    targetCode=self.credit_unit,
                    targetDescription="unit of creditsAvailable and creditsEarned",
                )
            )
        if self.notional_hours is not None:
            hours = f"{self.notional_hours:g}"
            out.append(
                align(
                    EXT_NOTIONAL_WORKLOAD,
                    f"{hours} hours of notional learning",
                    f"{achievement_id}#notional-workload",
                    targetCode=hours_duration(self.notional_hours),
                    targetDescription="notional workload (ISO 8601 duration in targetCode)",
                )
            )
        if self.eqf_level is not None:
            level = int(self.eqf_level)
            out.append(
                align(
                    EXT_EQF_LEVEL,
                    f"EQF level {level}",
                    f"{EQF_LEVEL_URL}{level}",
                    targetCode=str(level),
                    targetFramework="European Qualifications Framework",
                )
            )
        if self.qualification_level:
            out.append(
                align(
                    EXT_QUALIFICATION_LEVEL,
                    self.qualification_level,
                    f"{achievement_id}#qualification-level",
                    targetCode=self.qualification_level,
                    targetFramework=self.qualification_framework,
                )
            )
        if self.form_of_participation:
            out.append(
                align(
                    EXT_FORM_OF_PARTICIPATION,
                    self.form_of_participation,
                    f"{achievement_id}#form-of-participation",
                    targetCode=self.form_of_participation,
                )
            )
        if self.quality_assurance_type or self.quality_assurance_reference:
            reference = self.quality_assurance_reference
            url = reference if reference and reference.startswith(("https://", "http://")) else None
            out.append(
                align(
                    EXT_QUALITY_ASSURANCE,
                    self.quality_assurance_type or "quality assurance",
                    url or f"{achievement_id}#quality-assurance",
                    targetDescription=reference,
                )
            )
        if self.awarding_body or self.awarding_country:
            out.append(
                align(
                    EXT_AWARDING_BODY,
                    self.awarding_body or self.awarding_country or "",
                    f"{achievement_id}#awarding-body",
                    targetCode=self.awarding_country,
                    targetDescription="awarding body (targetName) and its ISO 3166 country code (targetCode)",
                )
            )
        for index, prerequisite in enumerate(self.prerequisites):
            name = self.prerequisite_names[index] if index < len(self.prerequisite_names) else prerequisite
            out.append(
                align(
                    EXT_PREREQUISITE,
                    name,
                    prerequisite,
                    targetDescription="an achievement that must be held first",
                )
            )
        return out


CREDIT_UNIT_NAMES = {
    "Semester": "semester credits",
    "Quarter": "quarter credits",
    "ClockHours": "clock hours",
    "ContinuingEducationUnits": "continuing education units",
    "ECTS": "ECTS credits",
    "NoCredit": "no credit",
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


@dataclass(frozen=True)
class EvidenceItem:
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    id: str | None = None
    genre: str | None = None
    audience: str | None = None
    outcome_id: str | None = None  # the ResultDescription this evidence supports (named in the narrative)

    def to_json(self, outcome_statement: str | None = None) -> dict[str, Any]:
        """OB Evidence; the outcome it supports is named on the narrative's last line (``Learning outcome: …``)."""
        narrative = self.narrative
        if outcome_statement:
            line = OUTCOME_LINE + outcome_statement
            narrative = f"{narrative}\n\n{line}" if narrative else line
        evidence: dict[str, Any] = {"type": ["Evidence"]}
        for key, value in (
            ("id", self.id),
            ("name", self.name),
            ("description", self.description),
            ("narrative", narrative),
            ("genre", self.genre),
            ("audience", self.audience),
        ):
            if value:
                evidence[key] = value
        return evidence


def assessment_evidence(method: str | None, identity_verified: bool | None) -> dict[str, Any]:
    """The summative assessment as an Evidence entry: the method in ``genre``, identity check in ``narrative``."""
    lines = []
    if method:
        lines.append(f"Assessment method: {method}.")
    if identity_verified is not None:
        lines.append(
            "The learner's identity was verified at the summative assessment."
            if identity_verified
            else "The learner's identity was not verified at the summative assessment."
        )
    evidence: dict[str, Any] = {"type": ["Evidence"], "name": SUMMATIVE_ASSESSMENT}
    if method:
        evidence["genre"] = method
    evidence["narrative"] = " ".join(lines)
    return evidence


@dataclass(frozen=True)
class OutcomeResult:
    """The earner's result on one outcome (OB Result linked to the outcome's ResultDescription)."""

    outcome_id: str
    status: str | None = "Completed"
    value: str | None = None
    achieved_level: str | None = None  # the id of a RubricLevel of the outcome


@dataclass(frozen=True)
class SubjectIdentity:
    """Who the credential is about: a DID when known, else a pairwise ``urn:uuid`` (``pairwise_id``); and a
    salted SHA-256 of the email (never the email)."""

    did: str | None = None
    email: str | None = None
    salt: str | None = None
    pairwise_id: str | None = None

    def __post_init__(self) -> None:
        if not self.did and not (self.email and self.salt):
            raise ValueError("a subject needs a DID, or an email and a salt")

    def to_json(self) -> dict[str, Any]:
        """``id`` (the DID, else the pairwise id) and a salted, hashed email ``identifier`` (IdentityObject)."""
        doc: dict[str, Any] = {}
        if self.did or self.pairwise_id:
            doc["id"] = self.did or self.pairwise_id
        if self.email and self.salt:
            doc["identifier"] = [
                {
                    "type": "IdentityObject",
                    "hashed": True,
                    "identityHash": identity_hash(self.email.strip().lower(), self.salt),
                    "identityType": "emailAddress",
                    "salt": self.salt,
                }
            ]
        return doc


def pairwise_subject_id(salt: str, scope: str) -> str:
    """A stable ``urn:uuid`` for one earner within one ``scope`` (e.g. an achievement id): derived from the
    earner's secret random salt, so ids of one earner in different scopes cannot be linked by anyone else."""
    digest = hashlib.sha256(f"microcred-subject:{salt}:{scope}".encode()).digest()
    return f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=4)}"


def identity_hash(identifier: str, salt: str) -> str:
    """OB 3.0 ``identityHash``: ``sha256$`` + hex(SHA-256(identifier + salt))."""
    return "sha256$" + hashlib.sha256((identifier + salt).encode("utf-8")).hexdigest()


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


def _achievement_json(achievement: AchievementDefinition, *, award_route: bool = False) -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    if achievement.criteria_url:
        criteria["id"] = achievement.criteria_url
    if achievement.criteria_narrative:
        criteria["narrative"] = achievement.criteria_narrative
    doc: dict[str, Any] = {
        "id": achievement.id,
        "type": ["Achievement"],
        "achievementType": achievement.achievement_type,
        "name": achievement.name,
        "description": achievement.description,
        "criteria": criteria,
    }
    if achievement.image:
        doc["image"] = {"id": achievement.image, "type": "Image"}
    if achievement.in_language:
        doc["inLanguage"] = achievement.in_language
    if achievement.credits_available is not None:
        doc["creditsAvailable"] = float(achievement.credits_available)
    if achievement.human_code:
        doc["humanCode"] = achievement.human_code
    if achievement.tags:
        doc["tag"] = list(achievement.tags)
    if achievement.creator is not None:
        doc["creator"] = achievement.creator.to_json()
    alignments: list[dict[str, Any]] = []
    seen: set[str] = set()
    for outcome in achievement.outcomes:
        for target in outcome.alignments:
            if target.target_url not in seen:
                seen.add(target.target_url)
                alignments.append(target.to_json())
    if achievement.transcript is not None:
        alignments.extend(achievement.transcript.alignments(achievement.id))
    if alignments:
        doc["alignment"] = alignments
    descriptions = [outcome.to_json() for outcome in achievement.outcomes]
    final = achievement.transcript.final_result_description(achievement.id) if achievement.transcript else None
    if final is not None:
        descriptions.append(final)
    if award_route:
        descriptions.append(award_route_description(achievement.id))
    if descriptions:
        doc["resultDescription"] = descriptions
    if achievement.endorsements:
        doc["endorsement"] = [dict(e) for e in achievement.endorsements]
    return doc


def _record_json(
    record: SubjectRecord, achievement: AchievementDefinition
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
                "resultDescription": award_route_id(achievement.id),
                "value": AWARD_ROUTES[record.award_route],
            }
        )
    if record.result_value is None:
        return doc, results
    scheme = achievement.transcript.grading_scheme if achievement.transcript else None
    if scheme is None:
        raise SchemaValidationError(["result: the achievement declares no grading scheme for a final result"])
    result: dict[str, Any] = {
        "type": ["Result"],
        "resultDescription": final_result_id(achievement.id),
        "value": record.result_value,
    }
    if scheme == "pass_fail":
        result["status"] = "Completed" if record.result_value == "Pass" else "Failed"
    return doc, [*results, result]


def build_achievement_credential(
    *,
    credential_id: str,
    issuer: IssuerProfile,
    achievement: AchievementDefinition,
    subject: SubjectIdentity,
    valid_from: datetime,
    valid_until: datetime | None = None,
    awarded_date: datetime | None = None,
    evidence: list[EvidenceItem] | tuple[EvidenceItem, ...] = (),
    results: list[OutcomeResult] | tuple[OutcomeResult, ...] = (),
    extra_contexts: tuple[str, ...] = (),
    credential_status: dict[str, Any] | None = None,
    record: SubjectRecord | None = None,
) -> dict[str, Any]:
    """Build an ``OpenBadgeCredential`` and validate it against the OB 3.0 JSON Schema (before any signing).

    Only standard contexts (VC 2.0, OB 3.0.3 and its extensions): every conformant verifier can read it.
    ``credential_status``: at most ONE status entry (OB 3.0 types ``credentialStatus`` as one object)."""
    if valid_until is not None and valid_until <= valid_from:
        raise SchemaValidationError(["validUntil: must be later than validFrom"])
    outcomes_by_id = {outcome.id: outcome for outcome in achievement.outcomes}
    subject_json: dict[str, Any] = {"type": ["AchievementSubject"]}
    subject_json.update(subject.to_json())
    subject_json["achievement"] = _achievement_json(
        achievement, award_route=record is not None and record.award_route is not None
    )
    result_json = []
    for result in results:
        outcome = outcomes_by_id.get(result.outcome_id)
        if outcome is None:
            raise SchemaValidationError([f"result refers to unknown outcome {result.outcome_id!r}"])
        item: dict[str, Any] = {"type": ["Result"], "resultDescription": result.outcome_id}
        if result.achieved_level is not None:
            if result.achieved_level not in {level.id for level in outcome.rubric_levels}:
                raise SchemaValidationError([f"achievedLevel {result.achieved_level!r} is not a level of its outcome"])
            item["achievedLevel"] = result.achieved_level
        if result.status:
            item["status"] = result.status
        if result.value:
            item["value"] = result.value
        result_json.append(item)
    if record is not None:
        record_json, record_results = _record_json(record, achievement)
        subject_json.update(record_json)
        result_json.extend(record_results)
    if result_json:
        subject_json["result"] = result_json
    credential: dict[str, Any] = {
        "@context": [
            CREDENTIALS_V2,
            OB_V3P0_CONTEXT,
            OB_V3P0_EXTENSIONS,
            *[c for c in extra_contexts if c not in (CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS)],
        ],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.name,
        "issuer": issuer.to_json(),
        "validFrom": format_datetime(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
    if awarded_date is not None:
        credential["awardedDate"] = format_datetime(awarded_date)
    credential["credentialSubject"] = subject_json
    evidence_json: list[dict[str, Any]] = []
    for piece in evidence:
        outcome = outcomes_by_id.get(piece.outcome_id) if piece.outcome_id is not None else None
        if piece.outcome_id is not None and outcome is None:
            raise SchemaValidationError([f"evidence refers to unknown outcome {piece.outcome_id!r}"])
        evidence_json.append(piece.to_json(outcome.statement if outcome is not None else None))
    if achievement.assessment_method or achievement.identity_verified is not None:
        evidence_json.append(assessment_evidence(achievement.assessment_method, achievement.identity_verified))
    if evidence_json:
        credential["evidence"] = evidence_json
    if credential_status is not None:
        if not isinstance(credential_status, dict):
            raise SchemaValidationError(["credentialStatus: OB 3.0 allows one status entry (an object)"])
        credential["credentialStatus"] = credential_status
    credential["credentialSchema"] = [{"id": ACHIEVEMENT_CREDENTIAL_SCHEMA, "type": SCHEMA_TYPE}]
    errors = schema_errors(credential, ACHIEVEMENT_CREDENTIAL_SCHEMA)
    if errors:
        raise SchemaValidationError(errors)
    return credential
