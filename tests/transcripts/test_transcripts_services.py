"""transcripts: transcript fields, prerequisites, pathways (all-of, N-of-M, credits, order, approval), external
credentials, the CLR round trip and the registrar PDF/CSV — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing, urls
from microcred.audit.models import AuditEntry
from microcred.awards import queries as awards
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.errors import Conflict, InvalidInput
from microcred.i18n import translations
from microcred.transcripts import clr, external, pathways, records, registrar
from microcred.transcripts.models import PathwayCompletion
from microcred.vc import Ed25519Key, ob, sign_data_integrity
from microcred.vc.contexts import CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS
from microcred.vc.schema import ACHIEVEMENT_CREDENTIAL_SCHEMA, schema_errors
from support.credentials import ext_alignments
from support.instance import verifier_for

BASE = "http://127.0.0.1:8000"
SQL_SKILL = "http://data.europa.eu/esco/skill/sql-external"


@dataclass
class World:
    org_id: uuid.UUID
    parts: list[uuid.UUID]  # three components
    cert: uuid.UUID  # the pathway credential's achievement
    earner: uuid.UUID
    other: uuid.UUID
    mk: bytes


@pytest.fixture
def world(
    factory: sessionmaker[Session],
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    master_key: bytes,
) -> World:
    with session_scope(factory) as session:
        org = make_org(session)
        parts = [
            make_achievement(session, org.id, name=name, credits=credits)
            for name, credits in (("Food Safety", 1.0), ("Knife Skills", 1.5), ("Menu Costing", 2.0))
        ]
        cert = make_achievement(
            session, org.id, name="Kitchen Certificate", achievement_type="Certificate", credits=None
        )
        ana = earners.create_earner(session, name="Ana Lima", email="ana@example.org")
        bo = earners.create_earner(session, name="Bo Chen", email="bo@example.org")
        return World(org.id, [p.id for p in parts], cert.id, ana.id, bo.id, master_key)


def _issue(session: Session, world: World, index: int, earner: uuid.UUID | None = None, **kw: Any) -> Any:
    return issuing.issue_award(
        session,
        achievement_id=world.parts[index],
        earner_id=earner or world.earner,
        base_url=BASE,
        master_key=world.mk,
        **kw,
    )


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_transcript_fields_travel_in_the_signed_credential(
    factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    with session_scope(factory) as session:
        records.set_achievement_record(
            session,
            world.parts[0],
            {
                "human_code": "FSF-101",
                "credit_unit": "Semester",
                "eqf_level": 4,
                "qualification_framework": "Ontario Qualifications Framework",
                "qualification_level": "OQF 2",
                "form_of_participation": "blended",
                "quality_assurance_type": "internal",
                "quality_assurance_reference": "https://college.example/qa",
                "grading_scheme": "letter_grade",
            },
        )
        award = _issue(
            session,
            world,
            0,
            transcript={
                "term": "Fall 2026",
                "activity_start": "2026-09-08",
                "activity_end": "2026-12-18",
                "result": "a-",
                "award_route": "rpl",
            },
        )
        document = awards.credential_document(award)
    subject = document["credentialSubject"]
    assert subject["term"] == "Fall 2026"
    assert subject["activityStartDate"] == "2026-09-08T00:00:00Z"
    assert subject["creditsEarned"] == 1.0
    assert subject["result"][-1]["value"] == "A-"
    achievement = subject["achievement"]
    route = next(r for r in subject["result"] if r["resultDescription"].endswith("#award-route"))
    assert route["value"] == "recognitionOfPriorLearning"
    assert any(d["resultType"] == "ext:AwardRoute" for d in achievement["resultDescription"])
    facts = ext_alignments(achievement)
    assert facts["ext:CreditUnit"][0]["targetCode"] == "Semester"
    assert facts["ext:EQFLevel"][0]["targetCode"] == "4"
    assert facts["ext:EQFLevel"][0]["targetUrl"] == "http://data.europa.eu/snb/eqf/4"
    assert facts["ext:NotionalWorkload"][0]["targetCode"] == "PT20H"
    assert facts["ext:FormOfParticipation"][0]["targetCode"] == "blended"
    assert facts["ext:AwardingBody"][0]["targetName"] == "The Test College of Applied Arts and Technology"
    assert facts["ext:AwardingBody"][0]["targetCode"] == "CA"
    assert document["@context"] == [CREDENTIALS_V2, OB_V3P0_CONTEXT, OB_V3P0_EXTENSIONS]
    assert schema_errors(document, ACHIEVEMENT_CREDENTIAL_SCHEMA) == []
    assert [d["resultType"] for d in achievement["resultDescription"]][-2:] == ["LetterGrade", "ext:AwardRoute"]
    result = verifier_for(factory, master_key, BASE).verify(document)
    assert result.verified, result.summary


@pytest.mark.parametrize(
    ("record", "transcript", "message"),
    [
        ({"eqf_level": 9}, None, "eqf_level must be between 1 and 8"),
        ({"credit_unit": "Parsecs"}, None, "credit_unit must be one of"),
        ({"form_of_participation": "telepathy"}, None, "form_of_participation must be one of"),
        ({"awarding_country": "Canada"}, None, "ISO 3166-1"),
        ({"qualification_level": "5"}, None, "qualification_framework"),
        ({"colour": "red"}, None, "unknown transcript record field"),
        ({"grading_scheme": "letter_grade"}, {"result": "Z"}, "letter grade"),
        ({"grading_scheme": "percent"}, {"result": "120"}, "percentage from 0 to 100"),
        ({"grading_scheme": "pass_fail"}, {"result": "maybe"}, "Pass or Fail"),
        ({}, {"result": "A"}, "no grading scheme"),
        ({}, {"activity_start": "2026-10-01", "activity_end": "2026-09-01"}, "activity_end must not be before"),
        ({}, {"activity_start": "yesterday"}, "activity_start must be a date"),
        ({}, {"credits_earned": 5}, "cannot exceed"),
        ({}, {"award_route": "osmosis"}, "award_route must be one of"),
    ],
)
def test_transcript_input_is_validated(
    factory: sessionmaker[Session], world: World, record: dict[str, Any], transcript: Any, message: str
) -> None:
    with session_scope(factory) as session, pytest.raises(InvalidInput, match=message):
        records.set_achievement_record(session, world.parts[0], record)
        _issue(session, world, 0, transcript=transcript)


def test_prerequisites_are_enforced_and_shown(factory: sessionmaker[Session], world: World) -> None:
    with session_scope(factory) as session:
        records.set_prerequisites(session, world.parts[1], [world.parts[0]])
        with pytest.raises(InvalidInput, match=r"prerequisite.*'Food Safety'"):
            _issue(session, world, 1)
        with pytest.raises(InvalidInput, match="cycle"):
            records.set_prerequisites(session, world.parts[0], [world.parts[1]])
        _issue(session, world, 0)
        award = _issue(session, world, 1)
        achievement = awards.credential_document(award)["credentialSubject"]["achievement"]
        prerequisites = ext_alignments(achievement)["ext:Prerequisite"]
        assert [(a["targetUrl"], a["targetName"]) for a in prerequisites] == [
            (urls.achievement_url(world.parts[0], BASE), "Food Safety")
        ]
        assert [a.name for a in records.prerequisites(session, world.parts[1])] == ["Food Safety"]
        assert "achievement.prerequisites_set" in _actions(session)


def test_all_of_pathway_issues_on_the_last_component_and_the_clr_round_trips(
    factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    with session_scope(factory) as session:
        pathways.create_pathway(session, achievement_id=world.cert, components=world.parts)
        _issue(session, world, 0)
        _issue(session, world, 1)
        [state] = pathways.earner_progress(session, world.earner, BASE)
        assert (state.done_count, state.required, state.met) == (2, 3, False)
        assert session.scalars(select(PathwayCompletion)).first() is None
        _issue(session, world, 2)
        completion = session.scalars(select(PathwayCompletion)).one()
        assert completion.status == "issued"
        pathway_award = awards.get_award(session, completion.award_id)
        assert pathway_award.achievement_id == world.cert
        actions = _actions(session)
        assert actions[-2:] == ["pathway.completed", "award.issued"] or "pathway.credential_issued" in actions
        assert {"pathway.created", "pathway.completed", "pathway.credential_issued"} <= set(actions)
        evidence = awards.credential_document(pathway_award)["evidence"]
        assert [e["name"] for e in evidence] == ["Food Safety", "Knife Skills", "Menu Costing"]
        assert pathways.earner_progress(session, world.earner, BASE)[0].to_json()["status"] == "issued"

        document = clr.issue_clr(session, "ANA@example.org", base_url=BASE, master_key=world.mk)
    assert document["type"] == ["VerifiableCredential", "ClrCredential"]
    subject = document["credentialSubject"]
    assert len(subject["verifiableCredential"]) == 4
    cert_url = urls.achievement_url(world.cert, BASE)
    links = {(a["associationType"], a["sourceId"], a["targetId"]) for a in subject["association"]}
    for part in world.parts:
        part_url = urls.achievement_url(part, BASE)
        assert ("isParentOf", cert_url, part_url) in links
        assert ("isPartOf", part_url, cert_url) in links
    result = verifier_for(factory, master_key, BASE).verify(document)
    assert result.verified, result.summary
    assert len(result.nested) == 4
    assert all(n.result.verified for n in result.nested)
    with session_scope(factory) as session:
        assert "transcript.clr_issued" in _actions(session)


def test_n_of_m_with_minimum_credits_and_approval(factory: sessionmaker[Session], world: World) -> None:
    with session_scope(factory) as session:
        pathways.create_pathway(
            session,
            achievement_id=world.cert,
            components=world.parts,
            rule="n_of_m",
            required_count=2,
            min_credits=3.0,
            issue_mode="approval",
        )
        _issue(session, world, 0)  # 1.0
        _issue(session, world, 1)  # 2.5 credits: two components but too few credits
        [state] = pathways.earner_progress(session, world.earner, BASE)
        assert state.done_count == 2 and not state.met and state.reasons == ["2.5 of 3 credits"]
        _issue(session, world, 2)  # 4.5
        completion = session.scalars(select(PathwayCompletion)).one()
        assert completion.status == "pending" and completion.award_id is None
        assert "pathway.queued" in _actions(session)
        award = issuing.approve_pathway_completion(session, completion.id, base_url=BASE, master_key=world.mk)
        assert award.achievement_id == world.cert and completion.status == "issued"
        with pytest.raises(Conflict):
            issuing.approve_pathway_completion(session, completion.id, base_url=BASE, master_key=world.mk)
        assert "pathway.approved" in _actions(session)


def test_n_of_m_issues_on_the_nth_and_ordering_is_checked(factory: sessionmaker[Session], world: World) -> None:
    with session_scope(factory) as session:
        pathways.create_pathway(
            session, achievement_id=world.cert, components=world.parts, rule="n_of_m", required_count=2
        )
        _issue(session, world, 2)
        _issue(session, world, 0)
        assert session.scalars(select(PathwayCompletion)).one().status == "issued"
    with session_scope(factory) as session:
        second = _issue(session, world, 0, earner=world.other, issued_at=datetime.now(UTC) - timedelta(hours=1))
        assert second is not None
    # an ordered pathway: earned out of order does not count
    with session_scope(factory) as session:
        from microcred.catalog import services as catalog

        org_cert = catalog.create_achievement(
            session,
            issuer_id=world.org_id,
            name="Ordered Certificate",
            description="In order.",
            criteria_narrative="In order.",
            workload_hours=1,
            outcomes=[
                {"statement": "x", "kind": "knowledge", "alignments": [{"target_url": SQL_SKILL, "target_name": "SQL"}]}
            ],
            achievement_type="Certificate",
            publish=True,
        )
        pathways.create_pathway(session, achievement_id=org_cert.id, components=world.parts[1::-1], ordered=True)
        _issue(session, world, 1, earner=world.other)  # parts[0] (earlier) then parts[1]: wrong order
        state = next(s for s in pathways.earner_progress(session, world.other, BASE) if s.name == "Ordered Certificate")
        assert state.done_count == 2 and not state.met
        assert state.reasons == ["components were not completed in the required order"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"components": []}, "at least one component"),
        ({"rule": "n_of_m"}, "required_count"),
        ({"rule": "n_of_m", "required_count": 4}, "between 1 and the number of components"),
        ({"rule": "all_of", "required_count": 2}, "only for an n_of_m"),
        ({"min_credits": -1}, "non-negative"),
        ({"issue_mode": "later"}, "issue_mode must be one of"),
        ({"components": [{"label": "nothing"}]}, "give an achievement_id"),
    ],
)
def test_pathway_definitions_are_validated(
    factory: sessionmaker[Session], world: World, kwargs: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {"components": world.parts, **kwargs}
    with session_scope(factory) as session, pytest.raises(InvalidInput, match=message):
        pathways.create_pathway(session, achievement_id=world.cert, **values)


def _external(earner_email: str, salt: str, *, key: Ed25519Key, achievement_id: str) -> dict[str, Any]:
    credential = ob.build_achievement_credential(
        credential_id=f"https://partner.example/credentials/{uuid.uuid4()}",
        issuer=ob.IssuerProfile(id=key.did_key, name="Partner Academy"),
        achievement=ob.AchievementDefinition(
            id=achievement_id,
            name="SQL for Analysts",
            description="SQL.",
            criteria_narrative="Exam.",
            credits_available=2.0,
            outcomes=(
                ob.Outcome(
                    id=f"{achievement_id}#o1",
                    statement="Write SQL",
                    kind="skill",
                    alignments=(ob.AlignmentTarget(SQL_SKILL, "SQL", "ESCO v1.1.1"),),
                ),
            ),
        ),
        subject=ob.SubjectIdentity(email=earner_email, salt=salt),
        valid_from=datetime.now(UTC) - timedelta(days=3),
    )
    return sign_data_integrity(credential, key, key.did_key_verification_method)


def test_external_credential_counts_toward_a_pathway_by_alignment(
    factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    verify = verifier_for(factory, master_key, BASE).verify
    key = Ed25519Key.generate()
    with session_scope(factory) as session:
        pathways.create_pathway(
            session,
            achievement_id=world.cert,
            components=[world.parts[0], {"alignment_url": SQL_SKILL, "label": "Any SQL credential"}],
        )
        ana = earners.get_earner(session, world.earner)
        good = _external(ana.email, "s4lt", key=key, achievement_id="https://partner.example/achievements/sql")
        tampered = json.loads(json.dumps(good))
        tampered["credentialSubject"]["achievement"]["name"] = "SQL for Experts"
        with pytest.raises(external.NotVerified) as caught:
            issuing.add_external_credential(
                session, ana.id, tampered, verify=verify, base_url=BASE, master_key=world.mk
            )
        assert any("proof" in r for r in caught.value.reasons)
        someone_else = _external("zed@example.org", "s4lt", key=key, achievement_id="https://partner.example/a/x")
        with pytest.raises(InvalidInput, match="not about you"):
            issuing.add_external_credential(
                session, ana.id, someone_else, verify=verify, base_url=BASE, master_key=world.mk
            )
        _issue(session, world, 0)
        assert session.scalars(select(PathwayCompletion)).first() is None
        row = issuing.add_external_credential(session, ana.id, good, verify=verify, base_url=BASE, master_key=world.mk)
        assert row.alignment_urls == [SQL_SKILL] and row.credits == 2.0
        with pytest.raises(Conflict):
            issuing.add_external_credential(session, ana.id, good, verify=verify, base_url=BASE, master_key=world.mk)
        completion = session.scalars(select(PathwayCompletion)).one()
        assert completion.status == "issued"
        assert [p["kind"] for p in completion.parts] == ["award", "external"]
        assert "external_credential.added" in _actions(session)


def test_external_credential_counts_by_achievement_id(
    factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    verify = verifier_for(factory, master_key, BASE).verify
    with session_scope(factory) as session:
        accepted = "https://partner.example/achievements/knives"
        pathways.create_pathway(
            session,
            achievement_id=world.cert,
            components=[{"achievement_id": str(world.parts[1]), "external_achievement_id": accepted}],
        )
        ana = earners.get_earner(session, world.earner)
        doc = _external(ana.email, "pepper", key=Ed25519Key.generate(), achievement_id=accepted)
        issuing.add_external_credential(session, ana.id, doc, verify=verify, base_url=BASE, master_key=world.mk)
        assert session.scalars(select(PathwayCompletion)).one().status == "issued"


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_registrar_pdf_and_csv_in_english_and_french(factory: sessionmaker[Session], world: World) -> None:
    with session_scope(factory) as session:
        records.set_achievement_record(
            session,
            world.parts[2],
            {"human_code": "MNU-210", "credit_unit": "Semester", "eqf_level": 5, "grading_scheme": "percent"},
        )
        records.set_achievement_record(session, world.parts[0], {"grading_scheme": "pass_fail"})
        _issue(
            session,
            world,
            0,
            transcript={"result": "pass", "term": "Winter 2026"},
            issued_at=datetime.now(UTC) - timedelta(days=2),
        )
        award = _issue(session, world, 2, transcript={"term": "Fall 2026", "result": "87.5", "credits_earned": 1.5})
        data = registrar.transcript(session, earners.get_earner(session, world.earner), base_url=BASE)
    url = urls.credential_url(award.id, BASE)
    assert [r.title for r in data.rows] == ["Food Safety", "Menu Costing"]

    english = translations("en").gettext
    french = translations("fr").gettext
    rows = list(csv.reader(io.StringIO(registrar.to_csv(data, lang="en", gettext=english))))
    assert rows[0][:4] == ["Code", "Title", "Term", "Hours"]
    line = dict(zip(rows[0], rows[2], strict=True))
    assert line["Code"] == "MNU-210" and line["Credits"] == "1.5" and line["Credit unit"] == "Semester"
    assert line["Result"] == "87.5" and line["Level"] == "EQF 5" and line["Verification URL"] == url
    assert line["Issue date"] == award.issued_at.date().isoformat()
    assert dict(zip(rows[0], rows[1], strict=True))["Result"] == "Pass"
    fr_rows = list(csv.reader(io.StringIO(registrar.to_csv(data, lang="fr", gettext=french))))
    assert fr_rows[0][:3] == ["Code", "Titre", "Session"]
    assert dict(zip(fr_rows[0], fr_rows[1], strict=True))["Résultat"] == "Réussi"

    text = _pdf_text(registrar.to_pdf(data, lang="en", gettext=english))
    for expected in (
        "Transcript of micro-credentials",
        "Ana Lima",
        "MNU-210",
        "Menu Costing",
        "Fall 2026",
        "EQF 5",
        "87.5",
        "Pass",
        "semester credits",
        "Total credits: 2.5",
        url,
    ):
        assert expected in text.replace("\n", ""), expected
    text_fr = _pdf_text(registrar.to_pdf(data, lang="fr", gettext=french))
    for expected in (
        "Relevé de micro-attestations",
        "Apprenant·e : Ana Lima",
        "Réussi",
        "crédits semestriels",
        "Total des crédits : 2,5",
    ):
        assert expected in text_fr.replace("\n", ""), expected
