"""The one Open Badges 3.0 document builder: domain values in, a schema-valid OpenBadgeCredential out.

The outcome vocabulary (:mod:`microcred.vc.outcomes`) and the transcript record (:mod:`microcred.vc.records`) live
in their own modules; every name of theirs is re-exported here, so ``ob.Outcome`` or ``ob.TranscriptDefinition``
keep working for every caller."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack

from microcred.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.dataintegrity import format_datetime
from microcred.vc.errors import SchemaValidationError
from microcred.vc.kwargs import reject_unknown
from microcred.vc.outcomes import EXT_OUTCOME_KIND as EXT_OUTCOME_KIND
from microcred.vc.outcomes import OUTCOME_KIND_FRAMEWORK as OUTCOME_KIND_FRAMEWORK
from microcred.vc.outcomes import OUTCOME_KIND_URL as OUTCOME_KIND_URL
from microcred.vc.outcomes import OUTCOME_KINDS as OUTCOME_KINDS
from microcred.vc.outcomes import AlignmentTarget as AlignmentTarget
from microcred.vc.outcomes import Outcome as Outcome
from microcred.vc.outcomes import OutcomeKind as OutcomeKind
from microcred.vc.outcomes import OutcomeResult as OutcomeResult
from microcred.vc.outcomes import RubricLevel as RubricLevel
from microcred.vc.records import AWARD_ROUTES as AWARD_ROUTES
from microcred.vc.records import CREDIT_UNIT_NAMES as CREDIT_UNIT_NAMES
from microcred.vc.records import EQF_LEVEL_URL as EQF_LEVEL_URL
from microcred.vc.records import EXT_AWARD_ROUTE as EXT_AWARD_ROUTE
from microcred.vc.records import EXT_AWARDING_BODY as EXT_AWARDING_BODY
from microcred.vc.records import EXT_CREDIT_UNIT as EXT_CREDIT_UNIT
from microcred.vc.records import EXT_EQF_LEVEL as EXT_EQF_LEVEL
from microcred.vc.records import EXT_FORM_OF_PARTICIPATION as EXT_FORM_OF_PARTICIPATION
from microcred.vc.records import EXT_NOTIONAL_WORKLOAD as EXT_NOTIONAL_WORKLOAD
from microcred.vc.records import EXT_PREREQUISITE as EXT_PREREQUISITE
from microcred.vc.records import EXT_QUALIFICATION_LEVEL as EXT_QUALIFICATION_LEVEL
from microcred.vc.records import EXT_QUALITY_ASSURANCE as EXT_QUALITY_ASSURANCE
from microcred.vc.records import GRADING_SCHEMES as GRADING_SCHEMES
from microcred.vc.records import LETTER_GRADES as LETTER_GRADES
from microcred.vc.records import SubjectRecord as SubjectRecord
from microcred.vc.records import TranscriptDefinition as TranscriptDefinition
from microcred.vc.records import award_route_description as award_route_description
from microcred.vc.records import award_route_id as award_route_id
from microcred.vc.records import final_result_id as final_result_id
from microcred.vc.records import hours_duration as hours_duration
from microcred.vc.records import record_json
from microcred.vc.schema import ACHIEVEMENT_CREDENTIAL_SCHEMA, SCHEMA_TYPE, schema_errors

# What OB 3.0 has no property for travels in its extensible structures (docs/ob-extensions.md has the mapping):
# an Alignment with an ``ext:`` targetType, a ResultDescription/Result with an ``ext:`` resultType, Evidence text.
# Only contexts that every verifier bundles are used; nothing needs a microcred context.
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


def _criteria_json(achievement: AchievementDefinition) -> dict[str, Any]:
    criteria: dict[str, Any] = {}
    if achievement.criteria_url:
        criteria["id"] = achievement.criteria_url
    if achievement.criteria_narrative:
        criteria["narrative"] = achievement.criteria_narrative
    return criteria


def _optional_achievement_fields(achievement: AchievementDefinition) -> dict[str, Any]:
    """The Achievement's optional properties that are set, in the document's order."""
    doc: dict[str, Any] = {}
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
    return doc


def _achievement_alignments(achievement: AchievementDefinition) -> list[dict[str, Any]]:
    """The outcomes' framework alignments (each target once, first seen first), then the transcript record's."""
    alignments: list[dict[str, Any]] = []
    seen: set[str] = set()
    for outcome in achievement.outcomes:
        for target in outcome.alignments:
            if target.target_url not in seen:
                seen.add(target.target_url)
                alignments.append(target.to_json())
    if achievement.transcript is not None:
        alignments.extend(achievement.transcript.alignments(achievement.id))
    return alignments


def _result_descriptions(achievement: AchievementDefinition, *, award_route: bool) -> list[dict[str, Any]]:
    """One ResultDescription per outcome, then the final result (grading scheme) and the award route."""
    descriptions = [outcome.to_json() for outcome in achievement.outcomes]
    final = achievement.transcript.final_result_description(achievement.id) if achievement.transcript else None
    if final is not None:
        descriptions.append(final)
    if award_route:
        descriptions.append(award_route_description(achievement.id))
    return descriptions


def _achievement_json(achievement: AchievementDefinition, *, award_route: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": achievement.id,
        "type": ["Achievement"],
        "achievementType": achievement.achievement_type,
        "name": achievement.name,
        "description": achievement.description,
        "criteria": _criteria_json(achievement),
    }
    doc.update(_optional_achievement_fields(achievement))
    alignments = _achievement_alignments(achievement)
    if alignments:
        doc["alignment"] = alignments
    descriptions = _result_descriptions(achievement, award_route=award_route)
    if descriptions:
        doc["resultDescription"] = descriptions
    if achievement.endorsements:
        doc["endorsement"] = [dict(e) for e in achievement.endorsements]
    return doc


class CredentialOptions(TypedDict, total=False):
    """The optional keyword arguments of :func:`build_achievement_credential` (all may be left out)."""

    valid_until: datetime | None
    awarded_date: datetime | None
    evidence: list[EvidenceItem] | tuple[EvidenceItem, ...]
    results: list[OutcomeResult] | tuple[OutcomeResult, ...]
    extra_contexts: tuple[str, ...]
    credential_status: dict[str, Any] | None
    record: SubjectRecord | None


def _results_json(achievement: AchievementDefinition, results: tuple[OutcomeResult, ...]) -> list[dict[str, Any]]:
    """The earner's Results, each against one of the achievement's outcomes (and one of its rubric levels)."""
    outcomes_by_id = {outcome.id: outcome for outcome in achievement.outcomes}
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
    return result_json


def _subject_json(
    achievement: AchievementDefinition, subject: SubjectIdentity, options: CredentialOptions
) -> dict[str, Any]:
    """The AchievementSubject: who, the achievement, the record's properties and every Result."""
    record = options.get("record")
    subject_json: dict[str, Any] = {"type": ["AchievementSubject"]}
    subject_json.update(subject.to_json())
    subject_json["achievement"] = _achievement_json(
        achievement, award_route=record is not None and record.award_route is not None
    )
    result_json = _results_json(achievement, tuple(options.get("results", ())))
    if record is not None:
        record_doc, record_results = record_json(record, achievement.id, achievement.transcript)
        subject_json.update(record_doc)
        result_json.extend(record_results)
    if result_json:
        subject_json["result"] = result_json
    return subject_json


