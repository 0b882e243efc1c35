"""Bulk issuance fixtures: a college with a plain achievement (code HOSP-101, pass/fail), an assessed one (code
ASSESS-1: outcome 1 on levels, 2 by score, 3 on levels), a draft (DRAFT-1); an existing earner with a verified
extra address; helpers to make CSV bytes and run a batch. On SQLite and PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from microcred.assessments import services as assessments
from microcred.batches import csvfile
from microcred.batches import services as batches
from microcred.catalog import services as catalog
from microcred.db import session_scope
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.settings import Settings
from microcred.transcripts import records

BASE = "http://127.0.0.1:8000"
LEVELS = ["Beginning", "Proficient", "Exemplary"]


@dataclass
class World:
    org_id: uuid.UUID
    plain_id: uuid.UUID
    assessed_id: uuid.UUID
    draft_id: uuid.UUID
    earner_id: uuid.UUID


@pytest.fixture
def world(
    factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> World:
    with session_scope(factory) as session:
        org = make_org(session)
        plain = make_achievement(session, org.id)
        records.set_achievement_record(session, plain.id, {"human_code": "HOSP-101", "grading_scheme": "pass_fail"})
        assessed = make_achievement(session, org.id, name="Knife Skills", publish=False)
        assessments.define_assessment(
            session,
            assessed.id,
            method="observed_performance",
            rubrics=[
                {"outcome": 1, "levels": LEVELS, "required_level": "Proficient"},
                {"outcome": 2, "score": {"min": 0, "max": 100, "required": 70}},
                {"outcome": 3, "levels": ["Not yet", "Consistently"], "required_level": 2},
            ],
        )
        catalog.publish_achievement(session, assessed.id)
        records.set_achievement_record(session, assessed.id, {"human_code": "ASSESS-1"})
        draft = make_achievement(session, org.id, name="Pastry Basics", publish=False)
        records.set_achievement_record(session, draft.id, {"human_code": "DRAFT-1"})
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@example.org")
        earners.add_email_row(session, earner.id, "amara.okafor@work.example", verified_at=utcnow())
        return World(org.id, plain.id, assessed.id, draft.id, earner.id)


def csv_bytes(header: Sequence[str], *rows: Sequence[str], sep: str = ",", newline: str = "\r\n") -> bytes:
    """A CSV file as a spreadsheet writes it (cells quoted when they need it)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def settings(tmp_path: Any, master_key: bytes) -> Settings:
    import base64

    return Settings(
        MICROCRED_DATA_DIR=tmp_path / "instance",
        DATABASE_URL=None,
        MICROCRED_BASE_URL=BASE,
        MICROCRED_MASTER_KEY=base64.urlsafe_b64encode(master_key).rstrip(b"=").decode(),
    )


def make_batch(factory: sessionmaker[Session], data: bytes, *, start: bool = True, **options: Any) -> uuid.UUID:
    """A batch from CSV bytes (dry run stored), started unless ``start`` is False."""
    with session_scope(factory) as session:
        batch = batches.create_from_file(
            session, data, max_bytes=50 * 1024 * 1024, base_url=BASE, options=batches.Options(**options)
        )
        if start:
            batches.start(session, batch.id)
        return batch.id


def verdicts(factory: sessionmaker[Session], batch_id: uuid.UUID) -> dict[int, tuple[str, str | None]]:
    with factory() as session:
        return {r.row_number: (r.state, r.error) for r in batches.rows(session, batch_id)}


def table(data: bytes) -> csvfile.Table:
    return csvfile.read_csv(data, max_bytes=50 * 1024 * 1024)


@pytest.fixture
def cli_env(isolated_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI on the parametrized test database (DATABASE_URL), with the fixed master key of isolated_settings."""
    from microcred.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    return isolated_settings
