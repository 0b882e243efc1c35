"""CLR 2.0: the earner's signed achievement credentials bundled in one ClrCredential signed by the institution."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from microcred import urls
from microcred.audit import services as audit
from microcred.awards import queries as award_queries
from microcred.awards import queries as awards
from microcred.awards.queries import Award
from microcred.catalog import services as catalog
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.earners.services import Earner
from microcred.errors import InvalidInput, NotFound
from microcred.issuers import services as issuers
from microcred.issuers.services import Organisation
from microcred.transcripts import pathways, records
from microcred.vc import ob, sign_data_integrity
from microcred.vc.clr import Association, build_clr_credential
from microcred.vc.errors import SchemaValidationError


def find_earner(session: Session, ref: str) -> Earner:
    """An earner by email address or id (the CLI's EARNER argument)."""
    text = (ref or "").strip()
    if "@" in text:
        earner = earners.find_earner_by_email(session, text)
        if earner is None:
            raise NotFound(f"no earner with email {text!r}")
        return earner
    return earners.get_earner(session, text)


def current_awards(
    session: Session,
    earner_id: uuid.UUID,
    *,
    include_expired: bool = False,
    of_issuer: uuid.UUID | str | None = None,
) -> list[Award]:
    """The earner's active (not revoked or suspended), current (not replaced) awards, oldest first. A CLR holds only
    those that verify now (not expired); a registrar transcript also lists expired ones (they were earned). With
    ``of_issuer``, only the awards of that organisation's achievements (a registrar of one organisation on a shared
    instance sees and signs for its own, never another's)."""
    held = award_queries.current_awards(session, earner_id, include_expired=include_expired)
    if of_issuer is None:
        return held
    org_id = uuid.UUID(str(of_issuer))
    return [a for a in held if catalog.get_achievement(session, a.achievement_id).issuer_id == org_id]


def transcript_issuer(session: Session, earner_awards: list[Award], issuer_id: uuid.UUID | str | None) -> Organisation:
    """The institution that signs the record: ``issuer_id``, else the one holding most of the earner's awards
    (an institution before other kinds when tied)."""
    if issuer_id is not None:
        return issuers.get_organisation(session, issuer_id)
    counts: Counter[uuid.UUID] = Counter(
        catalog.get_achievement(session, a.achievement_id).issuer_id for a in earner_awards
    )
    orgs = [issuers.get_organisation(session, oid) for oid in counts]
    orgs.sort(key=lambda o: (-counts[o.id], o.kind != "institution", o.name))
    return orgs[0]


def associations(
    session: Session, earner_id: uuid.UUID, achievement_ids: set[uuid.UUID], base_url: str
) -> list[Association]:
    """Pathway stacking (``isParentOf`` / ``isPartOf``) and prerequisites (``precedes``) between achievements that
    are both in the record."""
    out: list[Association] = []
    for parent, children in pathways.completed_parts(session, earner_id):
        if parent not in achievement_ids:
            continue
        parent_url = urls.achievement_url(parent, base_url)
        for child in children:
            if child in achievement_ids:
                child_url = urls.achievement_url(child, base_url)
                out.append(Association("isParentOf", parent_url, child_url))
                out.append(Association("isPartOf", child_url, parent_url))
    for achievement_id in sorted(achievement_ids):
        for required in records.prerequisites(session, achievement_id):
            if required.id in achievement_ids:
                out.append(
                    Association(
                        "precedes",
                        urls.achievement_url(required.id, base_url),
                        urls.achievement_url(achievement_id, base_url),
                    )
                )
    return out


def issue_clr(
    session: Session,
    earner_ref: str,
    *,
    base_url: str,
    master_key: bytes | None = None,
    issuer_id: uuid.UUID | str | None = None,
    only_issuer: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A signed ClrCredential (Data Integrity, eddsa-rdfc-2022) holding every current award of the earner (with
    ``only_issuer``, only those of ``issuer_id``'s achievements)."""
    earner = find_earner(session, earner_ref)
    if only_issuer and issuer_id is None:
        raise InvalidInput("only_issuer needs issuer_id: the organisation whose awards the record holds")
    held = current_awards(session, earner.id, of_issuer=issuer_id if only_issuer else None)
    if not held:
        raise InvalidInput("this earner holds no active credential: there is nothing to put in a CLR")
    org = transcript_issuer(session, held, issuer_id)
    moment = (now or utcnow()).replace(microsecond=0)
    clr_id = uuid.uuid4()
    try:
        unsigned = build_clr_credential(
            credential_id=f"urn:uuid:{clr_id}",
            issuer=issuers.issuer_profile(org, base_url),
            subject=ob.SubjectIdentity(did=earner.did, email=earner.email, salt=earner.salt),
            name=f"Comprehensive Learner Record — {org.name}",
            description=f"{len(held)} credential(s) issued through {org.name}'s microcred instance.",
            credentials=[awards.credential_document(a) for a in held],
            valid_from=moment,
            associations=associations(session, earner.id, {a.achievement_id for a in held}, base_url),
            partial=False,
        )
    except SchemaValidationError as exc:
        raise InvalidInput(str(exc)) from exc
    material = issuers.signing_material(session, org, base_url=base_url, master_key=master_key)
    signed = sign_data_integrity(unsigned, material.key, material.verification_method, created=moment)
    audit.record(
        session,
        "transcript.clr_issued",
        f"earner:{earner.id}",
        {
            "clr_id": f"urn:uuid:{clr_id}",
            "issuer_id": str(org.id),
            "signing_key_id": str(material.key_id),
            "award_ids": [str(a.id) for a in held],
        },
    )
    return signed
