"""Concurrent writers through the real HTTP app (issue 12, point 2).

The app runs under uvicorn in its own OS process (so the clients' threads do not share its GIL) on a free loopback
port, over a database seeded here: one college with a signing key, one published achievement, one earner per
client. ``hammer`` sends ``POST /api/awards`` from ``concurrency`` threads at once (each with its own keep-alive
connection) and ``read_load`` sends GETs, optionally while writers run.

Also a script, for the figures in the issue's closing note::

    .venv/bin/python tests/support/sqlite_load.py            # concurrency 1, 2, 4, 8 x 50 awards, SQLite
    .venv/bin/python tests/support/sqlite_load.py --per 20 --levels 8
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TOKEN = "load-test-token-0123456789"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Instance:
    db_url: str
    data_dir: Path
    master_key: str
    achievement_id: str
    earner_ids: list[str]


def seed(db_url: str, data_dir: Path, earners: int) -> Instance:
    """A migrated database with a college (and its key), a published achievement and ``earners`` earners."""
    from microcred import db
    from microcred.catalog import services as catalog
    from microcred.demo import COMPLY_FOOD_SAFETY, alignment
    from microcred.earners import services as earner_services
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers
    from microcred.settings import Settings

    master_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    settings = Settings(
        MICROCRED_DATA_DIR=data_dir, DATABASE_URL=db_url, MICROCRED_MASTER_KEY=master_key, MICROCRED_API_TOKEN=TOKEN
    )
    engine = db.make_engine(db_url)
    try:
        db.upgrade(engine=engine)
        with db.session_scope(db.session_factory(engine)) as session:
            org = issuers.create_organisation(
                session, kind="institution", name="Load College", country="CA", region="ON",
                url="https://load.example", legal_name="Load College of Applied Arts and Technology",
            )
            issuers.ensure_signing_key(session, org, master_key=keystore.load_master_key(settings))
            achievement = catalog.create_achievement(
                session, issuer_id=org.id, name="Concurrency Fundamentals", description="Many writers at once.",
                criteria_narrative="Issue awards in parallel.", workload_hours=1, credits=0.1,
                outcomes=[
                    {"statement": "Write without locking anyone out.", "kind": "skill",
                     "alignments": [alignment(COMPLY_FOOD_SAFETY)]},
                ],
                publish=True,
            )
            ids = [
                str(earner_services.create_earner(session, name=f"Earner {i}", email=f"earner{i}@example.org").id)
                for i in range(earners)
            ]
            achievement_id = str(achievement.id)
    finally:
        engine.dispose()
    return Instance(db_url, data_dir, master_key, achievement_id, ids)


@contextmanager
def serve(instance: Instance, *, workers: int = 1) -> Iterator[str]:
    """uvicorn in a child process serving ``instance``; yields its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MICROCRED_DATA_DIR": str(instance.data_dir),
        "DATABASE_URL": instance.db_url,
        "MICROCRED_BASE_URL": base_url,
        "MICROCRED_MASTER_KEY": instance.master_key,
        "MICROCRED_API_TOKEN": TOKEN,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "microcred.web.app:create_app", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "--workers", str(workers), "--lifespan", "off",
    ]
    log = (instance.data_dir / f"uvicorn-{port}.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited ({proc.returncode}): see {log.name}")
            try:
                if httpx.get(f"{base_url}/.well-known/did.json", timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start in 30 s")
            time.sleep(0.1)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        log.close()


@dataclass
class Run:
    concurrency: int
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    award_ids: list[str] = field(default_factory=list)
    status_indexes: list[tuple[str, int]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 400) + self.statuses.get(0, 0)

    def line(self) -> str:
        lat = sorted(self.latencies) or [0.0]
        p50, p95 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (
            f"concurrency {self.concurrency}: {self.requests} requests, {self.failed} errors, {self.seconds:.1f} s "
            f"({self.requests / self.seconds if self.seconds else 0:.1f}/s, p50 {p50 * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms) [{codes}]"
        )


def _status_index(credential: dict[str, Any]) -> tuple[str, int]:
    status = credential["credentialStatus"]
    status = status[0] if isinstance(status, list) else status
    return str(status["statusListCredential"]), int(status["statusListIndex"])


def hammer(base_url: str, instance: Instance, concurrency: int, per_client: int) -> Run:
    """``concurrency`` clients, each issuing ``per_client`` awards one after the other, all starting together."""
    run = Run(concurrency)
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency)

    def client(n: int) -> None:
        body = {"achievement_id": instance.achievement_id, "earner_id": instance.earner_ids[n]}
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base_url, timeout=120) as http:
            barrier.wait()
            for _ in range(per_client):
                start = time.monotonic()
                try:
                    response = http.post("/api/awards", json=body, headers=headers)
                except httpx.HTTPError as exc:
                    with lock:
                        run.statuses[0] += 1
                        run.errors.append(f"transport: {exc!r}")
                    continue
                elapsed = time.monotonic() - start
                with lock:
                    run.requests += 1
                    run.latencies.append(elapsed)
                    run.statuses[response.status_code] += 1
                    if response.status_code == 201:
                        data = response.json()
                        run.award_ids.append(data["id"])
                        run.status_indexes.append(_status_index(data["credential"]))
                    else:
                        run.errors.append(f"{response.status_code} {response.headers.get('retry-after')} "
                                          f"{response.text[:200]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.monotonic() - start
    return run


def read_load(base_url: str, paths: list[str], concurrency: int, per_client: int) -> Run:
    """``concurrency`` clients each GETting ``paths`` in turn ``per_client`` times (authenticated)."""
    run = Run(concurrency)
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency)

    def client(n: int) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base_url, timeout=120) as http:
            barrier.wait()
            for i in range(per_client):
                start = time.monotonic()
                response = http.get(paths[(n + i) % len(paths)], headers=headers)
                with lock:
                    run.requests += 1
                    run.latencies.append(time.monotonic() - start)
                    run.statuses[response.status_code] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.monotonic() - start
    return run


def main(argv: list[str]) -> int:  # pragma: no cover - a measuring script
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per", type=int, default=50, help="awards per client")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--reads", action="store_true", help="also measure GETs alone and during writes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "instance"
        data_dir.mkdir()
        instance = seed(f"sqlite:///{data_dir / 'microcred.db'}", data_dir, max(args.levels))
        with serve(instance) as base_url:
            for level in args.levels:
                run = hammer(base_url, instance, level, args.per)
                distinct = len(set(run.status_indexes)) == len(run.status_indexes)
                print(run.line(), "distinct status indexes" if distinct else "DUPLICATE status indexes")
                for error in sorted(set(run.errors))[:5]:
                    print("   ", error)
            if args.reads:
                first = hammer(base_url, instance, 1, 1).award_ids[0]
                paths = [f"/api/awards/{first}", f"/credentials/{first}", "/"]
                for level in args.levels:
                    print("reads alone,", read_load(base_url, paths, level, args.per).line())
                result: dict[str, Run] = {}
                writer = threading.Thread(
                    target=lambda: result.setdefault("w", hammer(base_url, instance, 4, args.per // 2))
                )
                writer.start()
                reads = read_load(base_url, paths, 4, args.per)
                writer.join()
                print("reads during 4 writers,", reads.line())
                print("  the writers,", result["w"].line())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main(sys.argv[1:]))
