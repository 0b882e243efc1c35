"""Partner organisations: employers, industry and professional bodies that review and endorse achievements.

A partner is an issuers' organisation with a partner row; it signs endorsements with its own key and did:web,
which live in `issuers`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microcred.audit import services as audit
from microcred.errors import Conflict, NotFound
from microcred.issuers import services as issuers
from microcred.issuers.services import Organisation
from microcred.partners.models import PARTNER_TYPES, Partner
from microcred.validation import as_uuid, one_of, optional_text


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
    """Every partner with its organisation, by organisation name (ordered by the database, as before)."""
    partners = {p.organisation_id: p for p in session.scalars(select(Partner))}
    return [(partners[o.id], o) for o in issuers.organisations_by_name(session, partners)]
