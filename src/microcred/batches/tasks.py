"""A started batch's job (docs/jobs.md): `run.run_batch` as the task ``batches.run``, enqueued by `services.start`
in the transaction that starts the batch, so the job exists exactly when the start committed.

The job may run more than once (a retry, a worker that died mid-way, a second worker, the command line running the
same batch in the foreground): each run takes only rows still pending (`run.run_batch`), so every row is issued
once. Workers know the task once this module is imported (`jobs.tasks.TASK_MODULES`; the web app imports it).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from microcred import jobs
from microcred.settings import Settings

RUN_TASK = "batches.run"


@jobs.task(RUN_TASK, max_attempts=10)
def run_batch_task(session_factory: sessionmaker[Session], settings: Settings, batch_id: str) -> None:
    """Issue the batch's pending rows, chunk after chunk, to its end (or until it is cancelled)."""
    from microcred.batches import run

    run.run_batch(session_factory, settings, batch_id)


def enqueue_run(session: Session, batch_id: uuid.UUID) -> int:
    """Queue the batch's job in the caller's transaction; its id."""
    return jobs.enqueue(session, RUN_TASK, args={"batch_id": str(batch_id)})
