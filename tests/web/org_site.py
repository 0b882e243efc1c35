"""One app per module and backend for the organisation and audit console tests: a college and another college,
each with an administrator, and an assessor of the college, each signed in once in their own client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import make_settings, sign_in_with_password

from microcred import db
from microcred.accounts import services as accounts
from microcred.issuers import services as issuers

PASSWORD = "organisation settings password 1"


@dataclass
class Site:
    factory: sessionmaker[Session]
    college: uuid.UUID
    other: uuid.UUID
    admin: TestClient
    assessor: TestClient
    other_admin: TestClient


def _seed(factory: sessionmaker[Session]) -> tuple[uuid.UUID, uuid.UUID]:
    with factory() as session:
        college = issuers.create_organisation(
            session, kind="institution", name="Lakeshore College", country="CA", region="ON",
            url="https://lakeshore.example", email="registrar@lakeshore.example", description="A college.",
        )  # fmt: skip
        other = issuers.create_organisation(session, kind="institution", name="Other College", country="CA")
        for email, role, org in (
            ("admin@lakeshore.example", "org_admin", college.id),
            ("assessor@lakeshore.example", "assessor", college.id),
            ("admin@other.example", "org_admin", other.id),
        ):
            accounts.create_user(
                session, email=email, name=email.split("@")[0], role=role, organisation_id=org, password=PASSWORD
            )
        session.commit()
        return college.id, other.id


def site_for(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Site]:
    from tests.conftest import scratch_database

    from microcred.web.app import create_app

    url, drop = scratch_database(request.param, tmp / "site.db", request)
    engine = db.make_engine(url)
    db.upgrade(engine=engine)
    factory = db.session_factory(engine)
    college, other = _seed(factory)
    app = create_app(settings=make_settings(tmp / "instance", DATABASE_URL=url), session_factory=factory)
    clients = [TestClient(app, base_url="https://testserver") for _ in range(3)]
    try:
        for client, email in zip(
            clients, ("admin@lakeshore.example", "assessor@lakeshore.example", "admin@other.example"), strict=True
        ):
            client.__enter__()
            sign_in_with_password(client, email, PASSWORD)
        yield Site(factory, college, other, *clients)
    finally:
        for client in clients:
            client.__exit__(None, None, None)
        engine.dispose()
        if drop is not None:
            drop()
