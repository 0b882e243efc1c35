"""What every CLI command shares: the settings, the database (with or without migrations), the unit of work, the
acting user, the API-token file, and the one error mapping.

Its names are public to the CLI's modules (the leading underscore only keeps the module out of the command list):
a command module imports from here and from `_common`, never another command module's private helpers.

Errors: every error a user can cause ends as one line on stderr and an exit code, never a traceback. Domain and
standards errors take their exit code from `microcred.errors.outcome` (the one table the web layer also reads for
its HTTP status); database and OS errors say what to do about them (usually: run `microcred init`).
"""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from microcred.cli._common import EXIT_BAD_INPUT, fail
from microcred.errors import DomainError, outcome
from microcred.private_files import private_dir
from microcred.settings import Settings, get_settings
from microcred.vc.errors import VCError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

API_TOKEN_FILE = "api-token"

NO_TABLES = "the database has no microcred tables yet: run `microcred init` first"
NO_TAXONOMY_TABLES = (
    "the database has no taxonomy tables yet: run `microcred init` (or `microcred taxonomy import esco`)"
)


def _database_message(exc: SQLAlchemyError, no_tables: str) -> str:
    """One line for a database error; a missing table means migrations were never run, so say which command to run."""
    if isinstance(exc, OperationalError | ProgrammingError):
        text = str(exc.orig) if exc.orig is not None else str(exc)
        if "no such table" in text or "does not exist" in text:
            return no_tables
        return f"database error: {text.splitlines()[0] if text else type(exc).__name__}"
    return f"database error: {type(exc).__name__}: {str(exc).splitlines()[0]}"


@contextmanager
def errors(*, prefix: str = "", no_tables: str = NO_TABLES) -> Iterator[None]:
    """Turn every error a user can cause inside the block into one line on stderr and its exit code.

    ``prefix`` goes before a domain or standards error's message (the option or file it is about, e.g.
    ``"--trusted-keys: "``); ``no_tables`` is the hint shown when the database has not been migrated yet (the
    taxonomy commands also suggest `microcred taxonomy import esco`).
    """
    try:
        yield
    except (DomainError, VCError) as exc:
        result = outcome(exc)
        fail(f"{prefix}{exc}", result.exit_code if result is not None else EXIT_BAD_INPUT)
    except SQLAlchemyError as exc:
        fail(_database_message(exc, no_tables))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")


def load_settings() -> Settings:
    """The instance's settings; a malformed environment variable is bad input (exit 2), not a traceback."""
    try:
        return get_settings()
    except Exception as exc:  # pydantic ValidationError: a malformed environment variable
        fail(f"invalid configuration: {str(exc).splitlines()[0]}")


def _private_data_dir(settings: Settings) -> None:
    if settings.database_url is None:
        private_dir(settings.data_dir)  # 0700: it holds personal data and keys


def migrate(settings: Settings) -> None:
    """Apply pending migrations (harmless twice); the default SQLite folder is made private first."""
    from microcred.db import upgrade

    _private_data_dir(settings)
    upgrade(settings.resolved_database_url)


def session_factory(
    settings: Settings, *, must_exist: bool = False, migrated: bool = False
) -> sessionmaker[Session]:
    """Sessions on the instance database.

    ``must_exist``: a command that only reads or changes existing data refuses to create an empty SQLite file.
    ``migrated``: bring the schema to head first, on the same engine (the taxonomy imports create their tables).
    """
    from microcred.db import make_engine, upgrade
    from microcred.db import session_factory as make_session_factory

    if must_exist and settings.database_url is None:
        path = settings.data_dir / "microcred.db"
        if not path.exists():
            fail(f"no database at {path}: run `microcred init` first")
    if migrated:
        _private_data_dir(settings)
    engine = make_engine(settings.resolved_database_url)
    if migrated:
        upgrade(engine=engine)
    return make_session_factory(engine)


def actor() -> str:
    """Who the audit log names for events recorded by this command: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # pragma: no cover - no user name in this environment
        return "cli"


@contextmanager
def read_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session on an existing database for a command that only reads (nothing is committed)."""
    settings = settings or load_settings()
    with errors(), session_factory(settings, must_exist=True)() as session:
        yield session


@contextmanager
def unit_of_work(settings: Settings | None = None, *, attributed: bool = True) -> Iterator[Session]:
    """One committed transaction on the existing instance database (rolled back whole on any error).

    ``attributed``: audit events are recorded as the CLI user (`actor()`); the `earners` commands pass False and
    keep the audit log's default actor, as they always have.
    """
    from microcred.audit.services import acting_as
    from microcred.db import session_scope

    settings = settings or load_settings()
    with (
        errors(),
        acting_as(actor()) if attributed else nullcontext(),
        session_scope(session_factory(settings, must_exist=True)) as session,
    ):
        yield session


def ensure_api_token(settings: Settings) -> tuple[Path | None, bool]:
    """The API token file (0600), created once: (its path, whether it was created now); None when the token comes
    from MICROCRED_API_TOKEN. The token itself is never printed."""
    if settings.api_token:
        return None, False
    path = settings.data_dir / API_TOKEN_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path, False
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(32) + "\n")
    return path, True
