"""The job system's own tables.

- ``jobs``: the queue of the embedded backend (SQLite). On PostgreSQL the queue is procrastinate's
  ``procrastinate_jobs`` (its schema is applied by the migrations) and this table stays empty.
- ``job_errors``: on PostgreSQL, the last error of each procrastinate job (procrastinate keeps states and attempts,
  not messages). On SQLite the message is kept in ``jobs.error`` and this table stays empty.

Neither table points at another subsystem's rows: a job's arguments are JSON (ids as text), so the job system sits
below every subsystem that enqueues work.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from microcred.db.base import Base, UTCDateTime, created_at_column, value_in


class JobState(StrEnum):
    """Where a job is: waiting (or waiting for a retry), running, done, given up, or cancelled before it ran."""

    QUEUED = "queued"
    DOING = "doing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


JOB_STATES: tuple[str, ...] = tuple(state.value for state in JobState)
MAX_NAME_LENGTH = 128  # task and queue names (procrastinate's columns are varchar(128))
MAX_LOCK_LENGTH = 255
MAX_ERROR_LENGTH = 4000


class Job(Base):
    """One job of the embedded (SQLite) queue.

    A worker claims a job with ``UPDATE jobs SET status='doing', claim=<token> WHERE id=? AND status='queued'``
    inside a write transaction (``BEGIN IMMEDIATE``: one writer at a time), so two threads or processes never both
    claim it; it finishes it only ``WHERE claim=<its token>``. While it runs, the worker refreshes ``heartbeat_at``;
    a job in ``doing`` whose heartbeat is older than the stalled timeout (its worker died) is queued again (or
    failed, when it has used all its attempts)."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(value_in("status", JOB_STATES), name="status"),
        # at most one queued job per queueing lock (as procrastinate's queueing_lock)
        Index(
            "ix_jobs_queueing_lock",
            "queueing_lock",
            unique=True,
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        Index("ix_jobs_status_id", "status", "id"),
        {"sqlite_autoincrement": True},  # ids are never reused: a status lookup never finds a different job
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    queue: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH), nullable=False)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # attempts that ended
    error: Mapped[str | None] = mapped_column(Text)  # the last failed attempt's message
    queueing_lock: Mapped[str | None] = mapped_column(String(MAX_LOCK_LENGTH))
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a retry waits until then
    claim: Mapped[str | None] = mapped_column(String(32))  # the running attempt's token
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"Job(id={self.id}, task={self.task!r}, status={self.status!r}, attempts={self.attempts})"


class JobError(Base):
    """PostgreSQL: the last error of procrastinate job ``job_id`` (no foreign key: procrastinate owns that table)."""

    __tablename__ = "job_errors"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)  # 1 for the first attempt
    error: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"JobError(job_id={self.job_id}, attempt={self.attempt})"
