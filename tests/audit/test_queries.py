"""audit's read side: `list_entries` narrows the chained log by actor, action or kind, subject or its id,
organisation (its subject or an id in the details), a time range and one entry, newest first, one page at a time;
`verify_chain` says what kind of break it found (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from microcred.audit import services as audit
from microcred.audit.models import AuditEntry

ORG = uuid.UUID("11111111-1111-4111-8111-111111111111")
OTHER = uuid.UUID("22222222-2222-4222-8222-222222222222")
AWARD = uuid.UUID("33333333-3333-4333-8333-333333333333")
DAY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def logged(factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    """Six events on six days, by three actors, one inside a `chained_at_end` block left open (never listed)."""
    events = [
        ("cli:root", "organisation.created", f"organisation:{ORG}", {"name": "College"}),
        ("web:ann@college.example", "achievement.created", "achievement:a1", {"issuer_id": str(ORG)}),
        ("web:ann@college.example", "award.issued", f"award:{AWARD}", {"achievement_id": "a1"}),
        ("api", "award.revoked", f"award:{AWARD}", {"reason_sha256": "ab"}),
        ("web:olga@other.example", "organisation.changed", f"organisation:{OTHER}", {"changed": {"name": "O"}}),
        ("system", "awardish.thing", "batch:b1", {"note": f"about {ORG}"}),  # an id in free text is no mention
    ]
    with factory() as session:
        for day, (actor, action, subject, details) in enumerate(events):
            monkeypatch.setattr(audit, "utcnow", lambda day=day: DAY + timedelta(days=day))
            audit.record(session, action, subject, details, actor=actor)
        session.commit()
    yield factory


def _seqs(session: Session, **filters: object) -> list[int]:
    return [e.seq for e in audit.list_entries(session, audit.AuditFilters(**filters)).entries]  # type: ignore[arg-type]


def test_filters_narrow_the_log(logged: sessionmaker[Session]) -> None:
    with logged() as session:
        assert _seqs(session) == [6, 5, 4, 3, 2, 1]  # newest first
        assert _seqs(session, actor="ANN@college") == [3, 2]  # part of the actor, any case
        assert _seqs(session, actor="%") == []  # a wildcard is a plain character
        assert _seqs(session, action="award") == [4, 3]  # a kind: award.*, not awardish.*
        assert _seqs(session, action="award.revoked") == [4]
        assert _seqs(session, subject=f"award:{AWARD}") == [4, 3]
        assert _seqs(session, subject=str(AWARD)) == [4, 3]  # the bare id
        assert _seqs(session, subject="a1") == [2]  # the subject's id, not an id in the details
        assert _seqs(session, organisation=str(ORG)) == [2, 1]  # its subject, or its id as a detail's value
        assert _seqs(session, organisation=str(OTHER)) == [5]
        assert _seqs(session, since=DAY + timedelta(days=2), until=DAY + timedelta(days=4)) == [4, 3]
        assert _seqs(session, actor="web:", since=DAY + timedelta(days=3)) == [5]  # every filter must hold
        assert _seqs(session, entry=4) == [4]
        entry = audit.list_entries(session, audit.AuditFilters(entry=5)).entries[0]
        assert (entry.actor, entry.action, entry.details) == ("web:olga@other.example", "organisation.changed",
                                                              {"changed": {"name": "O"}})  # fmt: skip
        assert entry.at == DAY + timedelta(days=4)
        assert audit.action_names(session) == sorted(
            ["organisation.created", "achievement.created", "award.issued", "award.revoked",
             "organisation.changed", "awardish.thing"]
        )  # fmt: skip


def test_pages_and_unchained_entries(logged: sessionmaker[Session]) -> None:
    with logged() as session:
        first = audit.list_entries(session, page=1, per_page=4)
        second = audit.list_entries(session, page=2, per_page=4)
        assert ([e.seq for e in first.entries], [e.seq for e in second.entries]) == ([6, 5, 4, 3], [2, 1])
        assert (first.total, first.pages, second.page) == (6, 2, 2)
        assert audit.list_entries(session, page=9, per_page=4).entries == []
        with audit.chained_at_end(session):
            audit.record(session, "award.issued", f"award:{uuid.uuid4()}")
            assert audit.list_entries(session).total == 6  # not chained yet: not listed
        assert audit.list_entries(session).total == 7


def test_verify_chain_names_the_kind_of_break(logged: sessionmaker[Session]) -> None:
    with logged() as session:
        assert audit.verify_chain(session).intact
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="someone else"))
        report = audit.verify_chain(session)
        assert (report.intact, report.broken_seq, report.problem) == (False, 3, "edited")
        session.rollback()
        session.execute(update(AuditEntry).where(AuditEntry.seq == 6).values(seq=8))
        report = audit.verify_chain(session)
        assert (report.intact, report.broken_seq, report.problem) == (False, 6, "missing")
        session.rollback()
