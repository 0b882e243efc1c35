"""The job API on SQLite and PostgreSQL: a job exists iff the caller's transaction commits, runs once, is retried
on failure up to its task's max_attempts and then kept as failed with its message; queueing locks; cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from jobs.helpers import FAST
from microcred import jobs
from microcred.db import session_scope
from microcred.errors import NotFound
from microcred.settings import Settings


def _drain(settings: Settings, factory: sessionmaker[Session]) -> int:
    return jobs.drain(settings, session_factory=factory, timing=FAST)


def _status(factory: sessionmaker[Session], job_id: int) -> jobs.JobStatus:
    with factory() as session:
        return jobs.status(session, job_id)


def test_a_rolled_back_transaction_leaves_no_job(
    factory: sessionmaker[Session], tasks_module: Any, settings_for: Callable[[str], Settings]
) -> None:
    with factory() as session:
        session.execute(tasks_module.effects.insert().values(key="row-1"))  # the row the job would act on
        job_id = jobs.enqueue(session, "tests.record", args={"key": "row-1"})
        assert jobs.status(session, job_id).state is jobs.JobState.QUEUED  # visible to its own transaction
        session.rollback()
    with pytest.raises(NotFound, match=f"no job with id {job_id}"):
        _status(factory, job_id)
    assert _drain(settings_for("main"), factory) == 0
    assert tasks_module.run_counts(factory) == {}
    assert tasks_module.effect_count(factory, "row-1") == 0


def test_a_committed_job_runs_once(
    factory: sessionmaker[Session], tasks_module: Any, settings_for: Callable[[str], Settings]
) -> None:
    with session_scope(factory) as session:
        session.execute(tasks_module.effects.insert().values(key="row-1"))
        job_id = jobs.enqueue(session, "tests.record", args={"key": "row-1"})
    queued = _status(factory, job_id)
    assert (queued.task, queued.state, queued.attempts, queued.error) == ("tests.record", jobs.JobState.QUEUED, 0, None)
    assert _drain(settings_for("main"), factory) == 1
    done = _status(factory, job_id)
    assert (done.state, done.attempts, done.error, done.finished) == (jobs.JobState.SUCCEEDED, 1, None, True)
    assert _drain(settings_for("main"), factory) == 0
    assert tasks_module.run_counts(factory) == {"row-1": 1}


def test_a_failing_task_is_retried_then_kept_as_failed_with_its_message(
    factory: sessionmaker[Session], tasks_module: Any, settings_for: Callable[[str], Settings]
) -> None:
    with session_scope(factory) as session:
        never = jobs.enqueue(session, "tests.flaky", args={"key": "never", "failures": 5})
        once = jobs.enqueue(session, "tests.flaky", args={"key": "once", "failures": 1})
        crash = jobs.enqueue(session, "tests.crash", args={"key": "crash"})
    assert _drain(settings_for("main"), factory) == 3 + 2 + 2
    failed = _status(factory, never)
    assert (failed.state, failed.attempts) == (jobs.JobState.FAILED, 3)  # max_attempts=3: three runs in all
    assert failed.error == "planned failure 3 of 5"
    recovered = _status(factory, once)
    assert (recovered.state, recovered.attempts) == (jobs.JobState.SUCCEEDED, 2)
    assert recovered.error == "planned failure 1 of 1"  # the last failed attempt's message is kept
    crashed = _status(factory, crash)
    assert (crashed.state, crashed.attempts) == (jobs.JobState.FAILED, 2)
    assert crashed.error == "unexpected error (ZeroDivisionError: division by zero)"
    assert tasks_module.run_counts(factory) == {"never": 3, "once": 2, "crash": 2}


def test_a_queueing_lock_keeps_one_job_waiting(
    factory: sessionmaker[Session], tasks_module: Any, settings_for: Callable[[str], Settings]
) -> None:
    with session_scope(factory) as session:
        first = jobs.enqueue(session, "tests.record", args={"key": "a"}, queueing_lock="batch-1")
        with pytest.raises(jobs.AlreadyQueued, match="batch-1"):
            jobs.enqueue(session, "tests.record", args={"key": "b"}, queueing_lock="batch-1")
        other = jobs.enqueue(session, "tests.record", args={"key": "c"}, queueing_lock="batch-2")
        session.execute(tasks_module.effects.insert().values(key="still-usable"))  # the transaction carries on
    assert tasks_module.effect_count(factory, "still-usable") == 1
    assert _drain(settings_for("main"), factory) == 2
    with session_scope(factory) as session:  # once it has run, the lock is free again
        again = jobs.enqueue(session, "tests.record", args={"key": "d"}, queueing_lock="batch-1")
    assert len({first, other, again}) == 3
    assert _drain(settings_for("main"), factory) == 1
    assert tasks_module.run_counts(factory) == {"a": 1, "c": 1, "d": 1}


def test_cancel_stops_a_job_that_has_not_started(
    factory: sessionmaker[Session], tasks_module: Any, settings_for: Callable[[str], Settings]
) -> None:
    with session_scope(factory) as session:
        job_id = jobs.enqueue(session, "tests.record", args={"key": "a"})
        done_id = jobs.enqueue(session, "tests.record", args={"key": "b"})
    with session_scope(factory) as session:
        assert jobs.cancel(session, job_id) is True
    assert _drain(settings_for("main"), factory) == 1
    with session_scope(factory) as session:
        assert jobs.cancel(session, job_id) is False  # already cancelled
        assert jobs.cancel(session, done_id) is False  # already done
        with pytest.raises(NotFound):
            jobs.cancel(session, 987654)
    assert _status(factory, job_id).state is jobs.JobState.CANCELLED
    assert tasks_module.run_counts(factory) == {"b": 1}


def test_bad_requests_enqueue_nothing(factory: sessionmaker[Session], tasks_module: Any) -> None:
    with session_scope(factory) as session:
        with pytest.raises(jobs.UnknownTask, match=r"no task is registered as 'tests\.nope'"):
            jobs.enqueue(session, "tests.nope", args={})
        with pytest.raises(TypeError, match="does not take these arguments"):
            jobs.enqueue(session, "tests.record", args={"key": "a", "colour": "red"})
        with pytest.raises(TypeError, match="does not take these arguments"):
            jobs.enqueue(session, "tests.record", args={})
        with pytest.raises(TypeError, match="must be JSON values"):
            jobs.enqueue(session, "tests.record", args={"key": object()})
        with pytest.raises(TypeError, match="must be JSON values"):
            jobs.enqueue(session, "tests.record", args={"key": "a", "seconds": float("nan")})
        with pytest.raises(ValueError, match="queueing lock"):
            jobs.enqueue(session, "tests.record", args={"key": "a"}, queueing_lock="")
        with pytest.raises(NotFound, match="no job with id 424242"):
            jobs.status(session, 424242)
    with factory() as session:
        table = "procrastinate_jobs" if session.get_bind().dialect.name == "postgresql" else "jobs"
        assert session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == 0


def test_arguments_arrive_as_json(
    factory: sessionmaker[Session], tasks_module: Any, settings_for: Callable[[str], Settings]
) -> None:
    """What the task receives is what JSON carries (a tuple arrives as a list), on both backends alike."""
    with session_scope(factory) as session:
        jobs.enqueue(session, "tests.record", args={"key": "é ünïcode ✓", "seconds": 0})
    assert _drain(settings_for("main"), factory) == 1
    assert tasks_module.run_counts(factory) == {"é ünïcode ✓": 1}


def test_the_registry_refuses_a_second_function_under_one_name() -> None:
    def one(session_factory: Any, settings: Any) -> None: ...

    def other(session_factory: Any, settings: Any) -> None: ...

    jobs.task("tests.registry-probe")(one)
    jobs.task("tests.registry-probe")(one)  # the same function again (a module imported twice): fine
    with pytest.raises(ValueError, match=r"two functions are registered as task 'tests\.registry-probe'"):
        jobs.task("tests.registry-probe")(other)
    with pytest.raises(ValueError, match="max_attempts"):
        jobs.task("tests.bad", max_attempts=0)
    with pytest.raises(ValueError, match="task name"):
        jobs.task("")
