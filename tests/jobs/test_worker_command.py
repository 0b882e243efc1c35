"""`microcred worker` on SQLite and PostgreSQL: --once runs what is ready; an instance without job tables, bad
timings and an unknown task module are refused with one line and exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from jobs.helpers import TASKS_MODULE
from microcred import jobs
from microcred.cli import _register, app
from microcred.db import session_scope
from microcred.settings import get_settings

_register()


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["worker", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def instance(isolated_settings: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_worker_once_runs_what_is_ready(
    instance: str, factory: sessionmaker[Session], tasks_module: Any
) -> None:
    with session_scope(factory) as session:
        ok = jobs.enqueue(session, "tests.record", args={"key": "a"})
        bad = jobs.enqueue(session, "tests.crash", args={"key": "b"})
    code, out, err = run("--once", "--import-tasks", TASKS_MODULE, "--heartbeat", "0.5", "--stalled-after", "2")
    assert code == 0, err
    assert "3 job attempt(s) run; nothing else is ready" in out  # one, then the crashing task's two attempts
    with factory() as session:
        assert jobs.status(session, ok).state is jobs.JobState.SUCCEEDED
        assert jobs.status(session, bad).state is jobs.JobState.FAILED
    code, out, err = run("--once", "--import-tasks", TASKS_MODULE)
    assert code == 0 and "0 job attempt(s) run" in out, err


def test_worker_needs_the_job_tables(instance: str) -> None:
    code, _, err = run("--once")
    assert code == 2
    assert "no job tables yet: run `microcred init`" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--heartbeat", "10", "--stalled-after", "15"], "at least twice the heartbeat interval"),
        (["--import-tasks", "no_such_module_for_microcred"], "--import-tasks no_such_module_for_microcred: cannot"),
        (["--concurrency", "0"], "--concurrency"),
    ],
)
def test_worker_refuses_bad_options(instance: str, args: list[str], message: str) -> None:
    code, _, err = run("--once", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
