"""Recording events (one INSERT each) and reading their counts per day, week or month.

Callers own the unit of work, as every service: `record` adds the row in the caller's transaction, so an event is
counted exactly when what it counts is committed (a wallet delivery, a claim), and a request that fails records
nothing. Reads sum the rows (GROUP BY kind, channel, day): no counter row is ever updated, so two processes
counting at once both count.

Who the events are about is decided by the caller: an award's events name its achievement (the web and the CLI
read the award; this package is below awards in the layers and never reads them), a status list fetch names the
list and its organisation. Nothing here identifies a person (see `models`)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy.orm import Session

from microcred.analytics.models import ARRIVALS as ARRIVALS  # re-exported: the channels of each kind
from microcred.analytics.models import CHANNELS, EVENT_KINDS, AnalyticsEvent
from microcred.analytics.models import DOWNLOAD_FORMATS as DOWNLOAD_FORMATS
from microcred.analytics.models import SHARED_AS as SHARED_AS
from microcred.analytics.models import VERIFIED_ON as VERIFIED_ON
from microcred.analytics.models import Channel as Channel
from microcred.analytics.models import EventKind as EventKind
from microcred.errors import InvalidInput
from microcred.urls import credential_url
from microcred.validation import one_of

PERIODS = ("week", "month")
Key = tuple[str, str | None]  # (kind, channel)


def today() -> date:
    return datetime.now(UTC).date()


def _row(
    kind: str,
    *,
    achievement_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    status_list_id: uuid.UUID | None = None,
    channel: str | None = None,
    day: date | None = None,
) -> dict[str, object]:
    if achievement_id is None and organisation_id is None:
        raise InvalidInput("an analytics event is about an achievement or an organisation")
    return {
        "kind": one_of(kind, "kind", EVENT_KINDS),
        "channel": one_of(channel, "channel", CHANNELS) if channel is not None else None,
        "day": day or today(),
        "achievement_id": achievement_id,
        "organisation_id": organisation_id,
        "status_list_id": status_list_id,
    }


def record(
    session: Session,
    kind: str,
    *,
    achievement_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    status_list_id: uuid.UUID | None = None,
    channel: str | None = None,
    day: date | None = None,
) -> None:
    """Count one event (one INSERT, in the caller's transaction)."""
    row = _row(
        kind,
        achievement_id=achievement_id,
        organisation_id=organisation_id,
        status_list_id=status_list_id,
        channel=channel,
        day=day,
    )
    session.execute(insert(AnalyticsEvent), [row])


def record_each(
    session: Session, kind: str, achievement_ids: Iterable[uuid.UUID], *, channel: str | None = None
) -> int:
    """Count one event per achievement id given (repeats count again: one per award); returns how many."""
    rows = [_row(kind, achievement_id=a, channel=channel) for a in achievement_ids]
    if rows:
        session.execute(insert(AnalyticsEvent), rows)
    return len(rows)


def award_id_in(document: object, base_url: str) -> uuid.UUID | None:
    """The award a credential document names as one of this instance's (its ``id`` is
    ``<base_url>/credentials/<award id>``), else None. Only the address is read: the caller looks the award up."""
    if not isinstance(document, dict):
        return None
    value = document.get("id")
    prefix = credential_url("", base_url)
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    try:
        return uuid.UUID(value[len(prefix) :])
    except ValueError:
        return None


# -- reading ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DayCount:
    kind: str
    channel: str | None
    day: date
    count: int


def day_counts(
    session: Session,
    *,
    achievement_ids: Sequence[uuid.UUID],
    organisation_id: uuid.UUID | None = None,
    since: date | None = None,
) -> list[DayCount]:
    """The events about these achievements (and, when given, the organisation's own: its status list fetches),
    summed per kind, channel and day, from ``since`` on (every day when None)."""
    about: list[ColumnElement[bool]] = []
    if achievement_ids:
        about.append(AnalyticsEvent.achievement_id.in_(list(achievement_ids)))
    if organisation_id is not None:
        about.append(AnalyticsEvent.organisation_id == organisation_id)
    if not about:
        return []
    stmt = (
        select(AnalyticsEvent.kind, AnalyticsEvent.channel, AnalyticsEvent.day, func.count())
        .where(or_(*about))
        .group_by(AnalyticsEvent.kind, AnalyticsEvent.channel, AnalyticsEvent.day)
    )
    if since is not None:
        stmt = stmt.where(AnalyticsEvent.day >= since)
    return [DayCount(kind, channel, day, int(n)) for kind, channel, day, n in session.execute(stmt)]


def list_fetches(session: Session, organisation_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """How often each of the organisation's status lists was fetched (totals per list, all time)."""
    stmt = (
        select(AnalyticsEvent.status_list_id, func.count())
        .where(
            AnalyticsEvent.organisation_id == organisation_id,
            AnalyticsEvent.kind == EventKind.STATUS_LIST_FETCH,
            AnalyticsEvent.status_list_id.is_not(None),
        )
        .group_by(AnalyticsEvent.status_list_id)
    )
    return {list_id: int(n) for list_id, n in session.execute(stmt) if list_id is not None}


def period_start(day: date, period: str) -> date:
    """The first day of the week (Monday, ISO) or month ``day`` falls in."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def period_starts(period: str, count: int, *, until: date | None = None) -> list[date]:
    """The first days of the last ``count`` weeks or months up to the one holding ``until`` (today), oldest first."""
    one_of(period, "period", PERIODS)
    current = period_start(until or today(), period)
    starts = [current]
    while len(starts) < count:
        previous = starts[-1] - timedelta(days=1)
        starts.append(period_start(previous, period))
    return starts[::-1]


def per_period(counts: Iterable[DayCount], starts: Sequence[date], period: str) -> dict[date, Counter[Key]]:
    """The day counts folded into the given periods (days before the first period are left out)."""
    folded: dict[date, Counter[Key]] = {start: Counter() for start in starts}
    for row in counts:
        start = period_start(row.day, period)
        if start in folded:
            folded[start][(row.kind, row.channel)] += row.count
    return folded


def totals(counts: Iterable[DayCount]) -> Counter[Key]:
    summed: Counter[Key] = Counter()
    for row in counts:
        summed[(row.kind, row.channel)] += row.count
    return summed
