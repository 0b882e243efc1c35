"""Partners, labour-market links, the consultation and endorsement workflow, and the relevance gate.

Like every service they take a `Session`, flush but never commit. Workflow steps return the e-mail
`Notification`s they imply; the caller sends them (`send_notifications`) after committing, so nobody is told about
something that was rolled back. Every step is recorded in the audit log.

Relevance of an achievement (REL-1/REL-3, END-3):
- its *basis* is the latest of: the start of a current partner endorsement, an issuer's relevance review;
- its review date is the basis plus the issuer's review cycle (default 12 months);
- states: ``current``; ``due`` (review date within the reminder window, default 60 days); ``lapsed`` (review date
  passed, or an endorsement was revoked or expired after the last review and no other endorsement is current);
  ``unreviewed`` (no endorsement or review ever);
- issuing is refused when it is lapsed, or when the issuer requires a current endorsement (`RelevancePolicy`)
  and there is none. An issuer without a policy row requires none (non-Ontario use; the demo college opts in).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.catalog.models import Achievement
from microcred.db.base import utcnow
from microcred.db.locking import lock_row
from microcred.errors import Conflict, InvalidInput, NotFound
from microcred.issuers import services as issuers
from microcred.issuers.models import Organisation
from microcred.partners.models import (
    PARTNER_TYPES,
    REQUEST_STATUSES,
    Endorsement,
    EndorsementRequest,
    LabourMarketCode,
    Partner,
    RelevancePolicy,
    RelevanceReminder,
    RelevanceReview,
)
from microcred.status import services as status
from microcred.taxonomy import services as taxonomy
from microcred.validation import as_uuid, one_of, optional_text, required_text
from microcred.vc.contexts import LEGACY_CONTEXTS
from microcred.vc.endorsement import build_endorsement_credential, endorsement_comment, read_endorsement_comment
from microcred.vc.errors import SchemaValidationError
from microcred.vc.statuslist import status_entry

DEFAULT_REVIEW_MONTHS = 12
DEFAULT_REMINDER_DAYS = 60
DECISIONS = ("endorse", "request_changes", "decline")
RELEVANCE_STATES = ("current", "due", "lapsed", "unreviewed")
NOC_2021 = re.compile(r"^\d{5}$")  # NOC 2021 unit groups: five digits
CIP_2021 = re.compile(r"^\d{2}\.\d{4}$")  # CIP 2021 instructional programs: NN.NNNN
MAX_TEXT = 4000


@dataclass(frozen=True)
class Notification:
    to: str
    subject: str
    body: str


def send_notifications(settings: Any, notifications: Sequence[Notification]) -> int:
    """Send (after the commit) what a workflow step returned; the number actually sent."""
    from microcred.accounts.mail import send_mail

    return sum(1 for n in notifications if send_mail(settings, to=n.to, subject=n.subject, body=n.body))


def _now(now: datetime | None) -> datetime:
    moment = now or utcnow()
    if moment.tzinfo is None:
        raise InvalidInput("times must be timezone-aware")
    return moment.replace(microsecond=0)


def achievement_url(achievement_id: uuid.UUID | str, base_url: str) -> str:
    """The achievement's id in credentials (same as `awards.services.achievement_url`)."""
    return f"{base_url.rstrip('/')}/achievements/{achievement_id}"


