"""Status lists (per organisation and purpose) and the entries allocated in them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, UTCDateTime, created_at_column, uuid_pk, value_in
from microcred.vc.statuslist import StatusPurpose

# The purposes this instance allocates an entry for, of those the standard defines (vc.statuslist.StatusPurpose).
STATUS_PURPOSES: tuple[str, ...] = (StatusPurpose.REVOCATION.value, StatusPurpose.SUSPENSION.value)


class StatusList(Base):
    """One bitstring. ``version`` grows whenever a bit changes; the signed list credential is cached with the
    version and key it was signed for, and re-signed only when either is out of date."""

    __tablename__ = "status_lists"
    __table_args__ = (
        CheckConstraint(value_in("purpose", STATUS_PURPOSES), name="purpose"),
        UniqueConstraint("organisation_id", "purpose", "sequence", name="uq_status_lists_sequence"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    full: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    signed_version: Mapped[int | None] = mapped_column(Integer)
    signing_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    credential_json: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = created_at_column()
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"StatusList(id={self.id}, purpose={self.purpose!r}, sequence={self.sequence})"


class StatusEntry(Base):
    """Bit ``list_index`` of a list, allocated to one award. The unique constraint is what makes concurrent
    allocation safe: a second transaction picking the same index fails and retries with another."""

    __tablename__ = "status_entries"
    __table_args__ = (
        UniqueConstraint("status_list_id", "list_index", name="uq_status_entries_index"),
        UniqueConstraint("award_id", "purpose", name="uq_status_entries_award"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    status_list_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("status_lists.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    list_index: Mapped[int] = mapped_column(Integer, nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    award_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("awards.id", ondelete="CASCADE"), index=True
    )
    is_set: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    def __repr__(self) -> str:
        return f"StatusEntry(list={self.status_list_id}, index={self.list_index}, set={self.is_set})"
