"""A used ``Idempotency-Key`` and the response it produced (stored in the transaction that did the work)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, created_at_column, uuid_pk


class IdempotencyKey(Base):
    """One key of one actor (API token) on one endpoint: the request's digest and the response returned.

    The unique (actor, endpoint, key) is what makes concurrent requests with the same key execute once: the row is
    inserted before the work, in the same transaction, so a second insert waits for the first transaction and then
    fails (the second request replays the first's stored response)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("actor", "endpoint", "key", name="uq_idempotency_keys_actor_endpoint_key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    actor: Mapped[str] = mapped_column(String(200), nullable=False)  # e.g. token:<sha-256 of the bearer token>
    endpoint: Mapped[str] = mapped_column(String(300), nullable=False)  # e.g. POST /api/awards/{award_id}/renew
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    request_sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # path parameters and body, canonical
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    # the award the response describes: erasing its earner deletes the stored response (it names the earner)
    award_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_at_column()  # indexed (migration 0014): expired keys are purged

    def __repr__(self) -> str:
        return f"IdempotencyKey(endpoint={self.endpoint!r}, status_code={self.status_code})"
