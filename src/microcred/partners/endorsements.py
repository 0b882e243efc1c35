"""Partner-signed OB 3.0 EndorsementCredentials: signing, reading, revoking, and the documents embedded in the
achievements of credentials issued now (or found by URL when an award is signed again).

An endorsement is signed with the partner's own key and did:web and carries a revocation entry in the partner's
own status list; its validity runs for the issuer's review cycle unless given."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.catalog import services as catalog
from microcred.catalog.services import Achievement
from microcred.db import reads
from microcred.db.locking import lock_row
from microcred.db.rows import get_row
from microcred.errors import Conflict, InvalidInput
from microcred.issuers import services as issuers
from microcred.issuers.services import Organisation
from microcred.partners.common import MAX_TEXT, instant
from microcred.partners.directory import get_partner
from microcred.partners.models import Endorsement, EndorsementRequest
from microcred.partners.notifications import Notification, issuer_recipients
from microcred.partners.policy import get_policy
from microcred.status import services as status
from microcred.urls import achievement_url, endorsement_url
from microcred.validation import as_uuid, required_text
from microcred.vc import sign_data_integrity
from microcred.vc.endorsement import build_endorsement_credential, endorsement_comment
from microcred.vc.errors import SchemaValidationError


@dataclass
class Answers:
    """The reviewer's two separate attestations (END-1) and the public comment."""

    in_demand: bool
    in_demand_rationale: str
    reflects_job_performance: bool
    job_performance_comment: str
    endorsement_comment: str | None = None


class EndorsementFields(TypedDict):
    """The keyword arguments of `sign_endorsement` (collected into an `EndorsementOrder`)."""

    achievement_id: uuid.UUID | str
    partner_id: uuid.UUID | str
    answers: Answers
    base_url: str
    master_key: NotRequired[bytes | None]
    request_id: NotRequired[uuid.UUID | None]
    valid_from: NotRequired[datetime | None]
    valid_until: NotRequired[datetime | None]
    endorsement_id: NotRequired[uuid.UUID | None]


@dataclass(frozen=True)
class EndorsementOrder:
    """What a partner endorses, from which request, for how long, and how it is signed."""

    achievement_id: uuid.UUID | str
    partner_id: uuid.UUID | str
    answers: Answers
    base_url: str
    master_key: bytes | None = None
    request_id: uuid.UUID | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    endorsement_id: uuid.UUID | None = None  # fixed ids (the demo); a new uuid4 otherwise


def build_credential(**fields: Any) -> dict[str, Any]:
    """`vc.endorsement.build_endorsement_credential` (validated against ob_v3p0_endorsementcredential_schema),
    with a schema failure reported as the caller's invalid input."""
    try:
        return build_endorsement_credential(**fields)
    except SchemaValidationError as exc:
        raise InvalidInput(str(exc)) from exc


def sign_credential(
    session: Session, org: Organisation, credential: dict[str, Any], *, base_url: str, master_key: bytes | None
) -> tuple[dict[str, Any], uuid.UUID]:
    """The credential signed (Data Integrity, eddsa-rdfc-2022) with the partner's current key, and that key's id."""
    material = issuers.signing_material(session, org, base_url=base_url, master_key=master_key)
    signed = sign_data_integrity(credential, material.key, material.verification_method, created=instant(None))
    return signed, material.key_id


def endorsement_for_request(session: Session, request_id: uuid.UUID) -> Endorsement | None:
    """The endorsement signed for a consultation request, if any (a request has at most one)."""
    return session.scalars(select(Endorsement).where(Endorsement.request_id == request_id)).first()


def _no_endorsement_yet(session: Session, request_id: uuid.UUID) -> None:
    existing = session.scalars(select(Endorsement.id).where(Endorsement.request_id == request_id)).first()
    if existing is not None:
        raise Conflict(f"endorsement request {request_id} was already signed (endorsement {existing})")


def sign_endorsement(session: Session, **fields: Unpack[EndorsementFields]) -> Endorsement:
    """Build, validate (ob_v3p0_endorsementcredential_schema) and sign the partner's EndorsementCredential.

    Valid for the issuer's review cycle from ``valid_from`` unless ``valid_until`` says otherwise; it carries a
    revocation entry in the partner's own status list. The arguments are those of `EndorsementOrder`."""
    return sign_order(session, EndorsementOrder(**fields))


@dataclass(frozen=True)
class _Validity:
    valid_from: datetime
    valid_until: datetime


def _credential(
    order: EndorsementOrder,
    achievement: Achievement,
    org: Organisation,
    endorsement_id: uuid.UUID,
    validity: _Validity,
    credential_status: dict[str, Any],
) -> dict[str, Any]:
    """The unsigned EndorsementCredential with this id and validity, endorsing the achievement."""
    answers = order.answers
    comment = endorsement_comment(
        answers.endorsement_comment or None,
        required_text(answers.in_demand_rationale, "labour-market rationale"),
        required_text(answers.job_performance_comment, "job-performance comment"),
    )
    return build_credential(
        credential_id=endorsement_url(endorsement_id, order.base_url),
        endorser=issuers.issuer_profile(org, order.base_url),
        endorsed_id=achievement_url(achievement.id, order.base_url),
        name=f"Endorsement of {achievement.name} by {org.name}",
        description=(
            f"{org.name} confirms that the competency of “{achievement.name}” is in demand and that its "
            "assessment reflects job performance."
        ),
        comment=comment,
        valid_from=validity.valid_from,
        valid_until=validity.valid_until,
        credential_status=credential_status,
    )


