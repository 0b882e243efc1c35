"""A started batch's job (docs/jobs.md): `run.run_batch` as the task ``batches.run``, enqueued by `services.start`
in the transaction that starts the batch, so the job exists exactly when the start committed.

The job may run more than once (a retry, a worker that died mid-way, a second worker, the command line running the
same batch in the foreground): each run takes only rows still pending (`run.run_batch`), so every row is issued
once. Starting to run a large batch on PostgreSQL queues ``parallel()`` jobs in all (``MICROCRED_BATCH_PARALLEL``,
default 2), so that many workers share its rows (`run.begin`). Workers know the task once this module is imported
(`jobs.tasks.TASK_MODULES`; the web app imports it).
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy.orm import Session, sessionmaker

from microcred import jobs
from microcred.settings import Settings

RUN_TASK = "batches.run"
PARALLEL_ENV = "MICROCRED_BATCH_PARALLEL"
DEFAULT_PARALLEL = 2
MAX_PARALLEL = 64


def parallel() -> int:
    """How many jobs share one batch on PostgreSQL (``MICROCRED_BATCH_PARALLEL``, 1 to 64, default 2): start at least
    that many `microcred worker` processes (or ``--concurrency``) to use them."""
    raw = os.environ.get(PARALLEL_ENV, "").strip()
    if not raw:
        return DEFAULT_PARALLEL
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{PARALLEL_ENV} must be a whole number from 1 to {MAX_PARALLEL} (got {raw!r})") from None
    if not 1 <= value <= MAX_PARALLEL:
        raise ValueError(f"{PARALLEL_ENV} must be a whole number from 1 to {MAX_PARALLEL} (got {raw!r})")
    return value


@jobs.task(RUN_TASK, max_attempts=10)
def run_batch_task(session_factory: sessionmaker[Session], settings: Settings, batch_id: str) -> None:
    """Issue the batch's pending rows, chunk after chunk, to its end (or until it is cancelled)."""
    from microcred.batches import run

    run.run_batch(session_factory, settings, batch_id, fan_out=parallel())


def enqueue_run(session: Session, batch_id: uuid.UUID) -> int:
    """Queue the batch's job in the caller's transaction; its id."""
    return jobs.enqueue(session, RUN_TASK, args={"batch_id": str(batch_id)})
