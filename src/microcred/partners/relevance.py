"""Relevance of an achievement to the labour market (REL-1/REL-3, END-3), and the issuing gate.

- its *basis* is the latest of: the start of a current partner endorsement, an issuer's relevance review;
- its review date is the basis plus the issuer's review cycle (default 12 months);
- states: ``current``; ``due`` (review date within the reminder window, default 60 days); ``lapsed`` (review date
  passed, or an endorsement was revoked or expired after the last review and no other endorsement is current);
  ``unreviewed`` (no endorsement or review ever);
- issuing is refused when it is lapsed, or when the issuer requires a current endorsement (`policy`) and there
  is none (`check_issuable`, called when an award is issued)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement
from microcred.db import reads
from microcred.errors import InvalidInput
from microcred.issuers import services as issuers
from microcred.partners.common import MAX_TEXT, day, instant
from microcred.partners.endorsements import endorsement_state, list_endorsements
from microcred.partners.models import Endorsement, RelevanceReview
from microcred.partners.policy import Policy, get_policy
from microcred.validation import required_text


class RelevanceState(StrEnum):
    """Where an achievement stands in its labour-market relevance cycle."""

    CURRENT = "current"
    DUE = "due"
    LAPSED = "lapsed"
    UNREVIEWED = "unreviewed"


RELEVANCE_STATES: tuple[str, ...] = tuple(state.value for state in RelevanceState)
_REPORT_ORDER: dict[str, int] = {
    RelevanceState.LAPSED: 0,
    RelevanceState.DUE: 1,
    RelevanceState.UNREVIEWED: 2,
    RelevanceState.CURRENT: 3,
}


def record_review(
    session: Session,
    achievement_id: uuid.UUID | str,
    *,
    note: str,
    reviewed_at: datetime | None = None,
    actor: str | None = None,
) -> RelevanceReview:
    """The issuer reviewed the achievement's labour-market relevance (restarts the review cycle)."""
    achievement = catalog.get_achievement(session, achievement_id)
    row = RelevanceReview(
        achievement_id=achievement.id,
        reviewed_at=instant(reviewed_at),
        note=required_text(note, "note", max_length=MAX_TEXT),
        actor=(actor or audit.current_actor())[:200],
    )
    session.add(row)
    session.flush()
    reads.forget(session, ("relevance_reviews", achievement.id))
    audit.record(
        session, "relevance.reviewed", f"achievement:{achievement.id}", {"reviewed_at": row.reviewed_at.isoformat()}
    )
    return row


