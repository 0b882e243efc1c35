"""Alembic environment for microcred (run through microcred.db.migrate, never via alembic.ini)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, Engine, text

from microcred.db.base import Base, UTCDateTime
from microcred.db.engine import make_engine
from microcred.db.migrate import include_name
from microcred.db.models import import_all_models

import_all_models()
target_metadata = Base.metadata
config = context.config


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds tables (copy, drop, rename): foreign keys must be off meanwhile, and the
        # pragma only takes effect outside a transaction, hence on the raw (autocommit) connection.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    try:
        _migrate(connection)
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations must not import model code: render the UTC timestamp type as its plain implementation.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        include_name=include_name,  # procrastinate's tables are created by a migration but are not models
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite: ALTER via copy-and-move
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two processes upgrading at once (several app machines starting) take turns.
            connection.execute(text("SELECT pg_advisory_xact_lock(7347291)"))
        context.run_migrations()


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    owns_engine = engine is None
    if engine is None:
        url = config.attributes.get("url")
        if not url:
            raise RuntimeError("no database url given to the microcred migrations")
        engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        if owns_engine:
            engine.dispose()


if context.is_offline_mode():  # pragma: no cover - offline SQL generation is not used
    context.configure(url=config.attributes.get("url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
