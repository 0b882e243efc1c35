"""Helpers of the job tests: polling with a deadline (never a blind sleep) and `microcred worker` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from microcred.jobs import WorkerTiming

TESTS = Path(__file__).resolve().parents[1]
TASKS_MODULE = "jobs.sample_tasks"
# Short heartbeats so a killed worker's job is taken over within seconds.
FAST = WorkerTiming(poll_interval=0.1, heartbeat_interval=0.3, stalled_after=1.5, shutdown_timeout=10.0)


def wait_until(check: Callable[[], Any], *, timeout: float = 30.0, what: str = "the condition") -> Any:
    """Poll ``check`` every 50 ms until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class WorkerProcess:
    """A `microcred worker` process on the test database, with the test tasks loaded."""

    def __init__(self, db_url: str, name: str, tmp_path: Path, *args: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "MICROCRED_DATA_DIR": str(tmp_path / "instance"),
            "MICROCRED_BASE_URL": f"http://{name}.test",
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        }
        command = [
            str(Path(sys.executable).with_name("microcred")), "worker", "--import-tasks", TASKS_MODULE,
            "--heartbeat", str(FAST.heartbeat_interval), "--stalled-after", str(FAST.stalled_after), *args,
        ]
        self.log = tmp_path / f"worker-{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM (graceful: running jobs finish first); the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the worker did not stop on SIGTERM:\n{self.output()[-3000:]}")
