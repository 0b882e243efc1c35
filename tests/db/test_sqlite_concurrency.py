"""Concurrent writers (issue 12, point 2): on SQLite, writers BEGIN IMMEDIATE and wait for the lock; readers stay
deferred; savepoints still work; 8 concurrent issuers through the real HTTP app get no error, on both databases.

The suite issues 8 x ``MICROCRED_LOAD_PER`` (default 10) awards; ``MICROCRED_LOAD_PER=50`` gives the issue's full
8 x 50, and ``tests/support/sqlite_load.py`` prints the figures for concurrency 1, 2, 4 and 8.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from microcred.db import is_transient_lock_error, make_engine, session_factory, session_scope, upgrade, write_intent
from microcred.db.engine import BUSY_TIMEOUT_SECONDS, has_write_intent


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine=engine)
    yield engine
    engine.dispose()


def _begins(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            seen.append(statement.split(" sa_savepoint")[0].strip())

    return seen


def _earner(session: Session, n: int | str) -> Any:
    from microcred.earners import services as earners

    return earners.create_earner(session, name=f"Earner {n}", email=f"e{n}@example.org")


def test_busy_timeout_really_waits(sqlite_engine: Engine) -> None:
    assert BUSY_TIMEOUT_SECONDS >= 30
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_write_intent_begins_immediate_reads_begin_deferred(sqlite_engine: Engine) -> None:
    seen = _begins(sqlite_engine)
    factory = session_factory(sqlite_engine)
    with factory() as session:
        session.execute(text("SELECT 1"))
    assert seen == ["BEGIN"] and not has_write_intent()
    seen.clear()
    with session_scope(factory) as session:
        assert has_write_intent()
        session.execute(text("SELECT 1"))
        # a second session opened while the first holds the write lock (a page looking up its user) reads
        # deferred: waiting for its own request's lock would wait out the busy timeout
        with factory() as other:
            other.execute(text("SELECT 1"))
        session.commit()
        with factory() as after:  # the lock is free again: the next transaction takes it
            after.execute(text("SELECT 1"))
    assert seen == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"]
    assert not has_write_intent()


def test_savepoints_work_inside_immediate_transactions(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        from microcred.earners.models import Earner

        factory = session_factory(engine)
        with session_scope(factory) as session:
            _earner(session, "kept")
            with pytest.raises(IntegrityError), session.begin_nested():
                # same email (past the service's own check): the savepoint rolls back, the transaction goes on
                session.add(Earner(id=uuid.uuid4(), name="Twin", email="ekept@example.org", salt="00" * 16))
                session.flush()
            _earner(session, "also")
            with session.begin_nested():
                _earner(session, "nested")
        with factory() as session:
            emails = set(session.scalars(select(Earner.email)))
        assert emails == {"ekept@example.org", "ealso@example.org", "enested@example.org"}
    finally:
        engine.dispose()


def test_a_second_writer_waits_for_the_lock_instead_of_failing(sqlite_engine: Engine) -> None:
    """The failure of the issue: a deferred transaction that read, then found another writer had committed."""
    factory = session_factory(sqlite_engine)
    holding = threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        with session_scope(factory) as session:
            session.execute(text("SELECT count(*) FROM earners"))
            _earner(session, 1)
            session.flush()
            holding.set()
            time.sleep(0.5)

    def second() -> None:
        holding.wait(5)
        start = time.monotonic()
        try:
            with session_scope(factory) as session:
                results["count_seen"] = session.execute(text("SELECT count(*) FROM earners")).scalar()
                _earner(session, 2)
        except OperationalError as exc:  # pragma: no cover - the bug this guards against
            results["error"] = exc
        results["waited"] = time.monotonic() - start

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert "error" not in results, results
    assert results["waited"] >= 0.3  # it waited for the first writer's commit ...
    assert results["count_seen"] == 1  # ... and then read the committed state


def test_deferred_upgrade_failure_is_recognised_as_transient(tmp_path: Path) -> None:
    """What a reader that writes gets when another writer committed since it began: a transient lock error."""
    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}", busy_timeout=0.2)
    upgrade(engine=engine)
    factory = session_factory(engine)
    try:
        with factory() as reader:
            reader.execute(text("SELECT count(*) FROM earners")).scalar()  # BEGIN (deferred) + a read snapshot
            with session_scope(factory) as writer:
                _earner(writer, 1)
            with pytest.raises(OperationalError) as caught:
                _earner(reader, 2)
                reader.flush()
            assert is_transient_lock_error(caught.value)
            assert getattr(caught.value.orig, "sqlite_errorname", "") == "SQLITE_BUSY_SNAPSHOT"
            reader.rollback()
    finally:
        engine.dispose()


def test_lock_errors_on_postgresql_are_transient(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """PostgreSQL only (the SQLite half is test_deferred_upgrade_failure_is_recognised_as_transient)."""
    from tests.conftest import scratch_database

    db_url, drop = scratch_database("postgresql", tmp_path / "unused.db", request)
    if drop is not None:
        request.addfinalizer(drop)
    upgrade(db_url)
    engine = make_engine(db_url)
    factory = session_factory(engine)
    try:
        with session_scope(factory) as session:
            earner_id = _earner(session, 1).id
        with factory() as holder, factory() as waiter:
            holder.execute(text("SELECT id FROM earners WHERE id = :id FOR UPDATE"), {"id": earner_id})
            waiter.execute(text("SET LOCAL lock_timeout = '100ms'"))
            with pytest.raises(OperationalError) as caught:
                waiter.execute(text("SELECT id FROM earners WHERE id = :id FOR UPDATE"), {"id": earner_id})
            assert is_transient_lock_error(caught.value)
        assert not is_transient_lock_error(ValueError("database is locked"))
    finally:
        engine.dispose()


def test_other_sqlite_errors_are_not_transient(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn, pytest.raises(OperationalError) as caught:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert not is_transient_lock_error(caught.value)


def test_write_intent_nests_and_resets() -> None:
    assert not has_write_intent()
    with write_intent():
        with write_intent():
            assert has_write_intent()
        assert has_write_intent()
    assert not has_write_intent()


# -- through the real HTTP app ---------------------------------------------------------------------------------
PER_CLIENT = int(os.environ.get("MICROCRED_LOAD_PER", "10"))
CONCURRENCY = 8


def test_eight_concurrent_issuers_over_http(db_url: str, tmp_path: Path) -> None:
    """8 clients at once, each issuing awards one after another through uvicorn: no error (no 500, no 503),
    8 x PER_CLIENT distinct awards, every status index distinct."""
    from support.sqlite_load import hammer, seed, serve

    data_dir = tmp_path / "instance"
    data_dir.mkdir()
    instance = seed(db_url, data_dir, CONCURRENCY)
    with serve(instance) as base_url:
        run = hammer(base_url, instance, CONCURRENCY, PER_CLIENT)
    print(f"\n{db_url.split(':')[0]}: {run.line()}")
    assert run.errors == [], run.errors[:5]
    assert run.failed == 0 and run.requests == CONCURRENCY * PER_CLIENT
    assert len(set(run.award_ids)) == CONCURRENCY * PER_CLIENT
    assert len(set(run.status_indexes)) == CONCURRENCY * PER_CLIENT
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            from microcred.awards.models import Award

            stored = {str(a) for a in session.scalars(select(Award.id))}
        assert {str(uuid.UUID(a)) for a in run.award_ids} <= stored
    finally:
        engine.dispose()


def test_raw_sqlite_lock_holder_makes_writers_wait_not_fail(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A lock held outside the app (a sqlite3 shell, a backup) for less than the busy timeout: writers wait."""
    path = sqlite_engine.url.database
    assert path
    outside = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    outside.execute("BEGIN IMMEDIATE")
    factory: sessionmaker[Session] = session_factory(sqlite_engine)
    release = threading.Timer(0.5, lambda: outside.execute("COMMIT"))
    release.start()
    try:
        start = time.monotonic()
        with session_scope(factory) as session:
            _earner(session, 1)
        assert time.monotonic() - start >= 0.3
    finally:
        release.join()
        outside.close()
