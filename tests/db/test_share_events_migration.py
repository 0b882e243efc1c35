"""0016_share_events (after 0015_analytics_events), on SQLite and PostgreSQL: the kind and channel CHECK constraints
of ``analytics_events`` are replaced by ones that also allow the kind ``share`` and the channel ``link`` (and still
refuse anything else); the downgrade deletes the share and link rows, puts the 0015 constraints back (which refuse
a share again) and keeps every other row; upgrading again works."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError

from microcred.db import make_engine, session_factory
from microcred.db.migrate import current_revision, downgrade, head_revision, upgrade

EVENTS = sa.table(
    "analytics_events",
    sa.column("kind", sa.String),
    sa.column("channel", sa.String),
    sa.column("day", sa.Date),
    sa.column("organisation_id", sa.Uuid),
)


def _checks(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        found = inspect(conn).get_check_constraints("analytics_events")
    return {str(c["name"]).removeprefix("ck_analytics_events_"): str(c["sqltext"]) for c in found}


def _insert(engine: Engine, org_id: uuid.UUID, kind: str, channel: str) -> None:
    with engine.begin() as conn:
        conn.execute(EVENTS.insert().values(kind=kind, channel=channel, day=date(2026, 12, 4), organisation_id=org_id))


def _sqlite_table_keeps_its_shape(engine: Engine) -> None:
    """On SQLite the table is rebuilt: it keeps AUTOINCREMENT and its indexes."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'analytics_events'")).scalar_one()
        indexes = {i["name"] for i in inspect(conn).get_indexes("analytics_events")}
    assert "AUTOINCREMENT" in str(sql).upper()
    assert indexes == {
        "ix_analytics_events_achievement_day",
        "ix_analytics_events_organisation_day",
        "ix_analytics_events_status_list_id",
    }


def _rows(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return sorted((str(k), str(c)) for k, c in conn.execute(select(EVENTS.c.kind, EVENTS.c.channel)))


def _refused(engine: Engine, org_id: uuid.UUID, kind: str, channel: str) -> None:
    with pytest.raises(IntegrityError):
        _insert(engine, org_id, kind, channel)


def test_share_events_migration_up_and_down(db_url: str, make_org: Callable[..., Any]) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine=engine, revision="0015_analytics_events")
        before = _checks(engine)
        assert "'share'" not in before["kind"] and "'link'" not in before["channel"]
        assert "'page_view'" in before["kind"] and "'linkedin'" in before["channel"]

        upgrade(engine=engine, revision="0016_share_events")
        after = _checks(engine)
        assert set(after) >= {"kind", "channel", "subject"}
        _sqlite_table_keeps_its_shape(engine)
        assert "'share'" in after["kind"] and "'page_view'" in after["kind"]
        assert "'link'" in after["channel"] and "'linkedin'" in after["channel"] and "'embed'" in after["channel"]
        with session_factory(engine)() as session:
            org_id = make_org(session).id
            session.commit()
        for kind, channel in (("share", "link"), ("share", "embed"), ("share", "linkedin"), ("page_view", "direct")):
            _insert(engine, org_id, kind, channel)
        _refused(engine, org_id, "liked", "link")  # the new constraints still refuse what is not in the lists
        _refused(engine, org_id, "share", "carrier pigeon")
        assert _rows(engine) == [("page_view", "direct"), ("share", "embed"), ("share", "link"), ("share", "linkedin")]

        downgrade(engine=engine, revision="0015_analytics_events")
        assert current_revision(engine) == "0015_analytics_events"
        assert _rows(engine) == [("page_view", "direct")]  # the share events are gone, nothing else
        restored = _checks(engine)
        assert "'share'" not in restored["kind"] and "'link'" not in restored["channel"]
        _refused(engine, org_id, "share", "linkedin")
        _refused(engine, org_id, "page_view", "link")
        _sqlite_table_keeps_its_shape(engine)
        _insert(engine, org_id, "page_view", "embed")  # what 0015 allowed, it still allows

        upgrade(engine=engine)
        assert current_revision(engine) == head_revision()
        _insert(engine, org_id, "share", "link")
        assert _rows(engine) == [("page_view", "direct"), ("page_view", "embed"), ("share", "link")]
    finally:
        engine.dispose()