def endorsement_url(endorsement_id: uuid.UUID | str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/endorsements/{endorsement_id}"


# -- partners ---------------------------------------------------------------------------------------------------
def register_partner(
    session: Session, organisation_id: uuid.UUID | str, *, partner_type: str, sector: str | None = None
) -> Partner:
    """Make an existing organisation a partner (it signs endorsements with its own key and did:web)."""
    org = issuers.get_organisation(session, organisation_id)
    kind = one_of(partner_type, "partner type", PARTNER_TYPES)
    if session.get(Partner, org.id) is not None:
        raise Conflict(f"{org.name} is already a partner")
    partner = Partner(organisation_id=org.id, partner_type=kind, sector=optional_text(sector, "sector", max_length=300))
    session.add(partner)
    session.flush()
    audit.record(session, "partner.registered", f"organisation:{org.id}", {"partner_type": kind})
    return partner


def create_partner(
    session: Session, *, partner_type: str, sector: str | None = None, **organisation: Any
) -> tuple[Organisation, Partner]:
    """A new partner organisation (kind ``professional_body`` for professional bodies, else ``employer``)."""
    kind = one_of(partner_type, "partner type", PARTNER_TYPES)
    org = issuers.create_organisation(
        session, kind="professional_body" if kind == "professional_body" else "employer", **organisation
    )
    return org, register_partner(session, org.id, partner_type=kind, sector=sector)


def find_partner(session: Session, organisation_id: uuid.UUID | str) -> Partner | None:
    return session.get(Partner, as_uuid(organisation_id, "partner"))


def get_partner(session: Session, organisation_id: uuid.UUID | str) -> Partner:
    partner = find_partner(session, organisation_id)
    if partner is None:
        raise NotFound(f"organisation {organisation_id} is not a partner")
    return partner


def list_partners(session: Session) -> list[tuple[Partner, Organisation]]:
    rows = session.execute(
        select(Partner, Organisation)
        .join(Organisation, Organisation.id == Partner.organisation_id)
        .order_by(Organisation.name)
    ).all()
    return [(p, o) for p, o in rows]


# -- relevance policy ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    require_endorsement: bool = False
    review_months: int = DEFAULT_REVIEW_MONTHS
    reminder_days: int = DEFAULT_REMINDER_DAYS


def get_policy(session: Session, organisation_id: uuid.UUID | str) -> Policy:
    row = session.get(RelevancePolicy, as_uuid(organisation_id, "organisation"))
    if row is None:
        return Policy()
    return Policy(row.require_endorsement, row.review_months, row.reminder_days)


def set_policy(
    session: Session,
    organisation_id: uuid.UUID | str,
    *,
    require_endorsement: bool | None = None,
    review_months: int | None = None,
    reminder_days: int | None = None,
) -> Policy:
    org = issuers.get_organisation(session, organisation_id)
    row = session.get(RelevancePolicy, org.id)
    if row is None:
        row = RelevancePolicy(
            organisation_id=org.id,
            require_endorsement=False,
            review_months=DEFAULT_REVIEW_MONTHS,
            reminder_days=DEFAULT_REMINDER_DAYS,
        )
        session.add(row)
    if require_endorsement is not None:
        row.require_endorsement = bool(require_endorsement)
    if review_months is not None:
        if not 1 <= review_months <= 60:
            raise InvalidInput("review cycle must be between 1 and 60 months")
        row.review_months = review_months
    if reminder_days is not None:
        if not 1 <= reminder_days <= 365:
            raise InvalidInput("reminder window must be between 1 and 365 days")
        row.reminder_days = reminder_days
    session.flush()
    policy = Policy(row.require_endorsement, row.review_months, row.reminder_days)
    audit.record(session, "relevance.policy_set", f"organisation:{org.id}", policy.__dict__)
    return policy


# -- labour-market links ------------------------------------------------------------------------------------------
def labour_market_codes(session: Session, achievement_id: uuid.UUID | str) -> list[LabourMarketCode]:
    return list(
        session.scalars(
            select(LabourMarketCode)
            .where(LabourMarketCode.achievement_id == as_uuid(achievement_id, "achievement"))
            .order_by(LabourMarketCode.scheme, LabourMarketCode.position)
        )
    )


def set_labour_market_codes(
    session: Session,
    achievement_id: uuid.UUID | str,
    *,
    esco: Sequence[str] = (),
    noc: Sequence[tuple[str, str]] = (),
    cip: tuple[str, str] | None = None,
) -> list[LabourMarketCode]:
    """Replace the occupations an achievement prepares for: ESCO occupation URIs (checked against the imported
    taxonomy), NOC 2021 unit groups ``(code, title)`` and at most one CIP 2021 program ``(code, title)``."""
    achievement = catalog.get_achievement(session, achievement_id)
    rows: list[LabourMarketCode] = []
    seen: set[tuple[str, str]] = set()

    def add(scheme: str, code: str, label: str) -> None:
        if (scheme, code) in seen:
            raise InvalidInput(f"{code} is listed twice")
        seen.add((scheme, code))
        position = sum(1 for r in rows if r.scheme == scheme)
        rows.append(
            LabourMarketCode(achievement_id=achievement.id, scheme=scheme, code=code, label=label, position=position)
        )

    for uri in esco:
        uri = required_text(uri, "ESCO occupation", max_length=500)
        occupation = taxonomy.find_occupation(session, uri)
        if occupation is None:
            raise InvalidInput(f"{uri} is not an occupation of any imported framework (import ESCO first?)")
        add("esco_occupation", uri, occupation.label)
    for code, title in noc:
        code = (code or "").strip()
        if not NOC_2021.match(code):
            raise InvalidInput(f"NOC 2021 code {code!r}: expected five digits, e.g. 22221")
        add("noc_2021", code, required_text(title, f"title of NOC {code}", max_length=500))
    if cip is not None:
        code = (cip[0] or "").strip()
        if not CIP_2021.match(code):
            raise InvalidInput(f"CIP 2021 code {code!r}: expected NN.NNNN, e.g. 11.1006")
        add("cip_2021", code, required_text(cip[1], f"title of CIP {code}", max_length=500))
    for old in labour_market_codes(session, achievement.id):
        session.delete(old)
    session.flush()
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        "achievement.labour_market_set",
        f"achievement:{achievement.id}",
        {"codes": [f"{r.scheme}:{r.code}" for r in rows]},
    )
    return rows


