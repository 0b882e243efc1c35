"""Running a started batch: the long part, the one function a background job calls (`run_batch`).

Exactly once per row, whatever stops the process:
- a chunk of rows is ONE transaction: each row's award, its status entries, its audit entry, a new earner and the
  row's change of state commit together or not at all, so a crash anywhere leaves every row either issued (with its
  award) or still pending, never half-written; running again picks up the pending rows. The chunk's status entries
  are reserved in one step (`status.reserve`): on PostgreSQL just before, in a short transaction of their own (so
  chunks never wait on each other's uncommitted entries), on SQLite in the chunk's transaction; those no row took
  are deleted when the chunk commits, and left unattached (gaps, never reused) if it never does;
- rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (two workers never take the same row;
  SQLite serialises writers), and every change of state is a guarded ``UPDATE ... WHERE state = 'pending'``: a row
  that is no longer pending is left alone and its award (if any was being made) rolled back;
- a row's award id is derived from the batch id and row number, so a row can never become two awards;
- a row the pipeline refuses (a `DomainError` or a standards error) is marked failed with the message and the others
  go on; any other error (the database went away, the process is stopping) rolls the chunk back whole.

Two workers' chunks run side by side: a chunk's audit entries are chained when it ends (`audit.chained_at_end`),
so the audit chain's head is locked only for the chunk's last statements and its commit, not for the whole chunk.
Starting to run a batch with more than one chunk of rows on PostgreSQL queues more jobs for it (``fan_out``, the
job's `tasks.parallel()`), so that many workers share its rows; the last to see no pending row finishes it.

Cancellation: a chunk holds the batch row FOR SHARE while it runs and checks the batch is still running; `cancel`
locks it for update, so it waits for chunks in flight and no chunk starts after it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing
from microcred.audit import services as audit
from microcred.batches import plan, services
from microcred.batches.models import AwardBatch, AwardBatchRow, BatchState, RowState
from microcred.catalog import services as catalog
from microcred.db import is_transient_lock_error, reads, session_scope
from microcred.db.base import utcnow
from microcred.errors import DomainError, NotFound
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.settings import Settings
from microcred.status import services as status
from microcred.vc.errors import VCError

log = logging.getLogger(__name__)
CHUNK_SIZE = 100
RETRIES = 5


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk did: rows claimed, issued and failed; whether pending rows remain (maybe held by another
    worker); the batch's state when it was not running (nothing was claimed then)."""

    claimed: int = 0
    issued: int = 0
    failed: int = 0
    remaining: bool = False
    stopped: str | None = None


def _batch_for_chunk(session: Session, batch_id: uuid.UUID) -> AwardBatch:
    batch = session.scalars(
        select(AwardBatch)
        .where(AwardBatch.id == batch_id)
        .with_for_update(read=True)  # FOR SHARE: chunks run side by side; cancel waits for them
        .execution_options(populate_existing=True)
    ).one_or_none()
    if batch is None:
        raise NotFound(f"no award batch with id {batch_id}")
    return batch


