"""Reads the console's bulk-issuance pages need, on top of `services`: an organisation's recent batches and one
page of a batch's rows (a batch may hold tens of thousands: its page shows them a page at a time)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from microcred.batches.models import CANCELLABLE as CANCELLABLE  # the states a batch can be cancelled from
from microcred.batches.models import AwardBatch, AwardBatchRow


def recent(session: Session, *, organisation_id: uuid.UUID, created_by: str, limit: int = 20) -> list[AwardBatch]:
    """The organisation's latest batches, newest first, with the ones ``created_by`` made that name no
    organisation (their dry run found no usable achievement)."""
    mine = or_(
        AwardBatch.organisation_id == organisation_id,
        and_(AwardBatch.organisation_id.is_(None), AwardBatch.created_by == created_by),
    )
    stmt = select(AwardBatch).where(mine).order_by(AwardBatch.created_at.desc(), AwardBatch.id).limit(limit)
    return list(session.scalars(stmt))


def row_page(
    session: Session, batch_id: uuid.UUID, *, states: tuple[str, ...] | None = None, offset: int = 0, limit: int = 200
) -> list[AwardBatchRow]:
    """``limit`` rows of the batch from ``offset``, in file order (only those in ``states`` when given)."""
    stmt = select(AwardBatchRow).where(AwardBatchRow.batch_id == batch_id)
    if states is not None:
        stmt = stmt.where(AwardBatchRow.state.in_(states))
    stmt = stmt.order_by(AwardBatchRow.row_number).offset(max(offset, 0)).limit(limit)
    return list(session.scalars(stmt))


def row_count(session: Session, batch_id: uuid.UUID, *, states: tuple[str, ...] | None = None) -> int:
    stmt = select(func.count()).select_from(AwardBatchRow).where(AwardBatchRow.batch_id == batch_id)
    if states is not None:
        stmt = stmt.where(AwardBatchRow.state.in_(states))
    return int(session.scalar(stmt) or 0)
