"""A worker for the concurrency test: runs in its own OS process (multiprocessing, spawn) and issues awards."""

from __future__ import annotations

import uuid
from typing import Any

from microcred import issuing


def issue_many(
    db_url: str, master_key: bytes, achievement_id: str, earner_id: str, count: int, list_size: int, barrier: Any
) -> list[tuple[str, str, int]]:
    """Issue ``count`` awards, one transaction each; return (purpose, list id, index) of every entry allocated."""
    from microcred.db import make_engine, session_factory, session_scope
    from microcred.status import services as status

    status.LIST_SIZE = list_size
    engine = make_engine(db_url)
    factory = session_factory(engine)
    barrier.wait(timeout=60)  # both processes start issuing at the same moment
    out: list[tuple[str, str, int]] = []
    try:
        for _ in range(count):
            with session_scope(factory) as session:
                award = issuing.issue_award(
                    session,
                    achievement_id=uuid.UUID(achievement_id),
                    earner_id=uuid.UUID(earner_id),
                    base_url="http://127.0.0.1:8000",
                    master_key=master_key,
                )
                entries = status.entries_for_award(session, award.id)
                out.extend((e.purpose, str(e.status_list_id), e.list_index) for e in entries)
    finally:
        engine.dispose()
    return out
