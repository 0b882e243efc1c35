"""The awards' read side: the only way another subsystem reads awards (their rows are awards' own)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from microcred.awards.models import AWARD_FORMATS
from microcred.awards.models import Award as Award  # the public type of an award
from microcred.awards.models import AwardStatus as AwardStatus
from microcred.awards.models import AwardStatusEvent as AwardStatusEvent
from microcred.awards.models import EvidenceItem as EvidenceItem
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.db.rows import get_row
from microcred.earners import services as earners
from microcred.errors import InvalidInput, NotFound
from microcred.issuers import services as issuers
from microcred.urls import credential_url
from microcred.validation import as_uuid, one_of
from microcred.vc.contexts import LEGACY_CONTEXTS


def get_award(session: Session, award_id: uuid.UUID | str) -> Award:
    return get_row(session, Award, award_id, "award")


def find_award(session: Session, award_id: uuid.UUID | str) -> Award | None:
    try:
        return get_award(session, award_id)
    except NotFound:
        return None


def list_awards(
    session: Session,
    *,
    earner_id: uuid.UUID | str | None = None,
    achievement_id: uuid.UUID | str | None = None,
    issued_from: datetime | None = None,
    issued_before: datetime | None = None,
    limit: int | None = None,
) -> list[Award]:
    """Newest first; ``issued_from`` (inclusive) and ``issued_before`` (exclusive) bound the moment of issue."""
    stmt = select(Award).order_by(Award.issued_at.desc(), Award.id)
    if earner_id is not None:
        stmt = stmt.where(Award.earner_id == as_uuid(earner_id, "earner"))
    if achievement_id is not None:
        stmt = stmt.where(Award.achievement_id == as_uuid(achievement_id, "achievement"))
    if issued_from is not None:
        stmt = stmt.where(Award.issued_at >= issued_from)
    if issued_before is not None:
        stmt = stmt.where(Award.issued_at < issued_before)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def credential_document(award: Award) -> dict[str, Any]:
    """The stored Data Integrity credential, parsed."""
    doc: dict[str, Any] = json.loads(award.credential_json)
    return doc


def export_award(award: Award, fmt: str = "di") -> str:
    """The credential as issued: `di` = the signed JSON-LD document, `jwt` = the compact VC-JOSE token."""
    fmt = one_of(fmt, "format", AWARD_FORMATS)
    if fmt == "jwt":
        if not award.credential_jwt:
            raise InvalidInput(f"award {award.id} has no JWT form")
        return award.credential_jwt
    return award.credential_json


def status_history(session: Session, award_id: uuid.UUID | str) -> list[AwardStatusEvent]:
    """The private status history (with reasons), oldest first."""
    award = get_award(session, award_id)
    return list(
        session.scalars(
            select(AwardStatusEvent).where(AwardStatusEvent.award_id == award.id).order_by(AwardStatusEvent.at)
        )
    )


@dataclass(frozen=True)
class AwardSummary:
    id: uuid.UUID
    achievement_id: uuid.UUID
    achievement_name: str
    issuer_name: str
    earner_id: uuid.UUID
    earner_name: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    format: str
    status: str = "active"
    replaces_id: uuid.UUID | None = None
    replaced_by_id: uuid.UUID | None = None

    def to_json(self, base_url: str | None = None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": str(self.id),
            "achievement_id": str(self.achievement_id),
            "achievement": self.achievement_name,
            "issuer": self.issuer_name,
            "earner_id": str(self.earner_id),
            "earner": self.earner_name,
            "issued_at": self.issued_at.isoformat(),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "format": self.format,
            "status": self.status,
            "replaces": str(self.replaces_id) if self.replaces_id else None,
            "replaced_by": str(self.replaced_by_id) if self.replaced_by_id else None,
        }
        if base_url:
            doc["url"] = credential_url(self.id, base_url)
        return doc


def summarise(session: Session, award: Award) -> AwardSummary:
    achievement = catalog.get_achievement(session, award.achievement_id)
    earner = earners.get_earner(session, award.earner_id)
    org = issuers.get_organisation(session, achievement.issuer_id)
    return AwardSummary(
        id=award.id,
        achievement_id=achievement.id,
        achievement_name=achievement.name,
        issuer_name=org.name,
        earner_id=earner.id,
        earner_name=earner.name,
        issued_at=award.issued_at,
        valid_from=award.valid_from,
        valid_until=award.valid_until,
        format=award.format,
        status=award.status,
        replaces_id=award.replaces_id,
        replaced_by_id=award.replaced_by_id,
    )


def award_summaries(session: Session, **filters: Any) -> list[AwardSummary]:
    return [summarise(session, award) for award in list_awards(session, **filters)]


# -- re-signing and re-issue candidates ---------------------------------------------------------------
def in_current_form(document: dict[str, Any]) -> bool:
    """Whether a stored credential is in the form microcred signs now: only standard contexts, ONE status entry,
    a subject id (so its JWT carries ``sub``)."""
    contexts = document.get("@context")
    subject = document.get("credentialSubject")
    return (
        isinstance(contexts, list)
        and not any(isinstance(c, str) and c in LEGACY_CONTEXTS for c in contexts)
        and not isinstance(document.get("credentialStatus"), list)
        and isinstance(subject, dict)
        and bool(subject.get("id"))
    )


def awards_to_resign(session: Session) -> list[uuid.UUID]:
    """Awards whose stored credential is in an earlier form (erased earners' bare ledgers left out), oldest first."""
    erased = earners.erased_earner_ids(session)
    rows = session.execute(select(Award.id, Award.earner_id, Award.credential_json).order_by(Award.issued_at, Award.id))
    return [
        award_id
        for award_id, earner_id, text in rows
        if earner_id not in erased and not in_current_form(json.loads(text))
    ]


def awards_signed_with(session: Session, key_id: uuid.UUID) -> list[uuid.UUID]:
    """Awards signed with that key that have not been replaced yet and are not revoked (re-issue candidates).

    Awards of erased earners are left out: only a bare ledger of them is kept, nothing to build a credential from.
    """
    erased = earners.erased_earner_ids(session)
    rows = session.execute(
        select(Award.id, Award.earner_id)
        .where(Award.signing_key_id == key_id, Award.replaced_by_id.is_(None), Award.status != "revoked")
        .order_by(Award.issued_at, Award.id)
    )
    return [award_id for award_id, earner_id in rows if earner_id not in erased]


# -- what an earner holds --------------------------------------------------------------------------------------
def current_awards(session: Session, earner_id: uuid.UUID, *, include_expired: bool = True) -> list[Award]:
    """The earner's active (not revoked or suspended) awards that were not replaced, oldest first; without the
    expired ones when ``include_expired`` is false."""
    stmt = select(Award).where(Award.earner_id == earner_id, Award.status == "active", Award.replaced_by_id.is_(None))
    if not include_expired:
        stmt = stmt.where(or_(Award.valid_until.is_(None), Award.valid_until > utcnow()))
    return list(session.scalars(stmt.order_by(Award.issued_at, Award.id)))


def award_ids_of(session: Session, earner_id: uuid.UUID) -> set[uuid.UUID]:
    """Every award of the earner (any status)."""
    return set(session.scalars(select(Award.id).where(Award.earner_id == earner_id)))


def first_earned_at(session: Session, award: Award) -> datetime:
    """When the achievement was first earned: a renewal or re-issue keeps its original's date."""
    current = award
    while current.replaces_id is not None:
        previous = session.get(Award, current.replaces_id)
        if previous is None:
            break
        current = previous
    return current.issued_at
