"""Award batches: made from a file or from rows (the dry run stored row by row), started, cancelled, read, and
their results as CSV. Services flush, never commit: the caller owns the transaction. Running a started batch is
`microcred.batches.run` (the long part, one transaction per chunk of rows).

States: ``draft`` (no row can be issued) or ``dry-run-ok`` once made; `start` -> ``queued``; the run ->
``running`` -> ``finished``; `cancel` -> ``cancelled`` from any state before ``finished`` (what was issued stays).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.batches import csvfile, plan
from microcred.batches.models import CANCELLABLE, ROW_STATES
from microcred.batches.models import AwardBatch as AwardBatch  # the public types and vocabularies of batches
from microcred.batches.models import AwardBatchRow as AwardBatchRow
from microcred.batches.models import BatchState as BatchState
from microcred.batches.models import RowState as RowState
from microcred.db.base import utcnow
from microcred.db.locking import lock_row
from microcred.db.rows import get_row
from microcred.errors import Conflict
from microcred.urls import credential_url


@dataclass(frozen=True)
class Options:
    """How a batch is made: the achievement of rows that name none (id or code), whether earners are mailed,
    who made it (the audit log's actor; the current one when None), and the file it came from."""

    achievement: str | None = None
    notify: bool = False
    created_by: str | None = None
    file_name: str | None = None
    file_sha256: str | None = None
    # only this organisation's achievements may be named (the console: the staff member's organisation)
    organisation_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Checked:
    """A file's dry run, not stored yet: every row's verdict, the organisation its achievements belong to, and how
    the batch is made. Nothing of the check stays, so it can run in a session of its own, in slices that let other
    writers in between (`check_table`'s ``release_every``); `store_checked` then writes it in one short transaction."""

    verdicts: list[plan.Verdict]
    organisation_id: uuid.UUID | None
    options: Options
    created_by: str


def check_file(session: Session, data: bytes, *, max_bytes: int, base_url: str, options: Options,
               release_every: int | None = None, pause: float = 0.0) -> Checked:  # fmt: skip
    """The dry run of a CSV file (nothing of it stays); a file refused as a whole raises `InvalidInput`.
    ``release_every``: see `check_table`."""
    table = csvfile.read_csv(data, max_bytes=max_bytes)
    named = Options(
        achievement=options.achievement,
        notify=options.notify,
        created_by=options.created_by,
        file_name=(options.file_name or "")[:255] or None,
        file_sha256=hashlib.sha256(data).hexdigest(),
        organisation_id=options.organisation_id,
    )
    return check_table(session, table, base_url=base_url, options=named, release_every=release_every, pause=pause)


def check_table(session: Session, table: csvfile.Table, *, base_url: str, options: Options,
                release_every: int | None = None, pause: float = 0.0) -> Checked:  # fmt: skip
    """The dry run of rows already read (a file's, or JSON rows): every row's verdict. Each row is tried in a
    savepoint, rolled back. ``release_every`` N: the session's transaction is rolled back every N rows, so that a
    long dry run in a session of its own holds SQLite's write lock only in short slices (`web.reading`), with
    ``pause`` seconds between them (SQLite's busy handler polls: a writer waiting for the lock needs a gap to see
    it free); never pass it for a session holding work of its own."""
    resolver = plan.Resolver(
        session, organisation_id=options.organisation_id, default_achievement=options.achievement
    )
    created_by = (options.created_by or audit.current_actor())[:200]
    dry_run = plan.DryRun(resolver, base_url=base_url, assessor=created_by)
    verdicts = []
    for index, row in enumerate(table.rows, start=1):
        verdicts.append(dry_run.check(row))
        if release_every and index % release_every == 0:
            session.rollback()  # nothing to keep: the next slice takes the lock again
            time.sleep(pause)
    return Checked(verdicts, resolver.organisation_id, options, created_by)


def store_checked(session: Session, checked: Checked) -> AwardBatch:
    """The batch and every row's dry-run verdict, stored (one flush of all the rows)."""
    verdicts, options = checked.verdicts, checked.options
    refused = sum(1 for v in verdicts if v.error is not None)
    batch = AwardBatch(
        id=uuid.uuid4(),
        state=(BatchState.DRY_RUN_OK if refused < len(verdicts) else BatchState.DRAFT).value,
        created_by=checked.created_by,
        notify=options.notify,
        file_name=options.file_name,
        file_sha256=options.file_sha256,
        created_at=utcnow(),
        organisation_id=checked.organisation_id,
        row_count=len(verdicts),
        refused_count=refused,
    )
    session.add(batch)
    session.flush()
    session.add_all(
        AwardBatchRow(
            id=uuid.uuid4(),
            batch_id=batch.id,
            row_number=v.number,
            row_key=plan.row_key(batch.id, v.number),
            dedupe_key=v.dedupe_key,
            data=v.cells,
            achievement_id=v.achievement_id,
            state=(RowState.PENDING if v.error is None else RowState.REFUSED).value,
            error=v.error,
        )
        for v in verdicts
    )
    session.flush()
    audit.record(
        session,
        "batch.created",
        f"batch:{batch.id}",
        {"rows": len(verdicts), "refused": refused, "file_sha256": batch.file_sha256},
    )
    return batch


def create_from_file(session: Session, data: bytes, *, max_bytes: int, base_url: str, options: Options) -> AwardBatch:
    """A batch from a CSV file, its dry run stored; a file refused as a whole raises `InvalidInput` and leaves
    nothing behind. (The console and API check in a session of their own first: `check_file` + `store_checked`.)"""
    return store_checked(session, check_file(session, data, max_bytes=max_bytes, base_url=base_url, options=options))


def create_batch(session: Session, table: csvfile.Table, *, base_url: str, options: Options) -> AwardBatch:
    """A batch from rows already read (a file's, or JSON rows): every row's dry-run verdict stored with it."""
    return store_checked(session, check_table(session, table, base_url=base_url, options=options))


def get_batch(session: Session, batch_id: uuid.UUID | str) -> AwardBatch:
    return get_row(session, AwardBatch, batch_id, "award batch")


def lock_batch(session: Session, batch_id: uuid.UUID | str) -> AwardBatch:
    return lock_row(session, AwardBatch, batch_id, "award batch")


def start(session: Session, batch_id: uuid.UUID | str) -> AwardBatch:
    """Queue a batch whose dry run found rows to issue: its job is enqueued in this same transaction (it exists
    if and only if the start commits); its refused rows are never issued."""
    from microcred.batches import tasks

    batch = lock_batch(session, batch_id)
    if batch.state == BatchState.DRAFT:
        raise Conflict(f"no row of batch {batch.id} can be issued (see each row's reason): fix the file and upload it")
    if batch.state != BatchState.DRY_RUN_OK:
        raise Conflict(f"batch {batch.id} is {batch.state}: only a batch waiting after its dry run can be started")
    batch.state = BatchState.QUEUED.value
    session.flush()
    audit.record(session, "batch.started", f"batch:{batch.id}", {"pending": batch.row_count - batch.refused_count})
    tasks.enqueue_run(session, batch.id)
    return batch


def store_counts(session: Session, batch: AwardBatch) -> None:
    found = counts(session, batch.id)
    batch.issued_count, batch.failed_count = found[RowState.ISSUED], found[RowState.FAILED]


def cancel(session: Session, batch_id: uuid.UUID | str) -> AwardBatch:
    """Stop a batch: no new row is issued once this commits (a chunk being issued finishes first, since it holds
    the batch row); what was issued stays issued, the rows not reached stay pending."""
    batch = lock_batch(session, batch_id)
    if batch.state not in CANCELLABLE:
        raise Conflict(f"batch {batch.id} is already {batch.state}")
    batch.state, batch.finished_at = BatchState.CANCELLED.value, utcnow()
    store_counts(session, batch)
    session.flush()
    audit.record(
        session, "batch.cancelled", f"batch:{batch.id}", {"issued": batch.issued_count, "failed": batch.failed_count}
    )
    return batch


def counts(session: Session, batch_id: uuid.UUID) -> dict[str, int]:
    """The batch's rows by state, as they are now (every state present, 0 when none)."""
    stmt = (
        select(AwardBatchRow.state, func.count())
        .where(AwardBatchRow.batch_id == batch_id)
        .group_by(AwardBatchRow.state)
    )
    found = {state: int(number) for state, number in session.execute(stmt).all()}
    return {state: int(found.get(state, 0)) for state in ROW_STATES}


def rows(session: Session, batch_id: uuid.UUID, *, states: tuple[str, ...] | None = None) -> list[AwardBatchRow]:
    stmt = select(AwardBatchRow).where(AwardBatchRow.batch_id == batch_id).order_by(AwardBatchRow.row_number)
    if states is not None:
        stmt = stmt.where(AwardBatchRow.state.in_(states))
    return list(session.scalars(stmt))


def summary(session: Session, batch: AwardBatch, *, errors_limit: int = 1000) -> dict[str, Any]:
    """The batch as JSON: state, counts, each refused or failed row's reason (the first ``errors_limit``), and its
    award mails (``notify``): counts by mail state, each bounced or failed mail's reason."""
    from microcred.batches import notify

    problems = rows(session, batch.id, states=(RowState.REFUSED.value, RowState.FAILED.value))
    return {
        "id": str(batch.id),
        "state": batch.state,
        "organisation_id": str(batch.organisation_id) if batch.organisation_id else None,
        "created_by": batch.created_by,
        "created_at": batch.created_at.isoformat(),
        "started_at": batch.started_at.isoformat() if batch.started_at else None,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "file_name": batch.file_name,
        "file_sha256": batch.file_sha256,
        "notify": batch.notify,
        "rows": batch.row_count,
        "counts": counts(session, batch.id),
        "errors": [{"row": r.row_number, "state": r.state, "error": r.error} for r in problems[:errors_limit]],
        "mails": notify.mail_counts(session, batch.id),
        "mail_errors": notify.undelivered(session, batch.id, limit=errors_limit),
    }


RESULT_COLUMNS = ("row", "email", "earner_id", "achievement_id", "state", "award_id", "award_url", "error", "mail")


def results_csv(session: Session, batch_id: uuid.UUID | str, *, base_url: str) -> str:
    """Every row: its earner and achievement as given, its state, the award's URL or the reason it has none, its
    award mail (cells escaped: a formula in the uploaded file comes back as text)."""
    from microcred.batches import notify

    batch = get_batch(session, batch_id)
    lines = []
    for row in rows(session, batch.id):
        cells = row.data or {}
        lines.append(
            (
                row.row_number,
                cells.get("email", ""),
                cells.get("earner_id", ""),
                str(row.achievement_id) if row.achievement_id else cells.get("achievement_code", ""),
                row.state,
                str(row.award_id) if row.award_id else "",
                credential_url(row.award_id, base_url) if row.award_id else "",
                row.error or "",
                notify.mail_cell(row),
            )
        )
    return csvfile.write_csv(RESULT_COLUMNS, lines)
