"""Transcript records of achievements and awards, prerequisites, pathways and external credentials."""

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

from microcred.db.base import Base, UTCDateTime, created_at_column, uuid_pk, value_in
from microcred.vc.records import AwardRoute, CreditUnit, GradingScheme


class ParticipationForm(StrEnum):
    """How the learning is followed (the EU's mandatory "form of participation")."""

    ONLINE = "online"
    ONSITE = "onsite"
    BLENDED = "blended"


class QualityAssuranceType(StrEnum):
    """Who assures the quality of the learning behind a definition."""

    INTERNAL = "internal"
    EXTERNAL_AGENCY = "external_agency"
    ACCREDITATION = "accreditation"
    SECTOR_STANDARD = "sector_standard"


class PathwayRule(StrEnum):
    """How a pathway is completed: every component, or ``required_count`` of them."""

    ALL_OF = "all_of"
    N_OF_M = "n_of_m"


class IssueMode(StrEnum):
    """What happens when a pathway is completed: its credential is issued, or waits for staff approval."""

    AUTO = "auto"
    APPROVAL = "approval"


class CompletionStatus(StrEnum):
    """Where a pathway completion stands."""

    PENDING = "pending"
    ISSUED = "issued"
    REJECTED = "rejected"


# The vocabularies as plain strings, in order (check constraints, `one_of` validation, messages). The credit
# units, grading schemes and award routes are the standards core's (vc.records: the credential carries them).
CREDIT_UNITS: tuple[str, ...] = tuple(unit.value for unit in CreditUnit)
PARTICIPATION_FORMS: tuple[str, ...] = tuple(form.value for form in ParticipationForm)
QA_TYPES: tuple[str, ...] = tuple(qa.value for qa in QualityAssuranceType)
GRADING_SCHEMES: tuple[str, ...] = tuple(scheme.value for scheme in GradingScheme)
AWARD_ROUTES: tuple[str, ...] = tuple(route.value for route in AwardRoute)
PATHWAY_RULES: tuple[str, ...] = tuple(rule.value for rule in PathwayRule)
ISSUE_MODES: tuple[str, ...] = tuple(mode.value for mode in IssueMode)
COMPLETION_STATUSES: tuple[str, ...] = tuple(status.value for status in CompletionStatus)


class AchievementRecord(Base):
    """A definition's transcript data beyond the catalog (credits value and workload stay on the achievement)."""

    __tablename__ = "achievement_records"
    __table_args__ = (
        CheckConstraint(f"credit_unit IS NULL OR {value_in('credit_unit', CREDIT_UNITS)}", name="credit_unit"),
        CheckConstraint(
            f"form_of_participation IS NULL OR {value_in('form_of_participation', PARTICIPATION_FORMS)}",
            name="form_of_participation",
        ),
        CheckConstraint(
            f"grading_scheme IS NULL OR {value_in('grading_scheme', GRADING_SCHEMES)}", name="grading_scheme"
        ),
        CheckConstraint("eqf_level IS NULL OR (eqf_level BETWEEN 1 AND 8)", name="eqf_level"),
    )

    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), primary_key=True
    )
    human_code: Mapped[str | None] = mapped_column(String(64))  # institutional course code
    credit_unit: Mapped[str | None] = mapped_column(String(32))
    eqf_level: Mapped[int | None] = mapped_column(Integer)
    qualification_framework: Mapped[str | None] = mapped_column(String(200))
    qualification_level: Mapped[str | None] = mapped_column(String(200))
    form_of_participation: Mapped[str | None] = mapped_column(String(16))
    quality_assurance_type: Mapped[str | None] = mapped_column(String(32))
    quality_assurance_reference: Mapped[str | None] = mapped_column(String(2000))
    awarding_body: Mapped[str | None] = mapped_column(String(300))
    awarding_country: Mapped[str | None] = mapped_column(String(2))
    grading_scheme: Mapped[str | None] = mapped_column(String(16))