@dataclass
class OccupationCoverage:
    uri: str
    label: str
    essential_total: int
    optional_total: int
    essential_covered: list[tuple[str, str]]  # (concept uri, label)
    optional_covered: list[tuple[str, str]]
    essential_missing: list[tuple[str, str]]

    @property
    def summary(self) -> str:
        return f"covers {len(self.essential_covered)} of the {self.essential_total} essential skills of {self.label}"

    def as_dict(self) -> dict[str, Any]:
        def pairs(items: list[tuple[str, str]]) -> list[dict[str, str]]:
            return [{"uri": u, "label": lbl} for u, lbl in items]

        return {
            "occupation": self.uri,
            "label": self.label,
            "summary": self.summary,
            "essential_total": self.essential_total,
            "essential_covered": pairs(self.essential_covered),
            "essential_missing": pairs(self.essential_missing),
            "optional_total": self.optional_total,
            "optional_covered": pairs(self.optional_covered),
        }


def aligned_concepts(achievement: Achievement) -> dict[str, str]:
    """The concept URIs the achievement's outcomes are aligned to (uri -> label)."""
    return {a.target_url: a.target_name for o in achievement.outcomes for a in o.alignments}


def coverage(session: Session, achievement_id: uuid.UUID | str) -> list[OccupationCoverage]:
    """For each ESCO occupation the achievement prepares for: which of its aligned skills ESCO lists as essential or
    optional for that occupation (ESCO's occupation–skill relations)."""
    achievement = catalog.get_achievement(session, achievement_id)
    aligned = aligned_concepts(achievement)
    out = []
    for code in labour_market_codes(session, achievement.id):
        if code.scheme != "esco_occupation":
            continue
        occupation = taxonomy.find_occupation(session, code.code, with_skills=True)
        if occupation is None:
            raise NotFound(f"occupation {code.code} is no longer in any imported framework")
        essential = occupation.skills.get("essential", [])
        optional = occupation.skills.get("optional", [])
        out.append(
            OccupationCoverage(
                uri=occupation.uri,
                label=occupation.label,
                essential_total=len(essential),
                optional_total=len(optional),
                essential_covered=[s for s in essential if s[0] in aligned],
                optional_covered=[s for s in optional if s[0] in aligned],
                essential_missing=[s for s in essential if s[0] not in aligned],
            )
        )
    return out


# -- consultation and endorsement workflow --------------------------------------------------------------------------
def _partner_recipients(session: Session, partner_id: uuid.UUID) -> list[str]:
    reviewers = [
        u.email for u in accounts.list_users(session, organisation_id=partner_id) if u.role == "partner_reviewer"
    ]
    if reviewers:
        return reviewers
    org = issuers.get_organisation(session, partner_id)
    return [org.email] if org.email else []


def _issuer_recipients(session: Session, issuer_id: uuid.UUID, requested_by_id: uuid.UUID | None = None) -> list[str]:
    if requested_by_id is not None:
        try:
            return [accounts.get_user(session, requested_by_id).email]
        except NotFound:
            pass
    staff = [
        u.email
        for u in accounts.list_users(session, organisation_id=issuer_id)
        if u.role in ("org_admin", "issuer_staff")
    ]
    if staff:
        return staff
    org = issuers.get_organisation(session, issuer_id)
    return [org.email] if org.email else []


