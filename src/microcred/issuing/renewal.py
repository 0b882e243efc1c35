"""Renewal and re-issue: a new award, through the same pipeline, linked both ways to the one it replaces."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from microcred.assessments import services as assessments
from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.awards import services as awards
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.issuance import IssueRequest, ResultInput
from microcred.issuing.pipeline import Signing, issue
from microcred.transcripts import records


def _result_inputs(session: Session, award: award_queries.Award) -> list[ResultInput]:
    if assessments.get_design(session, award.achievement_id) is not None:
        return []  # an assessed achievement: the recorded results are used again
    return awards.result_inputs(award)


def _replace(
    session: Session,
    old: award_queries.Award,
    kind: str,
    signing: Signing,
    validity: tuple[datetime | None, datetime | None],
) -> award_queries.Award:
    awards.check_replaceable(old, kind)
    new = issue(
        session,
        IssueRequest(
            achievement_id=old.achievement_id,
            earner_id=old.earner_id,
            evidence=awards.evidence_inputs(old),
            results=_result_inputs(session, old),
            valid_from=validity[0],
            valid_until=validity[1],
            format=old.format,
            transcript=records.award_record_input(session, old.id),
            enforce_prerequisites=False,
            enforce_relevance=kind == "renewal",  # a renewal is a new credential; a re-signing is not
        ),
        signing,
    )
    awards.link_replacement(session, old, new, kind)
    return new


def renew(session: Session, award_id: uuid.UUID | str, signing: Signing) -> award_queries.Award:
    """A new credential from now, valid for the achievement's validity period (or as long as the old one was).

    The old award is left as it was issued (it stays verifiable, until it expires); both are linked. Its row is
    locked first: of two concurrent renewals one issues, the other gets a Conflict and writes nothing."""
    old = award_lifecycle.lock_award(session, award_id)
    achievement = catalog.get_achievement(session, old.achievement_id)
    start = utcnow().replace(microsecond=0)
    until = catalog.validity_end(achievement, start)
    if until is None and old.valid_until is not None:
        until = start + (old.valid_until - old.valid_from)
    with session.begin_nested():
        return _replace(session, old, "renewal", signing, (start, until))


def reissue(session: Session, award_id: uuid.UUID | str, signing: Signing) -> award_queries.Award:
    """The same award, signed again with the organisation's current key (same validity); both are linked.

    The old award's row is locked first, so it is re-issued once."""
    old = award_lifecycle.lock_award(session, award_id)
    with session.begin_nested():
        return _replace(session, old, "reissue", signing, (old.valid_from, old.valid_until))
