"""Reads shared across the many awards of one unit of work (a bulk-issuance chunk): what cannot change while it
runs is read once per session instead of once per award (issue 15).

Outside a `shared_reads` block, `shared` calls its loader every time, so ordinary requests see exactly what the
database holds. Inside one, the first answer for a key is kept in ``session.info`` until the block ends. Only
reads of data that the block itself never changes may go through it: a published achievement's assessment design
(frozen once published), its transcript record and prerequisites, the pathway definitions, an organisation's
relevance policy. A writer of such data in the same session calls `forget` (or the block is not used)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")
_KEY = "microcred.shared_reads"


@contextmanager
def shared_reads(session: Session) -> Iterator[None]:
    """Within the block, `shared` reads are kept per ``session`` (nested blocks share the outer one's)."""
    if _KEY in session.info:
        yield
        return
    session.info[_KEY] = {}
    try:
        yield
    finally:
        session.info.pop(_KEY, None)


def shared(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, or inside a `shared_reads` block the value it gave the first time for ``key``."""
    memo: dict[Hashable, Any] | None = session.info.get(_KEY)
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    value: T = memo[key]
    return value


def forget(session: Session, key: Hashable) -> None:
    """Drop ``key`` from the block's reads (its data changed in this session)."""
    memo: dict[Hashable, Any] | None = session.info.get(_KEY)
    if memo is not None:
        memo.pop(key, None)