def get_request(session: Session, request_id: uuid.UUID | str) -> EndorsementRequest:
    row = session.get(EndorsementRequest, as_uuid(request_id, "endorsement request"))
    if row is None:
        raise NotFound(f"no endorsement request {request_id}")
    return row


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
    query = select(EndorsementRequest).order_by(EndorsementRequest.created_at.desc())
    if partner_id is not None:
        query = query.where(EndorsementRequest.partner_id == as_uuid(partner_id, "partner"))
    if achievement_id is not None:
        query = query.where(EndorsementRequest.achievement_id == as_uuid(achievement_id, "achievement"))
    if issuer_id is not None:
        query = query.join(Achievement, Achievement.id == EndorsementRequest.achievement_id).where(
            Achievement.issuer_id == as_uuid(issuer_id, "organisation")
        )
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
    link = f"{base_url.rstrip('/')}/console/endorsements/requests/{row.id}"
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
        for email in _partner_recipients(session, partner.organisation_id)
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
    link = f"{base_url.rstrip('/')}/console/endorsements/requests/{row.id}"
    notes = [
        Notification(
            to=email,
            subject=f"Endorsement request updated: {achievement.name}",
            body=f"The changes you asked for on “{achievement.name}” were made. Review it again: {link}\n",
        )
        for email in _partner_recipients(session, row.partner_id)
    ]
    return row, notes


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


def request_json(session: Session, row: EndorsementRequest) -> dict[str, Any]:
    achievement = catalog.get_achievement(session, row.achievement_id)
    endorsement = session.scalars(select(Endorsement).where(Endorsement.request_id == row.id)).first()
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


@dataclass
class Answers:
    """The reviewer's two separate attestations (END-1) and the public comment."""

    in_demand: bool
    in_demand_rationale: str
    reflects_job_performance: bool
    job_performance_comment: str
    endorsement_comment: str | None = None


def answer_request(
    session: Session,
    request_id: uuid.UUID | str,
    *,
    reviewer_id: uuid.UUID,
    answers: Answers,
    decision: str,
    note: str | None = None,
    base_url: str,
    master_key: bytes | None = None,
    now: datetime | None = None,
) -> tuple[EndorsementRequest, Endorsement | None, list[Notification]]:
    """The partner's reviewer answers both questions and decides: endorse (both answers must be yes: the partner
    signs an EndorsementCredential with its own key), request changes, or decline (each with a note)."""
    decision = one_of(decision, "decision", DECISIONS)
    row = _lock_request(session, request_id)  # answered (and signed) once, however many answers arrive at once
    reviewer = accounts.get_user(session, reviewer_id)
    if reviewer.role != "partner_reviewer" or reviewer.organisation_id != row.partner_id:
        raise NotFound("no endorsement request with this id for your organisation")
    if row.status != "pending":
        raise Conflict(f"this request was already answered ({row.status})")
    rationale = required_text(answers.in_demand_rationale, "labour-market rationale", max_length=MAX_TEXT)
    comment = required_text(answers.job_performance_comment, "job-performance comment", max_length=MAX_TEXT)
    public_comment = optional_text(answers.endorsement_comment, "endorsement comment", max_length=MAX_TEXT)
    reason = optional_text(note, "note", max_length=MAX_TEXT)
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
    elif reason is None:
        raise InvalidInput("say why (note): what should change, or why the partner declines")
    moment = _now(now)
    row.reviewer_id = reviewer.id
    row.in_demand = bool(answers.in_demand)
    row.in_demand_rationale = rationale
    row.reflects_job_performance = bool(answers.reflects_job_performance)
    row.job_performance_comment = comment
    row.endorsement_comment = public_comment
    row.reviewer_note = reason
    row.answered_at = moment
    row.status = {"endorse": "endorsed", "request_changes": "changes_requested", "decline": "declined"}[decision]
    session.flush()
    audit.record(
        session,
        "endorsement.answered",
        f"endorsement_request:{row.id}",
        {
            "decision": decision,
            "competency_in_demand": row.in_demand,
            "reflects_job_performance": row.reflects_job_performance,
            "reviewer_id": str(reviewer.id),
        },
    )
    endorsement = None
    achievement = catalog.get_achievement(session, row.achievement_id)
    partner = issuers.get_organisation(session, row.partner_id)
    if decision == "endorse":
        endorsement = sign_endorsement(
            session,
            achievement_id=achievement.id,
            partner_id=partner.id,
            answers=answers,
            request_id=row.id,
            base_url=base_url,
            master_key=master_key,
            valid_from=moment,
        )
    outcome = {
        "endorse": "endorsed",
        "request_changes": "asks for changes to",
        "decline": "declined to endorse",
    }[decision]
    link = f"{base_url.rstrip('/')}/console/endorsements/requests/{row.id}"
    body = (
        f"{partner.name} {outcome} “{achievement.name}”.\n\n"
        f"Competency in demand: {'yes' if row.in_demand else 'no'} — {rationale}\n"
        f"Assessment reflects job performance: {'yes' if row.reflects_job_performance else 'no'} — {comment}\n"
        + (f"\nNote: {reason}\n" if reason else "")
        + f"\nSee the answers: {link}\n"
    )
    notes = [
        Notification(to=email, subject=f"{partner.name} {outcome} {achievement.name}", body=body)
        for email in _issuer_recipients(session, achievement.issuer_id, row.requested_by_id)
    ]
    return row, endorsement, notes


