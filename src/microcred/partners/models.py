"""Partner organisations, relevance policies, labour-market codes of achievements, endorsement requests,
signed endorsements, relevance reviews and sent reminders."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, UTCDateTime, created_at_column, uuid_pk, value_in


class PartnerType(StrEnum):
    """What kind of partner an organisation is in consultations."""

    EMPLOYER = "employer"
    INDUSTRY = "industry"
    PROFESSIONAL_BODY = "professional_body"


class CodeScheme(StrEnum):
    """The labour-market code lists an achievement may be coded against."""

    ESCO_OCCUPATION = "esco_occupation"
    NOC_2021 = "noc_2021"
    CIP_2021 = "cip_2021"


class RequestStatus(StrEnum):
    """Where an endorsement request stands in the consultation workflow."""

    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    DECLINED = "declined"
    ENDORSED = "endorsed"


PARTNER_TYPES: tuple[str, ...] = tuple(kind.value for kind in PartnerType)
CODE_SCHEMES: tuple[str, ...] = tuple(scheme.value for scheme in CodeScheme)
REQUEST_STATUSES: tuple[str, ...] = tuple(status.value for status in RequestStatus)


class Partner(Base):
    """An organisation that takes part in consultations and signs endorsements with its own key and did:web."""

    __tablename__ = "partners"
    __table_args__ = (CheckConstraint(value_in("partner_type", PARTNER_TYPES), name="partner_type"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True
    )
    partner_type: Mapped[str] = mapped_column(String(32), nullable=False)
    sector: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = created_at_column()


class RelevancePolicy(Base):
    """An issuing organisation's relevance rules. Without a row: no endorsement required, 12-month reviews."""

    __tablename__ = "relevance_policies"
    __table_args__ = (
        CheckConstraint("review_months BETWEEN 1 AND 60", name="review_months"),
        CheckConstraint("reminder_days BETWEEN 1 AND 365", name="reminder_days"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    require_endorsement: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    review_months: Mapped[int] = mapped_column(Integer, nullable=False, default=12)
    reminder_days: Mapped[int] = mapped_column(Integer, nullable=False, default=60)


class LabourMarketCode(Base):
    """An occupation an achievement prepares for (ESCO occupation URI or NOC 2021 code) or its CIP 2021 program."""

    __tablename__ = "achievement_labour_market_codes"
    __table_args__ = (
        CheckConstraint(value_in("scheme", CODE_SCHEMES), name="scheme"),
        UniqueConstraint("achievement_id", "scheme", "code", name="uq_achievement_labour_market_codes_code"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    scheme: Mapped[str] = mapped_column(String(32), nullable=False)
    code: Mapped[str] = mapped_column(String(500), nullable=False)
    label: Mapped[str] = mapped_column(String(500), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class EndorsementRequest(Base):
    """An issuer's request to a partner to endorse an achievement, and the reviewer's two separate answers."""

    __tablename__ = "endorsement_requests"
    __table_args__ = (CheckConstraint(value_in("status", REQUEST_STATUSES), name="status"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    partner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="pending")
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    in_demand: Mapped[bool | None] = mapped_column(Boolean)
    in_demand_rationale: Mapped[str | None] = mapped_column(Text)
    reflects_job_performance: Mapped[bool | None] = mapped_column(Boolean)
    job_performance_comment: Mapped[str | None] = mapped_column(Text)
    endorsement_comment: Mapped[str | None] = mapped_column(Text)
    reviewer_note: Mapped[str | None] = mapped_column(Text)  # why declined / what to change
    created_at: Mapped[datetime] = created_at_column()
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Endorsement(Base):
    """A signed OB 3.0 EndorsementCredential (issuer = the partner, subject = the achievement)."""

    __tablename__ = "endorsements"

    id: Mapped[uuid.UUID] = uuid_pk()
    # one endorsement per request (a unique index: two concurrent signings of one request cannot both commit)
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("endorsement_requests.id", ondelete="SET NULL"), index=True, unique=True
    )
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    partner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    signing_key_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    status_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("status_entries.id", ondelete="SET NULL")
    )
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_demand: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reflects_job_performance: Mapped[bool] = mapped_column(Boolean, nullable=False)
    credential_json: Mapped[str] = mapped_column(Text, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class RelevanceReview(Base):
    """An issuer's own relevance review of an achievement (restarts the review cycle)."""

    __tablename__ = "relevance_reviews"

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class RelevanceReminder(Base):
    """A reminder sent before an achievement's relevance lapses (one per achievement and due date)."""

    __tablename__ = "relevance_reminders"
    __table_args__ = (UniqueConstraint("achievement_id", "due_on", name="uq_relevance_reminders_due"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="CASCADE"), nullable=False, index=True
    )
    due_on: Mapped[str] = mapped_column(String(10), nullable=False)  # ISO date of the review due date
    recipients: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = created_at_column()
