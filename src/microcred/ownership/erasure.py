"""Erasure: an earner deletes their account; the institution keeps only the minimum award ledger.

Kept (lawful basis: the institution's obligation to answer "was this credential issued, is it still valid?" for
credentials it signed and that their holder keeps using): each award's id, achievement, issuing key, dates, status
and status-list entries (so the earner's own copies keep verifying, and a revocation still reaches them), the
status history without its free-text reasons, and the salted identity hash the credentials carry
(``earner_erasures``). Removed: the earner's name, addresses, DID, accounts and sign-in links, hosted credential
copies (JSON-LD and JWT), results and evidence (rows and files no other record uses), sharing choices, wallet offers
and deliveries, transcript records, pathway completions and external credentials, and any other row that points at
the earner or at one of their awards. The audit log records the erasure with ids and counts only.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from microcred.assessments.storage import EvidenceStore
from microcred.audit import services as audit
from microcred.awards import services as awards
from microcred.awards.models import AwardStatusEvent
from microcred.db.base import Base, utcnow
from microcred.db.locking import lock_row
from microcred.earners import services as earners
from microcred.earners.models import Earner, EarnerErasure
from microcred.errors import Conflict
from microcred.idempotency import models as _idempotency_models  # noqa: F401  (its rows point at awards: erased too)
from microcred.vc import ob

# rows that point at an award and are part of the minimum kept
KEPT_AWARD_TABLES = frozenset({"awards", "status_entries", "award_status_events"})
ERASED_NAME = "Erased earner"


@dataclass
class ErasureReport:
    earner_id: uuid.UUID
    awards_kept: int
    rows_deleted: dict[str, int] = field(default_factory=dict)
    files_deleted: int = 0


def is_erased(session: Session, earner_id: uuid.UUID) -> bool:
    return session.get(EarnerErasure, earner_id) is not None


def _lock_earner(session: Session, earner_id: uuid.UUID | str) -> Earner:
    """The earner's row locked until the transaction ends, read afresh (`db.locking.lock_row`)."""
    return lock_row(session, Earner, earner_id, "earner")


def erase_earner(session: Session, earner_id: uuid.UUID | str, *, store: EvidenceStore | None = None) -> ErasureReport:
    """Erase once: the earner's row is locked first, so a second concurrent erasure waits, then finds the first
    one's ``earner_erasures`` row and gets a Conflict, having deleted nothing (no file either)."""
    earner = _lock_earner(session, earner_id)
    if is_erased(session, earner.id):
        raise Conflict(f"earner {earner.id} was already erased")
    report = ErasureReport(earner_id=earner.id, awards_kept=0)
    identity = ob.identity_hash(earner.email, earner.salt)
    award_rows = awards.list_awards(session, earner_id=earner.id)
    award_ids = [a.id for a in award_rows]
    files = _evidence_files(session, earner.id)
    for award in award_rows:
        award.credential_json = json.dumps({"erased": True, "award_id": str(award.id)})
        award.credential_jwt = None
        award.results = []
        award.evidence.clear()
    if award_ids:
        session.execute(
            update(AwardStatusEvent).where(AwardStatusEvent.award_id.in_(award_ids)).values(reason=None)
        )
    session.flush()
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in ("earners", "earner_erasures"):
            continue
        for column in table.columns:
            targets = {fk.column.table.name for fk in column.foreign_keys}
            if "earners" in targets and table.name != "awards":
                result = session.execute(delete(table).where(column == earner.id))
            elif "awards" in targets and table.name not in KEPT_AWARD_TABLES and award_ids:
                result = session.execute(delete(table).where(column.in_(award_ids)))
            else:
                continue
            count = int(getattr(result, "rowcount", 0) or 0)
            if count:
                report.rows_deleted[table.name] = report.rows_deleted.get(table.name, 0) + count
    session.expire_all()
    if store is not None:
        report.files_deleted = _delete_unused_files(session, files, store)
    earner = earners.get_earner(session, earner_id)
    earner.name = ERASED_NAME
    earner.email = f"erased+{earner.id}@erased.invalid"
    earner.did = None
    earner.salt = secrets.token_hex(16)
    report.awards_kept = len(award_ids)
    session.add(EarnerErasure(earner_id=earner.id, identity_hash=identity, erased_at=utcnow(),
                              awards_kept=report.awards_kept))
    audit.record(session, "earner.erased", f"earner:{earner.id}",
                 {"awards_kept": report.awards_kept, "rows_deleted": dict(sorted(report.rows_deleted.items())),
                  "files_deleted": report.files_deleted})
    session.flush()
    return report


def _evidence_files(session: Session, earner_id: uuid.UUID) -> set[str]:
    from microcred.assessments.models import Evidence

    return {
        sha for sha in session.scalars(select(Evidence.file_sha256).where(Evidence.earner_id == earner_id)) if sha
    }


def _delete_unused_files(session: Session, files: set[str], store: EvidenceStore) -> int:
    from microcred.assessments.models import Evidence

    deleted = 0
    for sha in sorted(files):
        still_used = session.scalar(select(func.count()).select_from(Evidence).where(Evidence.file_sha256 == sha))
        if not still_used:
            remover = getattr(store, "delete", None)
            if remover is not None:
                remover(sha)
                deleted += 1
    return deleted