def sign_endorsement(
    session: Session,
    *,
    achievement_id: uuid.UUID | str,
    partner_id: uuid.UUID | str,
    answers: Answers,
    base_url: str,
    master_key: bytes | None = None,
    request_id: uuid.UUID | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    endorsement_id: uuid.UUID | None = None,
) -> Endorsement:
    """Build, validate (ob_v3p0_endorsementcredential_schema) and sign the partner's EndorsementCredential.

    Valid for the issuer's review cycle from ``valid_from`` unless ``valid_until`` says otherwise; it carries a
    revocation entry in the partner's own status list."""
    from microcred.vc import sign_data_integrity

    if not (answers.in_demand and answers.reflects_job_performance):
        raise InvalidInput("an endorsement needs both answers to be yes")
    if request_id is not None:
        _lock_request(session, request_id)
        _no_endorsement_yet(session, request_id)
    achievement = catalog.get_achievement(session, achievement_id)
    partner = get_partner(session, partner_id)
    org = issuers.get_organisation(session, partner.organisation_id)
    start = _now(valid_from)
    end = valid_until or catalog.add_months(start, get_policy(session, achievement.issuer_id).review_months)
    new_id = endorsement_id or uuid.uuid4()
    entry = status.allocate(session, org.id, "revocation")
    comment = endorsement_comment(
        answers.endorsement_comment or None,
        required_text(answers.in_demand_rationale, "labour-market rationale"),
        required_text(answers.job_performance_comment, "job-performance comment"),
    )
    try:
        credential = build_endorsement_credential(
            credential_id=endorsement_url(new_id, base_url),
            endorser=issuers.issuer_profile(org, base_url),
            endorsed_id=achievement_url(achievement.id, base_url),
            name=f"Endorsement of {achievement.name} by {org.name}",
            description=(
                f"{org.name} confirms that the competency of “{achievement.name}” is in demand and that its "
                "assessment reflects job performance."
            ),
            comment=comment,
            valid_from=start,
            valid_until=end,
            credential_status=status_entry(
                status.list_url(entry.status_list_id, base_url), entry.list_index, "revocation"
            ),
        )
    except SchemaValidationError as exc:
        raise InvalidInput(str(exc)) from exc
    material = issuers.signing_material(session, org, base_url=base_url, master_key=master_key)
    signed = sign_data_integrity(credential, material.key, material.verification_method, created=_now(None))
    row = Endorsement(
        id=new_id,
        request_id=request_id,
        achievement_id=achievement.id,
        partner_id=org.id,
        signing_key_id=material.key_id,
        status_entry_id=entry.id,
        valid_from=start,
        valid_until=end,
        in_demand=True,
        reflects_job_performance=True,
        credential_json=json.dumps(signed, ensure_ascii=False, indent=2),
    )
    try:
        with session.begin_nested():  # the unique request_id: a request has one endorsement, whatever the caller
            session.add(row)
            session.flush()
    except IntegrityError:
        if request_id is not None:
            _no_endorsement_yet(session, request_id)
        raise
    audit.record(
        session,
        "endorsement.signed",
        f"endorsement:{row.id}",
        {
            "achievement_id": str(achievement.id),
            "partner_id": str(org.id),
            "signing_key_id": str(material.key_id),
            "valid_until": end.isoformat(),
        },
    )
    return row


