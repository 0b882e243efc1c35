"""Browser tests: the app served by uvicorn on a free localhost port, driven by Debian's Chromium via Playwright.

One browser for the whole session; one server per database backend (SQLite and PostgreSQL); a real SMTP server
(aiosmtpd) receives the sign-in links. axe-core (tests/browser/vendor) is injected into every page checked.
Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import base64
import os
import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.server import serve_in_thread
from support.smtp import Mailbox, free_port, smtp_server

CHROMIUM = os.environ.get("MICROCRED_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
STAFF_EMAIL = "registrar@college.example"
STAFF_PASSWORD = "browser tests password 1"


@dataclass
class Server:
    base_url: str
    backend: str
    mailbox: Mailbox
    org_id: str
    db_url: str = ""  # for tests that seed their own records (issue 7: partner reviewers)
    settings: Any = None  # the server's settings (its master key): for tests that run its jobs elsewhere

    @contextmanager
    def factory(self) -> Iterator[Any]:
        """A session factory on the server's database, as another process would open it (engine disposed after)."""
        from microcred import db

        engine = db.make_engine(self.db_url)
        try:
            yield db.session_factory(engine)
        finally:
            engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Any]:
        """One unit of work on the server's database, committed at the end: what a test seeds or reads behind the
        page's back."""
        from microcred import db

        with self.factory() as factory, db.session_scope(factory) as session:
            yield session


@pytest.fixture
def language(request: pytest.FixtureRequest, server: Server) -> str:
    """Each browser test runs on both backends, in English on one and in French on the other: both languages and
    both backends every time, at half the cost of all four runs (the browser tests were a sixth of `make test`).
    Which backend gets which language alternates between modules (by a hash of the module's name), so across the
    suite every screen family is seen in each language on each backend."""
    flip = zlib.crc32(request.module.__name__.encode()) % 2
    return ("en", "fr")[(server.backend == "postgresql") ^ flip]


# Module scope (there is one browser test module): Playwright's sync API keeps an event loop running in the main
# thread while the browser is open, which would break tests that call asyncio.run() later in the session.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():  # never skipped: `make test` installs it
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)", pytrace=False)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def browser_mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def _database(backend: str, tmp: Path, request: pytest.FixtureRequest) -> tuple[str, Any]:
    from tests.conftest import scratch_database

    return scratch_database(backend, tmp / "browser.db", request)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, browser_mailbox: Mailbox
) -> Iterator[Server]:

    from microcred import db
    from microcred.accounts import services as accounts
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers
    from microcred.settings import Settings
    from microcred.web.app import create_app

    backend = request.param
    tmp = tmp_path_factory.mktemp(f"browser-{backend}")
    url, drop = _database(backend, tmp, request)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        MICROCRED_DATA_DIR=tmp / "instance",
        DATABASE_URL=url,
        MICROCRED_BASE_URL=base_url,
        MICROCRED_MASTER_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode(),
        MICROCRED_API_TOKEN="browser-token",
        MICROCRED_SMTP_HOST=browser_mailbox.host,
        MICROCRED_SMTP_PORT=browser_mailbox.port,
    )
    engine = db.make_engine(url)
    db.upgrade(engine=engine)
    factory = db.session_factory(engine)
    with factory() as session:
        org = issuers.create_organisation(
            session,
            kind="institution",
            name="Lakeshore College",
            country="CA",
            region="ON",
            url="https://lakeshore.example",
            legal_name="Lakeshore College of Applied Arts and Technology",
        )
        issuers.ensure_signing_key(session, org, master_key=keystore.load_master_key(settings))
        accounts.create_user(
            session,
            email=STAFF_EMAIL,
            name="Riley Registrar",
            role="org_admin",
            organisation_id=org.id,
            password=STAFF_PASSWORD,
        )
        session.commit()
        org_id = str(org.id)
    app = create_app(settings=settings, session_factory=factory)
    try:
        with serve_in_thread(app, port):
            yield Server(base_url, backend, browser_mailbox, org_id, url, settings)
    finally:
        engine.dispose()
        if drop is not None:
            drop()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (all rules axe runs by default: WCAG 2.0-2.2 A/AA and
    best practices)."""
    _inject_axe(page)
    result: dict[str, Any] = page.evaluate("async () => await window.axe.run(document)")
    return list(result["violations"])


def axe_version(page: Any) -> str:
    _inject_axe(page)
    return str(page.evaluate("() => window.axe.version"))


def _inject_axe(page: Any) -> None:
    """axe-core into the page through the DevTools protocol (evaluate), which the pages' Content-Security-Policy
    does not govern: a <script> tag (add_script_tag) would be refused by script-src 'self', as it should be."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate("(source) => { (0, eval)(source); }", AXE.read_text(encoding="utf-8"))
