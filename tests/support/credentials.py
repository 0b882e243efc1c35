"""Credentials made by microcred's own builder, used across the vc tests (and the differential test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from microcred.vc import Ed25519Key, ob, sign_data_integrity

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def sample_credential(
    *,
    issuer_id: str,
    valid_from: datetime = NOW - timedelta(days=1),
    valid_until: datetime | None = None,
    subject_did: str | None = None,
    language: str = "en",
) -> dict[str, Any]:
    issuer = ob.IssuerProfile(
        id=issuer_id,
        name="Northern Lakes College of Applied Arts and Technology",
        url="https://northernlakes.example.ca",
        email="registrar@northernlakes.example.ca",
        country="CA",
        region="ON",
        registration_id="ON-CAAT-0042",
    )
    outcomes = (
        ob.Outcome(
            id="https://example.ca/achievements/1#outcome-1",
            statement="Explains the principles of relational data modelling",
            kind="knowledge",
            alignments=(
                ob.AlignmentTarget(
                    "http://data.europa.eu/esco/skill/0b6da5f4-4c0f-4a4c-a9c3-f4e0a6e4d6c1",
                    "database",
                    "ESCO v1.1.1",
                ),
            ),
        ),
        ob.Outcome(
            id="https://example.ca/achievements/1#outcome-2",
            statement="Writes SQL queries that answer business questions — «données» ✓",
            kind="skill",
            alignments=(ob.AlignmentTarget("http://data.europa.eu/esco/skill/sql", "SQL", "ESCO v1.1.1", "S1.2"),),
        ),
    )
    achievement = ob.AchievementDefinition(
        id="https://example.ca/achievements/1",
        name="Data Analysis with SQL",
        description='Query, clean and summarise relational data.\nTwo lines, a tab\tand "quotes".',
        criteria_narrative="Pass the **summative** project assessment.",
        in_language=language,
        credits_available=1.5,
        outcomes=outcomes,
    )
    return ob.build_achievement_credential(
        credential_id="https://example.ca/credentials/abc",
        issuer=issuer,
        achievement=achievement,
        subject=ob.SubjectIdentity(did=subject_did, email="learner@example.ca", salt="pepper"),
        valid_from=valid_from,
        valid_until=valid_until,
        awarded_date=valid_from,
        evidence=[ob.EvidenceItem(name="Capstone", narrative="Built a sales dashboard", genre="Project")],
        results=[ob.OutcomeResult(outcomes[0].id), ob.OutcomeResult(outcomes[1].id, value="A")],
    )


def signed_sample(key: Ed25519Key, **kwargs: Any) -> dict[str, Any]:
    credential = sample_credential(issuer_id=key.did_key, **kwargs)
    return sign_data_integrity(credential, key, key.did_key_verification_method, created=NOW)
