"""awards: issuing (build -> validate -> sign -> store, all or nothing), listing, export, verification."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing, urls
from microcred.awards import queries as awards
from microcred.awards.models import Award, EvidenceItem
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.errors import InvalidInput, NotFound
from microcred.issuers import services as issuers
from microcred.issuers.models import SigningKey
from microcred.issuing import EvidenceInput, ResultInput
from support.instance import verifier_for

BASE = "http://127.0.0.1:8000"


@dataclass
class World:
    org_id: uuid.UUID
    achievement_id: uuid.UUID
    outcome_ids: list[uuid.UUID]
    earner_id: uuid.UUID


@pytest.fixture
def world(factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any]) -> World:
    with session_scope(factory) as session:
        org = make_org(session)
        achievement = make_achievement(session, org.id)
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@example.org")
        return World(org.id, achievement.id, [o.id for o in achievement.outcomes], earner.id)


def _verifier(factory: sessionmaker[Session], master_key: bytes) -> Any:
    return verifier_for(factory, master_key, BASE)


def _count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_issue_award_stores_signed_di_and_jwt(factory: sessionmaker[Session], world: World, master_key: bytes) -> None:
    with session_scope(factory) as session:
        award = issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            evidence=[
                EvidenceInput(name="Practical", narrative="Cooked safely.", genre="Assessment", audience="Employers"),
                {"name": "Portfolio", "url": "https://portfolio.example/amara"},
            ],
            results=[ResultInput(world.outcome_ids[0], "Completed", "A"), {"outcome_id": str(world.outcome_ids[1])}],
            valid_until=datetime.now(UTC) + timedelta(days=365),
            base_url=BASE,
            master_key=master_key,
        )
        award_id = award.id
    with factory() as session:
        award = awards.get_award(session, award_id)
        doc = awards.credential_document(award)
        assert doc["id"] == f"{BASE}/credentials/{award_id}" == urls.credential_url(award_id, BASE)
        assert doc["issuer"]["id"] == issuers.did_for(world.org_id, BASE)
        assert doc["proof"][0]["verificationMethod"].startswith(issuers.did_for(world.org_id, BASE) + "#")
        subject = doc["credentialSubject"]
        assert "amara@example.org" not in json.dumps(doc)  # only the salted hash
        assert subject["identifier"][0]["hashed"] is True
        assert subject["achievement"]["achievementType"] == "MicroCredential"
        assert len(subject["achievement"]["resultDescription"]) == 3
        assert [r["status"] for r in subject["result"]] == ["Completed", "Completed"]
        assert [e.get("name") for e in doc["evidence"]] == ["Practical", "Portfolio"]
        assert doc["evidence"][1]["id"] == "https://portfolio.example/amara"
        assert award.results == [
            {"outcome_id": str(world.outcome_ids[0]), "status": "Completed", "value": "A"},
            {"outcome_id": str(world.outcome_ids[1]), "status": "Completed", "value": None},
        ]
        assert [e.name for e in award.evidence] == ["Practical", "Portfolio"]
        assert award.format == "di" and award.credential_jwt and award.credential_jwt.count(".") == 2
        assert award.valid_until is not None and award.issued_at.microsecond == 0
        key = session.get(SigningKey, award.signing_key_id)
        assert key is not None and key.organisation_id == world.org_id
        assert awards.export_award(award) == award.credential_json
        assert awards.export_award(award, "jwt") == award.credential_jwt

        verifier = _verifier(factory, master_key)
        result = verifier.verify(doc)
        assert result.verified, [(c.check, c.reason) for c in result.checks if not c.passed]
        jwt_result = verifier.verify(award.credential_jwt)
        assert jwt_result.verified, [(c.check, c.reason) for c in jwt_result.checks if not c.passed]


def test_default_results_mark_every_outcome_completed(session: Session, world: World, master_key: bytes) -> None:
    award = issuing.issue_award(
        session, achievement_id=world.achievement_id, earner_id=world.earner_id, base_url=BASE, master_key=master_key
    )
    assert [r["outcome_id"] for r in award.results] == [str(i) for i in world.outcome_ids]
    assert {r["status"] for r in award.results} == {"Completed"}


def test_refuses_unpublished_achievements(
    session: Session, world: World, make_achievement: Callable[..., Any], master_key: bytes
) -> None:
    draft = make_achievement(session, world.org_id, name="Draft", publish=False)
    with pytest.raises(InvalidInput, match="not published"):
        issuing.issue_award(
            session, achievement_id=draft.id, earner_id=world.earner_id, base_url=BASE, master_key=master_key
        )
    assert _count(session, Award) == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"results": [{"outcome_id": "nonsense"}]}, InvalidInput, "invalid outcome id"),
        ({"results": [{"outcome_id": str(uuid.uuid4())}]}, InvalidInput, "not an outcome of this achievement"),
        ({"results": [{"outcome_id": "X", "grade": 1}]}, InvalidInput, "unknown result field"),
        ({"results": [{}]}, InvalidInput, "missing required"),
        ({"evidence": [{}]}, InvalidInput, "at least a name"),
        ({"evidence": [{"url": "ftp://x"}]}, InvalidInput, "http"),
        ({"evidence": ["text"]}, InvalidInput, "must be an object"),
        ({"format": "pdf"}, InvalidInput, "format must be one of"),
        ({"valid_from": datetime(2030, 1, 1)}, InvalidInput, "timezone-aware"),
        (
            {"valid_from": datetime(2030, 1, 1, tzinfo=UTC), "valid_until": datetime(2029, 1, 1, tzinfo=UTC)},
            InvalidInput,
            "later than valid_from",
        ),
        ({"earner_id": uuid.uuid4()}, NotFound, "no earner"),
        ({"achievement_id": uuid.uuid4()}, NotFound, "no achievement"),
    ],
)
def test_invalid_requests(
    session: Session, world: World, master_key: bytes, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    values: dict[str, Any] = {"achievement_id": world.achievement_id, "earner_id": world.earner_id}
    values.update(kwargs)
    with pytest.raises(error, match=message):
        issuing.issue_award(session, base_url=BASE, master_key=master_key, **values)
    assert _count(session, Award) == 0


def test_duplicate_result_for_an_outcome(session: Session, world: World, master_key: bytes) -> None:
    outcome = str(world.outcome_ids[0])
    with pytest.raises(InvalidInput, match="two results"):
        issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            results=[{"outcome_id": outcome}, {"outcome_id": outcome, "status": "Failed"}],
            base_url=BASE,
            master_key=master_key,
        )


@pytest.mark.parametrize("failing", ["sign_jwt", "sign_data_integrity"])
def test_issuing_is_all_or_nothing(
    factory: sessionmaker[Session],
    world: World,
    master_key: bytes,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    from microcred.issuing import pipeline

    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("signer crashed")

    monkeypatch.setattr(pipeline, failing, boom)  # the pipeline's signing step
    # A caller that catches the error and commits what is left must still find nothing half-written.
    with factory() as session:
        with pytest.raises(RuntimeError, match="signer crashed"):
            issuing.issue_award(
                session,
                achievement_id=world.achievement_id,
                earner_id=world.earner_id,
                evidence=[{"name": "Practical"}],
                base_url=BASE,
                master_key=master_key,
            )
        session.commit()
    with factory() as session:
        assert _count(session, Award) == 0
        assert _count(session, EvidenceItem) == 0
        assert _count(session, SigningKey) == 0  # the key generated mid-issue was rolled back too
    # and inside a session_scope the exception rolls back the whole unit of work
    with pytest.raises(RuntimeError), session_scope(factory) as session:
        earners.create_earner(session, name="Other", email="other@example.org")
        issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            base_url=BASE,
            master_key=master_key,
        )
    with factory() as session:
        assert _count(session, Award) == 0
        assert earners.find_earner_by_email(session, "other@example.org") is None


def test_schema_failure_becomes_invalid_input(
    session: Session, world: World, master_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from microcred.vc import ob
    from microcred.vc.errors import SchemaValidationError

    def invalid(**_kwargs: Any) -> Any:
        raise SchemaValidationError(["issuer: required"])

    monkeypatch.setattr(ob, "build_achievement_credential", invalid)
    with pytest.raises(InvalidInput, match="issuer: required"):
        issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            base_url=BASE,
            master_key=master_key,
        )
    assert _count(session, Award) == 0


def test_list_get_export_and_summaries(
    factory: sessionmaker[Session], world: World, make_achievement: Callable[..., Any], master_key: bytes
) -> None:
    with session_scope(factory) as session:
        other = earners.create_earner(session, name="Liam", email="liam@example.org")
        second = make_achievement(session, world.org_id, name="Second")
        t0 = datetime(2025, 1, 1, tzinfo=UTC)
        first_award = issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            base_url=BASE,
            issued_at=t0,
            master_key=master_key,
        )
        second_award = issuing.issue_award(
            session,
            achievement_id=second.id,
            earner_id=other.id,
            base_url=BASE,
            issued_at=t0 + timedelta(days=1),
            format="jwt",
            master_key=master_key,
        )
        ids = (first_award.id, second_award.id, other.id, second.id)
    with factory() as session:
        assert [a.id for a in awards.list_awards(session)] == [ids[1], ids[0]]  # newest first
        assert [a.id for a in awards.list_awards(session, earner_id=ids[2])] == [ids[1]]
        assert [a.id for a in awards.list_awards(session, achievement_id=world.achievement_id)] == [ids[0]]
        assert len(awards.list_awards(session, limit=1)) == 1
        summaries = awards.award_summaries(session)
        assert [s.earner_name for s in summaries] == ["Liam", "Amara Okafor"]
        data = summaries[0].to_json(BASE)
        assert data["format"] == "jwt" and data["achievement"] == "Second"
        assert data["url"] == f"{BASE}/credentials/{ids[1]}"
        assert data["issuer"] == "Test College" and data["valid_until"] is None
        award = awards.get_award(session, ids[1])
        assert awards.export_award(award, "jwt") == award.credential_jwt
        with pytest.raises(InvalidInput):
            awards.export_award(award, "xml")
        award.credential_jwt = None
        with pytest.raises(InvalidInput, match="no JWT"):
            awards.export_award(award, "jwt")
        with pytest.raises(NotFound):
            awards.get_award(session, uuid.uuid4())
        assert awards.find_award(session, "nope") is None
        assert "Award(" in repr(award) and "EvidenceItem(" in repr(EvidenceItem(name="x"))


def test_old_awards_verify_after_rotation_and_compromise_is_reported(
    factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    with session_scope(factory) as session:
        award = issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            base_url=BASE,
            master_key=master_key,
        )
        issuers.rotate_signing_key(session, world.org_id, master_key=master_key)
        award_id, key_id = award.id, award.signing_key_id
    with factory() as session:
        doc = awards.credential_document(awards.get_award(session, award_id))
    assert _verifier(factory, master_key).verify(doc).verified  # retired keys stay resolvable

    with session_scope(factory) as session:
        issuers.mark_key_compromised(session, key_id, since=datetime(2000, 1, 1, tzinfo=UTC))
    resolved = issuers.InstanceKeyResolver(factory, BASE).resolve(doc["proof"][0]["verificationMethod"])
    assert resolved.status == "compromised"


def test_validity_period_expiry_and_renewal(
    factory: sessionmaker[Session],
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    master_key: bytes,
) -> None:
    from microcred.catalog.services import add_months

    assert add_months(datetime(2024, 1, 31, tzinfo=UTC), 1) == datetime(2024, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2024, 11, 15, tzinfo=UTC), 14) == datetime(2026, 1, 15, tzinfo=UTC)
    start = datetime(2023, 1, 10, tzinfo=UTC)
    with session_scope(factory) as session:
        org = make_org(session)
        achievement = make_achievement(session, org.id, validity_months=12, validity_days=5)
        earner = earners.create_earner(session, name="Ada", email="ada@example.org")
        old = issuing.issue_award(
            session,
            achievement_id=achievement.id,
            earner_id=earner.id,
            valid_from=start,
            base_url=BASE,
            master_key=master_key,
        )
        old_id, old_json = old.id, old.credential_json
        assert old.valid_until == datetime(2024, 1, 15, tzinfo=UTC)
        with pytest.raises(InvalidInput):
            make_achievement(session, org.id, validity_months=-1)
    verifier = _verifier(factory, master_key)
    result = verifier.verify(json.loads(old_json))
    assert [c.reason for c in result.checks if not c.passed] == ["expired on 2024-01-15T00:00:00Z"]

    with session_scope(factory) as session:
        new = issuing.renew_award(session, old_id, base_url=BASE, master_key=master_key)
        new_id = new.id
        assert new.valid_until is not None and new.valid_until > datetime.now(UTC) + timedelta(days=360)
    with factory() as session:
        old, new = awards.get_award(session, old_id), awards.get_award(session, new_id)
        assert (old.replaced_by_id, new.replaces_id, new.replacement) == (new_id, old_id, "renewal")
        assert old.credential_json == old_json  # the old one is kept exactly as issued
        assert verifier.verify(awards.credential_document(new)).verified
        summary = awards.summarise(session, old).to_json(BASE)
        assert summary["replaced_by"] == str(new_id)
