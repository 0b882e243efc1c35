"""The consultation workflow: the issuer asks a partner to review an achievement; the partner's reviewer answers
two separate questions (is the competency in demand? does the assessment reflect job performance?) and decides:
endorse (the partner signs an EndorsementCredential), request changes (the issuer resubmits), or decline.

Each step is locked on the request row and audited, and returns the e-mails it implies (`notifications`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.db.locking import lock_row
from microcred.db.rows import get_row
from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.issuers import services as issuers
from microcred.partners.common import MAX_TEXT, instant
from microcred.partners.directory import get_partner
from microcred.partners.endorsements import Answers, EndorsementOrder, endorsement_for_request, sign_order
from microcred.partners.labour_market import labour_market_codes
from microcred.partners.models import REQUEST_STATUSES, Endorsement, EndorsementRequest, RequestStatus
from microcred.partners.notifications import Notification, issuer_recipients, partner_recipients
from microcred.urls import achievement_url, endorsement_request_url
from microcred.validation import as_uuid, one_of, optional_text, required_text


class Decision(StrEnum):
    """What the issuer decides once a partner has answered a consultation."""

    ENDORSE = "endorse"
    REQUEST_CHANGES = "request_changes"
    DECLINE = "decline"


DECISIONS: tuple[str, ...] = tuple(decision.value for decision in Decision)
_STATUS_AFTER: dict[str, str] = {  # plain values: they are stored
    Decision.ENDORSE: RequestStatus.ENDORSED.value,
    Decision.REQUEST_CHANGES: RequestStatus.CHANGES_REQUESTED.value,
    Decision.DECLINE: RequestStatus.DECLINED.value,
}
_OUTCOME: dict[str, str] = {
    Decision.ENDORSE: "endorsed",
    Decision.REQUEST_CHANGES: "asks for changes to",
    Decision.DECLINE: "declined to endorse",
}


def get_request(session: Session, request_id: uuid.UUID | str) -> EndorsementRequest:
    return get_row(session, EndorsementRequest, request_id, "endorsement request")


def _lock_request(session: Session, request_id: uuid.UUID | str) -> EndorsementRequest:
    """The request with its row locked, read afresh (`db.locking.lock_row`): of two concurrent answers, the second
    sees the first's result."""
    return lock_row(session, EndorsementRequest, request_id, "endorsement request")


def list_requests(
    session: Session,
    *,
    partner_id: uuid.UUID | str | None = None,
    issuer_id: uuid.UUID | str | None = None,
    achievement_id: uuid.UUID | str | None = None,
    status: str | None = None,
) -> list[EndorsementRequest]:
    """Newest first; ``issuer_id``: about that issuer's achievements (read through the catalog)."""
    query = select(EndorsementRequest).order_by(EndorsementRequest.created_at.desc())
    if partner_id is not None:
        query = query.where(EndorsementRequest.partner_id == as_uuid(partner_id, "partner"))
    if achievement_id is not None:
        query = query.where(EndorsementRequest.achievement_id == as_uuid(achievement_id, "achievement"))
    if issuer_id is not None:
        ids = [a.id for a in catalog.list_achievements(session, issuer_id=issuer_id)]
        query = query.where(EndorsementRequest.achievement_id.in_(ids))
    if status is not None:
        query = query.where(EndorsementRequest.status == one_of(status, "status", REQUEST_STATUSES))
    return list(session.scalars(query))


def request_endorsement(
    session: Session,
    *,
    achievement_id: uuid.UUID | str,
    partner_id: uuid.UUID | str,
    message: str | None = None,
    requested_by_id: uuid.UUID | None = None,
    base_url: str,
) -> tuple[EndorsementRequest, list[Notification]]:
    """The issuer asks a partner to review (and, if it agrees, endorse) an achievement."""
    achievement = catalog.get_achievement(session, achievement_id)
    partner = get_partner(session, partner_id)
    if partner.organisation_id == achievement.issuer_id:
        raise InvalidInput("an issuer cannot endorse its own achievement: ask an external partner")
    open_ = [
        r
        for r in list_requests(session, partner_id=partner.organisation_id, achievement_id=achievement.id)
        if r.status in ("pending", "changes_requested")
    ]
    if open_:
        raise Conflict(f"a request to this partner for {achievement.name!r} is already open ({open_[0].id})")
    row = EndorsementRequest(
        achievement_id=achievement.id,
        partner_id=partner.organisation_id,
        requested_by_id=requested_by_id,
        message=optional_text(message, "message", max_length=MAX_TEXT),
        status="pending",
    )
    session.add(row)
    session.flush()
    issuer = issuers.get_organisation(session, achievement.issuer_id)
    audit.record(
        session,
        "endorsement.requested",
        f"endorsement_request:{row.id}",
        {"achievement_id": str(achievement.id), "partner_id": str(partner.organisation_id)},
    )
    link = endorsement_request_url(row.id, base_url)
    notes = [
        Notification(
            to=email,
            subject=f"Endorsement request: {achievement.name}",
            body=(
                f"{issuer.name} asks you to review the micro-credential “{achievement.name}”:\n"
                "is the competency in demand, and does its assessment reflect job performance?\n\n"
                + (f"Their message: {row.message}\n\n" if row.message else "")
                + f"Review it here: {link}\n"
            ),
        )
        for email in partner_recipients(session, partner.organisation_id)
    ]
    return row, notes


