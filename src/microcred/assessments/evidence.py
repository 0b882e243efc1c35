"""Evidence of an earner's assessment: a narrative, a URL or a file (kept by SHA-256 in an `EvidenceStore`),
public or private. Only public evidence ever reaches a credential or a public endpoint.
Split from :mod:`microcred.assessments.services`, which re-exports every public name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.assessments.design import _outcome
from microcred.assessments.models import VISIBILITIES, Evidence
from microcred.assessments.storage import DEFAULT_MAX_BYTES, EvidenceStore, check_file
from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.db.rows import get_row
from microcred.earners import services as earners
from microcred.errors import InvalidInput, NotFound
from microcred.urls import evidence_url
from microcred.validation import as_uuid, one_of, optional_text, optional_url


@dataclass(frozen=True)
class FileUpload:
    data: bytes
    filename: str | None = None


class EvidenceFields(TypedDict, total=False):
    """What an evidence item says (all optional; a narrative, a URL or a file is needed)."""

    outcome: Any  # the outcome it supports: an outcome id or 1-based position
    name: str | None
    description: str | None
    narrative: str | None
    url: str | None
    genre: str | None
    audience: str | None


def _attach_file(row: Evidence, file: FileUpload, store: EvidenceStore | None, max_bytes: int) -> None:
    """Check the file (size, type by its bytes) before anything is stored, then keep it by SHA-256."""
    if store is None:
        raise InvalidInput("no evidence store is configured")
    row.file_type = check_file(file.data, max_bytes=max_bytes)
    row.file_size = len(file.data)
    row.file_name = optional_text(file.filename, "file name", max_length=300)
    row.name = row.name or row.file_name
    row.file_sha256 = store.put(file.data)


def add_evidence(
    session: Session,
    *,
    achievement_id: uuid.UUID | str,
    earner_id: uuid.UUID | str,
    visibility: str,
    file: FileUpload | None = None,
    store: EvidenceStore | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    **fields: Unpack[EvidenceFields],
) -> Evidence:
    """One evidence item (a narrative, a URL or a file) for an earner's assessment, public or private.

    A file is checked (size, type by its bytes) before anything is stored, then kept by SHA-256 in ``store``.
    """
    achievement = catalog.get_achievement(session, achievement_id)
    earner = earners.get_earner(session, earner_id)
    outcome = fields.get("outcome")
    target = None if outcome is None else _outcome(achievement, outcome, "evidence")
    row = Evidence(
        id=uuid.uuid4(),
        achievement_id=achievement.id,
        earner_id=earner.id,
        outcome_id=target.id if target else None,
        visibility=one_of(visibility, "visibility", VISIBILITIES),
        name=optional_text(fields.get("name"), "evidence name", max_length=300),
        description=optional_text(fields.get("description"), "evidence description"),
        narrative=optional_text(fields.get("narrative"), "evidence narrative"),
        url=optional_url(fields.get("url"), "evidence url"),
        genre=optional_text(fields.get("genre"), "evidence genre", max_length=100),
        audience=optional_text(fields.get("audience"), "evidence audience", max_length=200),
        created_at=utcnow(),
    )
    if file is not None and row.url:
        raise InvalidInput("evidence is a URL or a file, not both")
    if file is None and not (row.narrative or row.url):
        raise InvalidInput("evidence needs a narrative, a url or a file")
    if file is not None:
        _attach_file(row, file, store, max_bytes)
    session.add(row)
    session.flush()
    audit.record(
        session,
        "assessment.evidence_added",
        f"earner:{earner.id}",
        {
            "achievement_id": str(achievement.id),
            "evidence_id": str(row.id),
            "visibility": row.visibility,
            **({"file_sha256": row.file_sha256} if row.file_sha256 else {}),
        },
    )
    return row


def list_evidence(
    session: Session,
    *,
    achievement_id: uuid.UUID | str,
    earner_id: uuid.UUID | str,
    include_private: bool,
) -> list[Evidence]:
    stmt = select(Evidence).where(
        Evidence.achievement_id == as_uuid(achievement_id, "achievement"),
        Evidence.earner_id == as_uuid(earner_id, "earner"),
    )
    if not include_private:
        stmt = stmt.where(Evidence.visibility == "public")
    return list(session.scalars(stmt.order_by(Evidence.created_at, Evidence.id)))


def get_evidence(session: Session, evidence_id: uuid.UUID | str) -> Evidence:
    return get_row(session, Evidence, evidence_id, "evidence")


def public_evidence_file(session: Session, evidence_id: uuid.UUID | str, store: EvidenceStore) -> tuple[bytes, str]:
    """The bytes and content type of a *public* evidence file (private or missing: NotFound, indistinguishably)."""
    try:
        row = get_evidence(session, evidence_id)
    except (NotFound, InvalidInput):
        raise NotFound("no such public evidence file") from None
    if row.visibility != "public" or row.file_sha256 is None or row.file_type is None:
        raise NotFound("no such public evidence file")
    return store.get(row.file_sha256), row.file_type


def evidence_file(session: Session, evidence_id: uuid.UUID | str, store: EvidenceStore) -> tuple[bytes, str, Evidence]:
    """Any evidence file (public or private): for the issuer's authenticated API."""
    row = get_evidence(session, evidence_id)
    if row.file_sha256 is None or row.file_type is None:
        raise NotFound(f"evidence {row.id} has no file")
    return store.get(row.file_sha256), row.file_type, row


def evidence_json(row: Evidence, base_url: str) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "achievement_id": str(row.achievement_id),
        "earner_id": str(row.earner_id),
        "outcome_id": str(row.outcome_id) if row.outcome_id else None,
        "visibility": row.visibility,
        "name": row.name,
        "description": row.description,
        "narrative": row.narrative,
        "url": row.url,
        "genre": row.genre,
        "audience": row.audience,
        "file": (
            {
                "sha256": row.file_sha256,
                "content_type": row.file_type,
                "size": row.file_size,
                "url": evidence_url(row.id, base_url) if row.visibility == "public" else None,
            }
            if row.file_sha256
            else None
        ),
    }
