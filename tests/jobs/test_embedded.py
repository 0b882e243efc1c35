"""The embedded worker: on SQLite `microcred serve` runs jobs in a thread of the web process (started by the app's
lifespan, stopped on shutdown once its running job finished); on PostgreSQL the app starts none."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from jobs.helpers import FAST, wait_until
from microcred import jobs
from microcred.db import session_scope
from microcred.settings import Settings
from microcred.web.app import create_app


def _state(factory: sessionmaker[Session], job_id: int) -> jobs.JobState:
    with factory() as session:
        return jobs.status(session, job_id).state


def test_the_web_app_runs_jobs_in_a_thread_on_sqlite_only(
    factory: sessionmaker[Session], tasks_module: Any, settings_for: Callable[[str], Settings]
) -> None:
    sqlite = factory.kw["bind"].dialect.name == "sqlite"
    app = create_app(settings=settings_for("web"), session_factory=factory)
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
        with session_scope(factory) as session:
            job_id = jobs.enqueue(session, "tests.record", args={"key": "from-web"})
        if sqlite:  # woken by the commit in this process: no need to wait for the next poll
            wait_until(lambda: _state(factory, job_id) is jobs.JobState.SUCCEEDED, timeout=10, what="the job")
    if sqlite:
        assert tasks_module.run_counts(factory) == {"from-web": 1}
        assert tasks_module.workers_seen(factory) == {"http://web.test"}
    else:  # PostgreSQL: `microcred worker` processes run jobs, the web process never does
        assert jobs.start_embedded_worker(settings_for("web"), factory) is None
        assert _state(factory, job_id) is jobs.JobState.QUEUED
        assert tasks_module.run_counts(factory) == {}


def test_stopping_the_embedded_worker_lets_its_running_job_finish_and_takes_no_other(
    factory: sessionmaker[Session], tasks_module: Any, settings_for: Callable[[str], Settings]
) -> None:
    if factory.kw["bind"].dialect.name != "sqlite":
        assert jobs.start_embedded_worker(settings_for("embedded"), factory) is None
        return
    worker = jobs.start_embedded_worker(settings_for("embedded"), factory, timing=FAST)
    assert worker is not None and worker.alive
    with session_scope(factory) as session:
        running = jobs.enqueue(session, "tests.wait_for", args={"key": "long", "seconds": 20})
    wait_until(lambda: tasks_module.run_counts(factory).get("long") == 1, timeout=10, what="the job to start")
    with session_scope(factory) as session:
        waiting = jobs.enqueue(session, "tests.record", args={"key": "later"})
    stopped: list[bool] = []
    stopper = threading.Thread(target=lambda: stopped.append(worker.stop(timeout=15)))
    stopper.start()
    assert _state(factory, running) is jobs.JobState.DOING
    tasks_module.release()  # the running job ends while stop() waits for it
    stopper.join(20)
    assert stopped == [True] and not worker.alive
    assert _state(factory, running) is jobs.JobState.SUCCEEDED
    assert _state(factory, waiting) is jobs.JobState.QUEUED  # left for the next worker
    assert tasks_module.run_counts(factory) == {"long": 1}
