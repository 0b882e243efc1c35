"""`web.counting.Tally`: the counts of reading requests are held per process and stored together, once each, on
SQLite and PostgreSQL: at the window's end (a timer), when `FLUSH_AT` are held, on `flush` (the console's
analytics page) and when the app stops; each keeps the day it happened; many threads adding and storing at once
store every event exactly once."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued

from microcred.analytics import services as analytics
from microcred.analytics.services import Channel, EventKind
from microcred.settings import Settings
from microcred.web import counting


def _views(factory: sessionmaker[Session], achievement_id: uuid.UUID) -> dict[date, int]:
    with factory() as session:
        counts = analytics.day_counts(session, achievement_ids=[achievement_id])
    found: dict[date, int] = {}
    for c in counts:
        if c.kind == EventKind.PAGE_VIEW:
            found[c.day] = found.get(c.day, 0) + c.count
    return found


def _view(issued: Issued) -> dict[str, Any]:
    return {"achievement_id": issued.achievement_id, "channel": Channel.DIRECT}


def test_events_wait_for_the_window_then_are_stored_in_one_transaction(
    factory: sessionmaker[Session], issued: Issued
) -> None:
    tally = counting.Tally(factory, window=3600)  # the timer will not fire during the test
    commits: list[int] = []
    engine = factory.kw["bind"]

    def on_commit(conn: Any) -> None:
        commits.append(1)

    for _ in range(5):
        tally.add(EventKind.PAGE_VIEW, _view(issued))
    assert _views(factory, issued.achievement_id) == {}  # held, not stored yet
    event.listen(engine, "commit", on_commit)
    try:
        assert tally.flush() == 5
    finally:
        event.remove(engine, "commit", on_commit)
    assert len(commits) == 1
    assert _views(factory, issued.achievement_id) == {analytics.today(): 5}
    assert tally.flush() == 0  # nothing is stored twice
    tally.add(EventKind.PAGE_VIEW, _view(issued))
    tally.close()  # the app stopping stores what is left and stops the timer
    assert _views(factory, issued.achievement_id) == {analytics.today(): 6}


def test_a_full_tally_is_stored_at_once_and_a_timer_stores_the_rest(
    factory: sessionmaker[Session], issued: Issued
) -> None:
    tally = counting.Tally(factory, window=0.05)
    for _ in range(counting.FLUSH_AT):
        tally.add(EventKind.PAGE_VIEW, _view(issued))
    assert _views(factory, issued.achievement_id) == {analytics.today(): counting.FLUSH_AT}  # stored by the last add
    tally.add(EventKind.PAGE_VIEW, _view(issued))
    deadline = time.monotonic() + 30  # a bound, not a time assertion: the timer thread stores it
    while _views(factory, issued.achievement_id) != {analytics.today(): counting.FLUSH_AT + 1}:
        assert time.monotonic() < deadline, "the timer never stored the held event"
        time.sleep(0.05)
    tally.close()


def test_many_threads_adding_and_storing_store_each_event_once(factory: sessionmaker[Session], issued: Issued) -> None:
    tally = counting.Tally(factory, window=3600)
    threads, per_thread = 4, 60

    def work() -> None:
        for i in range(per_thread):
            tally.add(EventKind.PAGE_VIEW, _view(issued))
            if i % 20 == 0:
                tally.flush()

    running = [threading.Thread(target=work) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    tally.close()
    assert _views(factory, issued.achievement_id) == {analytics.today(): threads * per_thread}


def test_a_verification_of_another_issuers_credential_is_not_counted(
    factory: sessionmaker[Session], settings: Settings, issued: Issued
) -> None:
    tally = counting.Tally(factory, window=3600)
    ours = {"credential": {"id": issued.credential_url}, "channel": Channel.API}
    theirs = {"credential": {"id": "https://elsewhere.example/credentials/1"}, "channel": Channel.API}
    tally.add(EventKind.VERIFICATION, ours, settings.base_url)
    tally.add(EventKind.VERIFICATION, theirs, settings.base_url)
    tally.close()
    with factory() as session:
        counts = analytics.day_counts(session, achievement_ids=[issued.achievement_id])
    assert [(c.kind, c.channel, c.count) for c in counts] == [(EventKind.VERIFICATION, Channel.API, 1)]


def test_the_app_stores_held_counts_when_it_stops(
    factory: sessionmaker[Session], settings: Settings, issued: Issued
) -> None:
    from microcred.web.app import create_app

    app = create_app(settings=settings.model_copy(update={"count_window_seconds": 3600.0}), session_factory=factory)
    with TestClient(app, base_url="https://testserver") as client:
        for _ in range(3):
            assert client.get(f"/credentials/{issued.award_id}", headers={"Accept": "text/html"}).is_success
        assert _views(factory, issued.achievement_id) == {}  # held by the process
    assert _views(factory, issued.achievement_id) == {analytics.today(): 3}
