"""Award batches (one uploaded file or list of rows) and their rows, each with its dry-run verdict and, once run,
the award it became or the error that stopped it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, UTCDateTime, created_at_column, uuid_pk, value_in


class BatchState(StrEnum):
    """A batch's life: ``draft`` (its dry run found no row that can be issued), ``dry-run-ok`` (ready to start),
    ``queued`` (started, waiting for a worker), ``running``, then ``finished`` or ``cancelled``."""

    DRAFT = "draft"
    DRY_RUN_OK = "dry-run-ok"
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class RowState(StrEnum):
    """A row: ``pending`` (to issue), ``refused`` by the dry run, ``issued``, or ``failed`` when it was run."""

    PENDING = "pending"
    ISSUED = "issued"
    REFUSED = "refused"
    FAILED = "failed"


class MailState(StrEnum):
    """A row's award mail (batches with ``notify``): ``queued`` with its chunk's mail job, then ``sent`` (the
    SMTP server accepted it), ``bounced`` (refused for good: a 5xx reply) or ``failed`` (the server could not be
    reached, or deferred it, on every attempt; or the mail could not be made). None: no mail for this row."""

    QUEUED = "queued"
    SENT = "sent"
    BOUNCED = "bounced"
    FAILED = "failed"


BATCH_STATES: tuple[str, ...] = tuple(state.value for state in BatchState)
ROW_STATES: tuple[str, ...] = tuple(state.value for state in RowState)
MAIL_STATES: tuple[str, ...] = tuple(state.value for state in MailState)
# What a batch can still be cancelled from (a finished or cancelled batch is over).
CANCELLABLE: tuple[str, ...] = tuple(
    s.value for s in (BatchState.DRAFT, BatchState.DRY_RUN_OK, BatchState.QUEUED, BatchState.RUNNING)
)


class AwardBatch(Base):
    __tablename__ = "award_batches"
    __table_args__ = (CheckConstraint(value_in("state", BATCH_STATES), name="state"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    # the organisation whose achievements it awards (None when no row named a usable achievement)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)  # the audit log's actor
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    row_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refused_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # by the dry run
    issued_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # stored when it ends
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # stored when it ends
    notify: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # mail the earners
    file_name: Mapped[str | None] = mapped_column(String(255))  # None for rows sent as JSON
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # finished or cancelled

    def __repr__(self) -> str:
        return f"AwardBatch(id={self.id}, state={self.state!r}, rows={self.row_count})"


class AwardBatchRow(Base):
    """One row of a batch. ``row_key`` (batch id + row number) is unique: a row exists once, and its state changes
    in the transaction that stores its award. ``dedupe_key`` (SHA-256 of the earner's casefolded email, the
    achievement id and validFrom) finds the same award asked for twice."""

    __tablename__ = "award_batch_rows"
    __table_args__ = (
        CheckConstraint(value_in("state", ROW_STATES), name="state"),
        CheckConstraint(value_in("mail_state", MAIL_STATES), name="mail_state"),
        Index("ix_award_batch_rows_claim", "batch_id", "state", "row_number"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    batch_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("award_batches.id", ondelete="CASCADE"), nullable=False
    )
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)  # 1 = the first line under the header
    row_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(64), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)  # the row's cells by column name
    # the achievement the dry run resolved (id or code, or the batch's default)
    achievement_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("achievements.id", ondelete="RESTRICT"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    award_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("awards.id", ondelete="SET NULL"), index=True)
    error: Mapped[str | None] = mapped_column(Text)  # why it was refused or failed
    # the award mail (batch.notify): its state, the SMTP server's reply when it was not sent, when it ended, and how
    # many attempts could not reach the server (or were deferred by it)
    mail_state: Mapped[str | None] = mapped_column(String(16))
    mail_error: Mapped[str | None] = mapped_column(Text)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mail_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")

    def __repr__(self) -> str:  # no cells: they hold personal data
        return f"AwardBatchRow(batch={self.batch_id}, row={self.row_number}, state={self.state!r})"
