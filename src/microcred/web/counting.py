"""The web's hooks into `microcred.analytics`: what the public pages, the verifiers and the backpack count.

Counts only: a row names the event's kind, its channel and the achievement (or the status list), never who
(no IP, user agent, referrer or cookie is kept; the referrer is only read to tell a visit through LinkedIn).

Reading requests (a credential page, a download, a verification, a status list fetch) hold no write transaction,
and on SQLite a reader must never wait for a writer (issue 12). So their count is kept after the response is sent
(a background task of the response) in this process's `Tally`, which stores what it holds in ONE transaction at
most `window` seconds later (1 s by default, `MICROCRED_COUNT_WINDOW_SECONDS`; 0 stores each at once), or as soon
as it holds `FLUSH_AT` events, and when the app stops. One write per second instead of one per page view: measured
(py-spy), storing each count in its own transaction was 10-16 % of a credential page's CPU, and every public GET
took SQLite's one write lock. The visitor never waits for it; a count that cannot be stored is logged, never
shown; a process killed outright loses at most its last window of counts (counts only, nothing else). Each event
keeps the day it happened. The console's analytics page stores its own process's tally before reading.

Writing requests (a wallet delivery, a sign-in, an earner's share) count inside their own transaction
(`count_claims`, `share`, `ownership.oid4vci`), so the count is kept exactly when the work is.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask, BackgroundTasks

from microcred.analytics import services as analytics
from microcred.analytics.services import Channel, EventKind
from microcred.awards import queries as awards
from microcred.awards.queries import Award
from microcred.db import is_transient_lock_error
from microcred.db.engine import write_intent
from microcred.errors import InvalidInput
from microcred.i18n import gettext as _

log = logging.getLogger(__name__)
R = TypeVar("R", bound=Response)

# the public ?format= and the backpack's download names, as counted
DOWNLOAD_CHANNELS = {
    "di": Channel.JSON,
    "json": Channel.JSON,
    "jwt": Channel.JWT,
    "png": Channel.PNG,
    "svg": Channel.SVG,
    "pdf": Channel.PDF,
}


FLUSH_AT = 200  # events held before a store, whatever the window


@dataclass(frozen=True)
class _Event:
    kind: str
    about: dict[str, Any]
    base_url: str | None  # given: about["credential"] is a verified document, counted only if it is ours
    day: date


def _store(factory: sessionmaker[Session], events: list[_Event]) -> None:
    """The events, in one transaction of a session of its own (a writer: on SQLite it waits for the write lock
    rather than failing on a snapshot another writer overtook)."""
    with write_intent(), factory() as session:
        try:
            for event in events:
                about = dict(event.about)
                if event.base_url is not None:
                    award_id = analytics.award_id_in(about.pop("credential"), event.base_url)
                    award = awards.find_award(session, award_id) if award_id is not None else None
                    if award is None:
                        continue
                    about["achievement_id"] = award.achievement_id
                analytics.record(session, event.kind, day=event.day, **about)
            session.commit()
        except SQLAlchemyError as exc:  # best effort: the responses have gone out already
            session.rollback()
            level = logging.INFO if is_transient_lock_error(exc) else logging.WARNING
            log.log(level, "analytics: %d event(s) could not be counted: %s", len(events), type(exc).__name__)


class Tally:
    """The counts of this process not stored yet (see the module docstring). Thread-safe: responses' background
    tasks add from the thread pool; a timer thread, a full tally or `close` stores. Stores run one at a time, so an
    event is stored once."""

    def __init__(self, factory: sessionmaker[Session], window: float) -> None:
        self._factory = factory
        self._window = window
        self._lock = threading.Lock()
        self._storing = threading.Lock()
        self._events: list[_Event] = []
        self._timer: threading.Timer | None = None

    def add(self, kind: str, about: dict[str, Any], base_url: str | None = None) -> None:
        with self._lock:
            self._events.append(_Event(kind, about, base_url, analytics.today()))
            now = self._window <= 0 or len(self._events) >= FLUSH_AT
            if not now and self._timer is None:
                self._timer = threading.Timer(self._window, self._on_timer)
                self._timer.daemon = True
                self._timer.start()
        if now:
            self.flush()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
        self.flush()

    def flush(self) -> int:
        """Store what is held now; returns how many events were taken."""
        with self._storing:
            with self._lock:
                events, self._events = self._events, []
            if events:
                _store(self._factory, events)
            return len(events)

    def close(self) -> None:
        """Stop the timer and store what is left (the app is stopping)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush()


