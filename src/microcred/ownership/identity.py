"""Identity the earner controls: extra verified email addresses, claiming what was sent to them, merging two
earner records (both proven), and binding a did:key proven by signing a challenge (DID Auth).

Claim and merge are one mechanism: an earner signed in (proves account A) adds an address; the link mailed there
proves the mailbox. If that address already belongs to another earner record B (its primary address, or a verified
extra one), confirming it merges B into A: B's awards, evidence, results, records and accounts move to A and B's
addresses become A's verified addresses.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.awards import queries as awards
from microcred.db.base import utcnow
from microcred.earners import services as earners
from microcred.earners.services import Earner, EarnerEmail
from microcred.errors import Conflict, InvalidInput
from microcred.ownership import nonces
from microcred.ownership.erasure import OWNERS
from microcred.validation import optional_email
from microcred.vc.holder import DID_AUTH_TYP, HolderProofError, verify_holder_jwt

EMAIL_LINK_LIFETIME = timedelta(hours=24)
DID_AUTH = "did_auth"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def emails(session: Session, earner_id: uuid.UUID) -> list[EarnerEmail]:
    return earners.emails(session, earner_id)


def verified_addresses(session: Session, earner: Earner) -> list[str]:
    return [earner.email] + [e.email for e in emails(session, earner.id) if e.verified_at is not None]


def owner_of(session: Session, address: str, *, exclude: uuid.UUID | None = None) -> Earner | None:
    """The earner an address proves: their primary address, or a verified extra one."""
    earner = earners.find_earner_by_email(session, address)
    if earner is not None and earner.id == exclude:
        return None
    return earner


def add_email(session: Session, earner: Earner, email: str) -> tuple[EarnerEmail, str]:
    """A new (or renewed) unverified address and the one-time token for its verification link."""
    address = optional_email(email)
    if address is None:
        raise InvalidInput("email is required")
    if address in verified_addresses(session, earner):
        raise Conflict(f"{address} is already one of your verified addresses")
    row = earners.find_email(session, earner.id, address)
    if row is None:
        row = earners.add_email_row(session, earner.id, address)
    token = secrets.token_urlsafe(32)
    row.token_hash, row.token_expires_at = _hash(token), utcnow() + EMAIL_LINK_LIFETIME
    session.flush()
    return row, token


@dataclass(frozen=True)
class Confirmed:
    email: str
    merged_earner_id: uuid.UUID | None
    awards_claimed: int


def pending_email(session: Session, token: str) -> EarnerEmail | None:
    if not token or len(token) > 200:
        return None
    row = earners.email_by_token_hash(session, _hash(token))
    if row is None or row.token_expires_at is None or row.token_expires_at <= utcnow():
        return None
    return row


def confirm_email(session: Session, earner: Earner, token: str) -> Confirmed:
    """Verify the address behind ``token`` for ``earner`` (who must be the one who added it); merge its owner."""
    row = pending_email(session, token)
    if row is None or row.earner_id != earner.id:
        raise InvalidInput("this verification link is unknown, used or expired (links work for 24 hours)")
    other = owner_of(session, row.email, exclude=earner.id)
    moved = 0
    if other is not None:
        moved = merge_earners(session, earner, other)
    row.verified_at, row.token_hash, row.token_expires_at = utcnow(), None, None
    # the same address waiting for verification on other records is now settled
    earners.settle_address(session, row.email, verified_for=earner.id)
    audit.record(session, "earner.email_verified", f"earner:{earner.id}", {"merged": other is not None})
    session.flush()
    return Confirmed(email=row.email, merged_earner_id=other.id if other is not None else None, awards_claimed=moved)


def remove_email(session: Session, earner: Earner, email_id: uuid.UUID | str) -> None:
    row = earners.get_email(session, uuid.UUID(str(email_id)))
    if row is None or row.earner_id != earner.id:
        raise InvalidInput("no such address on your account")
    earners.delete_email(session, row)
    session.flush()


def merge_earners(session: Session, into: Earner, other: Earner) -> int:
    """Move everything of ``other`` to ``into``, keep ``other``'s addresses as verified ones, delete ``other``.

    Every owner of earner data (`ownership.erasure.OWNERS`) re-points its rows, in one savepoint: rows that cannot
    coexist (one account each, results for the same outcome...) make the whole merge a Conflict. Returns the
    number of awards moved. Both must already be proven by the caller (session + mailbox)."""
    if into.id == other.id:
        raise InvalidInput("an account cannot be merged with itself")
    for earner in (into, other):
        if earners.is_erased(session, earner.id):
            raise Conflict("an erased account cannot be merged")
    awards_moved = len(awards.list_awards(session, earner_id=other.id))
    kept = {into.email, *(e.email for e in emails(session, into.id))}
    addresses = [other.email] + [e.email for e in emails(session, other.id) if e.verified_at is not None]
    try:
        with session.begin_nested():
            earners.delete_emails_of(session, other.id)
            for owner in OWNERS:
                owner.move_earner_data(session, other.id, into.id)
            now = utcnow()
            for address in addresses:
                if address not in kept:
                    earners.add_email_row(session, into.id, address, verified_at=now)
                    kept.add(address)
            if into.did is None and other.did is not None:
                into.did = other.did
            session.flush()
            earners.delete_earner(session, other.id)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"these two accounts cannot be merged automatically: {exc.orig}") from None
    session.expire_all()
    audit.record(session, "earner.merged", f"earner:{into.id}", {"merged_earner_id": str(other.id),
                                                                 "awards_moved": awards_moved})
    return awards_moved


# -- DID Auth ---------------------------------------------------------------------------------------
def did_challenge(session: Session, earner: Earner) -> str:
    return nonces.new_nonce(session, DID_AUTH, earner_id=earner.id)


def bind_did(session: Session, earner: Earner, proof: str, *, audience: str) -> str:
    """Check a JWS (typ JWT, kid = a did:key URL, payload {aud: audience, iat, nonce: challenge}); bind its DID.

    Credentials issued afterwards name that DID as ``credentialSubject.id``."""
    try:
        checked = verify_holder_jwt(proof.strip(), typ=DID_AUTH_TYP, audience=audience)
    except HolderProofError as exc:
        raise InvalidInput(f"the signed challenge was not accepted: {exc}") from None
    if not nonces.use_nonce(session, DID_AUTH, checked.nonce, earner_id=earner.id):
        raise InvalidInput("the challenge is unknown, used or expired: ask for a new one")
    earner.did = checked.did
    audit.record(session, "earner.did_bound", f"earner:{earner.id}",
                 {"did_sha256": hashlib.sha256(checked.did.encode()).hexdigest()})
    session.flush()
    return checked.did


def unbind_did(session: Session, earner: Earner) -> None:
    earner.did = None
    audit.record(session, "earner.did_unbound", f"earner:{earner.id}", {})
    session.flush()

