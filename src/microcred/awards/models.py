"""Awards (the signed credential as stored) and their evidence."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microcred.db.base import Base, UTCDateTime, uuid_pk

AWARD_FORMATS = ("di", "jwt")
AWARD_STATUSES = ("active", "suspended", "revoked")
REPLACEMENT_KINDS = ("renewal", "reissue")


class Award(Base):
    __tablename__ = "awards"
    __table_args__ = (
        CheckConstraint("format IN ('di', 'jwt')", name="format"),
        CheckConstraint("status IN ('active', 'suspended', 'revoked')", name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    earner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("earners.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    signing_key_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("signing_keys.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # [{"outcome_id": "<learning outcome uuid>", "status": "Completed", "value": null}, ...]
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    format: Mapped[str] = mapped_column(String(8), nullable=False, default="di")
    credential_json: Mapped[str] = mapped_column(Text, nullable=False)  # Data Integrity signed, as issued
    credential_jwt: Mapped[str | None] = mapped_column(Text)  # VC-JOSE compact JWS of the same credential
    # active | suspended | revoked (mirrored in the public status lists; reasons only in award_status_events)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active", server_default="active")
    # history: a renewal or re-issue is a new award; both link to each other
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("awards.id", ondelete="SET NULL"))
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("awards.id", ondelete="SET NULL"))
    replacement: Mapped[str | None] = mapped_column(String(16))  # renewal | reissue (how this one replaced)

    evidence: Mapped[list[EvidenceItem]] = relationship(
        back_populates="award", order_by="EvidenceItem.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"Award(id={self.id}, achievement_id={self.achievement_id}, format={self.format!r})"


class EvidenceItem(Base):
    __tablename__ = "evidence_items"

    id: Mapped[uuid.UUID] = uuid_pk()
    award_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("awards.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    narrative: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    genre: Mapped[str | None] = mapped_column(String(100))
    audience: Mapped[str | None] = mapped_column(String(200))

    award: Mapped[Award] = relationship(back_populates="evidence")

    def __repr__(self) -> str:
        return f"EvidenceItem(id={self.id}, name={self.name!r})"


class AwardStatusEvent(Base):
    """Revocation, suspension and reinstatement, with the private reason (never published)."""

    __tablename__ = "award_status_events"

    id: Mapped[uuid.UUID] = uuid_pk()
    award_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("awards.id", ondelete="CASCADE"), nullable=False, index=True
    )
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # revoked | suspended | reinstated
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    def __repr__(self) -> str:  # never the reason
        return f"AwardStatusEvent(award_id={self.award_id}, action={self.action!r})"
