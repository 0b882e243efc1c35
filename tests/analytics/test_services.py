"""Analytics events: one row per event, summed per kind, channel and day, folded into weeks and months; nothing
that names a person is stored. SQLite and PostgreSQL (the `session` fixture)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from microcred.analytics import services as analytics
from microcred.analytics.services import Channel, EventKind
from microcred.errors import InvalidInput


def _two_achievements(session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any]) -> Any:
    org = make_org(session)
    first = make_achievement(session, org.id)
    second = make_achievement(session, org.id, name="Knife Skills")
    other_org = make_org(session, name="Other College", registration_id="ON-OTHER-002")
    theirs = make_achievement(session, other_org.id, name="Not ours")
    return org, first, second, theirs


def test_counts_per_kind_channel_day_and_period(
    session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> None:
    org, first, second, theirs = _two_achievements(session, make_org, make_achievement)
    days = [date(2026, 11, 2), date(2026, 11, 4), date(2026, 11, 30), date(2026, 12, 1)]  # Mon, Wed, Mon, Tue
    for day in days:
        analytics.record(session, EventKind.PAGE_VIEW, achievement_id=first.id, channel=Channel.DIRECT, day=day)
    analytics.record(session, EventKind.PAGE_VIEW, achievement_id=second.id, channel=Channel.EMBED, day=days[0])
    analytics.record(session, EventKind.DOWNLOAD, achievement_id=first.id, channel=Channel.PDF, day=days[3])
    analytics.record(session, EventKind.PAGE_VIEW, achievement_id=theirs.id, channel=Channel.DIRECT, day=days[0])
    analytics.record(session, EventKind.STATUS_LIST_FETCH, organisation_id=org.id, day=days[1])
    assert analytics.record_each(session, EventKind.CLAIMED, [first.id, first.id, second.id]) == 3
    session.flush()

    counts = analytics.day_counts(session, achievement_ids=[first.id, second.id], organisation_id=org.id)
    total = analytics.totals(counts)
    assert total[("page_view", "direct")] == 4 and total[("page_view", "embed")] == 1
    assert total[("download", "pdf")] == 1 and total[("status_list_fetch", None)] == 1
    assert total[("claimed", None)] == 3
    only_second = analytics.totals(analytics.day_counts(session, achievement_ids=[second.id]))
    assert dict(only_second) == {("page_view", "embed"): 1, ("claimed", None): 1}

    weeks = analytics.period_starts("week", 5, until=date(2026, 12, 3))
    assert weeks == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30)]
    weekly = analytics.per_period(counts, weeks, "week")
    assert weekly[date(2026, 11, 2)][("page_view", "direct")] == 2
    assert weekly[date(2026, 11, 30)][("page_view", "direct")] == 2
    assert weekly[date(2026, 11, 9)] == {}
    months = analytics.period_starts("month", 2, until=date(2026, 12, 3))
    assert months == [date(2026, 11, 1), date(2026, 12, 1)]
    monthly = analytics.per_period(counts, months, "month")
    assert monthly[date(2026, 11, 1)][("page_view", "direct")] == 3
    assert monthly[date(2026, 12, 1)][("download", "pdf")] == 1
    since = analytics.day_counts(session, achievement_ids=[first.id], since=date(2026, 12, 1))
    assert analytics.totals(since)[("page_view", "direct")] == 1


def test_status_list_fetches_are_totals_per_list(
    session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> None:
    from microcred.status import services as status

    org, _first, _second, _theirs = _two_achievements(session, make_org, make_achievement)
    entry = status.allocate(session, org.id, "revocation")
    for _ in range(3):
        analytics.record(
            session, EventKind.STATUS_LIST_FETCH, organisation_id=org.id, status_list_id=entry.status_list_id
        )
    session.flush()
    assert analytics.list_fetches(session, org.id) == {entry.status_list_id: 3}


def test_refusals_name_what_is_wrong(session: Session) -> None:
    with pytest.raises(InvalidInput, match="kind must be one of"):
        analytics.record(session, "tracked", achievement_id=uuid.uuid4())
    with pytest.raises(InvalidInput, match="channel must be one of"):
        analytics.record(session, EventKind.DOWNLOAD, achievement_id=uuid.uuid4(), channel="docx")
    with pytest.raises(InvalidInput, match="about an achievement or an organisation"):
        analytics.record(session, EventKind.PAGE_VIEW)
    with pytest.raises(InvalidInput, match="period must be one of"):
        analytics.period_starts("year", 3)


def test_the_table_names_no_person(session: Session) -> None:
    """No column that could say who: counts and what they are about only (erasure has nothing to remove)."""
    columns = {c["name"] for c in inspect(session.get_bind()).get_columns("analytics_events")}
    assert columns == {"id", "kind", "channel", "day", "achievement_id", "organisation_id", "status_list_id"}
    foreign = {fk["referred_table"] for fk in inspect(session.get_bind()).get_foreign_keys("analytics_events")}
    assert foreign == {"achievements", "organisations", "status_lists"}


def test_the_award_a_credential_names(session: Session) -> None:
    award_id = uuid.uuid4()
    base = "https://credentials.example.edu"
    assert analytics.award_id_in({"id": f"{base}/credentials/{award_id}"}, base) == award_id
    assert analytics.award_id_in({"id": f"https://elsewhere.example/credentials/{award_id}"}, base) is None
    assert analytics.award_id_in({"id": f"{base}/credentials/not-a-uuid"}, base) is None
    assert analytics.award_id_in(None, base) is None and analytics.award_id_in({"id": 3}, base) is None


def test_concurrent_records_are_all_counted(
    factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> None:
    """Each event is its own row: writers in parallel never lose one another's counts (no hot counter row)."""
    from microcred.db import session_scope

    with session_scope(factory) as session:
        achievement_id = make_achievement(session, make_org(session).id).id
    failures: list[BaseException] = []

    def count(times: int) -> None:
        try:
            for _ in range(times):
                with session_scope(factory) as own:
                    analytics.record(own, EventKind.VERIFICATION, achievement_id=achievement_id, channel=Channel.API)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=count, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with factory() as session:
        counted = analytics.totals(analytics.day_counts(session, achievement_ids=[achievement_id]))
    assert counted[("verification", "api")] == 40
