"""The one Open Badges 3.0 document builder: domain values in, a schema-valid OpenBadgeCredential out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microcred.vc.contexts import CREDENTIALS_V2, MICROCRED_OB_EXTENSIONS, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.dataintegrity import format_datetime
from microcred.vc.errors import SchemaValidationError
from microcred.vc.schema import ACHIEVEMENT_CREDENTIAL_SCHEMA, SCHEMA_TYPE, schema_errors

OUTCOME_KINDS = ("knowledge", "skill", "attitude")


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

    def to_json(self) -> dict[str, Any]:
        """The OB ``ResultDescription`` of this outcome (the kind in microcred's ``outcomeKind`` extension)."""
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
        doc["alignment"] = [target.to_json() for target in self.alignments]
        doc["outcomeKind"] = self.kind
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
    # the summative assessment (microcred extension terms): e.g. "project", "exam"; was identity verified?
    assessment_method: str | None = None
    identity_verified: bool | None = None
    # transcript record (issue 8); OB has creditsAvailable/humanCode, the rest are microcred extension terms
    transcript: TranscriptDefinition | None = None
    # signed EndorsementCredentials of the achievement (issue 7: partner endorsements), embedded as they are
    endorsements: tuple[dict[str, Any], ...] = ()


GRADING_SCHEMES = {"pass_fail": "Status", "letter_grade": "LetterGrade", "percent": "Percent"}
LETTER_GRADES = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")
AWARD_ROUTES = {"course": "course", "rpl": "recognitionOfPriorLearning"}


@dataclass(frozen=True)
class TranscriptDefinition:
    """What a registrar needs about a definition beyond OB core (microcred extension terms, see docs).

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

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        if self.credit_unit:
            doc["creditUnit"] = self.credit_unit
        if self.notional_hours is not None:
            doc["notionalWorkload"] = hours_duration(self.notional_hours)
        if self.eqf_level is not None:
            doc["eqfLevel"] = int(self.eqf_level)
        for key, value in (
            ("qualificationFramework", self.qualification_framework),
            ("qualificationLevel", self.qualification_level),
            ("formOfParticipation", self.form_of_participation),
            ("qualityAssuranceType", self.quality_assurance_type),
            ("qualityAssuranceReference", self.quality_assurance_reference),
            ("awardingBody", self.awarding_body),
            ("awardingCountry", self.awarding_country),
        ):
            if value:
                doc[key] = value
        if self.prerequisites:
            doc["prerequisite"] = list(self.prerequisites)
        return doc


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
    outcome_id: str | None = None  # the ResultDescription this evidence supports (``assessedOutcome``)

    def to_json(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {"type": ["Evidence"]}
        for key, value in (
            ("id", self.id),
            ("name", self.name),
            ("description", self.description),
            ("narrative", self.narrative),
            ("genre", self.genre),
            ("audience", self.audience),
        ):
            if value:
                evidence[key] = value
        if self.outcome_id:
            evidence["assessedOutcome"] = self.outcome_id
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
    """Who the credential is about: a DID when known, else a salted SHA-256 of the email (never the email)."""

    did: str | None = None
    email: str | None = None
    salt: str | None = None

    def __post_init__(self) -> None:
        if not self.did and not (self.email and self.salt):
            raise ValueError("a subject needs a DID, or an email and a salt")

    def to_json(self) -> dict[str, Any]:
        """``id`` and/or a salted, hashed email ``identifier`` (IdentityObject) — never the email itself."""
        doc: dict[str, Any] = {}
        if self.did:
            doc["id"] = self.did
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


def identity_hash(identifier: str, salt: str) -> str:
    """OB 3.0 ``identityHash``: ``sha256$`` + hex(SHA-256(identifier + salt))."""
    return "sha256$" + hashlib.sha256((identifier + salt).encode("utf-8")).hexdigest()


def _achievement_json(achievement: AchievementDefinition) -> dict[str, Any]:
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
    if alignments:
        doc["alignment"] = alignments
    descriptions = [outcome.to_json() for outcome in achievement.outcomes]
    final = achievement.transcript.final_result_description(achievement.id) if achievement.transcript else None
    if final is not None:
        descriptions.append(final)
    if descriptions:
        doc["resultDescription"] = descriptions
    if achievement.assessment_method:
        doc["assessmentMethod"] = achievement.assessment_method
    if achievement.identity_verified is not None:
        doc["identityVerified"] = bool(achievement.identity_verified)
    if achievement.transcript is not None:
        doc.update(achievement.transcript.to_json())
    if achievement.endorsements:
        doc["endorsement"] = [dict(e) for e in achievement.endorsements]
    return doc


def _record_json(
    record: SubjectRecord, achievement: AchievementDefinition
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The record's AchievementSubject properties, and its final Result (or None)."""
    doc: dict[str, Any] = {}
    if record.credits_earned is not None:
        doc["creditsEarned"] = float(record.credits_earned)
    if record.term:
        doc["term"] = record.term
    if record.activity_start is not None:
        doc["activityStartDate"] = format_datetime(record.activity_start)
    if record.activity_end is not None:
        doc["activityEndDate"] = format_datetime(record.activity_end)
    if record.award_route:
        doc["awardRoute"] = AWARD_ROUTES[record.award_route]
    if (
        record.activity_start is not None
        and record.activity_end is not None
        and record.activity_end < record.activity_start
    ):
        raise SchemaValidationError(["activityEndDate: must not be before activityStartDate"])
    if record.result_value is None:
        return doc, None
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
    return doc, result


def _uses_extension(achievement: AchievementDefinition, record: SubjectRecord | None) -> bool:
    return bool(
        (achievement.transcript and achievement.transcript.to_json())
        or (record is not None and record.award_route)
        or achievement.assessment_method
        or achievement.identity_verified is not None
    )


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
    credential_status: dict[str, Any] | list[dict[str, Any]] | None = None,
    record: SubjectRecord | None = None,
) -> dict[str, Any]:
    """Build an ``OpenBadgeCredential`` and validate it against the OB 3.0 JSON Schema (before any signing)."""
    if valid_until is not None and valid_until <= valid_from:
        raise SchemaValidationError(["validUntil: must be later than validFrom"])
    outcomes_by_id = {outcome.id: outcome for outcome in achievement.outcomes}
    subject_json: dict[str, Any] = {"type": ["AchievementSubject"]}
    subject_json.update(subject.to_json())
    subject_json["achievement"] = _achievement_json(achievement)
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
        record_json, final_result = _record_json(record, achievement)
        subject_json.update(record_json)
        if final_result is not None:
            result_json.append(final_result)
    if result_json:
        subject_json["result"] = result_json
    credential: dict[str, Any] = {
        "@context": [
            CREDENTIALS_V2,
            OB_V3P0_CONTEXT,
            OB_V3P0_EXTENSIONS,
            *(
                [MICROCRED_OB_EXTENSIONS]
                if achievement.outcomes or evidence or _uses_extension(achievement, record)
                else []
            ),
            *[c for c in extra_contexts if c != MICROCRED_OB_EXTENSIONS],
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
    if evidence:
        for piece in evidence:
            if piece.outcome_id is not None and piece.outcome_id not in outcomes_by_id:
                raise SchemaValidationError([f"evidence refers to unknown outcome {piece.outcome_id!r}"])
        credential["evidence"] = [piece.to_json() for piece in evidence]
    if credential_status is not None:
        credential["credentialStatus"] = credential_status
    credential["credentialSchema"] = [{"id": ACHIEVEMENT_CREDENTIAL_SCHEMA, "type": SCHEMA_TYPE}]
    errors = schema_errors(credential, ACHIEVEMENT_CREDENTIAL_SCHEMA)
    if errors:
        raise SchemaValidationError(errors)
    return credential