def _no_endorsement_yet(session: Session, request_id: uuid.UUID) -> None:
    existing = session.scalars(select(Endorsement.id).where(Endorsement.request_id == request_id)).first()
    if existing is not None:
        raise Conflict(f"endorsement request {request_id} was already signed (endorsement {existing})")


def get_endorsement(session: Session, endorsement_id: uuid.UUID | str) -> Endorsement:
    row = session.get(Endorsement, as_uuid(endorsement_id, "endorsement"))
    if row is None:
        raise NotFound(f"no endorsement {endorsement_id}")
    return row


def list_endorsements(
    session: Session,
    *,
    achievement_id: uuid.UUID | str | None = None,
    partner_id: uuid.UUID | str | None = None,
    issuer_id: uuid.UUID | str | None = None,
) -> list[Endorsement]:
    query = select(Endorsement).order_by(Endorsement.valid_from.desc(), Endorsement.created_at.desc())
    if achievement_id is not None:
        query = query.where(Endorsement.achievement_id == as_uuid(achievement_id, "achievement"))
    if partner_id is not None:
        query = query.where(Endorsement.partner_id == as_uuid(partner_id, "partner"))
    if issuer_id is not None:
        query = query.join(Achievement, Achievement.id == Endorsement.achievement_id).where(
            Achievement.issuer_id == as_uuid(issuer_id, "organisation")
        )
    return list(session.scalars(query))


def endorsement_document(row: Endorsement) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(row.credential_json)
    return document


def endorsement_documents_by_url(session: Session, urls: Sequence[Any]) -> tuple[dict[str, Any], ...]:
    """The stored (current-form) documents of the endorsements with these ids (``<base>/endorsements/<id>``),
    in that order; ids that are not this instance's endorsements are left out."""
    found: list[dict[str, Any]] = []
    for url in urls:
        if not isinstance(url, str):
            continue
        try:
            endorsement_id = uuid.UUID(url.rstrip("/").rsplit("/", 1)[-1])
        except ValueError:
            continue
        row = session.get(Endorsement, endorsement_id)
        if row is not None:
            found.append(endorsement_document(row))
    return tuple(found)


def _endorsement_in_current_form(document: dict[str, Any]) -> bool:
    contexts = document.get("@context")
    return isinstance(contexts, list) and not any(isinstance(c, str) and c in LEGACY_CONTEXTS for c in contexts)


def endorsements_to_resign(session: Session) -> list[uuid.UUID]:
    """Signed endorsements stored in microcred's earlier form (with its private context), oldest first."""
    rows = session.execute(select(Endorsement.id, Endorsement.credential_json).order_by(Endorsement.created_at))
    return [row_id for row_id, text in rows if not _endorsement_in_current_form(json.loads(text))]


def resign_endorsement(
    session: Session, endorsement_id: uuid.UUID | str, *, base_url: str, master_key: bytes | None = None
) -> bool:
    """Sign an endorsement again, in place, in the standard form (same id, validity and status entry; the answers
    moved into ``endorsementComment``); the partner's current key. False when already in that form."""
    from microcred.vc import sign_data_integrity

    row = lock_row(session, Endorsement, endorsement_id, "endorsement")
    old = endorsement_document(row)
    if _endorsement_in_current_form(old):
        return False
    raw_subject = old.get("credentialSubject")
    subject: dict[str, Any] = raw_subject if isinstance(raw_subject, dict) else {}
    answers = read_endorsement_comment(subject.get("endorsementComment"))
    rationale = subject.get("labourMarketRationale") or answers.rationale or ""
    job_comment = subject.get("jobPerformanceComment") or answers.job_performance_comment or ""
    with session.begin_nested():
        org = issuers.get_organisation(session, row.partner_id)
        entry_status = (
            status.entry_document(status.get_entry(session, row.status_entry_id), base_url)
            if row.status_entry_id is not None
            else None
        )
        try:
            credential = build_endorsement_credential(
                credential_id=endorsement_url(row.id, base_url),
                endorser=issuers.issuer_profile(org, base_url),
                endorsed_id=str(subject.get("id") or achievement_url(row.achievement_id, base_url)),
                name=str(old.get("name") or "Endorsement"),
                description=old.get("description") if isinstance(old.get("description"), str) else None,
                comment=endorsement_comment(answers.comment, str(rationale), str(job_comment)),
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                credential_status=entry_status,
            )
        except SchemaValidationError as exc:
            raise InvalidInput(str(exc)) from exc
        material = issuers.signing_material(session, org, base_url=base_url, master_key=master_key)
        signed = sign_data_integrity(credential, material.key, material.verification_method, created=_now(None))
        row.credential_json = json.dumps(signed, ensure_ascii=False, indent=2)
        row.signing_key_id = material.key_id
        audit.record(session, "endorsement.resigned", f"endorsement:{row.id}", {"signing_key_id": str(material.key_id)})
        session.flush()
    return True


