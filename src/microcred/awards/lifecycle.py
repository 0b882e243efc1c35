"""Award state transitions: revoke (for good), suspend, reinstate; each on the award's locked row, exactly once.

A transition that flips a status bit also queues its list's re-signing job (``status.tasks``) in the same
transaction, so a worker signs the list before the next verifier asks for it."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.awards.models import Award, AwardStatusEvent
from microcred.db.base import utcnow
from microcred.db.locking import lock_row
from microcred.errors import Conflict
from microcred.status import services as status
from microcred.status import tasks as status_tasks
from microcred.validation import optional_text, required_text


def lock_award(session: Session, award_id: uuid.UUID | str) -> Award:
    """The award with its row locked until the transaction ends, read afresh (`db.locking.lock_row`). Every state
    transition starts here, so the second of two concurrent requests fails its state check (409) before it has
    written anything."""
    return lock_row(session, Award, award_id, "award")


def _reason(reason: str | None, *, required: bool) -> str | None:
    if required:
        return required_text(reason, "reason", max_length=2000)
    return optional_text(reason, "reason", max_length=2000)


def _status_event(session: Session, award: Award, action: str, reason: str | None) -> None:
    """The private record (with the reason) and the audit entry (with a digest of the reason, never the text)."""
    session.add(
        AwardStatusEvent(
            id=uuid.uuid4(), award_id=award.id, action=action, reason=reason, actor=audit.current_actor(), at=utcnow()
        )
    )
    details: dict[str, Any] = {}
    if reason:
        details["reason_sha256"] = hashlib.sha256(reason.encode("utf-8")).hexdigest()
    audit.record(session, f"award.{action}", f"award:{award.id}", details)
    session.flush()


def _set_bit(session: Session, award: Award, purpose: str, value: bool) -> None:
    """Flip the award's ``purpose`` bit; when it changed, queue its list's re-signing."""
    if status.set_bit(session, award.id, purpose, value):
        status_tasks.queue_resign_for_award(session, award.id, purpose)


def revoke_award(session: Session, award_id: uuid.UUID | str, *, reason: str) -> Award:
    """Revoke for good: the revocation bit is set in the public list; the reason stays private."""
    award = lock_award(session, award_id)
    text = _reason(reason, required=True)
    if award.status == "revoked":
        raise Conflict(f"award {award.id} is already revoked")
    _set_bit(session, award, "revocation", True)
    award.status = "revoked"
    _status_event(session, award, "revoked", text)
    return award


def suspend_award(session: Session, award_id: uuid.UUID | str, *, reason: str) -> Award:
    award = lock_award(session, award_id)
    text = _reason(reason, required=True)
    if award.status == "revoked":
        raise Conflict(f"award {award.id} is revoked; revocation is permanent, so it cannot be suspended")
    if award.status == "suspended":
        raise Conflict(f"award {award.id} is already suspended")
    _set_bit(session, award, "suspension", True)
    award.status = "suspended"
    _status_event(session, award, "suspended", text)
    return award


def reinstate_award(session: Session, award_id: uuid.UUID | str, *, reason: str | None = None) -> Award:
    award = lock_award(session, award_id)
    text = _reason(reason, required=False)
    if award.status == "revoked":
        raise Conflict(f"award {award.id} is revoked; revocation is permanent, so it cannot be reinstated")
    if award.status != "suspended":
        raise Conflict(f"award {award.id} is not suspended; there is nothing to reinstate")
    _set_bit(session, award, "suspension", False)
    award.status = "active"
    _status_event(session, award, "reinstated", text)
    return award


