"""ownership.erasure: every owner of earner data erases (and moves, on a merge) its own rows, registered once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing
from microcred.accounts import services as accounts
from microcred.awards import queries as awards
from microcred.db import session_scope
from microcred.db.base import Base
from microcred.db.models import import_all_models
from microcred.earners import services as earners
from microcred.errors import Conflict
from microcred.idempotency import services as idempotency
from microcred.ownership import erasure, identity, nonces, oid4vci, sharing

BASE = "http://127.0.0.1:8000"
# rows an erasure keeps on purpose: the earner row itself (emptied) and the ledger of their awards
LEDGER = frozenset({"awards", "award_status_events", "status_entries", "earner_erasures"})


def _pointing_columns() -> list[tuple[Table, str, str]]:
    """(table, column, "earners" | "awards") for every column with a foreign key to an earner or an award."""
    import_all_models()
    out = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            for target in sorted({fk.column.table.name for fk in column.foreign_keys} & {"earners", "awards"}):
                out.append((table, column.name, target))
    return out


def test_every_table_pointing_at_an_earner_or_award_is_covered() -> None:
    """A new table holding earner data must be given to an owner (or kept on purpose), or erasure would miss it."""
    declared = [name for owner in erasure.OWNERS for name in owner.TABLES]
    assert len(declared) == len(set(declared)), "a table is claimed by two owners"
    covered = set(declared) | erasure.KEPT_TABLES
    pointing = {table.name for table, _, _ in _pointing_columns()}
    assert pointing - covered == set()
    assert covered - pointing - {"earner_erasures"} == set(), "an owner names a table that does not point here"
    assert set(erasure.KEPT_TABLES) <= LEDGER


@dataclass
class Held:
    earner_id: uuid.UUID
    award_ids: list[uuid.UUID]


def _hold_everything(session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any],
                     master_key: bytes, email: str, org: Any = None) -> Held:
    """An earner with a row in every kind of table that can point at them or their award."""
    org = org or make_org(session)
    achievement = make_achievement(session, org.id, name=f"Course for {email}")
    earner = earners.create_earner(session, name="Ada Lovelace", email=email)
    award = issuing.issue_award(session, achievement_id=achievement.id, earner_id=earner.id,
                                evidence=[{"name": "Portfolio", "url": "https://portfolio.example/ada"}],
                                base_url=BASE, master_key=master_key)
    accounts.create_user(session, email=email, name="Ada", role="earner", earner_id=earner.id)
    identity.add_email(session, earner, f"second.{email}")
    nonces.new_nonce(session, identity.DID_AUTH, earner_id=earner.id)
    sharing.set_share_choice(session, award, public=False)
    oid4vci.create_offer(session, award, base_url=BASE)
    row = idempotency.claim(session, actor="test", endpoint="issue", key=f"key-{uuid.uuid4()}", digest="d")
    assert not isinstance(row, idempotency.StoredResponse)
    idempotency.complete(session, row, status_code=201, body="{}", award_id=award.id)
    session.flush()
    return Held(earner.id, [award.id])


def _rows_about(session: Session, held: Held) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, column, target in _pointing_columns():
        values = [held.earner_id] if target == "earners" else held.award_ids
        n = int(session.scalar(select(func.count()).select_from(table).where(table.c[column].in_(values))) or 0)
        if n:
            counts[table.name] = counts.get(table.name, 0) + n
    return counts


def test_erasure_deletes_every_row_about_the_earner_but_the_ledger(
    factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any],
    master_key: bytes,
) -> None:
    with session_scope(factory) as session:
        held = _hold_everything(session, make_org, make_achievement, master_key, "ada@example.org")
        before = _rows_about(session, held)
    with session_scope(factory) as session:
        report = erasure.erase_earner(session, held.earner_id)
    assert report.awards_kept == 1
    with factory() as session:
        after = _rows_about(session, held)
        assert "evidence_items" in before and set(after) == (LEDGER & set(before)) | {"earner_erasures"}
        # what the report counts is exactly what went (evidence items go with the award's stripping, uncounted)
        gone = {t: before[t] - after.get(t, 0) for t in before if before[t] != after.get(t, 0)}
        assert report.rows_deleted == {t: n for t, n in gone.items() if t != "evidence_items"}
        assert set(report.rows_deleted) >= {"users", "earner_emails", "holder_nonces", "credential_shares",
                                           "wallet_offers", "idempotency_keys"}
        award = awards.get_award(session, held.award_ids[0])
        assert award.credential_jwt is None and award.results == [] and award.evidence == []
        assert earners.is_erased(session, held.earner_id)
        assert earners.get_earner(session, held.earner_id).name == "Erased earner"
    with session_scope(factory) as session, pytest.raises(Conflict):
        erasure.erase_earner(session, held.earner_id)


def test_merge_moves_every_row_of_the_other_earner(
    factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any],
    master_key: bytes,
) -> None:
    with session_scope(factory) as session:
        org = make_org(session)
        into = _hold_everything(session, make_org, make_achievement, master_key, "ada@example.org", org)
        other = earners.create_earner(session, name="Ada L.", email="ada.l@example.org", did="did:key:zOther")
        achievement = make_achievement(session, org.id, name="Another course")
        moved_award = issuing.issue_award(session, achievement_id=achievement.id, earner_id=other.id,
                                          base_url=BASE, master_key=master_key)
        nonces.new_nonce(session, identity.DID_AUTH, earner_id=other.id)
        other_id = other.id
    with session_scope(factory) as session:
        target, source = earners.get_earner(session, into.earner_id), earners.get_earner(session, other_id)
        assert identity.merge_earners(session, target, source) == 1
    with factory() as session:
        assert _rows_about(session, Held(other_id, [])) == {}
        assert awards.get_award(session, moved_award.id).earner_id == into.earner_id
        target = earners.get_earner(session, into.earner_id)
        assert target.did == "did:key:zOther"
        assert "ada.l@example.org" in identity.verified_addresses(session, target)
        assert earners.find_earner_by_email(session, "ada.l@example.org") == target