def tally(request: Request) -> Tally:
    found: Tally = request.app.state.tally
    return found


def _after(
    request: Request, response: R, kind: str, about: dict[str, Any], base_url: str | None = None
) -> R:
    """``response``, with the event to count once it is sent (after any task it already had)."""
    task = BackgroundTask(tally(request).add, kind, about, base_url)
    if response.background is None:
        response.background = task
    else:
        tasks = BackgroundTasks([response.background, task])
        response.background = tasks
    return response


def arrival(request: Request) -> str:
    """How a visitor came to a public credential page: through its embedded snippet (``?via=embed``), LinkedIn
    (the referrer's host), another page, or directly (a link pasted, typed or opened from a mail or an app)."""
    if request.query_params.get("via") == "embed":
        return Channel.EMBED
    referrer = request.headers.get("referer")
    if not referrer:
        return Channel.DIRECT
    host = (urlsplit(referrer).hostname or "").lower()
    if host == "linkedin.com" or host.endswith(".linkedin.com") or host == "lnkd.in":
        return Channel.LINKEDIN
    return Channel.WEB


def page_view(request: Request, response: R, award: Award) -> R:
    about = {"achievement_id": award.achievement_id, "channel": arrival(request)}
    return _after(request, response, EventKind.PAGE_VIEW, about)


def download(request: Request, response: R, award: Award, fmt: str) -> R:
    channel = DOWNLOAD_CHANNELS.get(fmt)
    if channel is None:
        return response
    return _after(request, response, EventKind.DOWNLOAD, {"achievement_id": award.achievement_id, "channel": channel})


def verification(request: Request, response: R, credential: object, channel: str) -> R:
    """Count a verification of one of this instance's credentials (looked up after the response is sent)."""
    base_url: str = request.app.state.settings.base_url
    return _after(request, response, EventKind.VERIFICATION, {"credential": credential, "channel": channel}, base_url)


def status_list(request: Request, response: R, organisation_id: uuid.UUID, list_id: uuid.UUID) -> R:
    about = {"organisation_id": organisation_id, "status_list_id": list_id}
    return _after(request, response, EventKind.STATUS_LIST_FETCH, about)


def count_claims(session: Session, earner_id: uuid.UUID | None, previous_sign_in: datetime | None) -> int:
    """An earner signed in: each of their awards issued since their previous sign-in (every award, on the first)
    is claimed now, once. Counted in the sign-in's transaction; returns how many."""
    if earner_id is None:
        return 0
    claimed = [
        a.achievement_id
        for a in awards.list_awards(session, earner_id=earner_id)
        if previous_sign_in is None or a.issued_at > previous_sign_in
    ]
    return analytics.record_each(session, EventKind.CLAIMED, claimed)


def share(session: Session, award: Award, channel: str) -> None:
    """The award's earner shared it from the share page: copied its public address (``link``) or its embed snippet
    (``embed``), or added it to LinkedIn (``linkedin``). One event in the POST's own transaction (the handler
    commits); counted for a private credential too, since the earner did share it."""
    if channel not in analytics.SHARED_AS:
        raise InvalidInput(_("Choose what was shared: the address (link), the snippet (embed) or LinkedIn."))
    analytics.record(session, EventKind.SHARE, achievement_id=award.achievement_id, channel=channel)
