"""The issuing pipeline: gates -> contributions -> build and schema-validate -> allocate status -> sign -> store
-> record -> audit -> after-issue hooks, all inside one savepoint (a failure at any step leaves no award, no
evidence, no status entry and no new key behind in the caller's session)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.awards import services as awards
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.errors import Conflict, InvalidInput
from microcred.issuance import CredentialParts, IssueContext, IssueRequest, Resigning
from microcred.issuers import services as issuers
from microcred.issuing import registry
from microcred.issuing.build import Validity, build_document
from microcred.status import services as status
from microcred.vc import sign_data_integrity, sign_jwt


@dataclass(frozen=True)
class Signing:
    """Where the credentials live (their ids are URLs under it) and the master key that opens the signing keys."""

    base_url: str
    master_key: bytes | None = None


def _context(session: Session, request: IssueRequest, base_url: str) -> IssueContext:
    achievement = catalog.get_published_achievement(session, request.achievement_id)
    earner = earners.get_earner(session, request.earner_id)
    organisation = issuers.get_organisation(session, achievement.issuer_id)
    now = (request.issued_at or utcnow()).replace(microsecond=0)  # as in the credential (whole seconds)
    return IssueContext(session, request, achievement, earner, organisation, now, base_url)


def validity_window(context: IssueContext) -> Validity:
    """The validity window of an award: from ``valid_from`` (or now) to ``valid_until`` (or the achievement's
    term); refused when it is empty or a date has no time zone. Also the bulk dry run's check."""
    request = context.request
    start = request.valid_from or context.now
    until = request.valid_until
    for label, value in (("issued_at", context.now), ("valid_from", start), ("valid_until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{label} must be timezone-aware")
    if until is None:
        until = catalog.validity_end(context.achievement, start)
    if until is not None and until <= start:
        raise InvalidInput("valid_until must be later than valid_from")
    return Validity(issued_at=context.now, valid_from=start, valid_until=until)


def _contributions(context: IssueContext) -> CredentialParts:
    parts = CredentialParts()
    for contributor in registry.CONTRIBUTORS:
        contributor.contribute(context, parts)
    return parts


def _sign(
    context: IssueContext, credential: dict[str, Any], signing: Signing, created: datetime
) -> awards.SignedCredential:
    material = issuers.signing_material(
        context.session, context.organisation, base_url=signing.base_url, master_key=signing.master_key
    )
    signed = sign_data_integrity(credential, material.key, material.verification_method, created=created)
    token = sign_jwt(credential, material.key, kid=material.verification_method)
    return awards.SignedCredential(document=signed, jwt=token, signing_key_id=material.key_id)


def issue(session: Session, request: IssueRequest, signing: Signing) -> award_queries.Award:
    """Issue one award (Data Integrity and JWT forms), or refuse with a `DomainError` that says why.

    Only published achievements are awarded; the gates (`registry.GATES`) run unless the request waives them;
    pathways the award completes are issued or queued in the same transaction (`registry.AFTER_ISSUE`)."""
    fmt = awards.check_format(request.format)
    with session.begin_nested():
        context = _context(session, request, signing.base_url)
        for gate in registry.GATES:
            if gate.applies(request):
                gate.check(context)
        validity = validity_window(context)
        evidence = awards.evidence_rows(request.evidence)
        parts = _contributions(context)
        award_id = request.award_id or uuid.uuid4()
        allocated = status.allocate_for_award(session, context.organisation.id)  # random indexes, unique per list
        credential = build_document(
            context, parts, award_id, validity, evidence, allocated.credential_status(signing.base_url)
        )
        signed = _sign(context, credential, signing, validity.issued_at)
        award = awards.store_award(
            session,
            awards.NewAward(
                id=award_id,
                achievement_id=context.achievement.id,
                earner_id=context.earner.id,
                issued_at=validity.issued_at,
                valid_from=validity.valid_from,
                valid_until=validity.valid_until,
                results=parts.stored_results or [],
                format=fmt,
                evidence=evidence,
            ),
            signed,
        )
        allocated.attach(session, award.id)
        for contributor in registry.CONTRIBUTORS:
            contributor.record(context, parts, award.id)
        audit.record(
            session,
            "award.issued",
            f"award:{award.id}",
            {
                "achievement_id": str(context.achievement.id),
                "earner_id": str(context.earner.id),
                "signing_key_id": str(signed.signing_key_id),
                "valid_until": validity.valid_until.isoformat() if validity.valid_until else None,
            },
        )
        for hook in registry.AFTER_ISSUE:
            hook.after_issue(context, award.id, lambda s, r: issue(s, r, signing))  # pathways issue through here
    return award


def resign(session: Session, award_id: uuid.UUID | str, signing: Signing) -> bool:
    """Sign the award again, in place, in the current standard form: same id, validity, awarded date, status
    entry and results; the organisation's current key. False when it is already in that form (idempotent).

    The award row is locked and read afresh first, so two processes re-signing at once do it once: the second
    finds the current form and returns False."""
    award = award_lifecycle.lock_award(session, award_id)
    old = json.loads(award.credential_json)
    if award_queries.in_current_form(old):
        return False
    if earners.is_erased(session, award.earner_id):
        raise Conflict(f"award {award.id} belongs to an erased earner: only its ledger is kept")
    with session.begin_nested():
        achievement = catalog.get_achievement(session, award.achievement_id)
        context = IssueContext(
            session,
            IssueRequest(achievement_id=award.achievement_id, earner_id=award.earner_id),
            achievement,
            earners.get_earner(session, award.earner_id),
            issuers.get_organisation(session, achievement.issuer_id),
            award.issued_at,
            signing.base_url,
            resigning=Resigning(award.id, old, stored_results=list(award.results or [])),
        )
        parts = _contributions(context)
        revocation = next((e for e in status.entries_for_award(session, award.id) if e.purpose == "revocation"), None)
        if revocation is None:
            raise Conflict(f"award {award.id} has no revocation status entry; re-issue it instead")
        validity = Validity(issued_at=award.issued_at, valid_from=award.valid_from, valid_until=award.valid_until)
        credential = build_document(
            context,
            parts,
            award.id,
            validity,
            list(award.evidence),
            status.entry_document(revocation, signing.base_url),
        )
        signed = _sign(context, credential, signing, utcnow().replace(microsecond=0))
        awards.replace_credential(session, award, signed)
        audit.record(
            session,
            "award.resigned",
            f"award:{award.id}",
            {"signing_key_id": str(signed.signing_key_id), "form": "standard contexts, one status entry"},
        )
        session.flush()
    return True
