"""What every part of the partners subsystem shares: the clock rule and the length of free text.

Kept apart so the workflow modules (consultation, endorsements, relevance) can all use them without importing
each other."""

from __future__ import annotations

from datetime import datetime

from microcred.db.base import utcnow
from microcred.errors import InvalidInput

MAX_TEXT = 4000  # longest free text a partner or issuer may write (messages, rationales, notes, reasons)


def instant(now: datetime | None) -> datetime:
    """``now`` (or the current time when None), to the second; a naive time is refused, since the stored times and
    the signed validity periods are all UTC-aware."""
    value = now or utcnow()
    if value.tzinfo is None:
        raise InvalidInput("times must be timezone-aware")
    return value.replace(microsecond=0)


def day(moment: datetime) -> str:
    """The ISO date of a moment, as shown in relevance messages and reminder keys."""
    return moment.date().isoformat()
