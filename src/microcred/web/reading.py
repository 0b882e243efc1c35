"""Long checks inside writing requests: the dry run of a bulk file runs in a session of its own, in slices.

A writing request on SQLite holds the database's one write lock from its first statement (``BEGIN IMMEDIATE``,
see `microcred.db.engine`), and the dry run writes too: each row is tried in a savepoint (a new earner, the
results it records), then rolled back. Checking a 10,000-row file takes about a minute; holding the lock that long
would make every other writer (sign-ins, awards, the job workers) wait out the busy timeout and fail. So the
request first ends its transaction so far (its sign-in lookups), then the file is checked in a session of its own
whose transaction is rolled back every `DRY_RUN_SLICE` rows (`batches.services.check_table`'s
``release_every``), with a short pause on SQLite: other writers get the lock between slices. Only the short store
that follows writes for good.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
DRY_RUN_SLICE = 200  # rows checked per transaction of the dry run (about a second on SQLite here)
SQLITE_PAUSE_SECONDS = 0.1  # between two slices: SQLite's busy handler polls at most every 100 ms


def slice_pause(session: Session) -> float:
    """The pause between two slices of a long check: on SQLite, long enough for a waiting writer to get the lock
    (it is not handed over fairly); none on PostgreSQL, whose row locks let writers go on meanwhile."""
    return SQLITE_PAUSE_SECONDS if session.get_bind().dialect.name == "sqlite" else 0.0


def in_session_of_its_own(session: Session, factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """``work(own)`` in a session of its own, after ``session``'s transaction so far is committed (so that it
    holds no lock meanwhile); whatever ``own`` did is rolled back: it is for checks."""
    session.commit()
    with factory() as own:
        try:
            return work(own)
        finally:
            own.rollback()
