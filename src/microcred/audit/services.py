"""Append to, verify and export the hash-chained audit log.

`record()` runs inside the caller's transaction (services flush, never commit), so an event is logged exactly
when what it describes is committed. The actor comes from `acting_as(...)` (CLI: ``cli:<user>``, web: ``api``).

Appending locks the chain's single head row until the transaction ends. A long transaction recording many events
(a bulk batch's chunk of 100 awards) would hold it from its first event on, and every other writer would wait:
inside `chained_at_end(session)` the events are written unchained (a temporary negative ``seq``, in the caller's
transaction and savepoints, so a rolled-back savepoint takes its events with it) and chained, in the order
recorded, under ONE head lock when the block ends, just before the caller commits.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from microcred.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from microcred.db.base import utcnow

_actor: ContextVar[str] = ContextVar("microcred_audit_actor", default="system")
_DEFERRED = "microcred_audit_deferred"  # Session.info key: the open `chained_at_end` block of that session
# Unchained entries take temporary seqs -(base + n), n < _SLOT, base a random multiple of _SLOT below 2**31 (seq is
# a 32-bit integer): two transactions' unchained entries collide with odds of about 1 in 500,000 per pair of blocks
# (the insert then fails and the caller's transaction is rolled back, as for any conflict).
_SLOT = 4096
_SLOTS = (2**31 - 1) // _SLOT - 1


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Attribute the events recorded inside this block to ``actor``."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> str:
    return _actor.get()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(*, seq: int, at: datetime, actor: str, action: str, subject: str, details: Any, prev_hash: str) -> str:
    body = {
        "seq": seq,
        "at": _timestamp(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    stmt = select(AuditHead).where(AuditHead.id == 1).with_for_update().execution_options(populate_existing=True)
    head = session.scalars(stmt).first()
    if head is None:  # pragma: no cover - the migration creates it
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


@dataclass
class _Deferred:
    """The unchained entries of one `chained_at_end` block: the temporary seqs handed out, in order."""

    base: int = 0
    used: int = _SLOT
    recorded: list[int] = field(default_factory=list)

    def next_seq(self) -> int:
        if self.used >= _SLOT:
            self.base, self.used = (1 + secrets.randbelow(_SLOTS)) * _SLOT, 0
        seq = -(self.base + self.used)
        self.used += 1
        self.recorded.append(seq)
        return seq


@contextmanager
def chained_at_end(session: Session) -> Iterator[None]:
    """Events recorded in ``session`` inside this block are chained when it ends, under one head lock, in the order
    they were recorded (those of a savepoint rolled back meanwhile are gone with it). The head is then locked only
    from the end of the block to the end of the caller's transaction: commit right after the block. If the block
    raises, nothing is chained and the caller's transaction must roll back. A block inside another does nothing
    more (the outer one chains)."""
    if _DEFERRED in session.info:
        yield
        return
    state = _Deferred()
    session.info[_DEFERRED] = state
    try:
        yield
    finally:
        session.info.pop(_DEFERRED, None)
    _chain(session, state)


def _chain(session: Session, state: _Deferred) -> None:
    """Give the block's surviving entries their places in the chain: seq, prev_hash and hash, one statement."""
    if not state.recorded:
        return
    session.flush()
    table = cast(Table, AuditEntry.__table__)
    found = {
        row.seq: row
        for row in session.execute(
            select(table.c.seq, table.c.at, table.c.actor, table.c.action, table.c.subject, table.c.details).where(
                table.c.seq < 0
            )
        )
    }
    order = [seq for seq in state.recorded if seq in found]
    order += sorted(set(found) - set(order), reverse=True)  # never expected: unchained entries of no block
    for entry in [o for o in session.identity_map.values() if isinstance(o, AuditEntry) and o.seq < 0]:
        session.expunge(entry)  # the statement below moves them: read again from the database if needed
    if not order:
        return
    head = _lock_head(session)
    seq, prev = head.seq, head.hash
    params = []
    for temporary in order:
        row = found[temporary]
        seq += 1
        digest = entry_hash(
            seq=seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            details=json.loads(row.details),
            prev_hash=prev,
        )
        params.append({"b_old": temporary, "b_seq": seq, "b_prev": prev, "b_hash": digest})
        prev = digest
    session.connection().execute(  # Core, executemany: the entries were expunged above
        update(table)
        .where(table.c.seq == bindparam("b_old"))
        .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), hash=bindparam("b_hash")),
        params,
    )
    head.seq, head.hash = seq, prev
    session.flush()


