"""Reading one row by id: the one get-or-NotFound, so every subsystem says "not there" in the same words.

The read-side sibling of ``db.locking.lock_row`` (which a state transition uses instead, to lock the row it
changes). Both raise ``NotFound("no <what> with id <id>")``; an id that is not a UUID at all is refused by
``validation.as_uuid`` with the same shape, so a caller cannot tell a malformed id from a missing row.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy.orm import Session

from microcred.errors import NotFound
from microcred.validation import as_uuid

T = TypeVar("T")


def get_row(session: Session, model: type[T], row_id: uuid.UUID | str, what: str) -> T:
    """The ``model`` row with primary key ``row_id`` (from the session's identity map when already loaded).

    Raises NotFound naming ``what`` (e.g. ``"signing key"``) when the id is malformed or no row has it."""
    row = session.get(model, as_uuid(row_id, what))
    if row is None:
        raise NotFound(f"no {what} with id {row_id}")
    return row
