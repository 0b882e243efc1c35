"""The full shipped ESCO import, done ONCE per database per test session (it is the slow part)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from microcred.db import make_engine, session_factory, session_scope, upgrade
from microcred.taxonomy import services
from microcred.taxonomy.loader import ImportReport

DEFAULT_PG_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


@dataclass
class EscoDb:
    dialect: str
    url: str
    factory: sessionmaker[Session]
    report: ImportReport
    seconds: float


def _pg_url() -> str:
    return os.environ.get("MICROCRED_TEST_POSTGRES_URL") or DEFAULT_PG_URL


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def esco(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EscoDb]:
    admin: Engine | None = None
    schema = ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('esco') / 'esco.db'}"
    else:
        admin = create_engine(_pg_url())
        schema = f"mc_esco_{secrets.token_hex(5)}"
        try:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # fail, never skip
            pytest.fail(f"PostgreSQL is unreachable at {_pg_url()}: {exc}", pytrace=False)
        sep = "&" if "?" in _pg_url() else "?"
        url = f"{_pg_url()}{sep}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine=engine)
    factory = session_factory(engine)
    started = time.perf_counter()
    with session_scope(factory) as session:
        report = services.import_esco(session)
    seconds = time.perf_counter() - started
    print(f"\nESCO v1.1.1 import on {request.param}: {seconds:.1f} s")
    try:
        yield EscoDb(request.param, url, factory, report, seconds)
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture
def esco_session(esco: EscoDb) -> Iterator[Session]:
    with esco.factory() as session:
        yield session
        session.rollback()


@pytest.fixture
def esco_folder(tmp_path: Path) -> Path:
    from taxonomy.synthetic import write_esco_folder

    return write_esco_folder(tmp_path / "esco-v1.0.0")
