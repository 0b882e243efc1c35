"""The PostgreSQL backend: procrastinate 3.10 (its schema is applied by migration 0011).

- Enqueue calls procrastinate's own SQL function ``procrastinate_defer_jobs_v1`` on the caller's SQLAlchemy
  connection, inside the caller's transaction: the job exists if and only if the rows it acts on commit, and its
  NOTIFY reaches the workers at that commit. No second connection is involved.
- Workers are procrastinate workers (``FOR UPDATE SKIP LOCKED``: a job is fetched by one worker only) on a
  psycopg pool built from the same database URL. Each task runs in a thread with the worker's session factory;
  a failed attempt's message goes to ``job_errors`` (procrastinate keeps no messages), and procrastinate's retry
  strategy queues it again until the task's ``max_attempts``.
- A worker that dies (kill -9, lost machine) stops sending heartbeats; every worker, at start and then every
  heartbeat interval, takes the jobs of workers silent for ``stalled_after`` seconds and queues them again (or
  fails them on their last attempt), one worker at a time (an advisory lock), reading the stalled jobs under it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from microcred.db import session_scope, utcnow
from microcred.errors import NotFound
from microcred.jobs import tasks
from microcred.jobs.models import JobError, JobState
from microcred.jobs.state import (
    AlreadyQueued,
    JobStatus,
    WorkerOptions,
    WorkerTiming,
    describe_error,
    stalled_message,
)
from microcred.settings import Settings

log = logging.getLogger(__name__)

QUEUEING_LOCK_INDEX = "procrastinate_jobs_queueing_lock_idx_v1"
RECOVERY_LOCK = 7347292  # pg_advisory_xact_lock key: one stalled-job recovery at a time (migrations use 7347291)

_STATES = {
    "todo": JobState.QUEUED,
    "doing": JobState.DOING,
    "succeeded": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
    "aborting": JobState.DOING,
    "aborted": JobState.CANCELLED,
}

_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task AS varchar), CAST(:priority AS integer), CAST(NULL AS text), "
    "CAST(:queueing_lock AS text), CAST(:args AS jsonb), CAST(NULL AS timestamptz)"
    ")::procrastinate_job_to_defer_v1])) AS id"
)


def conninfo(url: str | URL) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (``postgresql+psycopg://…``), keeping its query
    parameters (``options=-csearch_path=…``, ``sslmode``…)."""
    from psycopg.conninfo import make_conninfo

    parsed = make_url(url)
    params: dict[str, Any] = {
        "host": parsed.host, "port": parsed.port, "user": parsed.username, "password": parsed.password,
        "dbname": parsed.database,
    }
    for key, value in parsed.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    return make_conninfo(**{key: value for key, value in params.items() if value is not None})


# -- the caller's side: enqueue, status, cancel ------------------------------------------------------
def enqueue(session: Session, spec: tasks.TaskSpec, args: dict[str, Any], queueing_lock: str | None) -> int:
    values = {
        "queue": spec.queue, "task": spec.name, "priority": 0, "queueing_lock": queueing_lock,
        "args": json.dumps(args),
    }
    try:
        with session.begin_nested():
            job_id = session.execute(_DEFER, values).scalar_one()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint == QUEUEING_LOCK_INDEX:
            raise AlreadyQueued(
                f"a job with the queueing lock {queueing_lock!r} is already waiting to run"
            ) from None
        raise
    return int(job_id)


def status(session: Session, job_id: int) -> JobStatus:
    row = session.execute(
        text("SELECT task_name, status, attempts FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no job with id {job_id}")
    state = _STATES.get(str(row.status), JobState.FAILED)
    recorded = session.get(JobError, job_id, populate_existing=True)
    error = recorded.error if recorded is not None else None
    if error is None and state is JobState.FAILED:
        error = "the job failed without a recorded message (see the worker's log)"
    return JobStatus(job_id, str(row.task_name), state, int(row.attempts), error)


def cancel(session: Session, job_id: int) -> bool:
    cancelled = session.execute(
        text("SELECT procrastinate_cancel_job_v1(:id, false, false)"), {"id": job_id}
    ).scalar_one_or_none()
    if cancelled is not None:
        return True
    status(session, job_id)  # NotFound for an unknown id
    return False


def record_error(session: Session, job_id: int, attempt: int, error: str) -> None:
    statement = insert(JobError).values(job_id=job_id, attempt=attempt, error=error, at=utcnow())
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[JobError.job_id],
            set_={
                "attempt": statement.excluded.attempt, "error": statement.excluded.error, "at": statement.excluded.at,
            },
        )
    )


