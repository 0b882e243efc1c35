"""Awards (the signed credential as stored) and their evidence."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microcred.db.base import Base, UTCDateTime, uuid_pk, value_in


class ExportFormat(StrEnum):
    """The forms an award is handed out in: its two signed forms (Data Integrity, VC-JOSE), and the baked badge
    images and PDF certificate made from them (``awards.exports``)."""

    DI = "di"
    JWT = "jwt"
    PNG = "png"
    SVG = "svg"
    PDF = "pdf"


class AwardStatus(StrEnum):
    """An award's standing: active, suspended (an issuer-side hold) or revoked."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class ReplacementKind(StrEnum):
    """How an award replaced the one before it (``Award.replacement``): a renewal or a re-issue."""

    RENEWAL = "renewal"
    REISSUE = "reissue"


# The signed forms an award is stored and issued in (the rest are made from them on export).
AWARD_FORMATS: tuple[str, ...] = (ExportFormat.DI.value, ExportFormat.JWT.value)
AWARD_STATUSES: tuple[str, ...] = tuple(status.value for status in AwardStatus)
REPLACEMENT_KINDS: tuple[str, ...] = tuple(kind.value for kind in ReplacementKind)


class Award(Base):
    __tablename__ = "awards"
    __table_args__ = (
        CheckConstraint(value_in("format", AWARD_FORMATS), name="format"),
        CheckConstraint(value_in("status", AWARD_STATUSES), name="status"),
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
        back_populates="award", order_by="EvidenceItem.position", cascade="all, delete-orphan", lazy="select"
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
