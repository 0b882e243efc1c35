"""Storage: SQLAlchemy 2 engine/session helpers and the bundled Alembic migrations."""

from __future__ import annotations

from microcred.db.base import Base, UTCDateTime, utcnow
from microcred.db.engine import make_engine, session_factory, session_scope
from microcred.db.migrate import upgrade

__all__ = ["Base", "UTCDateTime", "make_engine", "session_factory", "session_scope", "upgrade", "utcnow"]
