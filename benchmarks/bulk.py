"""Section 4, bulk rows (issue 15): a cohort CSV issued as one award batch, the way an institution issues a term,
next to pure signing of the same credential documents in the same run.

- **PostgreSQL**, a fresh seeded instance (a fresh schema) per measurement: the batch's dry run is stored and
  untimed; then ``workers`` real ``microcred worker`` processes (procrastinate, ``--concurrency 1``) are started and
  registered, the batch is started (its job(s) queued in that commit) and the wall time runs from just before
  that commit until the batch is ``finished``. Run with 1 worker, then with 2.
- **SQLite**: ``microcred serve`` (one process; its embedded job worker thread, as ``make run``), the batch started
  from this process, timed the same way.

CPU = the worker processes' own (from /proc), not PostgreSQL's; peak RSS = each worker process's VmHWM. After each
run every row must be issued, once, with the audit chain intact (else the section fails).

The baseline: ``sign_data_integrity`` of every credential document the batch issued (its proof removed), with the
same key and memos off (a new document is never in them), one after the other in this process."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.http_load import _microcred, served
from benchmarks.instance import Instance, instance
from benchmarks.report import Section
from benchmarks.timing import Figure

SIGN = "sign_data_integrity of the batch's documents (pure signing)"
ACHIEVEMENT = "spreadsheet-analysis"  # the demo cohort's course (src/microcred/demo/bulk.py): results, a term
HEADER = ["earner_name", "email", "achievement_id", "outcome_1", "outcome_2", "outcome_3", "outcome_4", "term",
          "credits_earned"]
LEVELS = ("Proficient", "Exemplary")
START_TIMEOUT_SECONDS = 60
PAGE = 500


def cohort_csv(rows: int, tag: str) -> bytes:
    """``rows`` distinct new earners, each awarded the demo's spreadsheet course with per-outcome results."""
    from microcred.demo.ids import achievement_id

    aid = str(achievement_id(ACHIEVEMENT))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(1, rows + 1):
        writer.writerow([
            f"Bulk Learner {tag} {i}", f"bulk.{tag}.{i}@learner.example", aid, str(70 + i % 30),
            LEVELS[i % 2], LEVELS[(i + 1) % 2], "Proficient", "2026 Fall", "1.0",
        ])
    return buffer.getvalue().encode("utf-8")


def _make_batch(inst: Instance, rows: int, tag: str) -> uuid.UUID:
    """The batch and its dry run (stored, untimed), not started; every row must pass the dry run."""
    from microcred.batches import services
    from microcred.db import session_scope
    from microcred.demo.ids import COLLEGE_ID

    data = cohort_csv(rows, tag)
    with session_scope(inst.factory) as session:
        batch = services.create_from_file(
            session, data, max_bytes=len(data) + 1, base_url=inst.base_url,
            options=services.Options(created_by="bench", file_name=f"bench-{tag}.csv", organisation_id=COLLEGE_ID),
        )
        if batch.refused_count:
            first = next(r.error for r in services.rows(session, batch.id) if r.error)
            raise RuntimeError(f"the dry run refused {batch.refused_count} of {rows} rows, e.g. {first}")
        return batch.id


def _start(inst: Instance, batch_id: uuid.UUID) -> None:
    from microcred.batches import services
    from microcred.db import session_scope

    with session_scope(inst.factory) as session:
        services.start(session, batch_id)


def _state(inst: Instance, batch_id: uuid.UUID) -> tuple[str, Any, Any]:
    from microcred.batches import services

    with inst.factory() as session:
        batch = services.get_batch(session, batch_id)
        return batch.state, batch.started_at, batch.finished_at


def _proc_status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def _peak_rss_mb(pid: int) -> float:
    value = _proc_status(pid).get("VmHWM", "0 kB").split()[0]
    return int(value) / 1024


