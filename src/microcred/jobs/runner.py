"""Worker threads of the embedded backend: ``concurrency`` threads claim and run jobs, one more sends the
heartbeats of the attempts they are running. The same runner serves ``microcred serve`` (a background thread),
``microcred worker`` on SQLite and ``jobs.drain`` (until nothing is ready)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from microcred.jobs import embedded, tasks
from microcred.jobs.state import WorkerOptions, WorkerTiming, describe_error
from microcred.settings import Settings

log = logging.getLogger(__name__)


class Runner:
    def __init__(self, factory: sessionmaker[Session], settings: Settings, options: WorkerOptions) -> None:
        self.factory, self.settings, self.options = factory, settings, options
        self.timing: WorkerTiming = options.timing
        self._running: dict[str, embedded.Claimed] = {}
        self._lock = threading.Lock()
        self._ran = 0
        self._wake = threading.Event()
        self._last_problem = ""

    def run(self, stop: threading.Event) -> int:
        """Run jobs until ``stop`` is set (or, ``options.until_idle``, until none is ready); how many attempts ran."""
        beat_stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(beat_stop,), name="microcred-jobs-heartbeat", daemon=True)
        workers = [
            threading.Thread(
                target=self._work, args=(stop, self.options.until_idle), name=f"microcred-jobs-{n + 1}", daemon=True
            )
            for n in range(self.options.concurrency)
        ]
        embedded.listen(self._wake)
        beat.start()
        try:
            for worker in workers:
                worker.start()
            for worker in workers:
                while worker.is_alive():
                    worker.join(0.2)
                    if stop.is_set():
                        self._wake.set()  # a thread waiting for work looks at `stop` now
        finally:
            embedded.unlisten(self._wake)
            beat_stop.set()
            beat.join()
        return self._ran

    def wake(self) -> None:
        """Threads waiting for work look now (at new jobs, or at their stop event)."""
        self._wake.set()

    def _work(self, stop: threading.Event, until_idle: bool) -> None:
        while not stop.is_set():
            claimed = self._claim()
            if claimed is not None:
                self._run(claimed)
                continue
            if until_idle:
                return
            self._wake.wait(self.timing.poll_interval)
            self._wake.clear()

    def _claim(self) -> embedded.Claimed | None:
        try:
            claimed = embedded.claim(self.factory, self.timing, self.options.queues)
        except Exception as exc:  # the database is away or not migrated: say so once, keep trying
            problem = describe_error(exc)
            if problem != self._last_problem:
                log.warning("the job worker cannot read the jobs table: %s", problem)
                self._last_problem = problem
            return None
        self._last_problem = ""
        if claimed is not None:
            with self._lock:
                self._running[claimed.token] = claimed
        return claimed

    def _run(self, claimed: embedded.Claimed) -> None:
        try:
            error = self._execute(claimed)
            try:
                if error is None:
                    embedded.succeeded(self.factory, claimed)
                else:
                    embedded.failed(self.factory, claimed, error)
            except Exception:  # the attempt stays "doing": after the stalled timeout it runs again
                log.exception("job %s (%s): its outcome could not be recorded", claimed.id, claimed.task)
        finally:
            with self._lock:
                self._running.pop(claimed.token, None)
                self._ran += 1

    def _execute(self, claimed: embedded.Claimed) -> str | None:
        """Run the attempt; None on success, else the failure's message."""
        try:
            spec = tasks.get(claimed.task)
            spec.fn(self.factory, self.settings, **claimed.args)
        except Exception as exc:
            log.warning(
                "job %s (%s) attempt %s failed", claimed.id, claimed.task, claimed.attempts + 1, exc_info=True
            )
            return describe_error(exc)
        return None

    def _beat(self, beat_stop: threading.Event) -> None:
        while not beat_stop.wait(self.timing.heartbeat_interval):
            with self._lock:
                tokens = list(self._running)
            try:
                embedded.heartbeat(self.factory, tokens)
            except Exception as exc:
                log.warning("job heartbeat failed: %s", describe_error(exc))

