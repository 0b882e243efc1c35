"""Achievements (micro-credential definitions), their learning outcomes and competency alignments."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microcred.db.base import Base, created_at_column, uuid_pk, value_in
from microcred.vc.outcomes import OUTCOME_KINDS as OUTCOME_KINDS  # the one vocabulary (vc.outcomes.OutcomeKind)


class AchievementStatus(StrEnum):
    """A definition is drafted, then published (awards are issued only against published ones)."""

    DRAFT = "draft"
    PUBLISHED = "published"


ACHIEVEMENT_STATUSES: tuple[str, ...] = tuple(status.value for status in AchievementStatus)


class Achievement(Base):
    __tablename__ = "achievements"
    __table_args__ = (CheckConstraint(value_in("status", ACHIEVEMENT_STATUSES), name="status"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    issuer_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    criteria_narrative: Mapped[str] = mapped_column(Text, nullable=False)
    criteria_url: Mapped[str | None] = mapped_column(String(2000))
    image: Mapped[str | None] = mapped_column(Text)  # data: URI or http(s) URL
    achievement_type: Mapped[str] = mapped_column(String(64), nullable=False, default="MicroCredential")
    language: Mapped[str] = mapped_column(String(16), nullable=False, default="en")
    workload_hours: Mapped[float] = mapped_column(Float, nullable=False)
    credits: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    # how long an award stays valid (validUntil = validFrom + months + days); none = no expiry
    validity_months: Mapped[int | None] = mapped_column(Integer)
    validity_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()

    outcomes: Mapped[list[LearningOutcome]] = relationship(
        back_populates="achievement",
        order_by="LearningOutcome.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    def __repr__(self) -> str:
        return f"Achievement(id={self.id}, name={self.name!r}, status={self.status!r})"


class LearningOutcome(Base):
    __tablename__ = "learning_outcomes"
    __table_args__ = (
        CheckConstraint(value_in("kind", OUTCOME_KINDS), name="kind"),
        UniqueConstraint("achievement_id", "position", name="uq_learning_outcomes_position"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)

    achievement: Mapped[Achievement] = relationship(back_populates="outcomes")
    alignments: Mapped[list[Alignment]] = relationship(
        back_populates="outcome", order_by="Alignment.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"LearningOutcome(id={self.id}, kind={self.kind!r}, position={self.position})"


class Alignment(Base):
    __tablename__ = "alignments"

    id: Mapped[uuid.UUID] = uuid_pk()
    outcome_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learning_outcomes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    target_url: Mapped[str] = mapped_column(String(2000), nullable=False)  # the concept URI
    target_name: Mapped[str] = mapped_column(String(500), nullable=False)
    target_framework: Mapped[str] = mapped_column(String(200), nullable=False)  # e.g. "ESCO v1.1.1"
    target_code: Mapped[str | None] = mapped_column(String(200))
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_description: Mapped[str | None] = mapped_column(Text)
    # the outcome-kind warning the author confirmed for this alignment (None: the concept fits the kind)
    kind_warning: Mapped[str | None] = mapped_column(Text)

    outcome: Mapped[LearningOutcome] = relationship(back_populates="alignments")

    def __repr__(self) -> str:
        return f"Alignment(target_url={self.target_url!r}, target_name={self.target_name!r})"