class Prerequisite(Base):
    """``achievement_id`` may only be awarded to earners who hold ``required_id`` (EXT-3)."""

    __tablename__ = "achievement_prerequisites"

    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), primary_key=True
    )
    required_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class AwardRecord(Base):
    """An award's transcript line: credits earned, term, activity dates, final result, route (course | rpl)."""

    __tablename__ = "award_records"
    __table_args__ = (CheckConstraint(value_in("award_route", AWARD_ROUTES), name="award_route"),)

    award_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("awards.id", ondelete="CASCADE"), primary_key=True)
    credits_earned: Mapped[float | None] = mapped_column(Float)
    term: Mapped[str | None] = mapped_column(String(64))
    activity_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activity_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_value: Mapped[str | None] = mapped_column(String(32))
    award_route: Mapped[str] = mapped_column(String(8), nullable=False, default="course")


class Pathway(Base):
    """A pathway credential (its own achievement, e.g. a Certificate) earned from component achievements."""

    __tablename__ = "pathways"
    __table_args__ = (
        CheckConstraint(value_in("rule", PATHWAY_RULES), name="rule"),
        CheckConstraint(value_in("issue_mode", ISSUE_MODES), name="issue_mode"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="RESTRICT"), nullable=False, unique=True
    )
    rule: Mapped[str] = mapped_column(String(16), nullable=False)
    required_count: Mapped[int | None] = mapped_column(Integer)  # N of n_of_m
    min_credits: Mapped[float | None] = mapped_column(Float)
    ordered: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    issue_mode: Mapped[str] = mapped_column(String(16), nullable=False, default="auto")
    created_at: Mapped[datetime] = created_at_column()

    components: Mapped[list[PathwayComponent]] = relationship(
        order_by="PathwayComponent.position", cascade="all, delete-orphan", lazy="selectin"
    )


class PathwayComponent(Base):
    """One part: a local achievement, and/or what an external credential must be to count (its achievement id or
    an alignment target URL)."""

    __tablename__ = "pathway_components"
    __table_args__ = (
        CheckConstraint(
            "achievement_id IS NOT NULL OR external_achievement_id IS NOT NULL OR alignment_url IS NOT NULL",
            name="something",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    pathway_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pathways.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    achievement_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="RESTRICT"), index=True
    )
    external_achievement_id: Mapped[str | None] = mapped_column(String(2000))
    alignment_url: Mapped[str | None] = mapped_column(String(2000))
    label: Mapped[str | None] = mapped_column(String(300))


class PathwayCompletion(Base):
    """An earner met a pathway's rule: its credential was issued, or waits for approval. One per earner."""

    __tablename__ = "pathway_completions"
    __table_args__ = (
        UniqueConstraint("pathway_id", "earner_id", name="uq_pathway_completions_pathway_earner"),
        CheckConstraint(value_in("status", COMPLETION_STATUSES), name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    pathway_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("pathways.id", ondelete="CASCADE"), nullable=False, index=True
    )
    earner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("earners.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    award_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("awards.id", ondelete="SET NULL"))
    # what satisfied the rule: [{"component": position, "award_id"|"external_id": ...}, ...]
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[datetime] = created_at_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExternalCredential(Base):
    """A third-party OB 3.0 credential an earner added to their backpack after it verified."""

    __tablename__ = "external_credentials"

    id: Mapped[uuid.UUID] = uuid_pk()
    earner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("earners.id", ondelete="CASCADE"), nullable=False, index=True
    )
    credential_id: Mapped[str | None] = mapped_column(String(2000))
    achievement_id: Mapped[str | None] = mapped_column(String(2000))
    achievement_name: Mapped[str] = mapped_column(String(300), nullable=False)
    issuer_id: Mapped[str] = mapped_column(String(2000), nullable=False)
    issuer_name: Mapped[str] = mapped_column(String(300), nullable=False)
    alignment_urls: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    credits: Mapped[float | None] = mapped_column(Float)
    issued_on: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credential_json: Mapped[str] = mapped_column(Text, nullable=False)
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"ExternalCredential(id={self.id}, achievement_id={self.achievement_id!r})"
