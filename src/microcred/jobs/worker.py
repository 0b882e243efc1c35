"""Running jobs: `run_worker` (until stopped), `drain` (until nothing is ready), and the embedded worker thread that
``microcred serve`` starts on SQLite. Which backend runs them follows the database: procrastinate workers on
PostgreSQL, `runner.Runner` threads otherwise."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from microcred.errors import DomainError
from microcred.jobs import postgres, tasks
from microcred.jobs.runner import Runner
from microcred.jobs.state import DEFAULT_TIMING, WorkerOptions, WorkerTiming
from microcred.settings import Settings

log = logging.getLogger(__name__)


class NotReady(DomainError):
    """The database has no job tables yet (migrations not applied)."""


def _engine(factory: sessionmaker[Session]) -> Engine:
    engine = factory.kw.get("bind")
    if not isinstance(engine, Engine):
        raise TypeError("the session factory must be bound to an engine")
    return engine


def uses_postgres(factory: sessionmaker[Session]) -> bool:
    return _engine(factory).dialect.name == "postgresql"


@contextmanager
def _factory_for(settings: Settings, factory: sessionmaker[Session] | None) -> Iterator[sessionmaker[Session]]:
    """The given factory, or one on the settings' database (its engine disposed of afterwards)."""
    if factory is not None:
        yield factory
        return
    from microcred.db import make_engine, session_factory

    engine = make_engine(settings.resolved_database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (running jobs finish first); the previous handlers come back afterwards."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping once the running jobs finish", signum)
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def check_ready(factory: sessionmaker[Session]) -> None:
    """NotReady unless the job tables exist (procrastinate's on PostgreSQL, ``jobs`` otherwise)."""
    with factory() as session:
        postgresql = uses_postgres(factory)
        present = postgres.ready(session) if postgresql else inspect(session.connection()).has_table("jobs")
    if not present:
        raise NotReady("the database has no job tables yet: run `microcred init` (or `microcred serve`) first")


def _run(
    settings: Settings, factory: sessionmaker[Session] | None, options: WorkerOptions, stop: threading.Event | None
) -> int:
    tasks.load_task_modules()
    with _factory_for(settings, factory) as bound:
        if uses_postgres(bound):
            return postgres.run(bound, settings, options, stop)
        stop = stop or threading.Event()
        with _stop_on_signals(stop) if options.install_signal_handlers else nullcontext():
            return Runner(bound, settings, options).run(stop)


def run_worker(
    settings: Settings,
    concurrency: int = 1,
    stop_event: threading.Event | None = None,
    *,
    queues: Iterable[str] | None = None,
    session_factory: sessionmaker[Session] | None = None,
    timing: WorkerTiming = DEFAULT_TIMING,
) -> int:
    """Run jobs until ``stop_event`` is set (or, without one, in the main thread: until SIGINT/SIGTERM), running
    ``concurrency`` at once from ``queues`` (None: every queue). Returns how many attempts this worker ran."""
    in_main = threading.current_thread() is threading.main_thread()
    options = WorkerOptions(
        concurrency, tuple(queues) if queues else None, timing,
        until_idle=False, install_signal_handlers=stop_event is None and in_main,
    )
    return _run(settings, session_factory, options, stop_event)


def drain(
    settings: Settings,
    *,
    concurrency: int = 1,
    queues: Iterable[str] | None = None,
    session_factory: sessionmaker[Session] | None = None,
    timing: WorkerTiming = DEFAULT_TIMING,
) -> int:
    """Run jobs until none is ready (retries due now included; jobs of dead workers taken over first); how many
    attempts ran. For the command line (`microcred worker --once`) and tests."""
    options = WorkerOptions(concurrency, tuple(queues) if queues else None, timing, until_idle=True)
    return _run(settings, session_factory, options, None)


class EmbeddedWorker:
    """Worker threads inside the web process (SQLite: `make run` needs nothing else)."""

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, *, concurrency: int = 1,
        timing: WorkerTiming = DEFAULT_TIMING,
    ) -> None:
        self._runner = Runner(factory, settings, WorkerOptions(concurrency, None, timing))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="microcred-jobs", daemon=True)
        self.timing = timing

    def _main(self) -> None:
        try:
            self._runner.run(self._stop)
        except Exception:  # pragma: no cover - Runner handles its own errors; never take the server down
            log.exception("the embedded job worker stopped")

    def start(self) -> EmbeddedWorker:
        tasks.load_task_modules()
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop taking jobs and wait (up to ``timeout``, default the shutdown timeout) for running ones; True once
        stopped. A job still running then is taken over by the next worker after the stalled timeout."""
        self._stop.set()
        self._runner.wake()
        self._thread.join(self.timing.shutdown_timeout if timeout is None else timeout)
        stopped = not self._thread.is_alive()
        if not stopped:
            log.warning("the embedded job worker is still finishing a job; it will be run again if it was cut short")
        return stopped


def start_embedded_worker(
    settings: Settings, factory: sessionmaker[Session], *, concurrency: int = 1,
    timing: WorkerTiming = DEFAULT_TIMING,
) -> EmbeddedWorker | None:
    """On SQLite, start worker threads in this process and return them; on PostgreSQL None (jobs are run by
    `microcred worker` processes)."""
    if uses_postgres(factory):
        return None
    return EmbeddedWorker(factory, settings, concurrency=concurrency, timing=timing).start()
