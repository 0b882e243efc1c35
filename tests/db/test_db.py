"""db: migrations (twice, both dialects, in sync with the models), sessions, SQLite pragmas, UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from microcred.db import make_engine, session_factory, session_scope, upgrade
from microcred.db.migrate import current_revision, downgrade, head_revision

TABLES = {
    "organisations",
    "signing_keys",
    "achievements",
    "learning_outcomes",
    "alignments",
    "earners",
    "awards",
    "evidence_items",
    "alembic_version",
}


def test_upgrade_twice_is_harmless(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(db_url: str) -> None:
    upgrade(db_url)
    downgrade(db_url)
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine=engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_models_match_migrations(engine: Engine) -> None:
    """Autogenerate finds nothing to do: the shipped migrations build exactly the models' schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from microcred.db.base import Base
    from microcred.db.migrate import include_name
    from microcred.db.models import import_all_models

    import_all_models()
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_name": include_name}  # procrastinate's tables are not models
        diffs = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diffs == []


def test_upgrade_needs_a_target() -> None:
    with pytest.raises(ValueError):
        upgrade()
    with pytest.raises(ValueError):
        downgrade()


def test_sqlite_foreign_keys_and_wal(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/p.db")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


def test_foreign_keys_enforced(factory: sessionmaker[Session]) -> None:
    import uuid

    from microcred.earners.models import Earner

    with pytest.raises(Exception), session_scope(factory) as session:  # noqa: B017 - IntegrityError, per dialect
        session.execute(
            text(
                "INSERT INTO awards (id, achievement_id, earner_id, signing_key_id, issued_at, valid_from, results,"
                " format, credential_json) VALUES (:id, :a, :e, :k, :t, :t, '[]', 'di', '{}')"
            ),
            {
                "id": uuid.uuid4().hex,
                "a": uuid.uuid4().hex,
                "e": uuid.uuid4().hex,
                "k": uuid.uuid4().hex,
                "t": "2024-01-01",
            },
        )
    with factory() as session:
        assert session.scalars(select(Earner)).all() == []


def test_session_scope_commits_or_rolls_back_whole(factory: sessionmaker[Session]) -> None:
    from microcred.earners import services as earners
    from microcred.earners.models import Earner

    with session_scope(factory) as session:
        earners.create_earner(session, name="Kept", email="kept@example.org")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), session_scope(factory) as session:
        earners.create_earner(session, name="One", email="one@example.org")
        earners.create_earner(session, name="Two", email="two@example.org")
        raise Boom

    with factory() as session:
        assert [e.name for e in session.scalars(select(Earner))] == ["Kept"]


def test_timestamps_are_utc_aware(factory: sessionmaker[Session]) -> None:
    from microcred.earners import services as earners

    with session_scope(factory) as session:
        earner = earners.create_earner(session, name="T", email="t@example.org")
        earner.created_at = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=-4)))
        earner_id = earner.id
    with factory() as session:
        stored = earners.get_earner(session, earner_id).created_at
        assert stored.tzinfo is not None
        assert stored == datetime(2024, 5, 1, 16, 0, tzinfo=UTC)


def test_naive_timestamps_are_refused(factory: sessionmaker[Session]) -> None:
    from microcred.earners import services as earners

    with pytest.raises(Exception, match="naive"), session_scope(factory) as session:
        earner = earners.create_earner(session, name="N", email="n@example.org")
        earner.created_at = datetime(2024, 5, 1, 12, 0)
        session.flush()


def test_session_factory_does_not_expire_on_commit(engine: Engine) -> None:
    factory = session_factory(engine)
    from microcred.earners import services as earners

    with session_scope(factory) as session:
        earner = earners.create_earner(session, name="E", email="e@example.org")
    assert earner.name == "E"  # still readable after commit and close
