"""Rubrics, the issuance gate, results and evidence in the signed credential, visibility, upload checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from assessments.conftest import PDF, PNG, Assessed, rubrics
from microcred import issuing
from microcred.assessments import services as assessments
from microcred.assessments.models import AssessmentDesign, AssessmentResult, Evidence
from microcred.assessments.storage import (
    EvidenceTooLarge,
    FolderStore,
    UnsupportedEvidenceType,
    sniff_content_type,
)
from microcred.awards import queries as awards
from microcred.db import session_scope
from microcred.errors import InvalidInput
from support.instance import verifier_for

BASE = "http://127.0.0.1:8000"


def _record_all_passing(session: Session, a: Assessed) -> None:
    for outcome, kwargs in ((1, {"level": "Exemplary"}), (2, {"score": 84}), (3, {"level": "Consistently"})):
        assessments.record_result(
            session,
            achievement_id=a.achievement_id,
            earner_id=a.earner_id,
            outcome=outcome,
            assessor="J. Chef",
            **kwargs,
        )


def _issue(session: Session, a: Assessed, master_key: bytes) -> Any:
    return issuing.issue_award(
        session, achievement_id=a.achievement_id, earner_id=a.earner_id, base_url=BASE, master_key=master_key
    )


def test_issuing_is_refused_until_every_outcome_has_a_passing_result(
    factory: sessionmaker[Session], assessed: Assessed, master_key: bytes
) -> None:
    with factory() as session:
        with pytest.raises(InvalidInput) as missing:
            _issue(session, assessed, master_key)
        for n in (1, 2, 3):
            assert f"outcome {n} (" in str(missing.value)
        assert "no recorded result" in str(missing.value)
    with session_scope(factory) as session:
        assessments.record_result(
            session,
            achievement_id=assessed.achievement_id,
            earner_id=assessed.earner_id,
            outcome=1,
            level="Exemplary",
            assessor="J. Chef",
        )
        failed = assessments.record_result(
            session,
            achievement_id=assessed.achievement_id,
            earner_id=assessed.earner_id,
            outcome=2,
            score=55,
            assessor="J. Chef",
        )
        assert failed.passed is False
    with factory() as session:
        with pytest.raises(InvalidInput) as gate:
            _issue(session, assessed, master_key)
        message = str(gate.value)
        assert "outcome 2 (" in message and "was not passed" in message
        assert "outcome 3 (" in message and "no recorded result" in message
        assert "outcome 1 (" not in message
        # explicit results cannot bypass the recorded ones
        with pytest.raises(InvalidInput, match="every outcome has a passing result"):
            issuing.issue_award(
                session,
                achievement_id=assessed.achievement_id,
                earner_id=assessed.earner_id,
                base_url=BASE,
                master_key=master_key,
                results=[{"outcome_id": str(o)} for o in assessed.outcome_ids],
            )
        assert awards.list_awards(session) == []


def test_rubric_results_and_public_evidence_round_trip_into_the_signed_credential(
    factory: sessionmaker[Session], assessed: Assessed, master_key: bytes, store: FolderStore
) -> None:
    a = assessed
    with session_scope(factory) as session:
        _record_all_passing(session, a)
        png = assessments.add_evidence(
            session,
            achievement_id=a.achievement_id,
            earner_id=a.earner_id,
            outcome=1,
            visibility="public",
            name="Temperature log photo",
            genre="Photograph",
            audience="Employers",
            file=assessments.FileUpload(PNG, "log.png"),
            store=store,
        )
        assessments.add_evidence(
            session,
            achievement_id=a.achievement_id,
            earner_id=a.earner_id,
            outcome=2,
            visibility="public",
            name="Written exam",
            narrative="Scored 84/100 on the food safety exam.",
            genre="Exam",
        )
        assessments.add_evidence(
            session,
            achievement_id=a.achievement_id,
            earner_id=a.earner_id,
            outcome=3,
            visibility="private",
            name="Assessor notes",
            narrative="SECRET-NARRATIVE: struggled on day one, fine after.",
        )
        private_file = assessments.add_evidence(
            session,
            achievement_id=a.achievement_id,
            earner_id=a.earner_id,
            visibility="private",
            name="Photo ID check",
            file=assessments.FileUpload(PDF, "id.pdf"),
            store=store,
        )
        award = _issue(session, a, master_key)
        award_id, png_id, private_id = award.id, png.id, private_file.id
    with factory() as session:
        award = awards.get_award(session, award_id)
        doc = awards.credential_document(award)
        text = award.credential_json + (award.credential_jwt or "")
        assert "SECRET-NARRATIVE" not in text and "Photo ID check" not in text and str(private_id) not in text
        achievement = doc["credentialSubject"]["achievement"]
        summative = next(e for e in doc["evidence"] if e["name"] == "Summative assessment")
        assert summative["genre"] == "observed performance"
        assert "identity was verified" in summative["narrative"]
        described = {rd["id"]: rd for rd in achievement["resultDescription"]}
        rd1 = described[f"urn:uuid:{a.outcome_ids[0]}"]
        kind = [al for al in rd1["alignment"] if al["targetType"] == "ext:OutcomeKind"]
        assert rd1["resultType"] == "RubricCriterionLevel" and kind[0]["targetCode"] == "knowledge"
        levels = {lv["name"]: lv["id"] for lv in rd1["rubricCriterionLevel"]}
        assert rd1["requiredLevel"] == levels["Proficient"]
        assert [lv["points"] for lv in rd1["rubricCriterionLevel"]] == ["1", "2", "3"]
        rd2 = described[f"urn:uuid:{a.outcome_ids[1]}"]
        assert (rd2["resultType"], rd2["valueMin"], rd2["valueMax"], rd2["requiredValue"]) == (
            "RawScore",
            "0",
            "100",
            "70",
        )
        results = {r["resultDescription"]: r for r in doc["credentialSubject"]["result"]}
        assert results[rd1["id"]]["achievedLevel"] == levels["Exemplary"]
        assert results[rd2["id"]]["value"] == "84"
        evidence = doc["evidence"]
        assert [e["name"] for e in evidence] == ["Temperature log photo", "Written exam", "Summative assessment"]
        assert evidence[0]["id"] == f"{BASE}/evidence/{png_id}"
        assert evidence[0]["narrative"].endswith("Learning outcome: " + rd1["name"])
        assert (evidence[0]["genre"], evidence[0]["audience"]) == ("Photograph", "Employers")
        assert evidence[1]["narrative"].startswith("Scored 84/100")
        stored = {r["outcome_id"]: r for r in award.results}
        assert stored[str(a.outcome_ids[1])]["score"] == 84
        # what the public endpoint serves: the public file only
        data, content_type = assessments.public_evidence_file(session, png_id, store)
        assert (data, content_type) == (PNG, "image/png")
        with pytest.raises(Exception, match="no such public evidence"):
            assessments.public_evidence_file(session, private_id, store)
    result = verifier_for(factory, master_key, BASE).verify(doc)
    assert result.verified, [c for c in result.checks if not c.passed]


def test_renewal_of_an_assessed_award_uses_the_recorded_results(
    factory: sessionmaker[Session], assessed: Assessed, master_key: bytes
) -> None:
    with session_scope(factory) as session:
        _record_all_passing(session, assessed)
        with pytest.raises(InvalidInput, match="assessed on rubrics"):  # explicit results cannot bypass them
            issuing.issue_award(
                session,
                achievement_id=assessed.achievement_id,
                earner_id=assessed.earner_id,
                base_url=BASE,
                master_key=master_key,
                results=[{"outcome_id": str(o)} for o in assessed.outcome_ids],
            )
        old = _issue(session, assessed, master_key)
        new = issuing.renew_award(session, old.id, base_url=BASE, master_key=master_key)
        doc = awards.credential_document(new)
        assert {r.get("achievedLevel") is not None for r in doc["credentialSubject"]["result"]} == {True, False}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop(), "every outcome needs a rubric; missing: outcome 3"),
        (lambda r: r.append({"outcome": 1, "levels": ["a", "b"], "required_level": 1}), "two rubrics"),
        (lambda r: r[0].update(required_level="Legendary"), "not one of its levels"),
        (lambda r: r[0].update(levels=["only one"]), "at least two levels"),
        (lambda r: r[1].update(score={"min": 0, "max": 100, "required": 170}), "min <= required <= max"),
        (lambda r: r[1].update(levels=["a", "b"]), "not both"),
        (lambda r: r[2].update(outcome=9), "has no outcome 9"),
        (lambda r: r[2].update(colour="red"), "unknown rubric 3 field"),
    ],
)
def test_bad_rubrics_are_refused_and_write_nothing(
    factory: sessionmaker[Session],
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    change: Callable[[list[dict[str, Any]]], Any],
    message: str,
) -> None:
    with session_scope(factory) as session:
        achievement_id = make_achievement(session, make_org(session).id, publish=False).id
    specs = rubrics()
    change(specs)
    with factory() as session:
        with pytest.raises(InvalidInput, match=message):
            assessments.define_assessment(session, achievement_id, method="exam", rubrics=specs)
        session.rollback()
        assert session.scalar(select(func.count()).select_from(AssessmentDesign)) == 0
    with factory() as session, pytest.raises(InvalidInput, match="method"):
        assessments.define_assessment(session, achievement_id, method="vibes", rubrics=rubrics())


def test_a_published_achievements_assessment_is_frozen(factory: sessionmaker[Session], assessed: Assessed) -> None:
    with factory() as session, pytest.raises(InvalidInput, match="published"):
        assessments.define_assessment(session, assessed.achievement_id, method="exam", rubrics=rubrics())


def test_results_must_fit_the_rubric(factory: sessionmaker[Session], assessed: Assessed) -> None:
    a = assessed
    cases: list[tuple[dict[str, Any], str]] = [
        ({"outcome": 1, "score": 80}, "give the level achieved"),
        ({"outcome": 1, "level": "Heroic"}, "not one of its levels"),
        ({"outcome": 2, "level": "Proficient"}, "give the score"),
        ({"outcome": 2, "score": 101}, "outside 0-100"),
        ({"outcome": 2, "score": "NaN"}, "finite"),
        ({"outcome": "nonsense", "score": 1}, "neither an outcome id"),
    ]
    for kwargs, message in cases:
        with factory() as session, pytest.raises(InvalidInput, match=message):
            assessments.record_result(
                session, achievement_id=a.achievement_id, earner_id=a.earner_id, assessor="x", **kwargs
            )
    with session_scope(factory) as session:
        by_id = assessments.record_result(
            session,
            achievement_id=a.achievement_id,
            earner_id=a.earner_id,
            outcome=str(a.outcome_ids[0]),
            level="proficient",
            assessor="x",
        )
        assert by_id.passed
        again = assessments.record_result(
            session, achievement_id=a.achievement_id, earner_id=a.earner_id, outcome=1, level=1, assessor="y"
        )
        assert again.id == by_id.id and not again.passed  # recording again replaces
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(AssessmentResult)) == 1


def test_uploads_are_checked_by_their_bytes_and_size(
    factory: sessionmaker[Session], assessed: Assessed, store: FolderStore
) -> None:
    a = assessed

    def add(data: bytes, name: str, **kwargs: Any) -> Evidence:
        return assessments.add_evidence(
            session,
            achievement_id=a.achievement_id,
            earner_id=a.earner_id,
            visibility="public",
            file=assessments.FileUpload(data, name),
            store=store,
            **kwargs,
        )

    with factory() as session:
        with pytest.raises(UnsupportedEvidenceType, match="PDF, PNG, JPEG or plain text"):
            add(b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "report.pdf")  # an executable named .pdf
        with pytest.raises(UnsupportedEvidenceType):
            add(b"GIF89a\x01\x00", "image.png")
        with pytest.raises(EvidenceTooLarge, match="larger than the limit of 64 bytes"):
            add(b"%PDF-" + b"x" * 100, "big.pdf", max_bytes=64)
        with pytest.raises(InvalidInput, match="empty"):
            add(b"", "empty.txt")
        with pytest.raises(InvalidInput, match="not both"):
            add(PNG, "a.png", url="https://example.org/x")
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0
    assert not any(p.is_file() for p in store.root.rglob("*")) if store.root.exists() else True
    with session_scope(factory) as session:
        text = add("Reflection — «été» ✓\n".encode(), "notes.png")  # the name says PNG, the bytes say text
        jpeg = add(b"\xff\xd8\xff\xe0" + b"\x00" * 20, "photo.txt")
        twice = add(PNG, "a.png")
        again = add(PNG, "b.png")
        assert (text.file_type, jpeg.file_type) == ("text/plain", "image/jpeg")
        assert twice.file_sha256 == again.file_sha256 and twice.id != again.id
    blob = store.root / twice.file_sha256[:2] / twice.file_sha256[2:4] / twice.file_sha256  # type: ignore[index]
    assert blob.read_bytes() == PNG
    assert sniff_content_type(b"\x00\x01binary") is None


def test_evidence_json_hides_private_file_urls(
    factory: sessionmaker[Session], assessed: Assessed, store: FolderStore
) -> None:
    with session_scope(factory) as session:
        row = assessments.add_evidence(
            session,
            achievement_id=assessed.achievement_id,
            earner_id=assessed.earner_id,
            visibility="private",
            file=assessments.FileUpload(PDF, "x.pdf"),
            store=store,
        )
        doc = assessments.evidence_json(row, BASE)
    assert doc["file"]["url"] is None and doc["file"]["content_type"] == "application/pdf"
    assert json.dumps(doc)
