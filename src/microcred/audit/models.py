"""The audit chain (one row per event) and its head (a single row: the lock that serialises appends)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    """``hash`` = SHA-256 over the canonical JSON of (seq, at, actor, action, subject, details, prev_hash)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    details: Mapped[str] = mapped_column(Text, nullable=False)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)

    def __repr__(self) -> str:
        return f"AuditEntry(seq={self.seq}, action={self.action!r}, subject={self.subject!r})"


class AuditHead(Base):
    """Exactly one row (id 1), created by the migration: the last entry's seq and hash.

    Appending locks this row (SELECT ... FOR UPDATE on PostgreSQL; SQLite has a single writer), so two
    transactions can never both extend the chain from the same entry. It also lets `verify` notice a deleted tail.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
