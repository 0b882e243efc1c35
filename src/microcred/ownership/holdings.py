"""What the ownership features hold about an earner, for erasure and merge (registered in
`microcred.ownership.erasure` like every other owner): sharing choices, wallet offers and deliveries of their awards,
and their holder nonces are deleted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from microcred.ownership.models import CredentialShare, HolderNonce, WalletDelivery, WalletOffer

TABLES = frozenset({"wallet_offers", "wallet_deliveries", "credential_shares", "holder_nonces"})


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def erase_earner_data(session: Session, earner_id: uuid.UUID, award_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    counts = {"holder_nonces": _count(session.execute(delete(HolderNonce).where(HolderNonce.earner_id == earner_id)))}
    if award_ids:
        for name, model in (("wallet_offers", WalletOffer), ("wallet_deliveries", WalletDelivery),
                            ("credential_shares", CredentialShare)):
            counts[name] = _count(session.execute(delete(model).where(model.award_id.in_(award_ids))))
    return counts


def move_earner_data(session: Session, from_id: uuid.UUID, into_id: uuid.UUID) -> None:
    """Nonces follow the earner; offers, deliveries and shares point at awards, which keep their ids."""
    session.execute(update(HolderNonce).where(HolderNonce.earner_id == from_id).values(earner_id=into_id))
