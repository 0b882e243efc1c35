"""Row locks for state transitions: the one way a transition reads the row it changes."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.errors import NotFound
from microcred.validation import as_uuid

T = TypeVar("T")


def lock_row(session: Session, model: type[T], row_id: uuid.UUID | str, what: str) -> T:
    """The ``model`` row ``row_id``, locked until the transaction ends and read afresh from the database.

    PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` — a second transition of the same row waits here, then sees the
    first one's committed result; rows that merely reference it are not blocked. SQLite ignores the clause: its
    write transactions are serialised (``BEGIN IMMEDIATE``). Raises NotFound naming ``what``."""
    column: Any = model.id  # type: ignore[attr-defined]
    row = session.scalars(
        select(model)
        .where(column == as_uuid(row_id, what))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no {what} with id {row_id}")
    return row
