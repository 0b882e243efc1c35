"""The embedded backend (SQLite): the ``jobs`` table, claimed by worker threads.

Claiming is an ``UPDATE … WHERE id = ? AND status = 'queued'`` in a write transaction (``BEGIN IMMEDIATE`` on
SQLite: one writer at a time, so the read of the next job and its claim cannot interleave with another claim), and
a finished attempt is recorded only ``WHERE claim = <the attempt's token>``: an attempt taken over (its worker was
thought dead) can no longer change the job. Idle workers first look with a plain read (never queued behind a
writer); only when there is something to claim do they take the write lock.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from microcred.db import session_scope, utcnow
from microcred.errors import NotFound
from microcred.jobs import tasks
from microcred.jobs.models import Job, JobState
from microcred.jobs.state import AlreadyQueued, JobStatus, WorkerTiming, stalled_message

log = logging.getLogger(__name__)

# Worker threads of this process waiting for work: set when a session that enqueued a job commits.
_listeners: set[threading.Event] = set()
_listeners_lock = threading.Lock()


def listen(event: threading.Event) -> None:
    with _listeners_lock:
        _listeners.add(event)


def unlisten(event: threading.Event) -> None:
    with _listeners_lock:
        _listeners.discard(event)


def notify() -> None:
    with _listeners_lock:
        for event in _listeners:
            event.set()


def _notify_after_commit(session: Session) -> None:
    from sqlalchemy import event

    if not session.info.get("microcred_jobs_notify"):
        session.info["microcred_jobs_notify"] = True
        event.listen(session, "after_commit", lambda _session: notify())


def enqueue(session: Session, spec: tasks.TaskSpec, args: dict[str, Any], queueing_lock: str | None) -> int:
    job = Job(
        task=spec.name, queue=spec.queue, args=args, status=JobState.QUEUED.value, attempts=0,
        queueing_lock=queueing_lock,
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        raise AlreadyQueued(f"a job with the queueing lock {queueing_lock!r} is already waiting to run") from None
    _notify_after_commit(session)
    return job.id


def status(session: Session, job_id: int) -> JobStatus:
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise NotFound(f"no job with id {job_id}")
    return JobStatus(job.id, job.task, JobState(job.status), job.attempts, job.error)


def cancel(session: Session, job_id: int) -> bool:
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobState.QUEUED.value)
        .values(status=JobState.CANCELLED.value, finished_at=utcnow())
    )
    if int(getattr(result, "rowcount", 0) or 0) == 1:
        return True
    status(session, job_id)  # NotFound for an unknown id
    return False


# -- claiming and finishing ------------------------------------------------------------------------
@dataclass(frozen=True)
class Claimed:
    id: int
    task: str
    args: dict[str, Any]
    attempts: int  # attempts that ended before this one
    token: str


def _queues(queues: tuple[str, ...] | None) -> list[ColumnElement[bool]]:
    return [Job.queue.in_(queues)] if queues else []


def _ready(now: datetime, queues: tuple[str, ...] | None) -> list[ColumnElement[bool]]:
    return [
        Job.status == JobState.QUEUED.value,
        or_(Job.not_before.is_(None), Job.not_before <= now),
        *_queues(queues),
    ]


def _stalled(now: datetime, timing: WorkerTiming, queues: tuple[str, ...] | None) -> list[ColumnElement[bool]]:
    return [
        Job.status == JobState.DOING.value,
        or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < now - timedelta(seconds=timing.stalled_after)),
        *_queues(queues),
    ]


def _anything_to_do(factory: sessionmaker[Session], timing: WorkerTiming, queues: tuple[str, ...] | None) -> bool:
    """A plain read (no write lock): is there a job ready to run, or one whose worker stopped?"""
    now = utcnow()
    with factory() as session:
        if session.scalar(select(Job.id).where(*_ready(now, queues)).limit(1)) is not None:
            return True
        return session.scalar(select(Job.id).where(*_stalled(now, timing, queues)).limit(1)) is not None


def recover_stalled(session: Session, timing: WorkerTiming, queues: tuple[str, ...] | None = None) -> int:
    """Jobs whose worker stopped sending heartbeats: run again (the cut-short attempt counts), or failed when it
    was the last attempt. Returns how many."""
    now = utcnow()
    stalled = session.scalars(select(Job).where(*_stalled(now, timing, queues)).with_for_update()).all()
    for job in stalled:
        spec = tasks.find(job.task)
        ended = job.attempts + 1
        job.attempts, job.claim, job.error = ended, None, stalled_message(ended)
        if ended >= (spec.max_attempts if spec else tasks.DEFAULT_MAX_ATTEMPTS):
            job.status, job.finished_at = JobState.FAILED.value, now
        else:
            job.status, job.not_before = JobState.QUEUED.value, now
        log.warning("job %s (%s): %s; %s", job.id, job.task, job.error, job.status)
    return len(stalled)


def claim(factory: sessionmaker[Session], timing: WorkerTiming, queues: tuple[str, ...] | None) -> Claimed | None:
    """The next job ready to run, now marked ``doing`` under a fresh token; None when there is none."""
    if not _anything_to_do(factory, timing, queues):
        return None
    with session_scope(factory) as session:  # write intent: BEGIN IMMEDIATE on SQLite
        recover_stalled(session, timing, queues)
        now = utcnow()
        job = session.scalars(select(Job).where(*_ready(now, queues)).order_by(Job.id).limit(1)).one_or_none()
        if job is None:
            return None
        token = uuid.uuid4().hex
        taken = session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == JobState.QUEUED.value)
            .values(status=JobState.DOING.value, claim=token, started_at=now, heartbeat_at=now, not_before=None)
        )
        if int(getattr(taken, "rowcount", 0) or 0) != 1:  # pragma: no cover - serialised by the write lock
            return None
        return Claimed(job.id, job.task, json.loads(json.dumps(job.args)), job.attempts, token)


def _finish(factory: sessionmaker[Session], claimed: Claimed, values: dict[str, Any]) -> bool:
    with session_scope(factory) as session:
        result = session.execute(
            update(Job)
            .where(Job.id == claimed.id, Job.claim == claimed.token, Job.status == JobState.DOING.value)
            .values(claim=None, attempts=claimed.attempts + 1, **values)
        )
        kept = int(getattr(result, "rowcount", 0) or 0) == 1
    if not kept:
        log.warning("job %s (%s) was taken over by another worker before this attempt ended", claimed.id, claimed.task)
    return kept


def succeeded(factory: sessionmaker[Session], claimed: Claimed) -> bool:
    return _finish(factory, claimed, {"status": JobState.SUCCEEDED.value, "finished_at": utcnow()})


def failed(factory: sessionmaker[Session], claimed: Claimed, error: str) -> bool:
    """Record a failed attempt: queued again after its delay, or failed for good after the last attempt."""
    spec = tasks.find(claimed.task)
    ended = claimed.attempts + 1
    now = utcnow()
    if spec is not None and ended < spec.max_attempts:
        values: dict[str, Any] = {
            "status": JobState.QUEUED.value, "not_before": now + timedelta(seconds=spec.retry_delay(ended)),
        }
    else:
        values = {"status": JobState.FAILED.value, "finished_at": now}
    return _finish(factory, claimed, {"error": error, **values})


def heartbeat(factory: sessionmaker[Session], tokens: list[str]) -> None:
    if not tokens:
        return
    with session_scope(factory) as session:
        session.execute(
            update(Job)
            .where(Job.claim.in_(tokens), Job.status == JobState.DOING.value)
            .values(heartbeat_at=utcnow())
        )
