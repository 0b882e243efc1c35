"""What transcripts hold about an earner, for erasure and merge (asked by `microcred.ownership.erasure`): pathway
completions, the transcript records of their awards and the external credentials they added are deleted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from microcred.transcripts.models import AwardRecord, ExternalCredential, PathwayCompletion

TABLES = frozenset({"pathway_completions", "award_records", "external_credentials"})


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def erase_earner_data(session: Session, earner_id: uuid.UUID, award_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    completions = _count(session.execute(delete(PathwayCompletion).where(PathwayCompletion.earner_id == earner_id)))
    records = 0
    if award_ids:  # a completion another earner's pathway credited with one of these awards (none in practice)
        completions += _count(
            session.execute(delete(PathwayCompletion).where(PathwayCompletion.award_id.in_(award_ids)))
        )
        records = _count(session.execute(delete(AwardRecord).where(AwardRecord.award_id.in_(award_ids))))
    external = _count(session.execute(delete(ExternalCredential).where(ExternalCredential.earner_id == earner_id)))
    return {"pathway_completions": completions, "award_records": records, "external_credentials": external}


def move_earner_data(session: Session, from_id: uuid.UUID, into_id: uuid.UUID) -> None:
    session.execute(update(ExternalCredential).where(ExternalCredential.earner_id == from_id)
                    .values(earner_id=into_id))
    session.execute(update(PathwayCompletion).where(PathwayCompletion.earner_id == from_id)
                    .values(earner_id=into_id))
