"""Alembic, configured programmatically: the migrations ship inside the package, no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Tables a library owns in our database (procrastinate's queue, created by migration 0012 from the schema file it
# ships): the migrations create them, but they are not models, so comparing the models with the database
# (autogenerate, tests/db) leaves them out.
FOREIGN_TABLE_PREFIXES = ("procrastinate_",)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: everything but the tables of `FOREIGN_TABLE_PREFIXES`."""
    return not (type_ == "table" and name is not None and name.startswith(FOREIGN_TABLE_PREFIXES))


def alembic_config(url: str | None = None, *, engine: Engine | None = None) -> Config:
    """An Alembic config for `url` (or an existing `engine`), pointing at the bundled migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed through attributes, not the ini options: URLs may contain '%' (configparser interpolation).
    cfg.attributes["url"] = url
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(url: str | None = None, *, engine: Engine | None = None, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (head by default). Running it again is harmless."""
    if url is None and engine is None:
        raise ValueError("upgrade() needs a database url or an engine")
    command.upgrade(alembic_config(url, engine=engine), revision)


def downgrade(url: str | None = None, *, engine: Engine | None = None, revision: str = "base") -> None:
    if url is None and engine is None:
        raise ValueError("downgrade() needs a database url or an engine")
    command.downgrade(alembic_config(url, engine=engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