def endorsement_state(row: Endorsement, now: datetime | None = None) -> str:
    """``current``, ``revoked``, ``expired`` or ``not_yet_valid``."""
    moment = _now(now)
    if row.revoked_at is not None:
        return "revoked"
    if row.valid_from > moment:
        return "not_yet_valid"
    if row.valid_until is not None and row.valid_until <= moment:
        return "expired"
    return "current"


def endorsement_summary(session: Session, row: Endorsement, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "achievement_id": str(row.achievement_id),
        "achievement": catalog.get_achievement(session, row.achievement_id).name,
        "partner_id": str(row.partner_id),
        "partner": issuers.get_organisation(session, row.partner_id).name,
        "state": endorsement_state(row, now),
        "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "competency_in_demand": row.in_demand,
        "reflects_job_performance": row.reflects_job_performance,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def revoke_endorsement(
    session: Session, endorsement_id: uuid.UUID | str, *, reason: str, now: datetime | None = None
) -> tuple[Endorsement, list[Notification]]:
    """Withdraw an endorsement: its status bit is set (verifiers see it revoked) and relevance lapses unless
    another endorsement is current. The row is locked and read afresh first, so it is revoked once."""
    row = lock_row(session, Endorsement, endorsement_id, "endorsement")
    if row.revoked_at is not None:
        raise Conflict(f"endorsement {row.id} is already revoked")
    row.revoked_at = _now(now)
    row.revocation_reason = required_text(reason, "reason", max_length=MAX_TEXT)
    if row.status_entry_id is not None:
        status.set_entry_bit(session, row.status_entry_id, True)
    session.flush()
    audit.record(session, "endorsement.revoked", f"endorsement:{row.id}", {"achievement_id": str(row.achievement_id)})
    achievement = catalog.get_achievement(session, row.achievement_id)
    partner = issuers.get_organisation(session, row.partner_id)
    notes = [
        Notification(
            to=email,
            subject=f"Endorsement withdrawn: {achievement.name}",
            body=(
                f"{partner.name} withdrew its endorsement of “{achievement.name}”. Reason: {row.revocation_reason}\n"
                "Unless another partner endorsement is current, its relevance has lapsed and new awards are refused.\n"
            ),
        )
        for email in _issuer_recipients(session, achievement.issuer_id)
    ]
    return row, notes


def current_endorsements(
    session: Session, achievement_id: uuid.UUID | str, *, now: datetime | None = None
) -> list[Endorsement]:
    moment = _now(now)
    return [
        e
        for e in list_endorsements(session, achievement_id=achievement_id)
        if endorsement_state(e, moment) == "current"
    ]


def endorsement_documents_for_issuing(
    session: Session, achievement_id: uuid.UUID | str, *, now: datetime | None = None
) -> tuple[dict[str, Any], ...]:
    """The signed endorsements to embed in the achievement of a credential issued now (current ones only)."""
    return tuple(endorsement_document(e) for e in current_endorsements(session, achievement_id, now=now))


# -- relevance --------------------------------------------------------------------------------------------------
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
        reviewed_at=_now(reviewed_at),
        note=required_text(note, "note", max_length=MAX_TEXT),
        actor=(actor or audit.current_actor())[:200],
    )
    session.add(row)
    session.flush()
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


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def relevance(session: Session, achievement: Achievement, *, now: datetime | None = None) -> Relevance:
    moment = _now(now)
    policy = get_policy(session, achievement.issuer_id)
    endorsements = list_endorsements(session, achievement_id=achievement.id)
    current = [e for e in endorsements if endorsement_state(e, moment) == "current"]
    reviews = list(
        session.scalars(
            select(RelevanceReview)
            .where(RelevanceReview.achievement_id == achievement.id, RelevanceReview.reviewed_at <= moment)
            .order_by(RelevanceReview.reviewed_at.desc())
        )
    )
    names = {e.partner_id: issuers.get_organisation(session, e.partner_id).name for e in endorsements}
    candidates: list[tuple[datetime, str]] = [
        (e.valid_from, f"endorsement by {names[e.partner_id]} on {_day(e.valid_from)}") for e in current
    ]
    candidates += [(r.reviewed_at, f"relevance review on {_day(r.reviewed_at)}") for r in reviews]
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
    if candidates:
        basis_at, basis = max(candidates, key=lambda c: c[0])
        result.basis = basis
        result.review_due = catalog.add_months(basis_at, policy.review_months)
        if result.review_due <= moment:
            result.state = "lapsed"
            result.missing.append(f"its labour-market relevance lapsed on {_day(result.review_due)} ({basis})")
        elif result.review_due - moment <= timedelta(days=policy.reminder_days):
            result.state = "due"
        else:
            result.state = "current"
    if not current and lost_after_review:
        latest = max(lost_after_review, key=_lost_at)
        what = "revoked" if latest.revoked_at is not None else "expired"
        result.state = "lapsed"
        result.review_due = result.review_due or _lost_at(latest)
        result.missing.append(
            f"its labour-market relevance lapsed: the endorsement by {names[latest.partner_id]} {what} on "
            f"{_day(_lost_at(latest))} and no partner "
            "endorsement is current"
        )
    if policy.require_endorsement and not current and not lost_after_review:
        issuer = issuers.get_organisation(session, achievement.issuer_id)
        result.missing.append(
            f"no current partner endorsement ({issuer.name} requires one): request an endorsement from an "
            "employer, industry or professional-body partner"
        )
    return result