def _claim(session: Session, batch_id: uuid.UUID, size: int) -> list[AwardBatchRow]:
    return list(
        session.scalars(
            select(AwardBatchRow)
            .where(AwardBatchRow.batch_id == batch_id, AwardBatchRow.state == RowState.PENDING.value)
            .order_by(AwardBatchRow.row_number)
            .limit(size)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )


def _mark(session: Session, row_id: uuid.UUID, state: RowState, *, award_id: uuid.UUID | None = None,
          error: str | None = None) -> bool:
    """The guarded change of state: only a row still pending changes (True when it did)."""
    result = session.execute(
        update(AwardBatchRow)
        .where(AwardBatchRow.id == row_id, AwardBatchRow.state == RowState.PENDING.value)
        .values(state=state.value, award_id=award_id, error=error)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


class _NoLongerPending(Exception):
    """The row changed under us: roll its savepoint back and leave it."""


@dataclass
class _Chunk:
    """One chunk's transaction and what its rows share. The achievements and their organisations are held here:
    the session only keeps weak references, and the pipeline reads them again for every row."""

    session: Session
    batch: AwardBatch
    signing: issuing.Signing
    held: dict[uuid.UUID, tuple[Any, Any]] = field(default_factory=dict)

    def achievement(self, achievement_id: uuid.UUID | None) -> Any:
        if achievement_id is None:
            raise NotFound("the row names no achievement")
        if achievement_id not in self.held:
            achievement = catalog.get_published_achievement(self.session, achievement_id)
            self.held[achievement_id] = (achievement, issuers.get_organisation(self.session, achievement.issuer_id))
        achievement = self.held[achievement_id][0]
        return catalog.get_published_achievement(self.session, achievement.id)


def _issue_row(chunk: _Chunk, row: AwardBatchRow) -> bool | None:
    """Issue one row in its own savepoint: True issued, False failed (marked with the reason), None skipped."""
    session, batch = chunk.session, chunk.batch
    award_id = plan.award_id_for(batch.id, row.row_number)
    try:
        with session.begin_nested():
            achievement = chunk.achievement(row.achievement_id)
            prepared = plan.prepare(session, row.data, achievement, award_id=award_id, assessor=batch.created_by)
            plan.check_not_held(session, prepared)
            award = issuing.issue(session, prepared.request, chunk.signing)
            if not _mark(session, row.id, RowState.ISSUED, award_id=award.id):
                raise _NoLongerPending
    except _NoLongerPending:
        return None
    except (DomainError, VCError) as exc:
        return False if _mark(session, row.id, RowState.FAILED, error=str(exc)[:4000]) else None
    return True


def _engine_dialect(factory: sessionmaker[Session]) -> str:
    bind = factory.kw.get("bind")
    return str(getattr(getattr(bind, "dialect", None), "name", ""))


def _reserve(factory: sessionmaker[Session], batch_id: uuid.UUID, chunk_size: int) -> status.Reservation | None:
    """The status entries of the next chunk's awards, reserved and committed before the chunk starts (one step per
    purpose instead of one per award; a chunk that never commits leaves them as gaps, never reused)."""
    with session_scope(factory) as session:
        batch = session.get(AwardBatch, batch_id)
        if batch is None or batch.state != BatchState.RUNNING or batch.organisation_id is None:
            return None
        pending = select(AwardBatchRow.id).where(
            AwardBatchRow.batch_id == batch_id, AwardBatchRow.state == RowState.PENDING.value
        ).limit(chunk_size).subquery()
        count = int(session.scalar(select(func.count()).select_from(pending)) or 0)
        return status.reserve(session, batch.organisation_id, count) if count else None


def run_chunk(factory: sessionmaker[Session], settings: Settings, batch_id: uuid.UUID | str,
              chunk_size: int = CHUNK_SIZE) -> ChunkResult:
    """Issue the next pending rows of a running batch (at most ``chunk_size``), in one transaction."""
    batch_uuid = batch_id if isinstance(batch_id, uuid.UUID) else uuid.UUID(str(batch_id))
    master_key = keystore.load_master_key(settings)
    postgresql = _engine_dialect(factory) == "postgresql"
    reservation = _reserve(factory, batch_uuid, chunk_size) if postgresql else None
    with session_scope(factory) as session:
        batch = _batch_for_chunk(session, batch_uuid)
        if batch.state != BatchState.RUNNING:
            return ChunkResult(stopped=batch.state)
        claimed = _claim(session, batch.id, chunk_size)
        if not postgresql and claimed and batch.organisation_id is not None:  # one writer: no one to wait for
            reservation = status.reserve(session, batch.organisation_id, len(claimed))
        chunk = _Chunk(session, batch, issuing.Signing(settings.base_url, master_key))
        reserved: AbstractContextManager[None] = (
            status.using_reservation(session, reservation) if reservation is not None else nullcontext()
        )
        with audit.chained_at_end(session):  # the head is locked from the end of the chunk to its commit only
            with reserved, audit.acting_as(batch.created_by), reads.shared_reads(session):
                outcomes = [_issue_row(chunk, row) for row in claimed]
            from microcred.batches import notify  # award mails (batch.notify): one job per chunk, in its transaction

            issued = [row for row, done in zip(claimed, outcomes, strict=True) if done is True]
            notify.queue_mails(session, batch, issued)
        remaining = bool(
            session.scalar(
                select(
                    exists().where(
                        AwardBatchRow.batch_id == batch.id, AwardBatchRow.state == RowState.PENDING.value
                    )
                )
            )
        )
        return ChunkResult(
            claimed=len(claimed),
            issued=sum(1 for o in outcomes if o is True),
            failed=sum(1 for o in outcomes if o is False),
            remaining=remaining,
        )


def begin(factory: sessionmaker[Session], batch_id: uuid.UUID, *, fan_out: int = 1,
          chunk_size: int = CHUNK_SIZE) -> str:
    """A queued batch is running from now; returns the batch's state (only ``running`` is worth running). On
    PostgreSQL, ``fan_out - 1`` more jobs for the batch are queued with that change (at most one per chunk of
    pending rows after the first), so other workers take a share of its rows."""
    with session_scope(factory) as session:  # already running (another worker began it): no lock to wait for
        state = services.get_batch(session, batch_id).state
    if state != BatchState.QUEUED:
        return state
    with session_scope(factory) as session:
        batch = services.lock_batch(session, batch_id)
        if batch.state == BatchState.QUEUED:
            batch.state, batch.started_at = BatchState.RUNNING.value, utcnow()
            _fan_out(session, batch, fan_out, chunk_size)
        return batch.state


def _fan_out(session: Session, batch: AwardBatch, jobs_wanted: int, chunk_size: int) -> None:
    """More jobs of the same batch, queued in the transaction that starts running it (they exist if it commits).
    Only on PostgreSQL: SQLite runs one writer at a time, so more jobs would only wait for each other."""
    if jobs_wanted <= 1 or session.get_bind().dialect.name != "postgresql":
        return
    pending = batch.row_count - batch.refused_count
    extra = min(jobs_wanted, -(-pending // max(chunk_size, 1))) - 1
    if extra <= 0:
        return
    from microcred.batches import tasks

    for _ in range(extra):
        tasks.enqueue_run(session, batch.id)
    log.info("batch %s: %d more job(s) queued to share its %d rows", batch.id, extra, pending)


def finish(factory: sessionmaker[Session], batch_id: uuid.UUID) -> str:
    """A running batch without pending rows is finished (its counts stored); returns the batch's state.

    Pending rows (maybe held by another worker's chunk) are looked for first without locking the batch row: locking
    it waits for every chunk in flight (they hold it FOR SHARE), and the worker holding them finishes the batch."""
    with session_scope(factory) as session:
        found = services.counts(session, batch_id)
        if found[RowState.PENDING]:
            return services.get_batch(session, batch_id).state
    with session_scope(factory) as session:
        batch = services.lock_batch(session, batch_id)
        if batch.state != BatchState.RUNNING:
            return batch.state
        found = services.counts(session, batch.id)
        if found[RowState.PENDING]:
            return batch.state  # another worker still holds some: the last one to finish says so
        batch.state, batch.finished_at = BatchState.FINISHED.value, utcnow()
        services.store_counts(session, batch)
        audit.record(
            session,
            "batch.finished",
            f"batch:{batch.id}",
            {"issued": batch.issued_count, "failed": batch.failed_count},
            actor=batch.created_by,
        )
        return batch.state


def _retrying(step: Callable[[], ChunkResult]) -> ChunkResult:
    """A chunk rolled back by a transient conflict (a lock or deadlock, two workers creating the same earner) is
    simply run again: its rows are still pending."""
    for attempt in range(RETRIES):
        try:
            return step()
        except (OperationalError, IntegrityError) as exc:
            if attempt == RETRIES - 1 or not (isinstance(exc, IntegrityError) or is_transient_lock_error(exc)):
                raise
            log.info("batch chunk rolled back (%s); running it again", type(exc).__name__)
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def run_batch(factory: sessionmaker[Session], settings: Settings, batch_id: uuid.UUID | str, *,
              chunk_size: int = CHUNK_SIZE, progress: Callable[[ChunkResult], None] | None = None,
              fan_out: int = 1) -> str:
    """Run a started batch to its end, chunk after chunk; harmless to call again, or from several workers at once
    (each takes rows the others do not hold). Returns the batch's state (``finished`` when no row is pending).
    ``fan_out``: how many jobs should share the batch when this call starts running it (`begin`)."""
    batch_uuid = batch_id if isinstance(batch_id, uuid.UUID) else uuid.UUID(str(batch_id))
    state = begin(factory, batch_uuid, fan_out=fan_out, chunk_size=chunk_size)
    if state != BatchState.RUNNING:
        return state
    while True:
        result = _retrying(lambda: run_chunk(factory, settings, batch_uuid, chunk_size))
        if progress is not None:
            progress(result)
        if result.stopped is not None:
            return result.stopped
        if result.claimed == 0:
            break
    return finish(factory, batch_uuid)
