"""The console's analytics (issue 16, point 5): `/console/analytics` and `/console/analytics.csv`.

For the staff of an issuing organisation (organisation administrators, issuer staff, assessors): their
organisation's credentials, all or one achievement, per week or month over the last `PERIODS_SHOWN` periods.
Two sources, composed here (web may read both; analytics is below awards in the layers):
- the awards' read side (`awards.queries`) for what the credentials are now (issued, active, suspended, revoked,
  expired, replaced) and how many were issued per period;
- the events the platform recorded itself (`microcred.analytics`): claims, public page views (and how visitors
  came: LinkedIn, the embedded snippet, other pages, a link opened directly), shares by the earners themselves
  (the public address or the embed snippet copied, the credential added to LinkedIn, from the share page),
  verifications on this instance (page, API, CLI), downloads by format, wallet deliveries, and status list fetches
  as totals per list. "Shares" are those acts of sharing; "Visits through shares" are the page views that arrived
  through LinkedIn, the snippet or a link opened directly (two metrics: one says what earners did, one what came of it).
Counts only: nothing says who viewed, verified or downloaded. The chart is an SVG (`role="img"`, its title and
summary) followed by a table of the same numbers; the CSV has the same filters and the same numbers."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from microcred.accounts.services import User
from microcred.analytics import services as analytics
from microcred.analytics.services import ARRIVALS, DOWNLOAD_FORMATS, SHARED_AS, VERIFIED_ON
from microcred.awards import queries as award_queries
from microcred.catalog.services import Achievement
from microcred.db.base import utcnow
from microcred.errors import InvalidInput
from microcred.i18n import gettext as _
from microcred.status import services as status
from microcred.web import counting
from microcred.web.deps import SessionDep
from microcred.web.errors import error_response
from microcred.web.negotiation import wants_html
from microcred.web.render import render
from microcred.web.routes.console.common import Viewer, achievements_for, console_router, issuing, localized_name

router = console_router()

PERIODS_SHOWN = 12
METRICS = ("issued", "claimed", "views", "verifications", "downloads", "shares", "share_visits", "wallet")
STATES = ("active", "suspended", "revoked", "expired", "replaced")
Key = tuple[str, str | None]


def _metric_labels() -> dict[str, str]:
    return {
        "issued": _("Issued"),
        "claimed": _("Claimed"),
        "views": _("Public page views"),
        "verifications": _("Verifications"),
        "downloads": _("Downloads"),
        "shares": _("Shares"),
        "share_visits": _("Visits through shares"),
        "wallet": _("Wallet deliveries"),
    }


def _period_labels() -> dict[str, str]:
    return {"week": _("Week"), "month": _("Month")}


def _period_headers() -> dict[str, str]:
    """The over-time table's first column: what its row headers are."""
    return {"week": _("Week (its Monday)"), "month": _("Month")}


@dataclass(frozen=True)
class Filters:
    achievement: Achievement | None  # None: all the organisation's achievements
    period: str
    metric: str

    def query(self) -> str:
        chosen = str(self.achievement.id) if self.achievement else ""
        return f"achievement={chosen}&period={self.period}&metric={self.metric}"


@dataclass(frozen=True)
class Row:
    start: date
    label: str
    short: str  # under the chart's bar
    values: dict[str, int]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    text_x: float


@dataclass(frozen=True)
class Report:
    filters: Filters
    achievements: list[Achievement]
    states: dict[str, int]
    events: Counter[Key]
    rows: list[Row]
    lists: list[tuple[str, int]]