def _store(session: Session, row: Endorsement, request_id: uuid.UUID | None) -> None:
    """Insert in a savepoint: the unique request_id means a request has one endorsement, whatever the caller."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        if request_id is not None:
            _no_endorsement_yet(session, request_id)
        raise


def sign_order(session: Session, order: EndorsementOrder) -> Endorsement:
    """`sign_endorsement` with its arguments already collected."""
    if not (order.answers.in_demand and order.answers.reflects_job_performance):
        raise InvalidInput("an endorsement needs both answers to be yes")
    if order.request_id is not None:
        lock_row(session, EndorsementRequest, order.request_id, "endorsement request")
        _no_endorsement_yet(session, order.request_id)
    achievement = catalog.get_achievement(session, order.achievement_id)
    partner = get_partner(session, order.partner_id)
    org = issuers.get_organisation(session, partner.organisation_id)
    start = instant(order.valid_from)
    end = order.valid_until or catalog.add_months(start, get_policy(session, achievement.issuer_id).review_months)
    new_id = order.endorsement_id or uuid.uuid4()
    entry = status.allocate(session, org.id, "revocation")
    credential = _credential(
        order, achievement, org, new_id, _Validity(start, end), status.entry_document(entry, order.base_url)
    )
    signed, key_id = sign_credential(session, org, credential, base_url=order.base_url, master_key=order.master_key)
    reads.forget(session, ("achievement_endorsements", achievement.id))
    row = Endorsement(
        id=new_id,
        request_id=order.request_id,
        achievement_id=achievement.id,
        partner_id=org.id,
        signing_key_id=key_id,
        status_entry_id=entry.id,
        valid_from=start,
        valid_until=end,
        in_demand=True,
        reflects_job_performance=True,
        credential_json=json.dumps(signed, ensure_ascii=False, indent=2),
    )
    _store(session, row, order.request_id)
    audit.record(
        session,
        "endorsement.signed",
        f"endorsement:{row.id}",
        {
            "achievement_id": str(achievement.id),
            "partner_id": str(org.id),
            "signing_key_id": str(key_id),
            "valid_until": end.isoformat(),
        },
    )
    return row


def get_endorsement(session: Session, endorsement_id: uuid.UUID | str) -> Endorsement:
    return get_row(session, Endorsement, endorsement_id, "endorsement")


def list_endorsements(
    session: Session,
    *,
    achievement_id: uuid.UUID | str | None = None,
    partner_id: uuid.UUID | str | None = None,
    issuer_id: uuid.UUID | str | None = None,
) -> list[Endorsement]:
    """Newest first; ``issuer_id``: of that issuer's achievements (read through the catalog). One achievement's
    alone is read once per bulk chunk (`db.reads`: the relevance gate and the embedded endorsements of each row)."""
    if achievement_id is not None and partner_id is None and issuer_id is None:
        aid = as_uuid(achievement_id, "achievement")
        return list(reads.shared(session, ("achievement_endorsements", aid), lambda: _listed(session, aid, None, None)))
    return _listed(session, achievement_id, partner_id, issuer_id)


def _listed(
    session: Session,
    achievement_id: uuid.UUID | str | None,
    partner_id: uuid.UUID | str | None,
    issuer_id: uuid.UUID | str | None,
) -> list[Endorsement]:
    query = select(Endorsement).order_by(Endorsement.valid_from.desc(), Endorsement.created_at.desc())
    if achievement_id is not None:
        query = query.where(Endorsement.achievement_id == as_uuid(achievement_id, "achievement"))
    if partner_id is not None:
        query = query.where(Endorsement.partner_id == as_uuid(partner_id, "partner"))
    if issuer_id is not None:
        ids = [a.id for a in catalog.list_achievements(session, issuer_id=issuer_id)]
        query = query.where(Endorsement.achievement_id.in_(ids))
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


def endorsement_state(row: Endorsement, now: datetime | None = None) -> str:
    """``current``, ``revoked``, ``expired`` or ``not_yet_valid``."""
    moment = instant(now)
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
    row.revoked_at = instant(now)
    reads.forget(session, ("achievement_endorsements", row.achievement_id))
    row.revocation_reason = required_text(reason, "reason", max_length=MAX_TEXT)
    if row.status_entry_id is not None and status.set_entry_bit(session, row.status_entry_id, True):
        from microcred.status import tasks as status_tasks  # queue the list's re-signing (status.tasks)

        status_tasks.queue_resign_for_entry(session, row.status_entry_id)
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
        for email in issuer_recipients(session, achievement.issuer_id)
    ]
    return row, notes


def current_endorsements(
    session: Session, achievement_id: uuid.UUID | str, *, now: datetime | None = None
) -> list[Endorsement]:
    moment = instant(now)
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