# -- stalled jobs ---------------------------------------------------------------------------------
def recover_stalled(factory: sessionmaker[Session], timing: WorkerTiming) -> int:
    """Queue again (or fail, on their last attempt) the jobs of workers silent for ``stalled_after`` seconds."""
    from procrastinate import sql

    with session_scope(factory) as session:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECOVERY_LOCK})
        stalled = session.connection().exec_driver_sql(
            sql.queries["select_stalled_jobs_by_heartbeat"],
            {"queue": None, "task_name": None, "seconds_since_heartbeat": timing.stalled_after},
        ).mappings().all()
        for job in stalled:
            _give_back(session, int(job["id"]), str(job["task_name"]), int(job["attempts"]))
    return len(stalled)


def _give_back(session: Session, job_id: int, task_name: str, attempts: int) -> None:
    spec = tasks.find(task_name)
    ended = attempts + 1
    record_error(session, job_id, ended, stalled_message(ended))
    if ended >= (spec.max_attempts if spec else tasks.DEFAULT_MAX_ATTEMPTS):
        session.execute(text("SELECT procrastinate_finish_job_v1(:id, 'failed', false)"), {"id": job_id})
        outcome = "failed"
    else:
        session.execute(
            text(
                "SELECT procrastinate_retry_job_v2(:id, now(), CAST(NULL AS integer), CAST(NULL AS varchar), "
                "CAST(NULL AS varchar))"
            ),
            {"id": job_id},
        )
        outcome = "queued again"
    log.warning("job %s (%s): %s; %s", job_id, task_name, stalled_message(ended), outcome)


# -- workers --------------------------------------------------------------------------------------
class _Counter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


def _wrap(spec: tasks.TaskSpec, factory: sessionmaker[Session], settings: Settings, counter: _Counter) -> Any:
    def run(context: Any, **args: Any) -> None:
        job = context.job
        try:
            spec.fn(factory, settings, **args)
        except Exception as exc:
            try:
                with session_scope(factory) as session:
                    record_error(session, int(job.id), int(job.attempts) + 1, describe_error(exc))
            except Exception:
                log.exception("job %s (%s): its error could not be recorded", job.id, spec.name)
            raise
        finally:
            counter.add()

    run.__name__ = run.__qualname__ = f"microcred_job_{spec.name}"
    return run


def build_app(factory: sessionmaker[Session], settings: Settings, *, pool_size: int, counter: _Counter) -> Any:
    """A procrastinate App on the factory's database, with every registered task."""
    import procrastinate

    engine = factory.kw["bind"]
    assert isinstance(engine, Engine)
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(engine.url), min_size=1, max_size=pool_size)
    app = procrastinate.App(connector=connector)
    for spec in tasks.registered():
        retry: Any = (
            procrastinate.RetryStrategy(max_attempts=spec.max_attempts - 1, exponential_wait=spec.backoff_seconds)
            if spec.max_attempts > 1
            else False
        )
        app.task(name=spec.name, queue=spec.queue, pass_context=True, retry=retry)(
            _wrap(spec, factory, settings, counter)
        )
    return app


async def _recover_every(factory: sessionmaker[Session], timing: WorkerTiming) -> None:
    while True:
        await asyncio.sleep(timing.heartbeat_interval)
        try:
            await asyncio.to_thread(recover_stalled, factory, timing)
        except Exception as exc:
            log.warning("stalled job recovery failed: %s", describe_error(exc))


async def _stop_when_set(stop: threading.Event, worker: asyncio.Task[None]) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.05)
    worker.cancel()  # procrastinate stops gracefully: running jobs finish first


async def _work(
    factory: sessionmaker[Session], settings: Settings, options: WorkerOptions, stop: threading.Event | None
) -> int:
    counter = _Counter()
    timing = options.timing
    app = build_app(factory, settings, pool_size=options.concurrency + 3, counter=counter)
    async with app.open_async():
        await asyncio.to_thread(recover_stalled, factory, timing)
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=list(options.queues) if options.queues else None,
                concurrency=options.concurrency,
                wait=not options.until_idle,
                listen_notify=not options.until_idle,
                install_signal_handlers=options.install_signal_handlers,
                fetch_job_polling_interval=timing.poll_interval,
                update_heartbeat_interval=timing.heartbeat_interval,
                stalled_worker_timeout=timing.stalled_after,
                shutdown_graceful_timeout=None,
            )
        )
        side = [] if options.until_idle else [asyncio.create_task(_recover_every(factory, timing))]
        if stop is not None:
            side.append(asyncio.create_task(_stop_when_set(stop, worker)))
        try:
            await worker
        except asyncio.CancelledError:
            if stop is None or not stop.is_set():
                raise
        finally:
            for task in side:
                task.cancel()
            await asyncio.gather(*side, return_exceptions=True)
    return counter.value


def run(
    factory: sessionmaker[Session], settings: Settings, options: WorkerOptions, stop: threading.Event | None = None
) -> int:
    """Run a procrastinate worker until ``stop`` is set, a signal (``options.install_signal_handlers``) or, with
    ``options.until_idle``, until no job is ready. Returns how many attempts it ran."""
    return asyncio.run(_work(factory, settings, options, stop))


def ready(session: Session) -> bool:
    return session.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None
