"""Earner ownership (issue 6): sharing choices, holder nonces (DID Auth and OID4VCI), wallet offers and
deliveries. The earner's extra emails and the erasure ledger are core earner data (`microcred.earners.models`):
lower subsystems read them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, UTCDateTime, uuid_pk


class CredentialShare(Base):
    """The earner's sharing choice for one award (no row: public, every evidence item shown, no name)."""

    __tablename__ = "credential_shares"

    award_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("awards.id", ondelete="CASCADE"), primary_key=True)
    public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # positions in the signed credential's ``evidence`` array that the public page leaves out
    hidden_evidence: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    # the earner chose to show their name (from the store, never from the signed credential) on the public page
    show_name: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class HolderNonce(Base):
    """A one-time challenge a holder signs: DID Auth (``did_auth``) or an OID4VCI ``c_nonce`` (``oid4vci``)."""

    __tablename__ = "holder_nonces"

    id: Mapped[uuid.UUID] = uuid_pk()
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    nonce_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    earner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("earners.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WalletOffer(Base):
    """An OID4VCI credential offer (pre-authorized code grant) for one award; codes and tokens stored hashed."""

    __tablename__ = "wallet_offers"

    id: Mapped[uuid.UUID] = uuid_pk()
    award_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("awards.id", ondelete="CASCADE"), nullable=False, index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    tx_code_hash: Mapped[str | None] = mapped_column(String(64))
    tx_code_length: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WalletDelivery(Base):
    """A holder-bound copy of an award delivered to a wallet (the copy itself is not kept)."""

    __tablename__ = "wallet_deliveries"

    id: Mapped[uuid.UUID] = uuid_pk()
    award_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("awards.id", ondelete="CASCADE"), nullable=False, index=True
    )
    holder_did: Mapped[str] = mapped_column(String(2000), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
