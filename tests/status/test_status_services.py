"""status: random, never-reused indexes (also across two OS processes on PostgreSQL), lists that fill and roll
over, lazily re-signed list credentials, and the reasons that never leave the database."""

from __future__ import annotations

import multiprocessing
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing
from microcred.audit import services as audit
from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.errors import Conflict, NotFound
from microcred.issuers import services as issuers
from microcred.status import services as status
from microcred.status.models import StatusEntry, StatusList
from microcred.vc.statuslist import MIN_ENTRIES, Bitstring
from support.instance import verifier_for

BASE = "http://127.0.0.1:8000"


@dataclass
class World:
    org_id: uuid.UUID
    achievement_id: uuid.UUID
    earner_id: uuid.UUID


@pytest.fixture
def world(
    factory: sessionmaker[Session],
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    master_key: bytes,
) -> World:
    with session_scope(factory) as session:
        org = make_org(session)
        issuers.ensure_signing_key(session, org, master_key=master_key)
        achievement = make_achievement(session, org.id)
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@example.org")
        return World(org.id, achievement.id, earner.id)


def _issue(factory: sessionmaker[Session], world: World, master_key: bytes) -> uuid.UUID:
    with session_scope(factory) as session:
        award = issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            base_url=BASE,
            master_key=master_key,
        )
        return award.id