def resubmit_request(
    session: Session, request_id: uuid.UUID | str, *, message: str | None = None, base_url: str
) -> tuple[EndorsementRequest, list[Notification]]:
    """After the partner requested changes: the issuer made them and asks again."""
    row = _lock_request(session, request_id)
    if row.status != "changes_requested":
        raise Conflict(f"only a request with changes requested can be resubmitted (this one is {row.status})")
    row.status = "pending"
    row.message = optional_text(message, "message", max_length=MAX_TEXT) or row.message
    session.flush()
    achievement = catalog.get_achievement(session, row.achievement_id)
    audit.record(session, "endorsement.resubmitted", f"endorsement_request:{row.id}", {})
    link = endorsement_request_url(row.id, base_url)
    notes = [
        Notification(
            to=email,
            subject=f"Endorsement request updated: {achievement.name}",
            body=f"The changes you asked for on “{achievement.name}” were made. Review it again: {link}\n",
        )
        for email in partner_recipients(session, row.partner_id)
    ]
    return row, notes


def request_json(session: Session, row: EndorsementRequest) -> dict[str, Any]:
    achievement = catalog.get_achievement(session, row.achievement_id)
    endorsement = endorsement_for_request(session, row.id)
    return {
        "id": str(row.id),
        "achievement_id": str(row.achievement_id),
        "achievement": achievement.name,
        "partner_id": str(row.partner_id),
        "partner": issuers.get_organisation(session, row.partner_id).name,
        "status": row.status,
        "message": row.message,
        "answers": None
        if row.in_demand is None
        else {
            "competency_in_demand": row.in_demand,
            "labour_market_rationale": row.in_demand_rationale,
            "reflects_job_performance": row.reflects_job_performance,
            "job_performance_comment": row.job_performance_comment,
            "endorsement_comment": row.endorsement_comment,
        },
        "reviewer_note": row.reviewer_note,
        "created_at": row.created_at.isoformat(),
        "answered_at": row.answered_at.isoformat() if row.answered_at else None,
        "endorsement_id": str(endorsement.id) if endorsement else None,
    }


def review_context(session: Session, request_id: uuid.UUID | str, *, base_url: str) -> dict[str, Any]:
    """What the partner's reviewer sees: the definition, outcomes, alignments, assessment design, occupations."""
    from microcred.assessments import services as assessments

    row = get_request(session, request_id)
    achievement = catalog.get_achievement(session, row.achievement_id)
    design = assessments.get_design(session, achievement.id)
    rubrics = {r["outcome_id"]: r for r in (assessments.design_json(design) or {}).get("rubrics", [])}
    return {
        "request": request_json(session, row),
        "achievement": {
            "id": str(achievement.id),
            "url": achievement_url(achievement.id, base_url),
            "name": achievement.name,
            "description": achievement.description,
            "criteria": achievement.criteria_narrative,
            "workload_hours": achievement.workload_hours,
            "credits": achievement.credits,
            "level": achievement.level,
            "status": achievement.status,
            "issuer": issuers.get_organisation(session, achievement.issuer_id).name,
        },
        "outcomes": [
            {
                "position": o.position,
                "statement": o.statement,
                "kind": o.kind,
                "alignments": [
                    {"name": a.target_name, "url": a.target_url, "framework": a.target_framework} for a in o.alignments
                ],
                "rubric": rubrics.get(str(o.id)),
            }
            for o in achievement.outcomes
        ],
        "assessment": None
        if design is None
        else {
            "method": design.method,
            "identity_verified": design.identity_verified,
            "description": design.description,
        },
        "occupations": [
            {"scheme": c.scheme, "code": c.code, "label": c.label} for c in labour_market_codes(session, achievement.id)
        ],
    }


# -- answering ----------------------------------------------------------------------------------------------------
class AnswerFields(TypedDict):
    """The keyword arguments of `answer_request` (collected into a `Reply`)."""

    reviewer_id: uuid.UUID
    answers: Answers
    decision: str
    note: NotRequired[str | None]
    base_url: str
    master_key: NotRequired[bytes | None]
    now: NotRequired[datetime | None]


@dataclass(frozen=True)
class Reply:
    """A reviewer's reply to a request: who answers, the two answers, the decision and its note, and how an
    endorsement would be signed."""

    reviewer_id: uuid.UUID
    answers: Answers
    decision: str
    base_url: str
    note: str | None = None
    master_key: bytes | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class _Texts:
    """The reply's free texts, checked."""

    rationale: str
    comment: str
    public_comment: str | None
    reason: str | None


