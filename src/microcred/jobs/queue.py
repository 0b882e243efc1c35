"""Enqueue a job in the caller's transaction; read or cancel it. One API, two backends (by the session's database):
PostgreSQL → procrastinate (``postgres.py``), anything else (SQLite) → the ``jobs`` table (``embedded.py``)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from microcred.jobs import embedded, postgres, tasks
from microcred.jobs.models import MAX_LOCK_LENGTH
from microcred.jobs.state import JobStatus


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _json_args(name: str, args: dict[str, Any] | None) -> dict[str, Any]:
    args = {} if args is None else args
    if not isinstance(args, dict) or not all(isinstance(key, str) for key in args):
        raise TypeError(f"the arguments of task {name!r} must be a dict with str keys")
    try:
        normalised: dict[str, Any] = json.loads(json.dumps(args, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the arguments of task {name!r} must be JSON values (ids as text): {exc}") from None
    return normalised


def enqueue(
    session: Session, name: str, *, args: dict[str, Any] | None = None, queueing_lock: str | None = None
) -> int:
    """Queue task ``name`` with ``args`` (JSON values) in the session's transaction; its id.

    The job exists if and only if this transaction commits (workers see it then, never before). ``queueing_lock``:
    at most one job with that lock waits at a time; a second raises `AlreadyQueued` (409) and the caller's
    transaction carries on. Raises `UnknownTask` for a name no loaded module registered, TypeError for arguments
    the task does not take or that are not JSON."""
    spec = tasks.get(name)
    values = _json_args(name, args)
    spec.check_args(values)
    if queueing_lock is not None and not 1 <= len(queueing_lock) <= MAX_LOCK_LENGTH:
        raise ValueError(f"a queueing lock must be 1 to {MAX_LOCK_LENGTH} characters")
    if is_postgres(session):
        return postgres.enqueue(session, spec, values, queueing_lock)
    return embedded.enqueue(session, spec, values, queueing_lock)


def status(session: Session, job_id: int) -> JobStatus:
    """Where job ``job_id`` is (state, attempts, last error); NotFound for an unknown id."""
    if is_postgres(session):
        return postgres.status(session, int(job_id))
    return embedded.status(session, int(job_id))


def cancel(session: Session, job_id: int) -> bool:
    """Cancel a job that has not started (in the session's transaction): True if it was cancelled, False if it is
    already running or finished; NotFound for an unknown id."""
    if is_postgres(session):
        return postgres.cancel(session, int(job_id))
    return embedded.cancel(session, int(job_id))