def _cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def _workers(inst: Instance, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` `microcred worker` processes on the instance's PostgreSQL schema, each registered (listening)."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for n in range(count):
            log = (inst.root / f"worker-{n}.log").open("wb")
            processes.append(subprocess.Popen([*_microcred(), "worker", "--concurrency", "1"], env=inst.child_env(),
                                              stdout=log, stderr=subprocess.STDOUT))
            log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            with inst.engine.connect() as conn:
                registered = int(conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one())
            if registered >= count:
                break
            dead = [p for p in processes if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = "\n".join((inst.root / f"worker-{n}.log").read_text()[-1500:] for n in range(count))
                raise RuntimeError(f"{registered} of {count} workers registered: {logs}")
            time.sleep(0.1)
        yield processes
    finally:
        for process in processes:
            _stop(process)


def _wait_finished(inst: Instance, batch_id: uuid.UUID, pids: list[int], timeout: float) -> tuple[float, float]:
    """Poll until the batch is finished: (wall seconds since the caller's start, peak RSS MB of ``pids``)."""
    deadline = time.monotonic() + timeout
    peak = 0.0
    while True:
        state, _, _ = _state(inst, batch_id)
        peak = max([peak, *(_peak_rss_mb(pid) for pid in pids)])
        if state == "finished":
            return time.perf_counter(), peak
        if state != "running" and state != "queued":
            raise RuntimeError(f"batch {batch_id} ended {state}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"batch {batch_id} still {state} after {timeout:.0f} s")
        time.sleep(0.05)


def _check(inst: Instance, batch_id: uuid.UUID, rows: int) -> None:
    """Every row issued, once (its own award), and the audit chain intact; else the bench fails."""
    from sqlalchemy import func, select

    from microcred.audit import services as audit
    from microcred.awards.models import Award
    from microcred.batches import services

    with inst.factory() as session:
        found = services.counts(session, batch_id)
        awarded = session.scalar(select(func.count(func.distinct(Award.id))).where(
            Award.id.in_(select(services.AwardBatchRow.award_id).where(services.AwardBatchRow.batch_id == batch_id))))
        chain = audit.verify_chain(session)
    if found["issued"] != rows or awarded != rows:
        raise RuntimeError(f"batch {batch_id}: {found} and {awarded} awards, {rows} rows expected")
    if not chain.intact:
        raise RuntimeError(f"the audit chain is broken after batch {batch_id}: {chain.reason}")


def _documents(inst: Instance, batch_id: uuid.UUID) -> Iterator[list[dict[str, Any]]]:
    """The batch's credential documents, a page at a time."""
    from sqlalchemy import select

    from microcred.awards import queries as awards
    from microcred.awards.models import Award
    from microcred.batches import services

    ids = select(services.AwardBatchRow.award_id).where(services.AwardBatchRow.batch_id == batch_id)
    with inst.factory() as session:
        award_ids = list(session.scalars(select(Award.id).where(Award.id.in_(ids)).order_by(Award.id)))
    for start in range(0, len(award_ids), PAGE):
        with inst.factory() as session:
            page = session.scalars(select(Award).where(Award.id.in_(award_ids[start:start + PAGE])))
            yield [awards.credential_document(a) for a in page]


def pure_signing(inst: Instance, batch_id: uuid.UUID) -> Figure:
    """The baseline: each credential document of the batch signed again (DI), one after the other, memos off."""
    from microcred.demo.ids import COLLEGE_ID
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers
    from microcred.vc import memo, sign_data_integrity

    with inst.factory() as session:
        material = issuers.signing_material(session, COLLEGE_ID, base_url=inst.base_url,
                                            master_key=keystore.load_master_key(inst.settings))
    ops, cpu, wall = 0, 0.0, 0.0
    with memo.disabled():
        for page in _documents(inst, batch_id):
            for document in page:
                proof = document["proof"][0] if isinstance(document["proof"], list) else document["proof"]
                unsigned = {k: v for k, v in document.items() if k != "proof"}
                cpu0, wall0 = time.process_time(), time.perf_counter()
                sign_data_integrity(unsigned, material.key, material.verification_method, created=proof["created"])
                wall += time.perf_counter() - wall0
                cpu += time.process_time() - cpu0
                ops += 1
    return Figure(ops, cpu, wall)


@dataclass
class Run:
    figure: Figure
    batch_id: uuid.UUID


def _figure(rows: int, wall: float, cpu: float, peak: float, processes: int, db_times: tuple[Any, Any]) -> Figure:
    started, finished = db_times
    figure = Figure(rows, cpu, wall)
    figure.extra.update(
        worker_processes=processes,
        peak_rss_mb=round(peak, 1),
        batch_seconds_in_db=round((finished - started).total_seconds(), 3) if started and finished else None,
        cpu_is="the worker processes' (PostgreSQL's own CPU not counted)",
    )
    return figure


def postgres_run(root: Path, rows: int, workers: int, timeout: float, *, baseline: bool) -> tuple[Run, Figure | None]:
    """One batch of ``rows`` on a fresh PostgreSQL instance, run by ``workers`` `microcred worker` processes; and
    the baseline on its documents when ``baseline``."""
    with instance(root, "postgresql", f"bulk-pg-{workers}") as inst:
        batch_id = _make_batch(inst, rows, f"pg{workers}")
        with _workers(inst, workers) as processes:
            pids = [p.pid for p in processes]
            cpu0, wall0 = _cpu_seconds(pids), time.perf_counter()
            _start(inst, batch_id)
            done, peak = _wait_finished(inst, batch_id, pids, timeout)
            cpu = _cpu_seconds(pids) - cpu0
        _check(inst, batch_id, rows)
        _, started, finished = _state(inst, batch_id)
        result = Run(_figure(rows, done - wall0, cpu, peak, workers, (started, finished)), batch_id)
        return result, pure_signing(inst, batch_id) if baseline else None


def sqlite_run(root: Path, rows: int, timeout: float) -> tuple[Run, Figure]:
    """One batch of ``rows`` on SQLite, issued by `microcred serve`'s embedded worker thread; and the baseline."""
    with instance(root, "sqlite", "bulk-sqlite") as inst:
        batch_id = _make_batch(inst, rows, "lite")
        with served(inst, workers=1) as server:
            pids = server.processes()
            cpu0, wall0 = server.cpu_seconds(), time.perf_counter()
            _start(inst, batch_id)
            done, peak = _wait_finished(inst, batch_id, pids, timeout)
            cpu = server.cpu_seconds() - cpu0
        _check(inst, batch_id, rows)
        _, started, finished = _state(inst, batch_id)
        figure = _figure(rows, done - wall0, cpu, peak, 1, (started, finished))
        figure.extra["cpu_is"] = "the microcred serve process (web app + its embedded job worker thread)"
        return Run(figure, batch_id), pure_signing(inst, batch_id)


def _times(figure: Figure, baseline: Figure) -> float:
    return round(figure.wall / baseline.wall, 3) if baseline.wall else 0.0


def run(section: Section, root: Path, *, postgres_rows: int, sqlite_rows: int, timeout: float = 3600.0) -> Section:
    """Add the bulk rows to ``section`` (the issuing section): PostgreSQL 1 and 2 workers, then SQLite."""
    section.notes += [
        f"bulk: a cohort CSV of distinct new earners (the demo's spreadsheet course, per-outcome results, a term),"
        f" {postgres_rows} rows on PostgreSQL (a fresh instance for each worker count; `microcred worker`"
        f" processes), {sqlite_rows} on SQLite (`microcred serve`, its embedded job worker); wall time from the"
        " start's commit to the batch finished (its dry run is untimed); CPU = the worker processes'",
        "bulk baseline: sign_data_integrity of the same documents the batch issued, one after the other in this"
        " process, memos off; wall_vs_pure_signing = batch wall time / that signing time (target ≤ 3 with 2"
        " workers); every row was checked issued once, audit chain intact",
    ]
    case = f"Bulk batch of {postgres_rows} rows, PostgreSQL"
    one, _ = postgres_run(root, postgres_rows, 1, timeout, baseline=False)
    two, baseline = postgres_run(root, postgres_rows, 2, timeout, baseline=True)
    assert baseline is not None
    section.add(case, SIGN, baseline)
    for label, result in (("batch, 1 worker process", one), ("batch, 2 worker processes", two)):
        result.figure.extra["wall_vs_pure_signing"] = _times(result.figure, baseline)
        section.add(case, label, result.figure, vs=SIGN)
    two.figure.extra["speed_up_vs_1_worker"] = round(one.figure.wall / two.figure.wall, 3) if two.figure.wall else 0
    lite, lite_baseline = sqlite_run(root, sqlite_rows, timeout)
    lite_case = f"Bulk batch of {sqlite_rows} rows, SQLite"
    section.add(lite_case, SIGN, lite_baseline)
    lite.figure.extra["wall_vs_pure_signing"] = _times(lite.figure, lite_baseline)
    section.add(lite_case, "batch, microcred serve's embedded worker", lite.figure, vs=SIGN)
    return section


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.bulk [--rows N] [--sqlite-rows M] [--json FILE]`: only the bulk rows (what `make bench`
    runs in section 4), printed as a table and optionally written as JSON."""
    import argparse
    import sys
    import tempfile

    from rich.console import Console

    from benchmarks.report import environment, print_section, write_json

    parser = argparse.ArgumentParser(prog="python -m benchmarks.bulk", description=main.__doc__)
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the PostgreSQL batch (default 10,000)")
    parser.add_argument("--sqlite-rows", type=int, default=2_000, help="rows of the SQLite batch (default 2,000)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    env = environment()
    section = Section("issuing", "4. Issuing in bulk vs pure signing")
    with tempfile.TemporaryDirectory(prefix="microcred-bench-") as tmp:
        try:
            run(section, Path(tmp), postgres_rows=args.rows, sqlite_rows=args.sqlite_rows)
        except Exception as exc:  # a bench reports what broke
            section.failed(exc)
    print_section(section, Console(highlight=False, width=None if sys.stdout.isatty() else 160))
    if args.json is not None:
        write_json(args.json, [section], quick=False, env=env)
    return 1 if section.error else 0


if __name__ == "__main__":
    raise SystemExit(main())
