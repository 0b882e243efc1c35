"""Demo accounts for `microcred demo`: a staff member of the demo college, a partner reviewer of the demo employer
and the first demo earner, each with a fresh one-time sign-in link (valid for a week) printed by the command."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from microcred.accounts import services as accounts
from microcred.demo.earners import EARNERS
from microcred.demo.ids import COLLEGE_ID, EMPLOYER_ID, demo_id
from microcred.earners import services as earners
from microcred.urls import sign_in_link_url

DEMO_LINK_LIFETIME = timedelta(days=7)
STAFF = {"email": "staff@northernlakes.example", "name": "Morgan Registrar", "role": "org_admin"}
REVIEWER = {"email": "reviewer@greatlakeshospitality.example", "name": "Jordan Partner", "role": "partner_reviewer"}


def seed_demo_users(session: Session, *, base_url: str) -> dict[str, str]:
    """Create the demo users that are missing; return a new sign-in link for each (role -> URL)."""
    links: dict[str, str] = {}
    for spec, org_id in ((STAFF, COLLEGE_ID), (REVIEWER, EMPLOYER_ID)):
        links[spec["role"]] = _staff_link(session, spec, org_id, base_url)
    earner = earners.find_earner_by_email(session, EARNERS[0]["email"])
    if earner is not None:
        user = accounts.user_for_sign_in(session, earner.email)
        assert user is not None
        token = accounts.issue_sign_in_token(session, user, lifetime=DEMO_LINK_LIFETIME)
        links["earner"] = sign_in_link_url(token, base_url)
    return links


def _staff_link(session: Session, spec: dict[str, str], org_id: uuid.UUID, base_url: str) -> str:
    """The demo user of ``spec`` (created the first time) and a new sign-in link for them."""
    user = accounts.find_user_by_email(session, spec["email"])
    if user is None:
        user = accounts.create_user(
            session,
            id=demo_id(f"user:{spec['email']}"),
            email=spec["email"],
            name=spec["name"],
            role=spec["role"],
            organisation_id=org_id,
        )
    token = accounts.issue_sign_in_token(session, user, lifetime=DEMO_LINK_LIFETIME)
    return sign_in_link_url(token, base_url)
