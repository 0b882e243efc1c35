"""What assessments hold about an earner, for erasure and merge (asked by `microcred.ownership.erasure`): results
and evidence rows are deleted; evidence files are removed by the caller once no other record uses them (a file is
stored once by SHA-256 and may be shared)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from microcred.assessments.models import AssessmentResult, Evidence

TABLES = frozenset({"assessment_results", "assessment_evidence"})


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def erase_earner_data(session: Session, earner_id: uuid.UUID, award_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    return {
        "assessment_results": _count(
            session.execute(delete(AssessmentResult).where(AssessmentResult.earner_id == earner_id))
        ),
        "assessment_evidence": _count(session.execute(delete(Evidence).where(Evidence.earner_id == earner_id))),
    }


def move_earner_data(session: Session, from_id: uuid.UUID, into_id: uuid.UUID) -> None:
    session.execute(update(Evidence).where(Evidence.earner_id == from_id).values(earner_id=into_id))
    session.execute(update(AssessmentResult).where(AssessmentResult.earner_id == from_id).values(earner_id=into_id))


def evidence_files(session: Session, earner_id: uuid.UUID) -> set[str]:
    """The SHA-256 of every evidence file of the earner (read before erasure, to remove the unused ones after)."""
    return {
        sha for sha in session.scalars(select(Evidence.file_sha256).where(Evidence.earner_id == earner_id)) if sha
    }


def file_in_use(session: Session, sha256: str) -> bool:
    """Whether any evidence row still points at this stored file."""
    return bool(session.scalar(select(func.count()).select_from(Evidence).where(Evidence.file_sha256 == sha256)))