class BadFilter(InvalidInput):
    """A filter that cannot be used: the field (achievement, period, metric) and what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# -- the filters ---------------------------------------------------------------------------------------------------
def _filters(session: Session, user: User, params: dict[str, str]) -> tuple[Filters, list[Achievement]]:
    """The chosen achievement (one of the organisation's), period and charted metric; InvalidInput naming the
    choice to make otherwise (`BadFilter`)."""
    mine = achievements_for(session, user)
    chosen = (params.get("achievement") or "").strip()
    achievement = None
    if chosen:
        achievement = next((a for a in mine if str(a.id) == chosen), None)
        if achievement is None:
            message = _("Choose one of your organisation's achievements in the list, or all of them.")
            raise BadFilter("achievement", message)
    period = (params.get("period") or "month").strip()
    if period not in analytics.PERIODS:
        raise BadFilter("period", _("Choose a week or a month as the period."))
    metric = (params.get("metric") or "views").strip()
    if metric not in METRICS:
        raise BadFilter("metric", _("Choose what the chart shows from the list."))
    return Filters(achievement, period, metric), mine


# -- the numbers ---------------------------------------------------------------------------------------------------
def _state(award: award_queries.Award, now: datetime) -> str:
    """What the award is now, as the awards list says: revoked or suspended, replaced, expired, else active."""
    if award.status in ("revoked", "suspended"):
        return award.status
    if award.replaced_by_id is not None:
        return "replaced"
    if award.valid_until is not None and award.valid_until <= now:
        return "expired"
    return "active"


def _period_label(start: date, period: str) -> str:
    return start.isoformat() if period == "week" else start.strftime("%Y-%m")


def _short_label(start: date, period: str) -> str:
    return start.strftime("%m-%d") if period == "week" else start.strftime("%Y-%m")


def _values(tally: Counter[Key], issued: int) -> dict[str, int]:
    def total(kind: str, channels: tuple[str, ...] | None = None) -> int:
        return sum(n for (k, c), n in tally.items() if k == kind and (channels is None or c in channels))

    return {
        "issued": issued,
        "claimed": total("claimed"),
        "views": total("page_view"),
        "verifications": total("verification"),
        "downloads": total("download"),
        "shares": total("share"),
        "share_visits": total("page_view", ("linkedin", "embed", "direct")),
        "wallet": total("wallet_delivery"),
    }


def _report(session: Session, user: User, filters: Filters, achievements: list[Achievement]) -> Report:
    chosen = [filters.achievement] if filters.achievement else achievements
    ids = [a.id for a in chosen]
    org_id = user.organisation_id if filters.achievement is None else None
    now = utcnow()
    starts = analytics.period_starts(filters.period, PERIODS_SHOWN, until=now.date())
    states: Counter[str] = Counter()
    issued: Counter[date] = Counter()
    for achievement_id in ids:
        for award in award_queries.list_awards(session, achievement_id=achievement_id):
            states[_state(award, now)] += 1
            issued[analytics.period_start(award.issued_at.date(), filters.period)] += 1
    counts = analytics.day_counts(session, achievement_ids=ids, organisation_id=org_id)
    folded = analytics.per_period(counts, starts, filters.period)
    rows = [
        Row(s, _period_label(s, filters.period), _short_label(s, filters.period), _values(folded[s], issued[s]))
        for s in starts
    ]
    return Report(
        filters=filters,
        achievements=achievements,
        states={"issued": sum(states.values()), **{s: states[s] for s in STATES}},
        events=analytics.totals(counts),
        rows=rows,
        lists=_list_rows(session, org_id) if org_id is not None else [],
    )


def _list_rows(session: Session, org_id: uuid.UUID) -> list[tuple[str, int]]:
    fetched = analytics.list_fetches(session, org_id)
    purposes = {"revocation": _("Revocation list"), "suspension": _("Suspension list")}
    return [
        (
            _("%(purpose)s no. %(number)s", purpose=purposes.get(lst.purpose, lst.purpose), number=lst.sequence),
            fetched.get(lst.id, 0),
        )
        for lst in status.list_lists(session, org_id)
    ]


def _event_rows(events: Counter[Key]) -> list[tuple[str, list[tuple[str, int]]]]:
    """The totals table's groups: (heading, [(label, count)])."""
    arrivals = {
        "linkedin": _("through LinkedIn"),
        "embed": _("through the embedded snippet"),
        "direct": _("through a shared link opened directly (pasted, from a mail, an app or a QR code)"),
        "web": _("from other web pages"),
    }
    places = {"page": _("on the verification page"), "api": _("through the API"), "cli": _("with the command line")}
    shared = {
        "link": _("public address copied"),
        "linkedin": _("added to LinkedIn"),
        "embed": _("embed snippet copied"),
    }
    formats = {"json": "JSON-LD", "jwt": "JWT", "png": _("PNG badge"), "svg": _("SVG badge"), "pdf": _("PDF")}
    return [
        (_("Claimed by their earner (signed in)"), [(_("Claimed"), events_total(events, "claimed"))]),
        (
            _("Public page views"),
            [(_("All views"), events_total(events, "page_view"))]
            + [(arrivals[c], events[("page_view", c)]) for c in ARRIVALS],
        ),
        (
            _("Shared by their earners"),
            [(_("All shares"), events_total(events, "share"))] + [(shared[c], events[("share", c)]) for c in SHARED_AS],
        ),
        (
            _("Verifications on this instance"),
            [(places[c], events[("verification", c)]) for c in VERIFIED_ON],
        ),
        (_("Downloads by format"), [(formats[c], events[("download", c)]) for c in DOWNLOAD_FORMATS]),
        (_("Wallet deliveries"), [(_("Delivered to a wallet"), events_total(events, "wallet_delivery"))]),
    ]


def events_total(events: Counter[Key], kind: str) -> int:
    return sum(n for (k, _c), n in events.items() if k == kind)


# -- the chart -----------------------------------------------------------------------------------------------------
CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 640, 260, 20, 50, 40


def _bars(rows: list[Row], metric: str) -> tuple[list[Bar], int]:
    """The bars of the chosen metric, one per period, scaled to the largest (at least 1); and that maximum."""
    top = max([r.values[metric] for r in rows] + [1])
    inner = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT) / max(len(rows), 1)
    bars = []
    for i, row in enumerate(rows):
        value = row.values[metric]
        height = inner * value / top
        x = CHART_LEFT + i * slot + slot * 0.15
        bars.append(Bar(x, CHART_TOP + inner - height, slot * 0.7, height, value, row.short, x + slot * 0.35))
    return bars, top


