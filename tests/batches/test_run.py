"""Running a batch, on SQLite and PostgreSQL: every pending row issued exactly once through the issuing pipeline,
whatever happens: run twice, run by two threads at once, a crash in the middle of a chunk, a worker process killed
with SIGKILL mid-chunk and started again; a failing row does not stop the others; cancellation stops new rows."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.batches.conftest import BASE, World, csv_bytes, make_batch, verdicts

from microcred import issuing
from microcred.audit import services as audit
from microcred.awards.models import Award
from microcred.batches import plan, run
from microcred.batches import services as batches
from microcred.db import session_scope
from microcred.errors import Conflict
from microcred.settings import Settings
from microcred.status.models import StatusEntry

HEADER = ["earner_name", "email", "achievement_code", "outcome_1", "outcome_2", "outcome_3"]


def cohort(n: int, *extra: list[str]) -> bytes:
    rows = [[f"Learner {i}", f"learner{i}@example.org", "HOSP-101", "", "", ""] for i in range(1, n + 1)]
    return csv_bytes(HEADER, *rows, *extra)


def awards_of(factory: sessionmaker[Session]) -> list[Award]:
    with factory() as session:
        return list(session.scalars(select(Award)))


def check_exactly_once(factory: sessionmaker[Session], batch_id: uuid.UUID, issued: int) -> None:
    """Every issued row has its own award (the row's deterministic id), no other award exists, every status index
    is used once (unattached entries only: the gaps a killed chunk's reservation leaves), the audit chain is
    intact."""
    with factory() as session:
        rows = [r for r in batches.rows(session, batch_id) if r.state == "issued"]
        awards = list(session.scalars(select(Award)))
        assert len(rows) == issued == len(awards)
        assert sorted(str(r.award_id) for r in rows) == sorted(str(a.id) for a in awards)
        assert all(r.award_id == plan.award_id_for(batch_id, r.row_number) for r in rows)
        pairs = session.execute(select(StatusEntry.status_list_id, StatusEntry.list_index)).all()
        held = session.execute(
            select(StatusEntry.status_list_id, StatusEntry.list_index).where(StatusEntry.award_id.is_not(None))
        ).all()
        assert len(pairs) == len(set(pairs))  # never reused
        assert len(held) == 2 * issued  # revocation + suspension (a killed chunk's reserved entries stay unattached)
        assert audit.verify_chain(session).intact


def test_a_batch_runs_to_the_end_and_twice_is_harmless(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    data = cohort(3, ["Amara", "AMARA.okafor@work.example", "ASSESS-1", "Exemplary", "71", "Consistently"])
    batch_id = make_batch(factory, data)
    assert run.run_batch(factory, settings, batch_id, chunk_size=2) == "finished"
    assert run.run_batch(factory, settings, batch_id, chunk_size=2) == "finished"
    assert run.run_chunk(factory, settings, batch_id) == run.ChunkResult(stopped="finished")
    check_exactly_once(factory, batch_id, 4)
    with factory() as session:
        batch = batches.get_batch(session, batch_id)
        assert (batch.state, batch.issued_count, batch.failed_count) == ("finished", 4, 0)
        assert batch.started_at is not None and batch.finished_at is not None
        amara = next(a for a in session.scalars(select(Award)) if a.earner_id == world.earner_id)
        assert amara.achievement_id == world.assessed_id  # matched by her verified extra address
        assert [r["value"] for r in amara.results] == ["Exemplary", "71", "Consistently"]
        assert len({a.earner_id for a in session.scalars(select(Award))}) == 4  # three earners created


def test_run_chunk_twice_in_a_row_takes_each_row_once(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    batch_id = make_batch(factory, cohort(3))
    assert run.begin(factory, batch_id) == "running"
    first = run.run_chunk(factory, settings, batch_id, chunk_size=2)
    second = run.run_chunk(factory, settings, batch_id, chunk_size=2)
    third = run.run_chunk(factory, settings, batch_id, chunk_size=2)
    assert (first.claimed, first.issued, first.remaining) == (2, 2, True)
    assert (second.claimed, second.issued, second.remaining) == (1, 1, False)
    assert third.claimed == 0
    assert run.finish(factory, batch_id) == "finished"
    check_exactly_once(factory, batch_id, 3)


def test_two_threads_running_the_same_batch_issue_each_row_once(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    batch_id = make_batch(factory, cohort(6))
    results: list[str] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(run.run_batch(factory, settings, batch_id, chunk_size=2))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert "finished" in results and len(results) == 2
    check_exactly_once(factory, batch_id, 6)


def test_a_crash_in_the_middle_of_a_chunk_leaves_no_half_written_row(
    factory: sessionmaker[Session], world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_id = make_batch(factory, cohort(5))
    real_issue = issuing.issue
    calls = {"n": 0}

    def crashing(session: Session, request: Any, signing: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:  # the second row of the second chunk (rows 1-2 committed, row 3 issued, uncommitted)
            raise RuntimeError("simulated crash")
        return real_issue(session, request, signing)

    monkeypatch.setattr(issuing, "issue", crashing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run.run_batch(factory, settings, batch_id, chunk_size=2)
    assert [verdicts(factory, batch_id)[n][0] for n in range(1, 6)] == ["issued", "issued", "pending", "pending",
                                                                      "pending"]
    assert len(awards_of(factory)) == 2  # row 3's award went with its chunk
    with factory() as session:
        assert batches.get_batch(session, batch_id).state == "running"
    monkeypatch.setattr(issuing, "issue", real_issue)
    assert run.run_batch(factory, settings, batch_id, chunk_size=2) == "finished"
    check_exactly_once(factory, batch_id, 5)


def test_a_row_that_fails_is_marked_and_the_others_go_on(
    factory: sessionmaker[Session], world: World, settings: Settings, master_key: bytes
) -> None:
    batch_id = make_batch(factory, cohort(2, ["Amara", "amara@example.org", "HOSP-101", "", "", ""]))
    with session_scope(factory) as session:  # after the dry run, someone issues her award by hand
        held = issuing.issue_award(
            session, achievement_id=world.plain_id, earner_id=world.earner_id, base_url=BASE, master_key=master_key
        )
    assert run.run_batch(factory, settings, batch_id) == "finished"
    found = verdicts(factory, batch_id)
    assert found[1] == found[2] == ("issued", None)
    assert found[3] == ("failed", f"the earner already holds an active award of this achievement (award {held.id})")
    with factory() as session:
        batch = batches.get_batch(session, batch_id)
        assert (batch.issued_count, batch.failed_count) == (2, 1)
        assert batches.summary(session, batch)["errors"] == [{"row": 3, "state": "failed", "error": found[3][1]}]


def test_cancelling_stops_new_rows_and_keeps_what_was_issued(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    batch_id = make_batch(factory, cohort(4))
    progress: list[run.ChunkResult] = []

    def cancel_after_first_chunk(result: run.ChunkResult) -> None:
        progress.append(result)
        if len(progress) == 1:
            with session_scope(factory) as session:
                batches.cancel(session, batch_id)

    assert run.run_batch(factory, settings, batch_id, chunk_size=1, progress=cancel_after_first_chunk) == "cancelled"
    assert [r.claimed for r in progress] == [1, 0] and progress[1].stopped == "cancelled"
    assert [verdicts(factory, batch_id)[n][0] for n in range(1, 5)] == ["issued", "pending", "pending", "pending"]
    assert run.run_batch(factory, settings, batch_id) == "cancelled"  # a restarted job does nothing
    assert len(awards_of(factory)) == 1
    with factory() as session:
        batch = batches.get_batch(session, batch_id)
        assert (batch.state, batch.issued_count) == ("cancelled", 1) and batch.finished_at is not None
    with pytest.raises(Conflict, match=r"is already cancelled$"), session_scope(factory) as session:
        batches.cancel(session, batch_id)
    with pytest.raises(Conflict, match=r"is cancelled: only a batch waiting after its dry run can be started"), \
            session_scope(factory) as session:
        batches.start(session, batch_id)


def test_a_batch_not_started_is_not_run(factory: sessionmaker[Session], world: World, settings: Settings) -> None:
    batch_id = make_batch(factory, cohort(1), start=False)
    assert run.run_batch(factory, settings, batch_id) == "dry-run-ok"
    assert awards_of(factory) == []
    with session_scope(factory) as session:
        batches.start(session, batch_id)
    with pytest.raises(Conflict, match=r"is queued: only a batch waiting"), session_scope(factory) as session:
        batches.start(session, batch_id)


# -- kill -9 of a worker process in the middle of a chunk, then a restart ---------------------------------------
WORKER = """
import sys, time
from pathlib import Path
from microcred import issuing
from microcred.batches import run
from microcred.db import make_engine, session_factory
from microcred.settings import Settings

db_url, batch_id, marker, master_key = sys.argv[1:5]
real_issue = issuing.issue
calls = {"n": 0}

def issue_then_hang(session, request, signing):
    calls["n"] += 1
    if calls["n"] == 4:  # rows 1-2 committed (chunk 1), row 3 issued in the open chunk 2: hang here
        Path(marker).write_text("mid-chunk")
        time.sleep(600)
    return real_issue(session, request, signing)

issuing.issue = issue_then_hang
settings = Settings(DATABASE_URL=db_url, MICROCRED_BASE_URL="http://127.0.0.1:8000", MICROCRED_MASTER_KEY=master_key)
run.run_batch(session_factory(make_engine(db_url)), settings, batch_id, chunk_size=2)
"""


def test_a_worker_killed_mid_chunk_then_restarted_issues_each_row_once(
    factory: sessionmaker[Session], db_url: str, world: World, settings: Settings, master_key: bytes, tmp_path: Path
) -> None:
    batch_id = make_batch(factory, cohort(5))
    marker = tmp_path / "mid-chunk"
    key = base64.urlsafe_b64encode(master_key).rstrip(b"=").decode()
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, db_url, str(batch_id), str(marker), key],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(1200):  # the worker reaches the middle of its second chunk
            if marker.exists() or worker.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), worker.stderr.read().decode() if worker.poll() is not None else "worker too slow"
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    assert [verdicts(factory, batch_id)[n][0] for n in range(1, 6)] == ["issued", "issued", "pending", "pending",
                                                                      "pending"]
    state = "running"
    for _ in range(100):  # PostgreSQL ends the dead worker's transaction (and its row locks) as it notices
        state = run.run_batch(factory, settings, batch_id, chunk_size=2)
        if state == "finished":
            break
        time.sleep(0.1)
    assert state == "finished"
    check_exactly_once(factory, batch_id, 5)


def test_starting_a_batch_queues_its_job_and_a_worker_issues_it(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    from microcred import jobs
    from microcred.batches import tasks

    batch_id = make_batch(factory, cohort(2), start=False)
    with session_scope(factory) as session:
        batches.start(session, batch_id)
        session.rollback()  # a start that does not commit queues nothing
    assert jobs.drain(settings, session_factory=factory) == 0
    with session_scope(factory) as session:
        batches.start(session, batch_id)
    assert jobs.drain(settings, session_factory=factory) == 1
    check_exactly_once(factory, batch_id, 2)
    with session_scope(factory) as session:  # the same job run again (a retry) changes nothing
        jobs.enqueue(session, tasks.RUN_TASK, args={"batch_id": str(batch_id)})
    assert jobs.drain(settings, session_factory=factory) == 1
    check_exactly_once(factory, batch_id, 2)
    with factory() as session:
        assert batches.get_batch(session, batch_id).state == "finished"
