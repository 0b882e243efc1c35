"""Assessment designs (method, identity check, a rubric per outcome), per-outcome results and evidence.

The pass rule: every outcome must reach its rubric's required level (or its required score).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microcred.db.base import Base, UTCDateTime, uuid_pk, value_in


class AssessmentMethod(StrEnum):
    """How an achievement's outcomes are assessed."""

    PROJECT = "project"
    EXAM = "exam"
    OBSERVED_PERFORMANCE = "observed_performance"
    PORTFOLIO = "portfolio"
    PRACTICAL = "practical"
    PRESENTATION = "presentation"
    INTERVIEW = "interview"
    OTHER = "other"


class RubricScale(StrEnum):
    """What an outcome's rubric measures: ordered levels, or a score against a required value."""

    LEVELS = "levels"
    SCORE = "score"


class Visibility(StrEnum):
    """Whether a piece of evidence may be shown to anyone holding the credential's link."""

    PUBLIC = "public"
    PRIVATE = "private"


class EvidenceMediaType(StrEnum):
    """The media types an uploaded evidence file may have."""

    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    TEXT = "text/plain"


ASSESSMENT_METHODS: tuple[str, ...] = tuple(method.value for method in AssessmentMethod)
SCALES: tuple[str, ...] = tuple(scale.value for scale in RubricScale)
VISIBILITIES: tuple[str, ...] = tuple(visibility.value for visibility in Visibility)
EVIDENCE_TYPES: tuple[str, ...] = tuple(media_type.value for media_type in EvidenceMediaType)


class AssessmentDesign(Base):
    """How an achievement is assessed (one per achievement; set while it is a draft)."""

    __tablename__ = "assessment_designs"
    __table_args__ = (CheckConstraint(value_in("method", ASSESSMENT_METHODS), name="method"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    identity_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="design", cascade="all, delete-orphan", lazy="selectin", order_by="RubricCriterion.position"
    )


class RubricCriterion(Base):
    """The rubric of one learning outcome: ordered levels (low -> high) with a required one, or a score range."""

    __tablename__ = "rubric_criteria"
    __table_args__ = (CheckConstraint(value_in("scale", SCALES), name="scale"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    design_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assessment_designs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    outcome_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learning_outcomes.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    scale: Mapped[str] = mapped_column(String(16), nullable=False)
    # levels: [{"id": "<uuid>", "name": ..., "description": ..., "points": ...}] ordered low -> high
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    required_level_id: Mapped[str | None] = mapped_column(String(36))
    value_min: Mapped[float | None] = mapped_column(Float)
    value_max: Mapped[float | None] = mapped_column(Float)
    required_value: Mapped[float | None] = mapped_column(Float)

    design: Mapped[AssessmentDesign] = relationship(back_populates="criteria")


class AssessmentResult(Base):
    """An assessor's result for one earner on one outcome (recording again replaces it)."""

    __tablename__ = "assessment_results"
    __table_args__ = (UniqueConstraint("earner_id", "outcome_id", name="uq_assessment_results_earner_outcome"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    earner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("earners.id", ondelete="CASCADE"), nullable=False, index=True
    )
    outcome_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learning_outcomes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    level_id: Mapped[str | None] = mapped_column(String(36))
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    assessor: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Evidence(Base):
    """Evidence for an earner's assessment: a narrative, a URL or a stored file (by SHA-256), public or private."""

    __tablename__ = "assessment_evidence"
    __table_args__ = (
        CheckConstraint(value_in("visibility", VISIBILITIES), name="visibility"),
        CheckConstraint(
            "file_type IS NULL OR " + value_in("file_type", EVIDENCE_TYPES),
            name="file_type",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    earner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("earners.id", ondelete="CASCADE"), nullable=False, index=True
    )
    outcome_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learning_outcomes.id", ondelete="CASCADE"), index=True
    )
    visibility: Mapped[str] = mapped_column(String(16), nullable=False)
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    narrative: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    genre: Mapped[str | None] = mapped_column(String(100))
    audience: Mapped[str | None] = mapped_column(String(200))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_type: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    def __repr__(self) -> str:
        return f"Evidence(id={self.id}, visibility={self.visibility!r})"
