"""A throw-away microcred instance for the bench: a data folder under the run's temporary folder, a database (a
SQLite file, or a fresh PostgreSQL schema dropped afterwards), a base URL on a free loopback port, migrations
applied and the demo seeded, as `microcred init` and `microcred demo` do (less the ESCO import, which checks the
alignments but changes nothing in a credential).

Nothing outside the repository and the temporary folder is read or written; nothing is fetched."""

from __future__ import annotations

import base64
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from microcred import db
from microcred.demo import DemoResult
from microcred.settings import Settings

DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"
# What the bench sets; every other MICROCRED_* variable of the caller's environment is left out.
_OURS = ("DATABASE_URL",)


def postgres_url() -> str:
    return os.environ.get("MICROCRED_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Instance:
    backend: str
    root: Path
    env: dict[str, str]  # the settings, as environment variables (what a `microcred serve` child is given)
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    demo: DemoResult

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def child_env(self) -> dict[str, str]:
        """This process's environment without any microcred setting of the caller, plus the instance's."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("MICROCRED_") and k not in _OURS}
        return inherited | self.env


def _with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def _database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    admin = create_engine(postgres_url())
    schema = f"bench_{secrets.token_hex(6)}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield _with_search_path(postgres_url(), schema)
    finally:
        try:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            admin.dispose()


def _seed(factory: sessionmaker[Session], settings: Settings) -> DemoResult:
    from microcred.assessments.storage import folder_store
    from microcred.demo import seed_demo
    from microcred.issuers import keystore

    with factory() as session:
        result = seed_demo(
            session,
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
            evidence_store=folder_store(settings.data_dir),
        )
        session.commit()
    return result


@contextmanager
def instance(root: Path, backend: str, name: str) -> Iterator[Instance]:
    """A seeded instance under ``root / name``; its PostgreSQL schema (if any) is dropped when the block ends."""
    from microcred.private_files import private_dir

    folder = private_dir(root / name)
    with _database(backend, folder) as url:
        env = {
            "MICROCRED_DATA_DIR": str(folder / "instance"),
            "DATABASE_URL": url,
            "MICROCRED_BASE_URL": f"http://127.0.0.1:{free_port()}",
            "MICROCRED_MASTER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode(),
            "MICROCRED_API_TOKEN": secrets.token_urlsafe(24),
            "MICROCRED_SESSION_SECRET": secrets.token_urlsafe(32),
        }
        settings = Settings(**env, MICROCRED_TRUSTED_KEYS=None, MICROCRED_TRUSTED_HOSTS="")  # type: ignore[arg-type]
        private_dir(settings.data_dir)
        engine = db.make_engine(url)
        try:
            db.upgrade(engine=engine)
            factory = db.session_factory(engine)
            yield Instance(backend, folder, env, settings, engine, factory, _seed(factory, settings))
        finally:
            engine.dispose()
