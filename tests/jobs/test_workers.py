"""Workers on SQLite and PostgreSQL: concurrent workers (threads in one process, and `microcred worker` processes)
never run one job twice; a worker killed with SIGKILL mid-job leaves a job that the next worker completes, its
effect written once (the task is idempotent by its row key, as a bulk row is)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from jobs.helpers import FAST, WorkerProcess, wait_until
from microcred import jobs
from microcred.db import session_scope
from microcred.settings import Settings

JOBS = 40


def _enqueue_many(factory: sessionmaker[Session], n: int, seconds: float) -> list[int]:
    with session_scope(factory) as session:  # one transaction: every worker is woken at once by its commit
        return [jobs.enqueue(session, "tests.record", args={"key": f"row-{i}", "seconds": seconds}) for i in range(n)]


def _all_finished(factory: sessionmaker[Session], ids: list[int]) -> bool:
    with factory() as session:
        return all(jobs.status(session, job_id).state is jobs.JobState.SUCCEEDED for job_id in ids)


def _is_postgres(factory: sessionmaker[Session]) -> bool:
    return factory.kw["bind"].dialect.name == "postgresql"


def _registered_workers(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.execute(text("SELECT COUNT(*) FROM procrastinate_workers")).scalar_one())


def test_two_worker_threads_never_run_a_job_twice(
    factory: sessionmaker[Session], tasks_module: Any, settings_for: Callable[[str], Settings]
) -> None:
    stops = [threading.Event(), threading.Event()]
    ran: dict[int, int] = {}

    def work(n: int) -> None:
        ran[n] = jobs.run_worker(settings_for(f"thread-{n}"), 2, stops[n], timing=FAST)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    try:
        if _is_postgres(factory):
            wait_until(lambda: _registered_workers(factory) == 2, what="both workers to register")
        ids = _enqueue_many(factory, JOBS, 0.05)
        wait_until(lambda: _all_finished(factory, ids), what="every job to succeed")
    finally:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    counts = tasks_module.run_counts(factory)
    assert counts == {f"row-{i}": 1 for i in range(JOBS)}
    assert sum(ran.values()) == JOBS
    assert tasks_module.workers_seen(factory) == {"http://thread-0.test", "http://thread-1.test"}


def test_two_worker_processes_never_run_a_job_twice(
    factory: sessionmaker[Session], tasks_module: Any, worker_process: Callable[..., WorkerProcess]
) -> None:
    workers = [worker_process(f"process-{n}", "--concurrency", "2") for n in range(2)]
    for worker in workers:
        wait_until(lambda w=worker: "worker started" in w.output(), timeout=60, what="the worker to start")
    if _is_postgres(factory):
        wait_until(lambda: _registered_workers(factory) == 2, what="both workers to register")
    ids = _enqueue_many(factory, JOBS, 0.05)
    wait_until(lambda: _all_finished(factory, ids), timeout=60, what="every job to succeed")
    for worker in workers:
        assert worker.stop() == 0, worker.output()
        assert "worker stopped" in worker.output()
    assert tasks_module.run_counts(factory) == {f"row-{i}": 1 for i in range(JOBS)}
    assert tasks_module.workers_seen(factory) == {"http://process-0.test", "http://process-1.test"}


def test_a_killed_workers_job_is_completed_once_by_the_next_worker(
    factory: sessionmaker[Session], tasks_module: Any, worker_process: Callable[..., WorkerProcess]
) -> None:
    with session_scope(factory) as session:
        job_id = jobs.enqueue(session, "tests.effect_once", args={"key": "row-7", "hold_first": 120})
    first = worker_process("doomed")
    # the first attempt has written its effect and holds on: kill -9 it there, before it can finish the job
    wait_until(lambda: tasks_module.effect_count(factory, "row-7") == 1, timeout=60, what="the first attempt")
    first.kill()
    with factory() as session:
        assert jobs.status(session, job_id).state is jobs.JobState.DOING
    second = worker_process("survivor")

    def finished() -> jobs.JobStatus | None:
        with factory() as session:
            found = jobs.status(session, job_id)
        return found if found.finished else None

    done = wait_until(finished, timeout=60, what="the next worker to complete the job")
    assert second.stop() == 0, second.output()
    assert done.state is jobs.JobState.SUCCEEDED, second.output()
    assert done.attempts == 2  # the attempt cut short counts
    assert done.error is not None and "the worker running attempt 1 stopped" in done.error
    assert tasks_module.run_counts(factory) == {"row-7": 2}
    assert tasks_module.effect_count(factory, "row-7") == 1
    assert tasks_module.workers_seen(factory) == {"http://doomed.test", "http://survivor.test"}
