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


def assessed_credential(*, issuer_id: str, valid_from: datetime = NOW - timedelta(days=1)) -> dict[str, Any]:
    """A credential in the standard form: a rubric outcome, a score outcome, results and evidence."""
    issuer = ob.IssuerProfile(id=issuer_id, name="Northern Lakes College", country="CA")
    base = "https://example.ca/achievements/2"
    levels = (
        ob.RubricLevel(f"{base}#o1-l1", "Beginning", "Needs prompts", "1"),
        ob.RubricLevel(f"{base}#o1-l2", "Proficient", "Works unaided — «sans aide»", "2"),
        ob.RubricLevel(f"{base}#o1-l3", "Exemplary", None, "3"),
    )
    outcomes = (
        ob.Outcome(
            id=f"{base}#outcome-1",
            statement="Handle food in compliance with hygiene rules",
            kind="skill",
            alignments=(
                ob.AlignmentTarget(
                    "http://data.europa.eu/esco/skill/0ff99f51-40d9-42f1-a1ec-377b2bb5e15f",
                    "comply with food safety and hygiene",
                    "ESCO v1.1.1",
                    target_type="ceasn:Competency",
                ),
            ),
            rubric_levels=levels,
            required_level=levels[1].id,
        ),
        ob.Outcome(
            id=f"{base}#outcome-2",
            statement="Explain food safety standards",
            kind="knowledge",
            alignments=(
                ob.AlignmentTarget(
                    "http://data.europa.eu/esco/skill/fa46ff13-5ad7-4a11-85d6-4b0614e411de",
                    "food safety standards",
                    "ESCO v1.1.1",
                ),
            ),
            result_type="RawScore",
            value_min="0",
            value_max="100",
            required_value="70",
        ),
    )
    achievement = ob.AchievementDefinition(
        id=base,
        name="Food Safety",
        description="Food safety for kitchens.",
        criteria_narrative="Practical and written exam.",
        outcomes=outcomes,
        assessment_method="observed performance",
        identity_verified=True,
    )
    return ob.build_achievement_credential(
        credential_id="https://example.ca/credentials/def",
        issuer=issuer,
        achievement=achievement,
        subject=ob.SubjectIdentity(email="learner@example.ca", salt="pepper"),
        valid_from=valid_from,
        awarded_date=valid_from,
        evidence=[
            ob.EvidenceItem(
                id="https://example.ca/evidence/1",
                name="Kitchen log",
                genre="Observation",
                audience="Employers",
                outcome_id=outcomes[0].id,
            ),
            ob.EvidenceItem(id="urn:uuid:9a1d0c4e-7f1b-4f38-9d7c-0c8e1b2a3f4d", narrative="Scored 84/100", name="Exam"),
        ],
        results=[
            ob.OutcomeResult(outcomes[0].id, status=None, achieved_level=levels[2].id),
            ob.OutcomeResult(outcomes[1].id, status=None, value="84"),
        ],
    )


def transcript_credential(
    *, issuer_id: str, grading_scheme: str = "letter_grade", result: str | None = "A-", with_outcomes: bool = True
) -> dict[str, Any]:
    """A credential carrying every transcript field (issue 8): OB creditsEarned/term/activity dates/final result and
    microcred's extension terms (credit unit, workload, EQF/national level, EU mandatory elements, award route)."""
    issuer = ob.IssuerProfile(id=issuer_id, name="Northern Lakes College", country="CA")
    base = "https://example.ca/achievements/3"
    outcomes = (
        ob.Outcome(
            id=f"{base}#outcome-1",
            statement="Model relational data",
            kind="skill",
            alignments=(ob.AlignmentTarget("http://data.europa.eu/esco/skill/sql", "SQL", "ESCO v1.1.1"),),
        ),
    )
    achievement = ob.AchievementDefinition(
        id=base,
        name="Relational Databases",
        description="Design and query relational databases.",
        criteria_narrative="Pass the project.",
        credits_available=3.0,
        human_code="DBS-101",
        outcomes=outcomes if with_outcomes else (),
        transcript=ob.TranscriptDefinition(
            credit_unit="SemesterHour",
            notional_hours=42.5,
            eqf_level=5,
            qualification_framework="Ontario Qualifications Framework",
            qualification_level="OQF 5 — Ontario College Diploma «niveau»",
            form_of_participation="blended",
            quality_assurance_type="internal institutional review",
            quality_assurance_reference="https://example.ca/qa/policy-12",
            awarding_body="Northern Lakes College",
            awarding_country="CA",
            grading_scheme=grading_scheme,
            prerequisites=("https://example.ca/achievements/1",),
        ),
    )
    return ob.build_achievement_credential(
        credential_id="https://example.ca/credentials/ghi",
        issuer=issuer,
        achievement=achievement,
        subject=ob.SubjectIdentity(email="learner@example.ca", salt="pepper"),
        valid_from=NOW - timedelta(days=1),
        awarded_date=NOW - timedelta(days=1),
        results=[ob.OutcomeResult(outcomes[0].id)] if with_outcomes else [],
        record=ob.SubjectRecord(
            credits_earned=3.0,
            term="Fall 2026",
            activity_start=datetime(2026, 9, 8, tzinfo=UTC),
            activity_end=datetime(2026, 12, 18, tzinfo=UTC),
            result_value=result,
            award_route="rpl",
        ),
    )


def ext_alignments(node: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The ``ext:`` alignments of an Achievement or ResultDescription, by targetType (what OB has no property for)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for item in node.get("alignment") or []:
        kind = str(item.get("targetType") or "")
        if kind.startswith("ext:"):
            found.setdefault(kind, []).append(item)
    return found
