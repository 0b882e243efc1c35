"""Background jobs (issue 15): one API over two backends (docs/jobs.md).

- ``@jobs.task("name")`` registers ``fn(session_factory, settings, **json_args)`` (``jobs.tasks``);
- ``jobs.enqueue(session, "name", args={...})`` queues it in the caller's transaction and returns its id;
- ``jobs.status(session, id)`` → `JobStatus` (state, attempts, last error); ``jobs.cancel(session, id)``;
- ``jobs.run_worker(settings, concurrency, stop_event)``, ``jobs.drain(settings)``, ``jobs.start_embedded_worker``.

PostgreSQL runs jobs with procrastinate workers (``microcred worker``, any number, on any number of machines);
SQLite in worker threads of ``microcred serve`` (and ``microcred worker``). Failures are retried up to the task's
``max_attempts`` and then kept as failed with their message; a job whose worker died is run again.
"""

from __future__ import annotations

from microcred.jobs.models import JobState
from microcred.jobs.queue import cancel, enqueue, status
from microcred.jobs.state import AlreadyQueued, JobStatus, WorkerTiming
from microcred.jobs.tasks import TaskSpec, UnknownTask, task
from microcred.jobs.worker import EmbeddedWorker, NotReady, check_ready, drain, run_worker, start_embedded_worker

__all__ = [
    "AlreadyQueued",
    "EmbeddedWorker",
    "JobState",
    "JobStatus",
    "NotReady",
    "TaskSpec",
    "UnknownTask",
    "WorkerTiming",
    "cancel",
    "check_ready",
    "drain",
    "enqueue",
    "run_worker",
    "start_embedded_worker",
    "status",
    "task",
]
