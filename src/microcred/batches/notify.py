"""The award mails of a batch with ``notify`` (issue 15): each row's mail state, and the one mail job per chunk.

- `queue_mails`, called by `run.run_chunk` in the chunk's transaction: the chunk's issued rows become ``queued``
  and ONE mail job is enqueued for them (task ``ownership.batch_mails``, by name: ownership sits above batches and
  sends them), so the job exists if and only if the chunk committed. Mail never fails the issuance: a job that
  cannot be enqueued leaves the rows ``failed`` with the reason, and the chunk commits;
- `rows_to_mail`: what the job still has to send (rows issued and still ``queued``: a job run twice, or retried,
  sends nothing twice);
- `record_mail` / `record_attempt`: guarded updates (only a row still ``queued`` changes) of the outcome.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from microcred import jobs
from microcred.batches.models import AwardBatch, AwardBatchRow, RowState
from microcred.batches.models import MailState as MailState  # the public vocabulary of a row's mail
from microcred.db.base import utcnow
from microcred.jobs import tasks as job_tasks

log = logging.getLogger(__name__)

MAIL_TASK = "ownership.batch_mails"  # defined in microcred.ownership.tasks
MAX_ERROR = 2000


@dataclass(frozen=True)
class RowToMail:
    """A row whose award mail is still to be sent: its award and the batch's actor (the audit log's)."""

    row_id: uuid.UUID
    row_number: int
    award_id: uuid.UUID
    created_by: str
    attempts: int


def _task_known() -> bool:
    if job_tasks.find(MAIL_TASK) is None:
        job_tasks.load_task_modules()  # the modules every worker loads; the mail task's is one of them
    return job_tasks.find(MAIL_TASK) is not None


def _set_state(session: Session, row_ids: Sequence[uuid.UUID], state: MailState, error: str | None) -> None:
    session.execute(
        update(AwardBatchRow)
        .where(AwardBatchRow.id.in_(list(row_ids)))
        .values(mail_state=state.value, mail_error=error, mailed_at=utcnow() if state != MailState.QUEUED else None)
        .execution_options(synchronize_session=False)
    )


def queue_mails(session: Session, batch: AwardBatch, issued: Sequence[AwardBatchRow]) -> int | None:
    """The chunk's issued rows are mailed by one job, enqueued in this transaction (none when the batch does not
    notify, or no row was issued); the job's id. Never raises for mail: the chunk's awards matter more."""
    row_ids = [row.id for row in issued]
    if not batch.notify or not row_ids:
        return None
    try:
        with session.begin_nested():
            if not _task_known():
                raise LookupError(f"no worker task {MAIL_TASK!r} is loaded")
            _set_state(session, row_ids, MailState.QUEUED, None)
            return jobs.enqueue(
                session, MAIL_TASK, args={"batch_id": str(batch.id), "row_ids": [str(i) for i in row_ids]}
            )
    except Exception as exc:  # the awards commit; the rows say why no mail went out
        log.error("batch %s: the award mails of %s row(s) cannot be queued: %s", batch.id, len(row_ids), exc)
        _set_state(session, row_ids, MailState.FAILED, f"the mail could not be queued: {exc}"[:MAX_ERROR])
        return None


def _uuids(values: Sequence[uuid.UUID | str]) -> list[uuid.UUID]:
    return [v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)) for v in values]


def rows_to_mail(session: Session, batch_id: uuid.UUID | str, row_ids: Sequence[uuid.UUID | str]) -> list[RowToMail]:
    """The rows among ``row_ids`` of the batch that are issued and whose mail is still queued, in row order."""
    batch_uuid = _uuids([batch_id])[0]
    stmt = (
        select(AwardBatchRow.id, AwardBatchRow.row_number, AwardBatchRow.award_id, AwardBatch.created_by,
               AwardBatchRow.mail_attempts)
        .join(AwardBatch, AwardBatch.id == AwardBatchRow.batch_id)
        .where(
            AwardBatchRow.batch_id == batch_uuid,
            AwardBatchRow.id.in_(_uuids(row_ids)),
            AwardBatchRow.state == RowState.ISSUED.value,
            AwardBatchRow.mail_state == MailState.QUEUED.value,
            AwardBatchRow.award_id.is_not(None),
        )
        .order_by(AwardBatchRow.row_number)
    )
    return [
        RowToMail(row_id, number, award_id, created_by, int(attempts or 0))
        for row_id, number, award_id, created_by, attempts in session.execute(stmt).all()
        if award_id is not None
    ]


def record_mail(session: Session, row_id: uuid.UUID, state: MailState | str, error: str | None = None, *,
                at: datetime | None = None) -> bool:
    """A row's mail ended (``sent``, ``bounced`` or ``failed``, with the server's reply): True when the row was
    still queued (a second run's record of the same row changes nothing)."""
    final = MailState(state)
    if final == MailState.QUEUED:
        raise ValueError("record_mail records how a mail ended, not that it is queued")
    result = session.execute(
        update(AwardBatchRow)
        .where(AwardBatchRow.id == row_id, AwardBatchRow.mail_state == MailState.QUEUED.value)
        .values(mail_state=final.value, mail_error=error[:MAX_ERROR] if error else None, mailed_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def record_attempt(session: Session, row_ids: Sequence[uuid.UUID], error: str) -> None:
    """An attempt could not send these rows' mails (the server was unreachable, or deferred them): counted, with
    the reason; the rows stay queued for the next attempt."""
    session.execute(
        update(AwardBatchRow)
        .where(AwardBatchRow.id.in_(list(row_ids)), AwardBatchRow.mail_state == MailState.QUEUED.value)
        .values(mail_attempts=AwardBatchRow.mail_attempts + 1, mail_error=error[:MAX_ERROR])
        .execution_options(synchronize_session=False)
    )


def mail_counts(session: Session, batch_id: uuid.UUID) -> dict[str, int]:
    """The batch's mails by state (every state present, 0 when none)."""
    stmt = (
        select(AwardBatchRow.mail_state, func.count())
        .where(AwardBatchRow.batch_id == batch_id, AwardBatchRow.mail_state.is_not(None))
        .group_by(AwardBatchRow.mail_state)
    )
    found = {str(state): int(number) for state, number in session.execute(stmt).all()}
    return {state.value: found.get(state.value, 0) for state in MailState}


def undelivered(session: Session, batch_id: uuid.UUID, *, limit: int = 1000) -> list[dict[str, object]]:
    """The batch's bounced and failed mails (the first ``limit``, in row order): row, mail state, reason."""
    stmt = (
        select(AwardBatchRow.row_number, AwardBatchRow.mail_state, AwardBatchRow.mail_error)
        .where(
            AwardBatchRow.batch_id == batch_id,
            AwardBatchRow.mail_state.in_((MailState.BOUNCED.value, MailState.FAILED.value)),
        )
        .order_by(AwardBatchRow.row_number)
        .limit(limit)
    )
    return [{"row": number, "state": state, "error": error} for number, state, error in session.execute(stmt).all()]


def mail_cell(row: AwardBatchRow) -> str:
    """A row's award mail in one cell: its state, with the server's reply or the reason when it was not sent."""
    if row.mail_state is None:
        return ""
    if row.mail_error and row.mail_state != MailState.SENT:
        return f"{row.mail_state}: {row.mail_error}"
    return row.mail_state
