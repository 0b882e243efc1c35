"""Workers sharing one batch, on SQLite and PostgreSQL: two worker processes running the same batch at once issue
every row exactly once with the audit chain intact (on PostgreSQL both take a share); starting a large batch on
PostgreSQL queues a job per worker; a chunk's audit entries are chained at its end, so the chain's head is not
held for the whole chunk, and an entry recorded in a savepoint that is rolled back leaves no trace."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.batches.conftest import World, make_batch
from tests.batches.test_run import check_exactly_once, cohort

from microcred.audit import services as audit
from microcred.audit.models import AuditEntry
from microcred.batches import run, tasks
from microcred.db import session_scope
from microcred.settings import Settings

WORKER = """
import json, sys, time
from pathlib import Path
from microcred.batches import run
from microcred.db import make_engine, session_factory
from microcred.settings import Settings

db_url, batch_id, go, master_key = sys.argv[1:5]
settings = Settings(DATABASE_URL=db_url, MICROCRED_BASE_URL="http://127.0.0.1:8000", MICROCRED_MASTER_KEY=master_key)
factory = session_factory(make_engine(db_url))
with factory() as session:  # connected and warmed up before the start line
    session.execute(__import__("sqlalchemy").text("SELECT 1"))
issued = []
while not Path(go).exists():
    time.sleep(0.01)
state = run.run_batch(factory, settings, batch_id, chunk_size=3, progress=lambda r: issued.append(r.issued))
print(json.dumps({"state": state, "issued": sum(issued)}))
"""


def _workers(db_url: str, batch_id: object, go: Path, key: str, count: int) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen([sys.executable, "-c", WORKER, db_url, str(batch_id), str(go), key],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(count)
    ]


def test_two_worker_processes_running_one_batch_issue_every_row_once(
    factory: sessionmaker[Session], db_url: str, world: World, master_key: bytes, tmp_path: Path
) -> None:
    rows = 24
    batch_id = make_batch(factory, cohort(rows))
    go = tmp_path / "go"
    key = base64.urlsafe_b64encode(master_key).rstrip(b"=").decode()
    processes = _workers(db_url, batch_id, go, key, 2)
    time.sleep(1.0)  # both have started Python and imported microcred
    go.write_text("go")
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["issued"] for r in reports) == rows
    assert "finished" in {r["state"] for r in reports}
    if factory.kw["bind"].dialect.name == "postgresql":  # SKIP LOCKED: both took a share, side by side
        assert all(r["issued"] > 0 for r in reports), reports
    check_exactly_once(factory, batch_id, rows)
    with factory() as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert actions.count("award.issued") == rows and actions.count("batch.finished") == 1


def _run_jobs(session: Session) -> int:
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task"
    else:
        query = "SELECT count(*) FROM jobs WHERE task = :task"
    return int(session.execute(text(query), {"task": tasks.RUN_TASK}).scalar_one())


def test_starting_a_batch_of_several_chunks_queues_a_job_per_worker_on_postgresql(
    factory: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgresql = factory.kw["bind"].dialect.name == "postgresql"
    small, large = make_batch(factory, cohort(3)), make_batch(factory, cohort(7))
    assert run.begin(factory, small, fan_out=3, chunk_size=3) == "running"  # one chunk: nothing to share
    with factory() as session:
        assert _run_jobs(session) == 2  # the two starts' jobs
    assert run.begin(factory, large, fan_out=3, chunk_size=3) == "running"  # three chunks: three jobs in all
    assert run.begin(factory, large, fan_out=3, chunk_size=3) == "running"  # already running: no more jobs
    with factory() as session:
        assert _run_jobs(session) == (4 if postgresql else 2)  # SQLite: one writer at a time, one job
    monkeypatch.setenv(tasks.PARALLEL_ENV, "4")
    assert tasks.parallel() == 4
    monkeypatch.setenv(tasks.PARALLEL_ENV, "0")
    with pytest.raises(ValueError, match="MICROCRED_BATCH_PARALLEL must be a whole number from 1 to 64"):
        tasks.parallel()
    monkeypatch.delenv(tasks.PARALLEL_ENV)
    assert tasks.parallel() == tasks.DEFAULT_PARALLEL == 2


def test_entries_of_a_deferred_block_are_chained_at_its_end_in_order(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        audit.record(session, "test.before", "x:0")
    with session_scope(factory) as session, audit.chained_at_end(session):
        audit.record(session, "test.one", "x:1")
        with pytest.raises(RuntimeError), session.begin_nested():
            audit.record(session, "test.rolled-back", "x:2")
            raise RuntimeError("the row failed")
        with audit.chained_at_end(session):  # nested: the outer block chains
            audit.record(session, "test.two", "x:3", {"n": 2})
        assert all(e.seq < 0 for e in session.scalars(select(AuditEntry).where(AuditEntry.seq != 1)))
    with pytest.raises(RuntimeError), session_scope(factory) as session, audit.chained_at_end(session):
        audit.record(session, "test.never", "x:4")
        raise RuntimeError("the chunk failed: its transaction rolls back")
    with factory() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        assert [(e.seq, e.action) for e in entries] == [(1, "test.before"), (2, "test.one"), (3, "test.two")]
        assert entries[2].prev_hash == entries[1].hash and json.loads(entries[2].details) == {"n": 2}
        report = audit.verify_chain(session)
        assert (report.intact, report.entries) == (True, 3), report.reason


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_open_deferred_block_does_not_hold_the_chain_head(factory: sessionmaker[Session]) -> None:
    """PostgreSQL: while a chunk's transaction is open (its entries written, unchained), another transaction
    appends and commits without waiting; the chunk's entries come after it."""
    with session_scope(factory) as chunk, audit.chained_at_end(chunk):
        audit.record(chunk, "test.chunk", "x:1")
        with session_scope(factory) as other:
            other.execute(text("SET LOCAL lock_timeout = '5s'"))  # would fail, not hang, if the head were held
            audit.record(other, "test.other", "x:2")
    with factory() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        assert [(e.seq, e.action) for e in entries] == [(1, "test.other"), (2, "test.chunk")]
        assert audit.verify_chain(session).intact


def test_a_chunk_takes_reserved_status_entries_and_deletes_those_no_award_holds(
    factory: sessionmaker[Session], world: World, settings: Settings
) -> None:
    from microcred.status import services as status
    from microcred.status.models import StatusEntry

    with session_scope(factory) as session:
        reservation = status.reserve(session, world.org_id, 3)
    assert reservation.awards == 3 and all(len(ids) == 3 for ids in reservation.ids.values())
    reserved = {i for ids in reservation.ids.values() for i in ids}
    batch_id = make_batch(factory, cohort(2))
    assert run.begin(factory, batch_id) == "running"
    with session_scope(factory) as session, status.using_reservation(session, reservation):
        taken = status.allocate_for_award(session, world.org_id)
        assert {e.id for e in taken.entries} <= reserved and [e.purpose for e in taken.entries] == [
            "revocation", "suspension"]
        with pytest.raises(RuntimeError), session.begin_nested():  # a row rolled back after taking its entries
            status.allocate_for_award(session, world.org_id)
            raise RuntimeError("the row failed")
    with factory() as session:  # nothing attached: every reserved entry was deleted when the block ended
        assert session.scalars(select(StatusEntry.id).where(StatusEntry.id.in_(reserved))).all() == []
    assert run.run_batch(factory, settings, batch_id) == "finished"  # a chunk reserves its own: 2 awards, no gap
    check_exactly_once(factory, batch_id, 2)
    with factory() as session:
        assert len(session.scalars(select(StatusEntry.id)).all()) == 4
