"""Engine and session helpers (SQLAlchemy 2).

SQLite and concurrent writers
-----------------------------
SQLite has one writer at a time. A transaction begun with a plain (deferred) ``BEGIN`` that reads and then writes
must upgrade its read snapshot to a write lock; when another connection committed in between, SQLite answers
``database is locked`` (SQLITE_BUSY_SNAPSHOT) at once, and the busy timeout cannot help. So transactions that mean
to write begin with ``BEGIN IMMEDIATE``, which takes the write lock first and *waits* for it (the busy timeout,
30 s), and everything they read is then current. SQLAlchemy's pysqlite recipe ("Serializable isolation /
Savepoints / Transactional DDL"): pysqlite's own transaction handling is off (``isolation_level = None``) and the
engine's "begin" event emits BEGIN, so SAVEPOINT (``Session.begin_nested``) and transactional DDL work.

Which transactions mean to write is declared with ``write_intent()`` (a context variable): the web app declares it
for every request that may change something (all methods but GET/HEAD/OPTIONS, see
``microcred.web.security.TransactionModeMiddleware``) and ``session_scope()`` declares it for its unit of work.
Other transactions begin deferred, so readers never queue behind each other or behind a writer (WAL lets them read
while one writes). Within one write intent only one connection at a time begins IMMEDIATE: a second session opened
while the first holds the write lock (say, to look up the signed-in user for a page) begins deferred, since
waiting for a lock its own request holds would wait out the whole busy timeout.

A write that still cannot proceed raises OperationalError; ``is_transient_lock_error`` recognises it and the web
app answers 503 with Retry-After (microcred.web.errors).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_SECONDS = 30.0
_INTENT_KEY = "microcred_write_intent"


@dataclass(eq=False)
class _WriteIntent:
    holder: Any = None  # the DBAPI connection whose IMMEDIATE transaction holds this intent's write lock


_intent: contextvars.ContextVar[_WriteIntent | None] = contextvars.ContextVar("microcred_write_intent", default=None)


@contextmanager
def write_intent() -> Iterator[None]:
    """Transactions begun inside (in this context, and threads started from it) mean to write: on SQLite they
    begin ``BEGIN IMMEDIATE``. Nested uses share the outer intent."""
    if _intent.get() is not None:
        yield
        return
    token = _intent.set(_WriteIntent())
    try:
        yield
    finally:
        _intent.reset(token)


def has_write_intent() -> bool:
    return _intent.get() is not None


def _sqlite_on_connect(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, emit BEGIN: needed for SAVEPOINT (begin_nested) and
        # transactional DDL to work (see SQLAlchemy's "Serializable isolation / Savepoints / Transactional DDL").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()

    return on_connect


def _sqlite_on_begin(conn: Connection) -> None:
    intent = _intent.get()
    if intent is not None and intent.holder is None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        intent.holder = conn.connection.dbapi_connection
        conn.info[_INTENT_KEY] = intent
    else:
        conn.exec_driver_sql("BEGIN")


def _sqlite_on_end(conn: Connection) -> None:
    intent: _WriteIntent | None = conn.info.pop(_INTENT_KEY, None)
    if intent is not None:
        intent.holder = None


def _sqlite_on_checkin(_dbapi_connection: Any, record: Any) -> None:
    intent: _WriteIntent | None = record.info.pop(_INTENT_KEY, None)
    if intent is not None:
        intent.holder = None


def _sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for in-memory and ``file:`` URI databases)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:") or parsed.query.get("uri"):
        return None
    return Path(database)


def make_engine(url: str, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS, **kwargs: Any) -> Engine:
    """An engine for ``url``. SQLite gets foreign keys on, WAL journaling, a busy timeout of ``busy_timeout``
    seconds and BEGIN IMMEDIATE under ``write_intent()``; a new SQLite file is created 0600 (its folder 0700)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            from microcred.private_files import create_private_file

            create_private_file(path)  # before SQLite creates it 0644; its -wal and -shm files copy the mode
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect(round(busy_timeout * 1000)))
        event.listen(engine, "begin", _sqlite_on_begin)
        event.listen(engine, "commit", _sqlite_on_end)
        event.listen(engine, "rollback", _sqlite_on_end)
        event.listen(engine.pool, "checkin", _sqlite_on_checkin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


# SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (the low byte). PostgreSQL:
# serialization_failure, deadlock_detected, lock_not_available: the transaction may succeed when retried.
_SQLITE_TRANSIENT = {5, 6}
_PG_TRANSIENT = {"40001", "40P01", "55P03"}


def is_transient_lock_error(exc: BaseException) -> bool:
    """True for a database error that means "another transaction holds what this one needs: try again"."""
    if isinstance(exc, PoolTimeoutError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_TRANSIENT
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(sqlstate, str):
        return sqlstate in _PG_TRANSIENT
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``. The metadata learns every table first (`db.models`), so a model's foreign key to
    another subsystem's table resolves without that model importing the other subsystem."""
    from microcred.db.models import import_all_models

    import_all_models()
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits everything on success, rolls everything back on any exception. It means to write
    (``write_intent``): on SQLite its transaction takes the write lock when it begins."""
    with write_intent():
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