@dataclass
class Relevance:
    achievement_id: uuid.UUID
    name: str
    issuer_id: uuid.UUID
    state: str  # current | due | lapsed | unreviewed
    review_due: datetime | None
    basis: str | None
    require_endorsement: bool
    current_endorsers: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # why issuing is refused (empty: allowed)

    @property
    def issuable(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict[str, Any]:
        return {
            "achievement_id": str(self.achievement_id),
            "name": self.name,
            "issuer_id": str(self.issuer_id),
            "state": self.state,
            "review_due": self.review_due.date().isoformat() if self.review_due else None,
            "basis": self.basis,
            "require_endorsement": self.require_endorsement,
            "current_endorsers": self.current_endorsers,
            "issuable": self.issuable,
            "missing": self.missing,
        }


def _lost_at(row: Endorsement) -> datetime:
    if row.revoked_at is not None:
        return row.revoked_at
    assert row.valid_until is not None  # an expired endorsement has an end
    return row.valid_until


def _reviews(session: Session, achievement_id: uuid.UUID, moment: datetime) -> list[RelevanceReview]:
    """The achievement's relevance reviews up to ``moment``, latest first (all of them read once per bulk chunk:
    `db.reads`; the moment is applied here)."""
    every = reads.shared(
        session,
        ("relevance_reviews", achievement_id),
        lambda: list(
            session.scalars(
                select(RelevanceReview)
                .where(RelevanceReview.achievement_id == achievement_id)
                .order_by(RelevanceReview.reviewed_at.desc())
            )
        ),
    )
    return [r for r in every if r.reviewed_at <= moment]


def _apply_basis(result: Relevance, candidates: list[tuple[datetime, str]], policy: Policy, moment: datetime) -> None:
    """State and review date from the latest basis (current endorsement or review), if there is one."""
    if not candidates:
        return
    basis_at, basis = max(candidates, key=lambda c: c[0])
    result.basis = basis
    result.review_due = catalog.add_months(basis_at, policy.review_months)
    if result.review_due <= moment:
        result.state = "lapsed"
        result.missing.append(f"its labour-market relevance lapsed on {day(result.review_due)} ({basis})")
    elif result.review_due - moment <= timedelta(days=policy.reminder_days):
        result.state = "due"
    else:
        result.state = "current"


def _apply_loss(result: Relevance, lost_after_review: list[Endorsement], names: dict[uuid.UUID, str]) -> None:
    """Lapsed when the latest endorsement lost (revoked or expired) after the last review left none current."""
    latest = max(lost_after_review, key=_lost_at)
    what = "revoked" if latest.revoked_at is not None else "expired"
    result.state = "lapsed"
    result.review_due = result.review_due or _lost_at(latest)
    result.missing.append(
        f"its labour-market relevance lapsed: the endorsement by {names[latest.partner_id]} {what} on "
        f"{day(_lost_at(latest))} and no partner "
        "endorsement is current"
    )


def relevance(session: Session, achievement: Achievement, *, now: datetime | None = None) -> Relevance:
    moment = instant(now)
    policy = get_policy(session, achievement.issuer_id)
    endorsements = list_endorsements(session, achievement_id=achievement.id)
    current = [e for e in endorsements if endorsement_state(e, moment) == "current"]
    reviews = _reviews(session, achievement.id, moment)
    names = {e.partner_id: issuers.get_organisation(session, e.partner_id).name for e in endorsements}
    candidates: list[tuple[datetime, str]] = [
        (e.valid_from, f"endorsement by {names[e.partner_id]} on {day(e.valid_from)}") for e in current
    ]
    candidates += [(r.reviewed_at, f"relevance review on {day(r.reviewed_at)}") for r in reviews]
    result = Relevance(
        achievement_id=achievement.id,
        name=achievement.name,
        issuer_id=achievement.issuer_id,
        state="unreviewed",
        review_due=None,
        basis=None,
        require_endorsement=policy.require_endorsement,
        current_endorsers=sorted({names[e.partner_id] for e in current}),
    )
    lost = [e for e in endorsements if endorsement_state(e, moment) in ("revoked", "expired")]
    last_review = reviews[0].reviewed_at if reviews else None
    lost_after_review = [e for e in lost if last_review is None or _lost_at(e) > last_review]
    _apply_basis(result, candidates, policy, moment)
    if not current and lost_after_review:
        _apply_loss(result, lost_after_review, names)
    if policy.require_endorsement and not current and not lost_after_review:
        issuer = issuers.get_organisation(session, achievement.issuer_id)
        result.missing.append(
            f"no current partner endorsement ({issuer.name} requires one): request an endorsement from an "
            "employer, industry or professional-body partner"
        )
    return result


def check_issuable(session: Session, achievement: Achievement, *, now: datetime | None = None) -> None:
    """Refuse issuing (InvalidInput naming what is missing) when relevance lapsed or a required endorsement is
    missing."""
    state = relevance(session, achievement, now=now)
    if state.missing:
        raise InvalidInput(f"cannot issue {achievement.name!r}: " + "; ".join(state.missing))


def relevance_report(
    session: Session, *, issuer_id: uuid.UUID | str | None = None, now: datetime | None = None
) -> list[Relevance]:
    """Published achievements by relevance state (lapsed first, then due, unreviewed, current)."""
    rows = [
        relevance(session, a, now=now)
        for a in catalog.list_achievements(session, issuer_id=issuer_id, status="published")
    ]
    far = datetime.max.replace(tzinfo=instant(now).tzinfo)
    return sorted(rows, key=lambda r: (_REPORT_ORDER[r.state], r.review_due or far, r.name))