def test_every_award_carries_one_revocation_entry_and_keeps_a_suspension_entry(
    factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    """OB 3.0 allows ONE credentialStatus (revocation, read by every status checker); the suspension entry is
    allocated too but stays with the issuer (its verifier reports a suspension as a hold)."""
    award_id = _issue(factory, world, master_key)
    with factory() as session:
        award = award_queries.get_award(session, award_id)
        doc = award_queries.credential_document(award)
        entries = {e.purpose: e for e in status.entries_for_award(session, award_id)}
        lists = {lst.id: lst for lst in status.list_lists(session, world.org_id)}
    entry = doc["credentialStatus"]
    assert isinstance(entry, dict) and entry["statusPurpose"] == "revocation"
    row = entries["revocation"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusListIndex"] == str(row.list_index)
    assert entry["statusListCredential"] == f"{BASE}/status/{row.status_list_id}"
    assert set(entries) == {"revocation", "suspension"}
    for purpose, stored in entries.items():
        assert lists[stored.status_list_id].purpose == purpose
        assert lists[stored.status_list_id].size == MIN_ENTRIES
    assert award.status == "active"


def test_signed_list_verifies_and_is_resigned_only_when_bits_change(
    factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    award_id = _issue(factory, world, master_key)
    with factory() as session:
        revocation = next(e for e in status.entries_for_award(session, award_id) if e.purpose == "revocation")
        list_id, index = revocation.status_list_id, revocation.list_index
    with session_scope(factory) as session:
        first = status.signed_list(session, list_id, base_url=BASE, master_key=master_key)
    with session_scope(factory) as session:
        again = status.signed_list(session, list_id, base_url=BASE, master_key=master_key)
    assert first.resigned and not again.resigned and again.etag == first.etag and again.text == first.text
    doc = first.document()
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert doc["credentialSubject"]["statusPurpose"] == "revocation"
    assert Bitstring.decode(doc["credentialSubject"]["encodedList"]).count() == 0
    list_check = verifier_for(factory, master_key, BASE).verify(doc)
    assert list_check.verified, list_check.summary
    assert not [c for c in list_check.checks if c.check == "status"]  # a list is never checked for status

    with session_scope(factory) as session:
        award_lifecycle.revoke_award(session, award_id, reason="Plagiarism found in the final project (case 2024-17)")
    with session_scope(factory) as session:
        changed = status.signed_list(session, list_id, base_url=BASE, master_key=master_key)
    assert changed.resigned and changed.etag != first.etag
    bits = Bitstring.decode(changed.document()["credentialSubject"]["encodedList"])
    assert bits.count() == 1 and bits.get(index)
    assert "Plagiarism" not in changed.text  # the reason never reaches the public list
    with factory() as session:
        assert "Plagiarism" not in award_queries.get_award(session, award_id).credential_json
        history = award_queries.status_history(session, award_id)
    assert [(h.action, h.reason) for h in history] == [
        ("revoked", "Plagiarism found in the final project (case 2024-17)")
    ]


def test_rotation_makes_the_list_resign_with_the_new_key(
    factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    award_id = _issue(factory, world, master_key)
    with factory() as session:
        list_id = status.entries_for_award(session, award_id)[0].status_list_id
    with session_scope(factory) as session:
        before = status.signed_list(session, list_id, base_url=BASE, master_key=master_key)
        new_key = issuers.rotate_signing_key(session, world.org_id, master_key=master_key)
    with session_scope(factory) as session:
        after = status.signed_list(session, list_id, base_url=BASE, master_key=lambda: master_key)
    assert after.resigned
    assert after.document()["proof"][0]["verificationMethod"].endswith(new_key.public_key_multibase)
    assert before.document()["proof"][0]["verificationMethod"] != after.document()["proof"][0]["verificationMethod"]


def test_full_lists_roll_over_and_indexes_never_repeat(
    factory: sessionmaker[Session], world: World, master_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(status, "LIST_SIZE", 8)
    for _ in range(11):
        _issue(factory, world, master_key)
    with factory() as session:
        lists = status.list_lists(session, world.org_id)
        rows = list(session.scalars(select(StatusEntry)))
    by_purpose = Counter(lst.purpose for lst in lists)
    assert by_purpose == {"revocation": 2, "suspension": 2}
    assert sorted((lst.purpose, lst.sequence, lst.full) for lst in lists) == [
        ("revocation", 1, True),
        ("revocation", 2, False),
        ("suspension", 1, True),
        ("suspension", 2, False),
    ]
    pairs = [(r.status_list_id, r.list_index) for r in rows]
    assert len(pairs) == 22 and len(set(pairs)) == 22
    assert all(0 <= r.list_index < 8 for r in rows)


def test_status_changes_and_their_rules(factory: sessionmaker[Session], world: World, master_key: bytes) -> None:
    award_id = _issue(factory, world, master_key)
    with session_scope(factory) as session:
        with pytest.raises(Conflict, match="not suspended"):
            award_lifecycle.reinstate_award(session, award_id)
        award_lifecycle.suspend_award(session, award_id, reason="under review")
        with pytest.raises(Conflict, match="already suspended"):
            award_lifecycle.suspend_award(session, award_id, reason="again")
        award_lifecycle.reinstate_award(session, award_id, reason="review closed")
        award_lifecycle.revoke_award(session, award_id, reason="fraud")
    with session_scope(factory) as session:
        for action in (award_lifecycle.suspend_award, award_lifecycle.revoke_award):
            with pytest.raises(Conflict, match="revoked"):
                action(session, award_id, reason="x")
        with pytest.raises(Conflict, match="revocation is permanent"):
            award_lifecycle.reinstate_award(session, award_id)
        with pytest.raises(NotFound):
            award_lifecycle.revoke_award(session, uuid.uuid4(), reason="x")
    with factory() as session:
        assert award_queries.get_award(session, award_id).status == "revoked"
        assert [h.action for h in award_queries.status_history(session, award_id)] == [
            "suspended",
            "reinstated",
            "revoked",
        ]
        versions = {lst.purpose: lst.version for lst in session.scalars(select(StatusList))}
    assert versions == {"revocation": 1, "suspension": 2}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_processes_issuing_at_once_never_share_an_index(
    db_url: str, factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    """Two OS processes (spawn) issue 80 awards each at the same moment against PostgreSQL. Lists of 128 entries
    force index collisions (the unique constraint makes the loser retry) and a roll-over to a second list."""
    from support.concurrent_issue import issue_many

    per_process, list_size = 80, 128
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(2)
    args = (db_url, master_key, str(world.achievement_id), str(world.earner_id), per_process, list_size, barrier)
    with ctx.Pool(2) as pool:
        results = [pool.apply_async(issue_many, args) for _ in range(2)]
        allocated = [item for r in results for item in r.get(timeout=240)]
    assert len(allocated) == 2 * per_process * 2  # two entries per award
    keys = [(list_id, index) for _, list_id, index in allocated]
    assert len(set(keys)) == len(keys), "an index was allocated twice"
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(StatusEntry)) == len(keys)
        lists = status.list_lists(session, world.org_id)
        db_keys = list(session.execute(select(StatusEntry.status_list_id, StatusEntry.list_index)))
        chain = audit.verify_chain(session)  # 160 concurrent "award.issued" appends did not fork the chain
    assert chain.intact and chain.entries >= 2 * per_process, chain.reason
    assert len(set(db_keys)) == len(db_keys) == 2 * per_process * 2
    assert sorted((lst.purpose, lst.sequence) for lst in lists) == [
        ("revocation", 1),
        ("revocation", 2),
        ("suspension", 1),
        ("suspension", 2),
    ]
    print(f"\nconcurrent issuance: {2 * per_process} awards from 2 processes, {len(keys)} indexes, 0 repeated")


def test_list_url_parsing() -> None:
    list_id = uuid.uuid4()
    assert status.parse_list_url(status.list_url(list_id, BASE + "/"), BASE) == list_id
    assert status.parse_list_url(f"{BASE}/status/nope", BASE) is None
    assert status.parse_list_url(f"https://elsewhere.example/status/{list_id}", BASE) is None
