"""Organisations and their signing keys (private keys encrypted at rest)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microcred.db.base import Base, UTCDateTime, created_at_column, uuid_pk, value_in


class OrganisationKind(StrEnum):
    """What an organisation is: an issuing institution, or one of the bodies that partner with it."""

    INSTITUTION = "institution"
    EMPLOYER = "employer"
    AGENCY = "agency"
    PROFESSIONAL_BODY = "professional_body"


class KeyStatus(StrEnum):
    """A signing key signs while active; retired keys still verify, compromised ones no longer do (after
    ``compromised_since``)."""

    ACTIVE = "active"
    RETIRED = "retired"
    COMPROMISED = "compromised"


ORGANISATION_KINDS: tuple[str, ...] = tuple(kind.value for kind in OrganisationKind)
KEY_STATUSES: tuple[str, ...] = tuple(status.value for status in KeyStatus)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(value_in("kind", ORGANISATION_KINDS), name="kind"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    legal_name: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(320))
    country: Mapped[str] = mapped_column(String(2), nullable=False)  # ISO 3166-1 alpha-2 (ISS-2)
    region: Mapped[str | None] = mapped_column(String(100))
    registration_id: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

    keys: Mapped[list[SigningKey]] = relationship(
        back_populates="organisation", order_by="SigningKey.created_at", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"Organisation(id={self.id}, kind={self.kind!r}, name={self.name!r})"


class SigningKey(Base):
    """An Ed25519 key pair. `encrypted_private_key` is AES-256-GCM under the master key, never the seed."""

    __tablename__ = "signing_keys"
    __table_args__ = (CheckConstraint(value_in("status", KEY_STATUSES), name="status"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    public_key_multibase: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    encrypted_private_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    created_at: Mapped[datetime] = created_at_column()
    compromised_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="keys")

    def __repr__(self) -> str:  # never the encrypted blob, never the seed
        return (
            f"SigningKey(id={self.id}, organisation_id={self.organisation_id}, "
            f"public_key_multibase={self.public_key_multibase!r}, status={self.status!r})"
        )