def _evidence_json(achievement: AchievementDefinition, evidence: tuple[EvidenceItem, ...]) -> list[dict[str, Any]]:
    """The evidence (each naming the outcome it supports), then the summative assessment's entry."""
    outcomes_by_id = {outcome.id: outcome for outcome in achievement.outcomes}
    evidence_json: list[dict[str, Any]] = []
    for piece in evidence:
        outcome = outcomes_by_id.get(piece.outcome_id) if piece.outcome_id is not None else None
        if piece.outcome_id is not None and outcome is None:
            raise SchemaValidationError([f"evidence refers to unknown outcome {piece.outcome_id!r}"])
        evidence_json.append(piece.to_json(outcome.statement if outcome is not None else None))
    if achievement.assessment_method or achievement.identity_verified is not None:
        evidence_json.append(assessment_evidence(achievement.assessment_method, achievement.identity_verified))
    return evidence_json


def _contexts(extra_contexts: tuple[str, ...]) -> list[str]:
    standard = (CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS)
    return [*standard, *[c for c in extra_contexts if c not in standard]]


def build_achievement_credential(
    *,
    credential_id: str,
    issuer: IssuerProfile,
    achievement: AchievementDefinition,
    subject: SubjectIdentity,
    valid_from: datetime,
    **options: Unpack[CredentialOptions],
) -> dict[str, Any]:
    """Build an ``OpenBadgeCredential`` and validate it against the OB 3.0 JSON Schema (before any signing).

    Only standard contexts (VC 2.0, OB 3.0.3 and its extensions): every conformant verifier can read it.
    ``credential_status``: at most ONE status entry (OB 3.0 types ``credentialStatus`` as one object)."""
    reject_unknown(options, CredentialOptions, "build_achievement_credential")
    valid_until = options.get("valid_until")
    awarded_date = options.get("awarded_date")
    credential_status = options.get("credential_status")
    if valid_until is not None and valid_until <= valid_from:
        raise SchemaValidationError(["validUntil: must be later than validFrom"])
    subject_json = _subject_json(achievement, subject, options)
    credential: dict[str, Any] = {
        "@context": _contexts(tuple(options.get("extra_contexts", ()))),
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
    evidence_json = _evidence_json(achievement, tuple(options.get("evidence", ())))
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
