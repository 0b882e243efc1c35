"""The unsigned, schema-valid OpenBadgeCredential of an award, from its rows and the contributors' parts
(issuing and re-signing in place share it)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from microcred import urls
from microcred.awards.queries import EvidenceItem
from microcred.errors import InvalidInput
from microcred.issuance import CredentialParts, IssueContext
from microcred.issuers import services as issuers
from microcred.vc import ob
from microcred.vc.errors import SchemaValidationError


@dataclass(frozen=True)
class Validity:
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None


def _alignment(a: Any) -> ob.AlignmentTarget:
    return ob.AlignmentTarget(
        target_url=a.target_url,
        target_name=a.target_name,
        target_framework=a.target_framework,
        target_code=a.target_code,
        target_type=a.target_type,
        target_description=a.target_description,
    )


def achievement_definition(
    context: IssueContext, parts: CredentialParts, issuer: ob.IssuerProfile
) -> ob.AchievementDefinition:
    achievement = context.achievement
    return ob.AchievementDefinition(
        id=urls.achievement_url(achievement.id, context.base_url),
        name=achievement.name,
        description=achievement.description,
        criteria_narrative=achievement.criteria_narrative,
        criteria_url=achievement.criteria_url,
        achievement_type=achievement.achievement_type,
        image=achievement.image,
        in_language=achievement.language,
        credits_available=achievement.credits,
        outcomes=tuple(
            ob.Outcome(
                id=urls.outcome_uri(outcome.id),
                statement=outcome.statement,
                kind=outcome.kind,
                alignments=tuple(_alignment(a) for a in outcome.alignments),
                **parts.outcome_fields.get(outcome.id, {}),
            )
            for outcome in achievement.outcomes
        ),
        creator=issuer,
        transcript=parts.transcript,
        endorsements=parts.endorsements,
        **parts.achievement_fields,
    )


def _evidence(rows: Sequence[EvidenceItem]) -> list[ob.EvidenceItem]:
    return [
        ob.EvidenceItem(
            id=e.url, name=e.name, description=e.description, narrative=e.narrative, genre=e.genre, audience=e.audience
        )
        for e in rows
    ]


def build_document(
    context: IssueContext,
    parts: CredentialParts,
    award_id: uuid.UUID,
    validity: Validity,
    evidence_rows: Sequence[EvidenceItem],
    credential_status: dict[str, Any],
) -> dict[str, Any]:
    """Raises `InvalidInput` (with the schema's reason) when the credential would not be schema-valid."""
    issuer = issuers.issuer_profile(context.organisation, context.base_url)
    earner = context.earner
    try:
        return ob.build_achievement_credential(
            credential_id=urls.credential_url(award_id, context.base_url),
            issuer=issuer,
            achievement=achievement_definition(context, parts, issuer),
            subject=ob.SubjectIdentity(
                did=earner.did,
                email=earner.email,
                salt=earner.salt,
                pairwise_id=ob.pairwise_subject_id(
                    earner.salt, urls.achievement_url(context.achievement.id, context.base_url)
                ),
            ),
            valid_from=validity.valid_from,
            valid_until=validity.valid_until,
            awarded_date=validity.issued_at,
            evidence=_evidence(evidence_rows) + parts.evidence,
            results=parts.results or [],
            credential_status=credential_status,
            record=parts.record.subject if parts.record is not None else None,
        )
    except SchemaValidationError as exc:
        raise InvalidInput(str(exc)) from exc
