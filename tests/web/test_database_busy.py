"""A write that cannot get the database is a 503 with Retry-After, never a 500 (issue 12, point 2); readers are not
held up by a writer; a read-only request that turns out to write is replayed once as a writer."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import TOKEN, make_settings

from microcred import db
from microcred.db.engine import has_write_intent
from microcred.settings import Settings
from microcred.web.deps import SessionDep

AUTH = {"Authorization": f"Bearer {TOKEN}"}
EARNER_A = {"name": "A", "email": "a@example.org"}


@pytest.fixture
def short_timeout_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'busy.db'}", busy_timeout=0.3)
    db.upgrade(engine=engine)
    yield engine
    engine.dispose()


def _app(settings: Settings, factory: sessionmaker[Session]) -> FastAPI:
    from microcred.web.app import create_app

    return create_app(settings=settings, session_factory=factory)


def test_a_write_that_cannot_get_the_lock_is_503_and_readers_go_on(
    short_timeout_engine: Engine, tmp_path: Path
) -> None:
    app = _app(make_settings(tmp_path / "instance"), db.session_factory(short_timeout_engine))
    path = short_timeout_engine.url.database
    assert path
    with TestClient(app, base_url="https://testserver") as client:
        assert client.post("/api/earners", json=EARNER_A, headers=AUTH).status_code == 201
        outside = sqlite3.connect(path, isolation_level=None)  # a writer outside the app holds the lock
        outside.execute("BEGIN IMMEDIATE")
        try:
            busy = client.post("/api/earners", json={"name": "B", "email": "b@example.org"}, headers=AUTH)
            assert busy.status_code == 503, busy.text
            assert busy.headers["retry-after"] == "2"
            assert "try again" in busy.json()["error"].lower()
            assert "x-microcred-db-busy" not in busy.headers
            page = client.post("/sign-in/password", data={"email": "x@example.org", "password": "p"})
            assert page.status_code in (303, 403, 503)  # a form post: never a 500
            reader = client.get("/api/earners", headers=AUTH)  # reads do not wait for the writer
            assert reader.status_code == 200 and [e["name"] for e in reader.json()] == ["A"]
        finally:
            outside.execute("ROLLBACK")
            outside.close()
        again = client.post("/api/earners", json={"name": "B", "email": "b@example.org"}, headers=AUTH)
        assert again.status_code == 201, again.text


def test_a_read_that_writes_after_being_overtaken_is_replayed_as_a_writer(
    short_timeout_engine: Engine, tmp_path: Path
) -> None:
    factory = db.session_factory(short_timeout_engine)
    app = _app(make_settings(tmp_path / "instance"), factory)
    attempts: list[bool] = []

    def read_then_write(session: SessionDep) -> dict[str, Any]:
        """Like a status list signed on its first GET: read, (another writer commits meanwhile), write."""
        attempts.append(has_write_intent())
        count = session.execute(text("SELECT count(*) FROM earners")).scalar()
        if len(attempts) == 1:
            other = threading.Thread(target=_write_elsewhere, args=(factory,))
            other.start()
            other.join()
        from microcred.earners import services as earners

        earners.create_earner(session, name="Cached", email=f"cached{len(attempts)}@example.org")
        session.commit()
        return {"count": count, "attempt": len(attempts)}

    app.add_api_route("/test/read-then-write", read_then_write, methods=["GET"])
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/test/read-then-write")
    assert response.status_code == 200, response.text
    assert attempts == [False, True]  # deferred first; replayed under write intent (BEGIN IMMEDIATE)
    assert response.json() == {"count": 1, "attempt": 2}
    assert "x-microcred-db-busy" not in response.headers


def _write_elsewhere(factory: sessionmaker[Session]) -> None:
    from microcred.earners import services as earners

    with db.session_scope(factory) as session:
        earners.create_earner(session, name="Elsewhere", email="elsewhere@example.org")


def test_a_lock_timeout_on_postgresql_is_503(db_url: str, tmp_path: Path) -> None:
    """Both databases: on PostgreSQL, lock_not_available (and serialization failures, deadlocks) are 503 too."""
    db.upgrade(db_url)
    engine = db.make_engine(db_url)
    factory = db.session_factory(engine)
    app = _app(make_settings(tmp_path / "instance"), factory)
    postgres = db_url.startswith("postgresql")

    def locked_write(session: SessionDep) -> dict[str, str]:
        if postgres:
            session.execute(text("SET LOCAL lock_timeout = '100ms'"))
            session.execute(text("SELECT id FROM earners FOR UPDATE"))
        else:
            session.execute(text("UPDATE earners SET name = name"))
        session.commit()
        return {"ok": "yes"}

    app.add_api_route("/test/locked-write", locked_write, methods=["POST"])
    try:
        with TestClient(app, base_url="https://testserver") as client:
            assert client.post("/api/earners", json=EARNER_A, headers=AUTH).status_code == 201
            holder = factory()
            try:
                if postgres:
                    holder.execute(text("SELECT id FROM earners FOR UPDATE"))
                    response = client.post("/test/locked-write")
                    assert response.status_code == 503, response.text
                    assert response.headers["retry-after"] == "2"
                else:  # SQLite waits out the 30 s busy timeout instead: here the lock is free
                    response = client.post("/test/locked-write")
                    assert response.status_code == 200
            finally:
                holder.rollback()
                holder.close()
            assert client.post("/test/locked-write").status_code == 200
    finally:
        engine.dispose()


def test_an_unexpected_operational_error_stays_a_500(client: TestClient) -> None:
    from sqlalchemy.exc import OperationalError

    from microcred.web.errors import _database_busy

    class Orig(Exception):
        sqlite_errorcode = 1  # SQLITE_ERROR: not a lock

    import asyncio

    from starlette.requests import Request

    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b"",
                       "app": client.app})
    response = asyncio.run(_database_busy(request, OperationalError("SELECT", {}, Orig("no such table"))))
    assert response.status_code == 500
