"""Section 3: HTTP. `microcred serve --workers 2` on loopback (a child process: a uvicorn supervisor and two
worker processes), under a bounded load from a light keep-alive client in this process (benchmarks/rawhttp.py:
the client shares the machine's cores, and httpx cost as much CPU per request as the server): a fixed number of
requests after a warm-up, ``CONCURRENCY`` connections at a time, each request's latency recorded.

Figures: requests per wall second, p50 and p99 latency (client side), and requests per CPU second of the server's
processes (read from /proc: the supervisor and its workers). The baseline is the same credential served as
JSON-LD, which verifies nothing: what the server does per request besides verifying."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks import rawhttp
from benchmarks.instance import Instance
from benchmarks.report import Section
from benchmarks.timing import Figure

CONCURRENCY = 8
WORKERS = 2
START_TIMEOUT_SECONDS = 60
BASELINE = "GET /credentials/{id} as JSON-LD (no verification)"


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def processes(self) -> list[int]:
        """The supervisor and every process under it (its workers, multiprocessing's helpers)."""
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                queue += [int(child) for child in task.read_text().split()]
        return found

    def workers(self) -> int:
        """How many uvicorn worker processes are running (spawned children of the supervisor)."""
        count = 0
        for pid in self.processes()[1:]:
            try:
                count += b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
        return count

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's processes so far (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.processes():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / ticks


def _microcred() -> list[str]:
    script = Path(sys.executable).with_name("microcred")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from microcred.cli import main; main()"]


def _wait_until_up(server: Server, workers: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = server.log.read_text()[-2000:]
            raise RuntimeError(f"microcred serve exited ({server.process.returncode}): {log}")
        try:
            answered = httpx.get(f"{server.base_url}/.well-known/did.json", timeout=2).status_code == 200
        except httpx.HTTPError:
            answered = False
        if answered and (workers == 1 or server.workers() >= workers):
            return
        time.sleep(0.2)
    raise RuntimeError(f"microcred serve did not answer in {START_TIMEOUT_SECONDS} s: {server.log.read_text()[-2000:]}")


@contextmanager
def served(inst: Instance, workers: int = WORKERS) -> Iterator[Server]:
    """`microcred serve --workers N` on the instance's loopback port, stopped (SIGTERM, then SIGKILL) at the end."""
    log = inst.root / "serve.log"
    command = [*_microcred(), "serve", "--host", "127.0.0.1", "--port", str(inst.port), "--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=inst.child_env(), stdout=out, stderr=subprocess.STDOUT)
    server = Server(process, inst.base_url, log)
    try:
        _wait_until_up(server, workers)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@dataclass(frozen=True)
class Load:
    name: str
    request: rawhttp.Request
    check: Callable[[rawhttp.Response], bool]
    verification: bool = True


def _failure(response: rawhttp.Response) -> str:
    """What a response that failed its check said: its status, and the checks that did not pass (a verification)."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:300]}"
    if isinstance(body, dict) and isinstance(body.get("checks"), list):
        failed = [c for c in body["checks"] if isinstance(c, dict) and not c.get("passed")]
        return f"{response.status_code}: {failed}"[:1000]
    return f"{response.status_code}: {str(body)[:300]}"


FAILURES: list[str] = []  # the first few failed checks of this run, reported with the figure


async def _drive(base_url: str, load: Load, requests: int) -> tuple[list[float], bool]:
    latencies: list[float] = []
    remaining = [requests]
    ok = [True]

    async def worker() -> None:
        connection = await rawhttp.Connection.open(base_url)
        raw = load.request.raw(connection.host)
        try:
            while remaining[0] > 0:
                remaining[0] -= 1
                start = time.perf_counter()
                response = await asyncio.wait_for(connection.send(raw), timeout=60)
                latencies.append(time.perf_counter() - start)
                passed = load.check(response)
                if not passed and len(FAILURES) < 3:
                    FAILURES.append(f"{load.name}: {_failure(response)}")
                ok[0] = passed and ok[0]
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return latencies, ok[0]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def measure_load(server: Server, load: Load, *, requests: int, warm_up: int) -> Figure:
    _, warm_ok = asyncio.run(_drive(server.base_url, load, warm_up))
    cpu0, client0, wall0 = server.cpu_seconds(), time.process_time(), time.perf_counter()
    latencies, ok = asyncio.run(_drive(server.base_url, load, requests))
    wall, client = time.perf_counter() - wall0, time.process_time() - client0
    verified = (ok and warm_ok) if load.verification else None
    figure = Figure(requests, server.cpu_seconds() - cpu0, wall, verified=verified)
    figure.extra.update(
        p50_ms=round(1000 * statistics.median(latencies), 3),
        p99_ms=round(1000 * _percentile(latencies, 0.99), 3),
        max_ms=round(1000 * max(latencies), 3),
        concurrency=CONCURRENCY,
        server_workers=server.workers(),
        client_cpu_seconds=round(client, 3),
        cpu_is="the server's processes",
    )
    if not (ok and warm_ok) and not load.verification:
        figure.extra["failed"] = True
    if not (ok and warm_ok):
        figure.extra["first_failures"] = [f for f in FAILURES if f.startswith(load.name)]
    return figure


def loads(document: dict[str, Any]) -> list[Load]:
    path = "/credentials/" + str(document["id"]).rsplit("/", 1)[1]
    body = {"verifiableCredential": document}
    return [
        Load(BASELINE, rawhttp.Request("GET", path, (("Accept", "application/ld+json"),)),
             lambda r: r.status_code == 200 and r.json().get("id") == document["id"], verification=False),
        Load("POST /credentials/verify", rawhttp.json_request("/credentials/verify", body),
             lambda r: r.status_code == 200 and r.json().get("verified") is True),
        Load("GET /credentials/{id} as HTML", rawhttp.Request("GET", path, (("Accept", "text/html"),)),
             lambda r: r.status_code == 200 and b"verdict-ok" in r.content),
    ]


def run(server: Server, document: dict[str, Any], *, requests: int, warm_up: int) -> Section:
    section = Section("http", f"3. HTTP: microcred serve --workers {WORKERS}, loopback, concurrency {CONCURRENCY}")
    section.notes += [
        f"{requests} requests after {warm_up} of warm-up; the Food Safety award; CPU = the server's processes"
        " (supervisor + workers, from /proc); p50/p99 = client-side latency; the client runs on the same machine",
        "baseline: the same credential as JSON-LD (no verification) from the same server in this same run",
    ]
    for load in loads(document):
        figure = measure_load(server, load, requests=requests, warm_up=warm_up)
        section.add("Food Safety award", load.name, figure, vs=None if load.name == BASELINE else BASELINE)
        for failure in figure.extra.get("first_failures", []):
            section.notes.append(f"a response that failed its check: {failure}")
    return section
