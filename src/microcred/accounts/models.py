"""Users (staff of an organisation, partner reviewers, earners), one-time sign-in tokens, sign-in attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, UTCDateTime, created_at_column, uuid_pk, value_in


class Role(StrEnum):
    """A user's role, ordered from most to least privileged among staff; "earner" is the learner's own role."""

    ORG_ADMIN = "org_admin"
    ISSUER_STAFF = "issuer_staff"
    ASSESSOR = "assessor"
    PARTNER_REVIEWER = "partner_reviewer"
    EARNER = "earner"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)
STAFF_ROLES: tuple[str, ...] = tuple(role.value for role in Role if role is not Role.EARNER)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(value_in("role", ROLES), name="role"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    # staff belong to an organisation (the issuer for staff/assessors, the partner for reviewers)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    # an earner's account is tied to their earner record
    earner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("earners.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2id; staff only
    language: Mapped[str | None] = mapped_column(String(8))
    # bumped on sign-out and password change: older session cookies stop working
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = created_at_column()
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:  # no email: personal data stays out of logs
        return f"User(id={self.id}, role={self.role!r})"


class SignInToken(Base):
    """A one-time sign-in link. Only the SHA-256 of the token is stored."""

    __tablename__ = "sign_in_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInAttempt(Base):
    """One sign-in attempt counted against a bucket ("email:<sha256>" or "ip:<address>"); rows expire."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[uuid.UUID] = uuid_pk()
    bucket: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
