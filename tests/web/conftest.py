"""Web fixtures: an app over a real migrated database (SQLite and PostgreSQL, via tests/conftest.py `factory`)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing, urls
from microcred.settings import Settings

BASE_URL = "https://credentials.example.edu"
TOKEN = "test-api-token-0123456789"
MASTER_KEY = base64.urlsafe_b64encode(b"\x05" * 32).rstrip(b"=").decode()


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "MICROCRED_DATA_DIR": data_dir,
        "DATABASE_URL": None,
        "MICROCRED_BASE_URL": BASE_URL,
        "MICROCRED_MASTER_KEY": MASTER_KEY,
        "MICROCRED_TRUSTED_KEYS": None,
        "MICROCRED_TRUSTED_HOSTS": "",
        "MICROCRED_API_TOKEN": TOKEN,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "instance")


@pytest.fixture
def app(settings: Settings, factory: sessionmaker[Session]) -> FastAPI:
    from microcred.web.app import create_app

    return create_app(settings=settings, session_factory=factory)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True, base_url="https://testserver") as c:
        yield c


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Issued:
    award_id: uuid.UUID
    org_id: uuid.UUID
    achievement_id: uuid.UUID
    earner_id: uuid.UUID
    credential_url: str


@pytest.fixture
def issued(
    factory: sessionmaker[Session],
    settings: Settings,
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
) -> Issued:
    """One award issued through the domain services: a college, a published achievement, an earner, evidence."""
    from microcred.earners import services as earners
    from microcred.issuers import keystore

    with factory() as session:
        org = make_org(session)
        achievement = make_achievement(session, org.id)
        earner = earners.create_earner(session, name="Ada Lovelace", email="ada@example.org")
        award = issuing.issue_award(
            session,
            achievement_id=achievement.id,
            earner_id=earner.id,
            evidence=[
                {
                    "name": "Practical kitchen assessment",
                    "narrative": "Prepared three dishes under observation, meeting every hygiene criterion.",
                    "url": "https://college.example/evidence/123",
                    "genre": "Assessment",
                }
            ],
            base_url=settings.base_url,
            master_key=keystore.load_master_key(settings),
        )
        session.commit()
        return Issued(
            award_id=award.id,
            org_id=org.id,
            achievement_id=achievement.id,
            earner_id=earner.id,
            credential_url=urls.credential_url(award.id, settings.base_url),
        )


def form_token(client: TestClient, path: str = "/verify") -> str:
    """The CSRF token of a page's forms (the client keeps the CSRF cookie it was given)."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None, f"no CSRF token on {path}"
    return match.group(1)


def sign_in_with_password(client: TestClient, email: str, password: str) -> TestClient:
    """Sign ``client`` in through the password form (the CSRF token taken from the sign-in page)."""
    response = client.post(
        "/sign-in/password",
        data={"csrf_token": form_token(client, "/sign-in"), "email": email, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def sign_in_with_link(client: TestClient, factory: Any, email: str) -> None:
    """Sign ``client`` in as ``email`` through a one-time link (as an earner claims an award), landing on the
    backpack."""
    from microcred.accounts import services as accounts

    with factory() as session:
        user = accounts.user_for_sign_in(session, email)
        assert user is not None
        token = accounts.issue_sign_in_token(session, user)
        session.commit()
    csrf = form_token(client, f"/sign-in/link/{token}")
    response = client.post(
        f"/sign-in/link/{token}", data={"csrf_token": csrf, "next": "/backpack"}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Any]:
    from support.smtp import smtp_server

    with smtp_server() as box:
        yield box
