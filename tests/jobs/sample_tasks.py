"""Tasks for the job tests, importable by a `microcred worker` process (``--import-tasks jobs.sample_tasks``, with
``tests/`` on PYTHONPATH). Each run of a task is recorded in ``job_test_runs`` (committed before the work), so a
test counts how many times a job ran and in which worker (``settings.base_url`` names the worker); effects that must
happen once per key go to ``job_test_effects`` (primary key = the row key, as a bulk row's award would)."""

from __future__ import annotations

import os
import threading
import time

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from microcred import jobs
from microcred.db import session_scope
from microcred.errors import InvalidInput
from microcred.settings import Settings

metadata = MetaData()
runs = Table(
    "job_test_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(100), nullable=False),
    Column("worker", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
)
effects = Table("job_test_effects", metadata, Column("key", String(100), primary_key=True))


def create_tables(engine: Engine) -> None:
    metadata.create_all(engine)


def _record_run(factory: sessionmaker[Session], settings: Settings, key: str) -> int:
    """Record this run (committed at once); how many runs of ``key`` there have been, this one included."""
    with session_scope(factory) as session:
        session.execute(insert(runs).values(key=key, worker=settings.base_url, pid=os.getpid()))
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(runs).where(runs.c.key == key)) or 0)


def run_counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        rows = session.execute(select(runs.c.key, func.count()).group_by(runs.c.key)).all()
    return {str(key): int(n) for key, n in rows}


def workers_seen(factory: sessionmaker[Session]) -> set[str]:
    with factory() as session:
        return {str(w) for w in session.scalars(select(runs.c.worker).distinct())}


def effect_count(factory: sessionmaker[Session], key: str) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(effects).where(effects.c.key == key)) or 0)


@jobs.task("tests.record", backoff_seconds=0)
def record(session_factory: sessionmaker[Session], settings: Settings, key: str, seconds: float = 0.0) -> None:
    _record_run(session_factory, settings, key)
    if seconds:
        time.sleep(seconds)


@jobs.task("tests.flaky", max_attempts=3, backoff_seconds=0)
def flaky(session_factory: sessionmaker[Session], settings: Settings, key: str, failures: int) -> None:
    """Fails its first ``failures`` runs with a domain error (a plain message), then succeeds."""
    n = _record_run(session_factory, settings, key)
    if n <= failures:
        raise InvalidInput(f"planned failure {n} of {failures}")


@jobs.task("tests.crash", max_attempts=2, backoff_seconds=0)
def crash(session_factory: sessionmaker[Session], settings: Settings, key: str) -> None:
    """Fails with an unexpected (non-domain) error."""
    _record_run(session_factory, settings, key)
    raise ZeroDivisionError("division by zero")


@jobs.task("tests.effect_once", max_attempts=3, backoff_seconds=0)
def effect_once(session_factory: sessionmaker[Session], settings: Settings, key: str, hold_first: float = 0.0) -> None:
    """Idempotent by ``key``: the effect row is written once whatever the number of runs. The first run holds on
    after committing its effect (a worker killed there has done the work but not finished the job)."""
    n = _record_run(session_factory, settings, key)
    with session_scope(session_factory) as session:
        done = session.scalar(select(effects.c.key).where(effects.c.key == key))
        if done is None:
            session.execute(insert(effects).values(key=key))
    if n == 1 and hold_first:
        time.sleep(hold_first)


@jobs.task("tests.wait_for", backoff_seconds=0)
def wait_for(session_factory: sessionmaker[Session], settings: Settings, key: str, seconds: float) -> None:
    """Runs until released (`release`) or ``seconds`` pass: a job that is certainly still running."""
    _record_run(session_factory, settings, key)
    _released.wait(seconds)


_released = threading.Event()


def release() -> None:
    _released.set()


def reset() -> None:
    _released.clear()