def record(
    session: Session,
    action: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> AuditEntry:
    """Append one event to the chain, in the caller's transaction (inside `chained_at_end`: written now, chained
    when the block ends; the entry's ``seq`` and hashes are temporary until then)."""
    at = utcnow()
    payload = dict(details or {})
    who = actor or current_actor()
    deferred = session.info.get(_DEFERRED)
    if isinstance(deferred, _Deferred):
        unchained = AuditEntry(
            seq=deferred.next_seq(),
            at=at,
            actor=who[:200],
            action=action,
            subject=subject,
            details=canonical_json(payload),
            prev_hash="",
            hash=f"unchained:{uuid.uuid4().hex}",
        )
        session.add(unchained)
        session.flush()
        return unchained
    head = _lock_head(session)  # the locked row, as committed by whoever appended last
    seq = head.seq + 1
    digest = entry_hash(seq=seq, at=at, actor=who, action=action, subject=subject, details=payload, prev_hash=head.hash)
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=who[:200],
        action=action,
        subject=subject,
        details=canonical_json(payload),
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(entry)
    head.seq, head.hash = seq, digest
    session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """``problem``: where the chain breaks, as a kind a page can word in its language: "missing" (an entry
    deleted), "order" (removed or reordered), "edited" (an entry changed), "head" (the head does not match)."""

    intact: bool
    entries: int
    broken_seq: int | None = None
    reason: str = ""
    problem: str = ""


def _row_hash(row: AuditEntry) -> str | None:
    try:
        details = json.loads(row.details)
    except ValueError:
        return None
    return entry_hash(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        details=details,
        prev_hash=row.prev_hash,
    )


def verify_chain(session: Session) -> ChainReport:
    """Recompute the chain from the first entry; report the first entry that was edited, removed or moved."""
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)).scalars()
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            return ChainReport(
                False,
                count,
                expected_seq,
                f"entry {expected_seq} is missing (the next one is {row.seq}): deleted?",
                "missing",
            )
        if row.prev_hash != prev:
            return ChainReport(
                False,
                count,
                row.seq,
                f"entry {row.seq} does not follow entry {row.seq - 1}: removed or reordered?",
                "order",
            )
        if _row_hash(row) != row.hash:
            return ChainReport(False, count, row.seq, f"entry {row.seq} does not match its hash: edited?", "edited")
        prev = row.hash
        expected_seq += 1
    head = session.get(AuditHead, 1)
    last = expected_seq - 1
    if head is not None and (head.seq != last or head.hash != prev):
        if head.seq > last:
            return ChainReport(
                False, count, last + 1, f"entry {last + 1} is missing (the log ends early): deleted?", "missing"
            )
        return ChainReport(False, count, head.seq, f"the chain head does not match entry {last}", "head")
    return ChainReport(True, count, None, f"{count} entries, chain intact")


def export_lines(session: Session) -> Iterator[str]:
    """The log as JSON Lines, oldest first."""
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)).scalars()
    for row in rows:
        yield canonical_json(
            {
                "seq": row.seq,
                "at": _timestamp(row.at),
                "actor": row.actor,
                "action": row.action,
                "subject": row.subject,
                "details": json.loads(row.details),
                "prev_hash": row.prev_hash,
                "hash": row.hash,
            }
        )


# -- reading the log ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditFilters:
    """What `list_entries` narrows the log to (each one given must hold): ``actor`` contains the text (any case);
    ``action`` is that action (``award.revoked``) or of that kind (``award``: every ``award.*``); ``subject`` is that
    subject (``award:<id>``) or any subject with that id; ``organisation``: entries about it (its subject) or whose
    details name its id (where the event records it); ``since`` <= time < ``until``; ``entry``: that one entry."""

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    organisation: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    entry: int | None = None


@dataclass(frozen=True)
class LoggedEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]


@dataclass(frozen=True)
class EntryPage:
    """One page of entries, newest first; ``total`` = every entry the filters keep."""

    entries: list[LoggedEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _conditions(filters: AuditFilters) -> list[Any]:
    table = AuditEntry
    where: list[Any] = [table.seq > 0]  # chained entries only (an open `chained_at_end` block's are not yet)
    if filters.actor:
        where.append(table.actor.icontains(filters.actor, autoescape=True))
    if filters.action:
        where.append(
            or_(table.action == filters.action, table.action.startswith(filters.action + ".", autoescape=True))
        )
    if filters.subject:
        text = filters.subject.strip()
        where.append(or_(table.subject == text, table.subject.endswith(":" + text, autoescape=True)))
    if filters.organisation:
        org = filters.organisation.strip()
        where.append(
            or_(table.subject == f"organisation:{org}", table.details.contains(canonical_json(org), autoescape=True))
        )
    if filters.since is not None:
        where.append(table.at >= filters.since)
    if filters.until is not None:
        where.append(table.at < filters.until)
    if filters.entry is not None:
        where.append(table.seq == filters.entry)
    return where


def list_entries(
    session: Session, filters: AuditFilters | None = None, *, page: int = 1, per_page: int = 50
) -> EntryPage:
    """The entries the filters keep, newest first, one page of ``per_page`` (1 to 500) at a time."""
    per_page = min(max(per_page, 1), 500)
    page = max(page, 1)
    where = _conditions(filters or AuditFilters())
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    rows = session.scalars(
        select(AuditEntry).where(*where).order_by(AuditEntry.seq.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    entries = [LoggedEntry(row.seq, row.at, row.actor, row.action, row.subject, _details(row.details)) for row in rows]
    return EntryPage(entries, total, page, per_page)


def _details(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:  # an edited row: shown as it is (verify_chain reports it)
        return {"unreadable": text[:500]}
    return value if isinstance(value, dict) else {"value": value}


def action_names(session: Session) -> list[str]:
    """Every action the log holds, sorted (for a filter's choices)."""
    return list(
        session.scalars(select(AuditEntry.action).where(AuditEntry.seq > 0).distinct().order_by(AuditEntry.action))
    )