def _lost_at(row: Endorsement) -> datetime:
    if row.revoked_at is not None:
        return row.revoked_at
    assert row.valid_until is not None  # an expired endorsement has an end
    return row.valid_until


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
    order = {"lapsed": 0, "due": 1, "unreviewed": 2, "current": 3}
    rows = [
        relevance(session, a, now=now)
        for a in catalog.list_achievements(session, issuer_id=issuer_id, status="published")
    ]
    far = datetime.max.replace(tzinfo=_now(now).tzinfo)
    return sorted(rows, key=lambda r: (order[r.state], r.review_due or far, r.name))


def send_reminders(
    session: Session, *, base_url: str, now: datetime | None = None
) -> tuple[list[Relevance], list[Notification]]:
    """Remind issuers of achievements whose relevance review is due (within their reminder window) and not yet
    reminded for that due date. Idempotent: one reminder per achievement and due date."""
    reminded: list[Relevance] = []
    notes: list[Notification] = []
    for item in relevance_report(session, now=now):
        if item.state != "due" or item.review_due is None:
            continue
        due_on = _day(item.review_due)
        exists = session.scalars(
            select(RelevanceReminder).where(
                RelevanceReminder.achievement_id == item.achievement_id, RelevanceReminder.due_on == due_on
            )
        ).first()
        if exists is not None:
            continue
        recipients = _issuer_recipients(session, item.issuer_id)
        session.add(RelevanceReminder(achievement_id=item.achievement_id, due_on=due_on, recipients=len(recipients)))
        session.flush()
        audit.record(
            session,
            "relevance.reminder_sent",
            f"achievement:{item.achievement_id}",
            {"due_on": due_on, "recipients": len(recipients)},
        )
        link = f"{base_url.rstrip('/')}/console/endorsements"
        notes += [
            Notification(
                to=email,
                subject=f"Relevance review due on {due_on}: {item.name}",
                body=(
                    f"The labour-market relevance of “{item.name}” must be reviewed by {due_on} "
                    f"(last: {item.basis}). After that date new awards are refused.\n"
                    f"Request a partner endorsement or record a review: {link}\n"
                ),
            )
            for email in recipients
        ]
        reminded.append(item)
    return reminded, notes
