"""Shared fixtures. Storage tests take `db_url` and run on SQLite AND PostgreSQL.

PostgreSQL: `MICROCRED_TEST_POSTGRES_URL` (default postgresql+psycopg://root@127.0.0.1:5432/test). Every test
gets its own database: an empty schema `mc_<random>` of that database (search_path set through the connection
options), or, when it uses `engine`, a copy `mc_<random>` of a database migrated once per test process (its role
needs CREATEDB); dropped afterwards.
If PostgreSQL is unreachable the PostgreSQL half FAILS, it is never skipped.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_PG_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"
BASE_URL = "http://127.0.0.1:8000"


# The longest modules (measured, seconds of one worker: the bench smoke ~130, the browser modules 20-100 each, the
# fuzz run ~100, the audit and CLI runs of the demo, the ESCO import) start first, so that under `pytest -n 2
# --dist loadscope` (whole modules per worker, handed out in collection order) no long module is left running
# alone at the end while the other worker idles: measured, the last five minutes of a 21-minute run were one worker.
_LONG_FIRST = (
    "tests/benchmarks/",
    "tests/browser/",
    "tests/web/test_fuzz_openapi.py",
    "tests/interop/",
    "tests/audit/",
    "tests/cli/",
    "tests/verification/test_fresh_verdicts.py",
    "tests/taxonomy/",
    "tests/concurrency/",
    "tests/jobs/",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, prefix in enumerate(_LONG_FIRST) if path.startswith(prefix)), len(_LONG_FIRST))

    items.sort(key=rank)  # stable: within a rank, the collection order


def _pg_url() -> str:
    import os

    return os.environ.get("MICROCRED_TEST_POSTGRES_URL") or DEFAULT_PG_URL


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def pg_admin_engine() -> Iterator[Engine]:
    from sqlalchemy import create_engine

    url = _pg_url()
    engine = create_engine(url, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # fail, never skip: the suite promises PostgreSQL coverage
        engine.dispose()
        pytest.fail(f"PostgreSQL is unreachable at {url} (set MICROCRED_TEST_POSTGRES_URL): {exc}", pytrace=False)
    yield engine
    engine.dispose()


def scratch_database(
    backend: str, sqlite_file: Path, request: pytest.FixtureRequest
) -> tuple[str, Callable[[], None] | None]:
    """A database for a longer-lived fixture (a server per module): the SQLite file, or a fresh PostgreSQL schema
    and the function that drops it."""
    if backend == "sqlite":
        return f"sqlite:///{sqlite_file}", None
    admin: Engine = request.getfixturevalue("pg_admin_engine")
    schema = f"mc_{secrets.token_hex(6)}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    return _with_search_path(_pg_url(), schema), drop


_MIGRATED = pytest.StashKey[bool]()


def _pg_database_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(_pg_url()).set(database=name).render_as_string(hide_password=False)


def _autocommit(admin: Engine, statement: str) -> None:
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per test process; a test that wants a migrated database gets a copy."""
    from microcred.db import make_engine, upgrade

    path = tmp_path_factory.mktemp("migrated") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine=engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file: the file is the whole database
    return path


