"""Demo ownership data for `microcred demo`: the first demo earner has a share-enabled credential (public, with a
chosen evidence display), a second verified address and a bound did:key (a fixed demo wallet key), and gets a fresh
OID4VCI offer link each run. Idempotent."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from microcred.audit.services import acting_as
from microcred.awards import queries as award_queries
from microcred.demo.earners import EARNERS
from microcred.demo.ids import demo_id
from microcred.earners import demo as earners_seed
from microcred.earners import services as earners
from microcred.ownership import oid4vci, sharing
from microcred.vc import Ed25519Key

SECOND_EMAIL = "amara@personal.example"
# Not a secret: a published demo key, so a scripted demo wallet can prove it holds the bound DID.
DEMO_WALLET_KEY = Ed25519Key.from_seed(hashlib.sha256(b"microcred demo wallet (public, never use)").digest())


@dataclass(frozen=True)
class OwnershipDemo:
    earner_id: uuid.UUID
    award_id: uuid.UUID
    did: str
    offer: oid4vci.Offer


def seed_ownership_demo(session: Session, *, base_url: str) -> OwnershipDemo | None:
    with acting_as("demo"):  # audit entries of the seed name the demo as their actor
        return _seed(session, base_url=base_url)


def _seed(session: Session, *, base_url: str) -> OwnershipDemo | None:
    earner = earners.find_earner_by_email(session, EARNERS[0]["email"])
    if earner is None:
        return None
    held = award_queries.list_awards(session, earner_id=earner.id)
    active = [a for a in held if a.status == "active" and a.replaced_by_id is None]
    if not active:
        return None
    award = active[-1]  # the oldest current one
    if sharing.share_choice(session, award.id) == sharing.ShareChoice():
        sharing.set_share_choice(session, award, public=True, hidden_evidence=[])
    earners_seed.ensure_verified_email(session, earner.id, SECOND_EMAIL, email_id=demo_id(f"email:{SECOND_EMAIL}"))
    earners_seed.bind_published_did(session, earner, DEMO_WALLET_KEY.did_key)
    offer = oid4vci.create_offer(session, award, base_url=base_url, with_tx_code=False)
    return OwnershipDemo(earner_id=earner.id, award_id=award.id, did=DEMO_WALLET_KEY.did_key, offer=offer)
