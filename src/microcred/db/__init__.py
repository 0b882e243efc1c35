"""Storage: SQLAlchemy 2 engine/session helpers and the bundled Alembic migrations."""

from __future__ import annotations

from microcred.db.base import Base, UTCDateTime, utcnow
from microcred.db.engine import is_transient_lock_error, make_engine, session_factory, session_scope, write_intent
from microcred.db.migrate import upgrade

__all__ = [
    "Base",
    "UTCDateTime",
    "is_transient_lock_error",
    "make_engine",
    "session_factory",
    "session_scope",
    "upgrade",
    "utcnow",
    "write_intent",
]
