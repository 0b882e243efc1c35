"""procrastinate on PostgreSQL: the schema migration 0012 applies is procrastinate 3.10.0's, verbatim (a new
procrastinate pin needs a new migration), and the worker's connection string keeps the database URL's parameters."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import Engine, text

from microcred.jobs.postgres import conninfo

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "src/microcred/db/migrations/versions/procrastinate-3.10.0-schema.sql"


def test_the_vendored_schema_is_the_pinned_procrastinates() -> None:
    from procrastinate.schema import SchemaManager

    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "procrastinate==3.10.0" in pins
    assert importlib.metadata.version("procrastinate") == "3.10.0"
    vendored = VENDORED.read_text(encoding="utf-8")
    header, _, body = vendored.partition("-- end of header\n")
    assert "MIT License" in header
    assert body == SchemaManager.get_schema()


def test_conninfo_keeps_the_url_parameters() -> None:
    url = "postgresql+psycopg://ada:p%40ss%20word@db.example:5433/micro?options=-csearch_path%3Dmc_x&sslmode=disable"
    assert conninfo_to_dict(conninfo(url)) == {
        "user": "ada",
        "password": "p@ss word",
        "host": "db.example",
        "port": "5433",
        "dbname": "micro",
        "options": "-csearch_path=mc_x",
        "sslmode": "disable",
    }
    assert conninfo_to_dict(conninfo("postgresql+psycopg://root@127.0.0.1/test")) == {
        "user": "root", "host": "127.0.0.1", "dbname": "test",
    }


def test_the_migrations_create_procrastinates_schema_on_postgresql_only(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            assert conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None
            functions = conn.execute(
                text(
                    "SELECT proname FROM pg_proc WHERE proname = 'procrastinate_defer_jobs_v1' "
                    "AND pronamespace = current_schema()::regnamespace"
                )
            ).all()
            assert len(functions) == 1
        else:
            names = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
            assert {"jobs", "job_errors"} <= names
            assert not {name for name in names if name.startswith("procrastinate")}