# -- the pages -----------------------------------------------------------------------------------------------------
def _not_for_you(request: Request) -> Response:
    message = _(
        "Analytics are for the staff of an issuing organisation. Ask your organisation's administrator, or go back "
        "to the console overview."
    )
    if request.url.path.endswith(".csv") or not wants_html(request):
        return error_response(request, 404, message)
    return render(request, "console/analytics_refused.html", {"message": message}, status_code=404)


def _page(
    request: Request,
    session: Session,
    report: Report | None,
    *,
    achievements: list[Achievement],
    error: BadFilter | None = None,
    status_code: int = 200,
) -> Response:
    """The analytics page: the filters, then (without an error) the totals, the chart and its table."""
    context: dict[str, Any] = {
        "report": report,
        "error": str(error) if error else None,
        "error_field": error.field if error else None,
        "metrics": _metric_labels(),
        "periods": _period_labels(),
        "period_headers": _period_headers(),
        "states": STATES,
        "filters": report.filters if report is not None else Filters(None, "month", "views"),
        "achievements": [(a, localized_name(session, a)) for a in achievements],
    }
    chosen = context["filters"].achievement
    context["scope_name"] = localized_name(session, chosen) if chosen is not None else None
    if report is not None:
        bars, top = _bars(report.rows, report.filters.metric)
        context |= {
            "bars": bars,
            "top": top,
            "event_rows": _event_rows(report.events),
            "chart": {
                "width": CHART_WIDTH,
                "height": CHART_HEIGHT,
                "base": CHART_HEIGHT - CHART_BOTTOM,
                "left": CHART_LEFT,
                "top": CHART_TOP,
            },
        }
    return render(request, "console/analytics.html", context, status_code=status_code)


def _counts_stored(request: Request, session: Session) -> None:
    """This process's counts not stored yet are stored now (web/counting.py `Tally`), and the request's read
    transaction (begun to find the signed-in user) ends, so what follows reads them. Other processes' wait at most
    their window (1 s by default)."""
    counting.tally(request).flush()
    session.rollback()


@router.get("/analytics", name="console_analytics")
def analytics_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    if not issuing(user) or user.organisation_id is None:
        return _not_for_you(request)
    _counts_stored(request, session)
    try:
        filters, achievements = _filters(session, user, dict(request.query_params))
    except BadFilter as exc:
        mine = achievements_for(session, user)
        return _page(request, session, None, achievements=mine, error=exc, status_code=400)
    return _page(request, session, _report(session, user, filters, achievements), achievements=achievements)


@router.get("/analytics.csv", name="console_analytics_csv")
def analytics_csv(request: Request, session: SessionDep, user: Viewer) -> Response:
    if not issuing(user) or user.organisation_id is None:
        return _not_for_you(request)
    _counts_stored(request, session)
    try:
        filters, achievements = _filters(session, user, dict(request.query_params))
    except BadFilter as exc:
        return error_response(request, 400, f"{exc} " + _("Open the analytics page to choose again."))
    report = _report(session, user, filters, achievements)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", "period_start", "period_end", *METRICS])
    for row in report.rows:
        end = _period_end(row.start, filters.period)
        writer.writerow([filters.period, row.start.isoformat(), end.isoformat(), *(row.values[m] for m in METRICS)])
    writer.writerow(
        [
            "total",
            report.rows[0].start.isoformat(),
            _period_end(report.rows[-1].start, filters.period),
            *(sum(r.values[m] for r in report.rows) for m in METRICS),
        ]
    )
    scope = str(filters.achievement.id) if filters.achievement else "all"
    filename = f"analytics-{scope}-{filters.period}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _period_end(start: date, period: str) -> date:
    """The last day of the week or month starting on ``start``."""
    if period == "week":
        return start + timedelta(days=6)
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
