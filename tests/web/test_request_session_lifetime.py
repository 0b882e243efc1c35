"""A request's session is closed when its handler returns, before the response (and its background tasks) run.

The regression: a reading request re-run as a writer (`TransactionModeMiddleware`) holds SQLite's write lock from
its BEGIN IMMEDIATE until its session closes. With the session closed only after the response, the count a public
page stores in a background task (`web/counting.py`, an INSERT in a session of its own) waited for the lock its
own request held, for the whole busy timeout, and every writer of the instance queued behind it (measured: the
interop fixture's wallet offer answered 503 after 30 s). Here the busy timeout is 1 s and the count must be
stored; on PostgreSQL (no such lock) the same request is checked too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import Request
from fastapi.responses import Response
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.conftest import Issued

from microcred.analytics import services as analytics
from microcred.awards import queries as awards
from microcred.db import make_engine, session_factory
from microcred.settings import Settings
from microcred.web import counting
from microcred.web.deps import SessionDep


@pytest.fixture
def short_wait(factory: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    """The same database through an engine that waits at most 1 s for SQLite's write lock."""
    engine = make_engine(factory.kw["bind"].url.render_as_string(hide_password=False), busy_timeout=1.0)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def test_a_count_stored_after_the_response_never_waits_for_its_own_requests_lock(
    short_wait: sessionmaker[Session], settings: Settings, issued: Issued
) -> None:
    from microcred.web.app import create_app

    # window 0: each count is stored in the response's own background task, the path that waited for the lock
    app = create_app(settings=settings.model_copy(update={"count_window_seconds": 0.0}), session_factory=short_wait)

    @app.post("/_test/read-as-writer-then-count/{award_id}")
    def read_then_count(award_id: str, request: Request, session: SessionDep) -> Response:
        # a POST runs under write intent: on SQLite this read begins BEGIN IMMEDIATE and holds the write lock
        award = awards.get_award(session, award_id)
        return counting.page_view(request, Response("read"), award)

    with TestClient(app, base_url="https://testserver") as client:  # runs background tasks before returning
        for _ in range(2):
            assert client.post(f"/_test/read-as-writer-then-count/{issued.award_id}").text == "read"
    with short_wait() as session:
        counts = analytics.day_counts(session, achievement_ids=[issued.achievement_id])
    assert sum(c.count for c in counts if c.kind == analytics.EventKind.PAGE_VIEW) == 2, counts