@pytest.fixture(scope="session")
def pg_template(pg_admin_engine: Engine) -> Iterator[str]:
    """A PostgreSQL database migrated to head once per test process (its name); a test that wants a migrated
    database gets a copy (CREATE DATABASE ... TEMPLATE: ~50 ms instead of ~500 ms of migrations)."""
    from microcred.db import make_engine, upgrade

    name = f"mc_template_{secrets.token_hex(6)}"
    _autocommit(pg_admin_engine, f'CREATE DATABASE "{name}"')
    try:
        engine = make_engine(_pg_database_url(name))
        upgrade(engine=engine)
        engine.dispose()  # a template must have no connections when it is copied
        yield name
    finally:
        _autocommit(pg_admin_engine, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own for the test: a SQLite file, or on PostgreSQL a fresh schema of the test database.

    Empty (no tables), unless the test also uses ``engine``: then it is already migrated to head, a copy of a
    template migrated once per process (the same migrations, run once instead of once per test; tests/db checks the
    migrations themselves on empty databases). On PostgreSQL that copy is a database of its own."""
    migrated = "engine" in request.fixturenames
    request.node.stash[_MIGRATED] = migrated
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin: Engine = request.getfixturevalue("pg_admin_engine")
    if migrated:
        template: str = request.getfixturevalue("pg_template")
        name = f"mc_{secrets.token_hex(6)}"
        _autocommit(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield _pg_database_url(name)
        finally:
            _autocommit(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    schema = f"mc_{secrets.token_hex(6)}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(_pg_url(), schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings from a clean environment: data dir under tmp_path, a fixed master key, no DB/API env."""
    from microcred.settings import get_settings

    data_dir = tmp_path / "instance"
    monkeypatch.setenv("MICROCRED_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MICROCRED_BASE_URL", BASE_URL)
    monkeypatch.setenv("MICROCRED_MASTER_KEY", base64.urlsafe_b64encode(b"\x07" * 32).rstrip(b"=").decode())
    for name in ("DATABASE_URL", "MICROCRED_API_TOKEN", "MICROCRED_TRUSTED_KEYS", "MICROCRED_TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture
def master_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database (``db_url`` made it a copy of the migrated template)."""
    from microcred.db import make_engine, upgrade

    eng = make_engine(db_url)
    if not request.node.stash.get(_MIGRATED, False):
        upgrade(engine=eng)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    from microcred.db import session_factory

    return session_factory(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as s:
        yield s
        s.rollback()


# -- domain builders -------------------------------------------------------------------------------
def outcome_dicts(aligned: bool = True) -> list[dict[str, Any]]:
    """Three outcomes (knowledge, skill, attitude) aligned to real ESCO v1.1.1 concepts (see microcred.demo)."""
    from microcred.demo import ATTEND_TO_DETAIL, COMPLY_FOOD_SAFETY, FOOD_SAFETY_STANDARDS, alignment

    def al(concept: Any) -> list[dict[str, Any]]:
        return [alignment(concept)] if aligned else []

    return [
        {
            "statement": "Explain the food safety standards of a kitchen.",
            "kind": "knowledge",
            "alignments": al(FOOD_SAFETY_STANDARDS),
        },
        {
            "statement": "Handle food in compliance with hygiene rules.",
            "kind": "skill",
            "alignments": al(COMPLY_FOOD_SAFETY),
        },
        {
            "statement": "Attend to detail when checking temperatures.",
            "kind": "attitude",
            "alignments": al(ATTEND_TO_DETAIL),
        },
    ]


@pytest.fixture
def make_org() -> Callable[..., Any]:
    from microcred.issuers import services as issuers

    def make(session: Session, **overrides: Any) -> Any:
        values: dict[str, Any] = {
            "kind": "institution",
            "name": "Test College",
            "legal_name": "The Test College of Applied Arts and Technology",
            "country": "CA",
            "region": "ON",
            "url": "https://college.example",
            "email": "registrar@college.example",
            "registration_id": "ON-TEST-001",
            "description": "A test college.",
        }
        values.update(overrides)
        return issuers.create_organisation(session, **values)

    return make


@pytest.fixture
def make_achievement() -> Callable[..., Any]:
    from microcred.catalog import services as catalog

    def make(session: Session, issuer_id: uuid.UUID, *, publish: bool = True, **overrides: Any) -> Any:
        values: dict[str, Any] = {
            "name": "Food Safety Fundamentals",
            "description": "Food safety for kitchen staff.",
            "criteria_narrative": "Pass a written test and a practical kitchen assessment.",
            "workload_hours": 20,
            "credits": 0.5,
            "outcomes": outcome_dicts(),
            "publish": publish,
        }
        values.update(overrides)
        return catalog.create_achievement(session, issuer_id=issuer_id, **values)

    return make


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """argon2id at its lowest cost while testing: the same algorithm and code path, ~1 ms per hash instead of the
    library defaults' ~250 ms, which hundreds of staff sign-ins made minutes of the suite. Production keeps the
    defaults (accounts.services); a hash verifies with the parameters written in it, so nothing else changes."""
    from argon2 import PasswordHasher

    from microcred.accounts import services

    saved = services._hasher
    services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    services._hasher = saved
