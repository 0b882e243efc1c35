"""Job tests: a migrated database on SQLite and PostgreSQL (`factory`), the test tasks and their tables, settings
naming a worker, and `microcred worker` processes (stopped after the test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from jobs.helpers import TASKS_MODULE, WorkerProcess
from microcred.settings import Settings
from support.instance import test_settings


@pytest.fixture
def tasks_module(engine: Engine) -> Iterator[Any]:
    import importlib

    module = importlib.import_module(TASKS_MODULE)
    module.create_tables(engine)
    module.reset()
    yield module
    module.release()  # a test that failed half-way leaves no task waiting


@pytest.fixture
def db_engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def settings_for(db_engine_url: str, master_key: bytes, tmp_path: Path) -> Callable[[str], Settings]:
    """Settings on the test database; ``name`` goes in the base URL, which the test tasks record as the worker."""

    def make(name: str = "main") -> Settings:
        return test_settings(master_key, f"http://{name}.test", tmp_path / "instance", DATABASE_URL=db_engine_url)

    return make


@pytest.fixture
def worker_process(db_engine_url: str, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(name: str, *args: str) -> WorkerProcess:
        worker = WorkerProcess(db_engine_url, name, tmp_path, *args)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()

