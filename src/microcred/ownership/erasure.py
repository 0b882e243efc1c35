"""Erasure: an earner deletes their account; the institution keeps only the minimum award ledger.

Kept (lawful basis: the institution's obligation to answer "was this credential issued, is it still valid?" for
credentials it signed and that their holder keeps using): each award's id, achievement, issuing key, dates, status
and status-list entries (so the earner's own copies keep verifying, and a revocation still reaches them), the
status history without its free-text reasons, and the salted identity hash the credentials carry
(``earner_erasures``). Removed: the earner's name, addresses, DID, accounts and sign-in links, hosted credential
copies (JSON-LD and JWT), results and evidence (rows and files no other record uses), sharing choices, wallet offers
and deliveries, transcript records, pathway completions and external credentials, and any other row that points at
the earner or at one of their awards. The audit log records the erasure with ids and counts only.

Each subsystem that holds rows about an earner erases its own (`<owner>/erasure.py`, an `EarnerDataOwner`), and
this module is the one place they are registered; tests/ownership checks that every table pointing at an earner or
an award is covered by an owner or explicitly kept, so a new table cannot be forgotten. Merging two earners
(`ownership.identity`) asks the same owners to move their rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from microcred.accounts import erasure as accounts_data
from microcred.assessments import erasure as assessments_data
from microcred.assessments.storage import EvidenceStore
from microcred.audit import services as audit
from microcred.awards import erasure as awards_data
from microcred.awards import queries as awards
from microcred.batches import erasure as batches_data
from microcred.earners import erasure as earners_data
from microcred.earners import services as earners
from microcred.earners.erasure import ERASED_NAME as ERASED_NAME
from microcred.errors import Conflict
from microcred.idempotency import erasure as idempotency_data
from microcred.ownership import holdings as ownership_data
from microcred.transcripts import erasure as transcripts_data
from microcred.vc import ob


class EarnerDataOwner(Protocol):
    """A subsystem holding rows about an earner (each `<owner>/erasure.py` module is one)."""

    # the tables (pointing at earners or awards) whose rows about an earner this owner deletes, strips or keeps
    TABLES: frozenset[str]

    def erase_earner_data(self, session: Session, earner_id: uuid.UUID, award_ids: Sequence[uuid.UUID]
                          ) -> dict[str, int]:
        """Delete (or strip) what it holds about the earner and their awards; rows deleted per table."""
        ...

    def move_earner_data(self, session: Session, from_id: uuid.UUID, into_id: uuid.UUID) -> None:
        """Re-point its rows of one earner at another (a merge); IntegrityError when they cannot coexist."""
        ...


# The one registry, in a safe order (no registered table references another one's rows, except users, whose
# sign-in links cascade; merges update in this order too).
OWNERS: tuple[EarnerDataOwner, ...] = (
    earners_data, ownership_data, accounts_data, awards_data, assessments_data, transcripts_data, idempotency_data,
    batches_data,
)
# rows that point at an erased earner's awards and are kept as they are (no personal data): the status-list
# entries keep a revocation reaching the earner's own copies
KEPT_TABLES = frozenset({"status_entries"})


@dataclass
class ErasureReport:
    earner_id: uuid.UUID
    awards_kept: int
    rows_deleted: dict[str, int] = field(default_factory=dict)
    files_deleted: int = 0


def is_erased(session: Session, earner_id: uuid.UUID) -> bool:
    return earners.is_erased(session, earner_id)


def erase_earner(session: Session, earner_id: uuid.UUID | str, *, store: EvidenceStore | None = None) -> ErasureReport:
    """Erase once: the earner's row is locked first, so a second concurrent erasure waits, then finds the first
    one's ``earner_erasures`` row and gets a Conflict, having deleted nothing (no file either)."""
    earner = earners.lock_earner(session, earner_id)
    if earners.is_erased(session, earner.id):
        raise Conflict(f"earner {earner.id} was already erased")
    report = ErasureReport(earner_id=earner.id, awards_kept=0)
    identity = ob.identity_hash(earner.email, earner.salt)
    award_ids = [a.id for a in awards.list_awards(session, earner_id=earner.id)]
    files = assessments_data.evidence_files(session, earner.id)
    for owner in OWNERS:
        for table, count in owner.erase_earner_data(session, earner.id, award_ids).items():
            if count:
                report.rows_deleted[table] = report.rows_deleted.get(table, 0) + count
    session.expire_all()
    if store is not None:
        report.files_deleted = _delete_unused_files(session, files, store)
    report.awards_kept = len(award_ids)
    earners_data.record_erasure(session, earner.id, identity_hash=identity, awards_kept=report.awards_kept)
    audit.record(session, "earner.erased", f"earner:{earner.id}",
                 {"awards_kept": report.awards_kept, "rows_deleted": dict(sorted(report.rows_deleted.items())),
                  "files_deleted": report.files_deleted})
    session.flush()
    return report


def _delete_unused_files(session: Session, files: set[str], store: EvidenceStore) -> int:
    deleted = 0
    for sha in sorted(files):
        if not assessments_data.file_in_use(session, sha):
            remover = getattr(store, "delete", None)
            if remover is not None:
                remover(sha)
                deleted += 1
    return deleted
