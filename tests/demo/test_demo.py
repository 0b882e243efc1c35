"""demo: real ESCO concepts (checked against the shipped ESCO v1.1.1 files), idempotent seeding, valid awards."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred import demo, issuing
from microcred.awards import queries as awards
from microcred.awards.models import Award
from microcred.catalog.models import Achievement, Alignment, LearningOutcome
from microcred.db import session_scope
from microcred.earners.models import Earner
from microcred.issuers import services as issuers
from microcred.issuers.models import Organisation, SigningKey
from microcred.taxonomy.esco import SHIPPED_DIR
from microcred.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.schema import ACHIEVEMENT_CREDENTIAL_SCHEMA, schema_errors

ESCO_DIR = SHIPPED_DIR  # the ESCO v1.1.1 files the package ships (microcred/taxonomy/data)
BASE = "http://127.0.0.1:8000"


def _read(name: str) -> dict[str, dict[str, str]]:
    with gzip.open(ESCO_DIR / name, "rt", encoding="utf-8", newline="") as fh:
        return {row["conceptUri"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def esco() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    if not ESCO_DIR.is_dir():
        pytest.fail(f"ESCO v1.1.1 files not found at {ESCO_DIR}")
    return _read("skills_en.csv.gz"), _read("transversalSkillsCollection_en.csv.gz")


def _concepts() -> list[demo.EscoConcept]:
    return [c for spec in demo.ACHIEVEMENTS for (_, _, c) in spec["outcomes"]]


def test_demo_concepts_are_real_esco(esco: tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]) -> None:
    skills, transversal = esco
    for concept in _concepts():
        row = skills.get(concept.uri)
        assert row is not None, f"{concept.uri} is not an ESCO v1.1.1 skill"
        assert row["preferredLabel"] == concept.label
        assert row["skillType"] == concept.skill_type
        assert (concept.uri in transversal) == concept.transversal
        if concept.transversal:
            assert transversal[concept.uri]["preferredLabel"] == concept.label


def test_each_demo_credential_has_knowledge_skill_and_transversal() -> None:
    for spec in demo.ACHIEVEMENTS:
        concepts = [(kind, c) for (_, kind, c) in spec["outcomes"]]
        assert any(kind == "knowledge" and c.skill_type == "knowledge" for kind, c in concepts)
        assert any(kind == "skill" and c.skill_type == "skill/competence" and not c.transversal for kind, c in concepts)
        assert any(kind == "attitude" and c.transversal for kind, c in concepts)


def _counts(session: Session) -> dict[str, int]:
    models = (Organisation, SigningKey, Achievement, LearningOutcome, Alignment, Earner, Award)
    return {m.__name__: int(session.scalar(select(func.count()).select_from(m)) or 0) for m in models}


def test_seed_demo_is_idempotent(factory: sessionmaker[Session], master_key: bytes) -> None:
    with session_scope(factory) as session:
        first = demo.seed_demo(session, base_url=BASE, master_key=master_key)
    assert first.created == {
        "organisations": 3,
        "achievements": 5,  # + the pathway credential (issue 8)
        "earners": 2,
        "assessment records": 6,
        "awards": 9,  # + Amara's third pathway component (the pathway credential itself is issued automatically)
        "pathways": 1,
        "partners": 1,  # issue 7: the employer becomes a partner with its own key
        "endorsements": 3,  # current, due within 60 days, expired (lapsed)
        "bulk batches": 1,  # issue 15: a cohort CSV with one refused row, started
    }
    with factory() as session:
        after_first = _counts(session)
    assert after_first == {
        "Organisation": 3,
        "SigningKey": 4,  # the college's, the institute's two (rotated), the partner's (signs endorsements)
        "Achievement": 5,
        "LearningOutcome": 13,
        "Alignment": 13,
        "Earner": 2,
        "Award": 10,
    }
    with session_scope(factory) as session:
        second = demo.seed_demo(session, base_url=BASE, master_key=master_key)
    assert set(second.created.values()) == {0}
    assert second.featured_award_id == first.featured_award_id
    with factory() as session:
        assert _counts(session) == after_first
        college = issuers.get_organisation(session, demo.COLLEGE_ID)
        assert (college.country, college.region, college.kind) == ("CA", "ON", "institution")
        assert issuers.get_organisation(session, demo.EMPLOYER_ID).kind == "employer"
        for award in awards.list_awards(session):
            assert award.evidence, "every demo award carries evidence"


def test_demo_awards_verify(factory: sessionmaker[Session], master_key: bytes) -> None:
    from support.instance import verifier_for

    with session_scope(factory) as session:
        result = demo.seed_demo(session, base_url=BASE, master_key=master_key)
    verifier = verifier_for(factory, master_key, BASE)
    with factory() as session:
        for award_id in result.award_ids:
            award = awards.get_award(session, award_id)
            outcome = verifier.verify(awards.credential_document(award))
            assert outcome.verified, [(c.check, c.reason) for c in outcome.checks if not c.passed]


def test_demo_lifecycle_awards_fail_or_verify_as_intended(factory: sessionmaker[Session], master_key: bytes) -> None:
    """Revoked, suspended and expired demo awards fail with their own reason; the institute rotated its key after
    issuing, and both the older and the newer credential verify."""
    from support.instance import verifier_for

    with session_scope(factory) as session:
        result = demo.seed_demo(session, base_url=BASE, master_key=master_key)
    verifier = verifier_for(factory, master_key, BASE)
    failures: dict[str, list[str]] = {}
    with factory() as session:
        for name, award_id in result.lifecycle.items():
            award = awards.get_award(session, award_id)
            outcome = verifier.verify(awards.credential_document(award))
            failures[name] = [c.reason for c in outcome.checks if not c.passed]
        old = awards.get_award(session, result.lifecycle["rotated-old"])
        new = awards.get_award(session, result.lifecycle["rotated-new"])
        assert old.signing_key_id != new.signing_key_id
        assert new.valid_until is not None  # the institute's achievement has a 24-month validity period
    assert failures["revoked"] == ["revoked by the issuer"]
    assert failures["suspended"] == ["suspended by the issuer"]
    assert failures["expired"] == ["expired on 2025-01-15T00:00:00Z"]
    assert failures["rotated-old"] == [] and failures["rotated-new"] == []


def test_demo_awards_carry_rubric_results_and_only_public_evidence(
    factory: sessionmaker[Session], master_key: bytes, tmp_path: Path
) -> None:
    from microcred.assessments import services as assessments
    from microcred.assessments.storage import FolderStore

    store = FolderStore(tmp_path / "evidence")
    with session_scope(factory) as session:
        result = demo.seed_demo(session, base_url=BASE, master_key=master_key, evidence_store=store)
    with factory() as session:
        for award_id in result.award_ids:
            award = awards.get_award(session, award_id)
            doc = awards.credential_document(award)
            assert "Private:" not in award.credential_json and "private notes" not in award.credential_json
            achievement = doc["credentialSubject"]["achievement"]
            assert doc["@context"] == [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS]
            assert isinstance(doc["credentialStatus"], dict)
            assert schema_errors(doc, ACHIEVEMENT_CREDENTIAL_SCHEMA) == []  # verbatim
            summative = [e for e in doc["evidence"] if e.get("name") == "Summative assessment"]
            assert len(summative) == 1 and summative[0]["genre"]
            kinds = {
                a["targetCode"]
                for rd in achievement["resultDescription"]
                for a in rd.get("alignment", [])
                if a["targetType"] == "ext:OutcomeKind"
            }
            assert kinds == {"knowledge", "skill", "attitude"}
            assert any("achievedLevel" in r for r in doc["credentialSubject"]["result"])
            assert any("value" in r for r in doc["credentialSubject"]["result"])
            files = [e for e in doc["evidence"] if e.get("id", "").startswith(f"{BASE}/evidence/")]
            statements = {rd["name"] for rd in achievement["resultDescription"]}
            assert len(files) == 1
            assert files[0]["narrative"].rsplit("\n", 1)[-1].removeprefix("Learning outcome: ") in statements
            private = assessments.list_evidence(
                session, achievement_id=award.achievement_id, earner_id=award.earner_id, include_private=True
            )
            assert {e.visibility for e in private} == {"public", "private"}


def test_demo_pathway_completed_by_one_earner_and_part_way_for_another(
    factory: sessionmaker[Session], master_key: bytes
) -> None:
    from microcred.demo.transcripts import COMPONENTS
    from microcred.transcripts import pathways

    with session_scope(factory) as session:
        demo.seed_demo(session, base_url=BASE, master_key=master_key)
    with factory() as session:
        amara = {s.name: s for s in pathways.earner_progress(session, demo.find_earner_id(session, "amara"), BASE)}
        liam = {s.name: s for s in pathways.earner_progress(session, demo.find_earner_id(session, "liam"), BASE)}
        name = "Digital Hospitality Operations Certificate"
        assert len(COMPONENTS) == 3
        assert amara[name].completion is not None and amara[name].completion.status == "issued"
        assert awards.get_award(session, amara[name].completion.award_id).achievement_id == demo.demo_id(
            "achievement:hospitality-operations-certificate"
        )
        assert (liam[name].done_count, liam[name].required, liam[name].completion) == (1, 3, None)


def test_demo_relevance_states_and_the_gate(factory: sessionmaker[Session], master_key: bytes) -> None:
    """Issue 7: food safety is endorsed and current, spreadsheet analysis is due within 60 days, cyber awareness
    lapsed (its endorsement expired) and issuing it is refused; the college requires a current endorsement; demo
    awards issued while an endorsement was current carry it, and it verifies on its own."""
    import pytest

    from microcred.errors import InvalidInput
    from microcred.partners import services as partners
    from support.instance import verifier_for

    with session_scope(factory) as session:
        demo.seed_demo(session, base_url=BASE, master_key=master_key)
    with factory() as session:
        states = {r.name: r.state for r in partners.relevance_report(session, issuer_id=demo.COLLEGE_ID)}
        assert states["Food Safety and Sanitation for Commercial Kitchens"] == "current"
        assert states["Spreadsheet Data Analysis for the Workplace"] == "due"
        assert states["Cyber Security Awareness for Small Business"] == "lapsed"
        assert partners.get_policy(session, demo.COLLEGE_ID).require_endorsement is True
        with pytest.raises(InvalidInput, match=r"Cyber Security Awareness .*relevance lapsed: the endorsement by"):
            issuing.issue_award(
                session,
                achievement_id=demo.demo_id("achievement:cyber-awareness"),
                earner_id=demo.find_earner_id(session, "liam"),
                base_url=BASE,
                master_key=master_key,
            )
        featured = awards.credential_document(awards.get_award(session, demo.demo_id("award:amara:food-safety")))
        embedded = featured["credentialSubject"]["achievement"]["endorsement"]
        assert [e["issuer"]["name"] for e in embedded] == ["Great Lakes Hospitality Group"]
        verifier = verifier_for(factory, master_key, BASE)
        assert verifier.verify(embedded[0]).verified
        assert [p.name for _, p in partners.list_partners(session)] == ["Great Lakes Hospitality Group"]
        pending = partners.list_requests(session, partner_id=demo.EMPLOYER_ID, status="pending")
        assert [r.achievement_id for r in pending] == [demo.demo_id("achievement:cyber-awareness")]


def test_demo_bulk_batch_issues_the_cohort_once(
    factory: sessionmaker[Session], master_key: bytes, tmp_path: Path
) -> None:
    """The demo's cohort CSV: three rows issued (email matched case-insensitively, per-outcome results and a term
    carried), the bad email refused with its reason; seeding and running again issues nothing more."""
    import base64

    from microcred.batches import services as batches
    from microcred.demo.bulk import run_cohort
    from microcred.settings import Settings
    from support.instance import verifier_for

    settings = Settings(
        MICROCRED_DATA_DIR=tmp_path / "instance", DATABASE_URL=None, MICROCRED_BASE_URL=BASE,
        MICROCRED_MASTER_KEY=base64.urlsafe_b64encode(master_key).rstrip(b"=").decode(),
    )  # fmt: skip
    with session_scope(factory) as session:
        result = demo.seed_demo(session, base_url=BASE, master_key=master_key)
    assert result.bulk_batch_id is not None
    assert run_cohort(factory, settings, result.bulk_batch_id) == "finished"
    assert run_cohort(factory, settings, result.bulk_batch_id) == "finished"  # again: nothing left to do
    with session_scope(factory) as session:
        assert demo.seed_demo(session, base_url=BASE, master_key=master_key).bulk_batch_id is None
    verifier = verifier_for(factory, master_key, BASE)
    with factory() as session:
        batch = batches.get_batch(session, result.bulk_batch_id)
        assert (batch.state, batch.issued_count, batch.refused_count, batch.failed_count) == ("finished", 3, 1, 0)
        rows = {row.row_number: row for row in batches.rows(session, batch.id)}
        assert rows[4].state == "refused" and "not an email address" in (rows[4].error or "")
        for number in (1, 2, 3):
            award = awards.get_award(session, rows[number].award_id)
            document = awards.credential_document(award)
            outcome = verifier.verify(document)
            assert outcome.verified, [(c.check, c.reason) for c in outcome.checks if not c.passed]
            assert document["credentialSubject"]["result"], "per-outcome results are carried"
        assert session.scalar(select(func.count()).select_from(Award)) == 13  # 10 seeded + 3 from the batch
