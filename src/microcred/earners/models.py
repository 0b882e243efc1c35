"""Earners (name, email, optional DID, a random salt for the hashed identity in credentials)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, created_at_column, uuid_pk


class Earner(Base):
    __tablename__ = "earners"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    did: Mapped[str | None] = mapped_column(String(2000))
    salt: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:  # no email: personal data stays out of logs
        return f"Earner(id={self.id})"
