"""Append to, verify and export the hash-chained audit log.

`record()` runs inside the caller's transaction (services flush, never commit), so an event is logged exactly
when what it describes is committed. The actor comes from `acting_as(...)` (CLI: ``cli:<user>``, web: ``api``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from microcred.db.base import utcnow

_actor: ContextVar[str] = ContextVar("microcred_audit_actor", default="system")


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


def entry_hash(
    *, seq: int, at: datetime, actor: str, action: str, subject: str, details: Any, prev_hash: str
) -> str:
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


def record(
    session: Session,
    action: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> AuditEntry:
    """Append one event to the chain, in the caller's transaction."""
    head = _lock_head(session)  # the locked row, as committed by whoever appended last
    at = utcnow()
    payload = dict(details or {})
    who = actor or current_actor()
    seq = head.seq + 1
    digest = entry_hash(
        seq=seq, at=at, actor=who, action=action, subject=subject, details=payload, prev_hash=head.hash
    )
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
    intact: bool
    entries: int
    broken_seq: int | None = None
    reason: str = ""


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
                False, count, expected_seq, f"entry {expected_seq} is missing (the next one is {row.seq}): deleted?"
            )
        if row.prev_hash != prev:
            return ChainReport(
                False, count, row.seq, f"entry {row.seq} does not follow entry {row.seq - 1}: removed or reordered?"
            )
        if _row_hash(row) != row.hash:
            return ChainReport(False, count, row.seq, f"entry {row.seq} does not match its hash: edited?")
        prev = row.hash
        expected_seq += 1
    head = session.get(AuditHead, 1)
    last = expected_seq - 1
    if head is not None and (head.seq != last or head.hash != prev):
        if head.seq > last:
            return ChainReport(False, count, last + 1, f"entry {last + 1} is missing (the log ends early): deleted?")
        return ChainReport(False, count, head.seq, f"the chain head does not match entry {last}")
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