def _checked_texts(answers: Answers, decision: str, note: str | None) -> _Texts:
    """The texts, required where the workflow needs them: endorsing needs both answers yes; the other decisions
    need a note saying why."""
    texts = _Texts(
        rationale=required_text(answers.in_demand_rationale, "labour-market rationale", max_length=MAX_TEXT),
        comment=required_text(answers.job_performance_comment, "job-performance comment", max_length=MAX_TEXT),
        public_comment=optional_text(answers.endorsement_comment, "endorsement comment", max_length=MAX_TEXT),
        reason=optional_text(note, "note", max_length=MAX_TEXT),
    )
    if decision == "endorse":
        missing = [
            what
            for what, ok in (
                ("the competency is not confirmed as in demand", answers.in_demand),
                ("the assessment is not confirmed to reflect job performance", answers.reflects_job_performance),
            )
            if not ok
        ]
        if missing:
            raise InvalidInput("cannot endorse: " + " and ".join(missing) + " (request changes or decline instead)")
    elif texts.reason is None:
        raise InvalidInput("say why (note): what should change, or why the partner declines")
    return texts


def _record_reply(
    session: Session,
    row: EndorsementRequest,
    reviewer_id: uuid.UUID,
    answers: Answers,
    decision: str,
    texts: _Texts,
    moment: datetime,
) -> None:
    """Store the answers and the new status on the request, and audit them."""
    row.reviewer_id = reviewer_id
    row.in_demand = bool(answers.in_demand)
    row.in_demand_rationale = texts.rationale
    row.reflects_job_performance = bool(answers.reflects_job_performance)
    row.job_performance_comment = texts.comment
    row.endorsement_comment = texts.public_comment
    row.reviewer_note = texts.reason
    row.answered_at = moment
    row.status = _STATUS_AFTER[decision]
    session.flush()
    audit.record(
        session,
        "endorsement.answered",
        f"endorsement_request:{row.id}",
        {
            "decision": decision,
            "competency_in_demand": row.in_demand,
            "reflects_job_performance": row.reflects_job_performance,
            "reviewer_id": str(reviewer_id),
        },
    )


def _reply_notes(
    session: Session, row: EndorsementRequest, decision: str, texts: _Texts, base_url: str
) -> list[Notification]:
    """The issuer is told the decision and both answers (whoever asked, else its staff)."""
    achievement = catalog.get_achievement(session, row.achievement_id)
    partner = issuers.get_organisation(session, row.partner_id)
    outcome = _OUTCOME[decision]
    body = (
        f"{partner.name} {outcome} “{achievement.name}”.\n\n"
        f"Competency in demand: {'yes' if row.in_demand else 'no'} — {texts.rationale}\n"
        f"Assessment reflects job performance: {'yes' if row.reflects_job_performance else 'no'} — {texts.comment}\n"
        + (f"\nNote: {texts.reason}\n" if texts.reason else "")
        + f"\nSee the answers: {endorsement_request_url(row.id, base_url)}\n"
    )
    return [
        Notification(to=email, subject=f"{partner.name} {outcome} {achievement.name}", body=body)
        for email in issuer_recipients(session, achievement.issuer_id, row.requested_by_id)
    ]


def answer_request(
    session: Session, request_id: uuid.UUID | str, **fields: Unpack[AnswerFields]
) -> tuple[EndorsementRequest, Endorsement | None, list[Notification]]:
    """The partner's reviewer answers both questions and decides: endorse (both answers must be yes: the partner
    signs an EndorsementCredential with its own key), request changes, or decline (each with a note).

    The arguments are those of `Reply`."""
    reply = Reply(**fields)
    decision = one_of(reply.decision, "decision", DECISIONS)
    row = _lock_request(session, request_id)  # answered (and signed) once, however many answers arrive at once
    reviewer = accounts.get_user(session, reply.reviewer_id)
    if reviewer.role != "partner_reviewer" or reviewer.organisation_id != row.partner_id:
        raise NotFound("no endorsement request with this id for your organisation")
    if row.status != "pending":
        raise Conflict(f"this request was already answered ({row.status})")
    texts = _checked_texts(reply.answers, decision, reply.note)
    moment = instant(reply.now)
    _record_reply(session, row, reviewer.id, reply.answers, decision, texts, moment)
    endorsement = None
    if decision == "endorse":
        order = EndorsementOrder(
            achievement_id=row.achievement_id,
            partner_id=row.partner_id,
            answers=reply.answers,
            request_id=row.id,
            base_url=reply.base_url,
            master_key=reply.master_key,
            valid_from=moment,
        )
        endorsement = sign_order(session, order)
    return row, endorsement, _reply_notes(session, row, decision, texts, reply.base_url)
