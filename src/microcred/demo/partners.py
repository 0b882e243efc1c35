"""The demo's partner data (issue 7): Great Lakes Hospitality Group as an employer partner with its own key;
food safety endorsed and current, spreadsheet analysis endorsed 11 months ago (review due within 60 days), cyber
awareness whose endorsement expired (relevance lapsed: issuing refused) with a new request pending for the partner's
reviewer; occupations (ESCO when imported, NOC 2021, CIP 2021); the college requires a current endorsement.

Endorsements the demo awards should carry are signed before those awards; the lapsed one after them (the demo's
older awards of cyber awareness were issued while it was still relevant). Idempotent: fixed ids."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from microcred.catalog.services import add_months
from microcred.demo.ids import COLLEGE_ID, EMPLOYER_ID, Seeding, achievement_id, demo_id
from microcred.errors import NotFound
from microcred.issuers import services as issuers
from microcred.partners import demo as partners_seed
from microcred.partners import services as partners
from microcred.taxonomy import services as taxonomy

COOK = "http://data.europa.eu/esco/occupation/90f75f67-495d-49fa-ab57-2f320e251d7e"
ANSWERS = {
    "food-safety": partners.Answers(
        in_demand=True,
        in_demand_rationale="Every kitchen we staff needs certified food handlers; 40% of our 2026 postings ask "
        "for food safety training.",
        reflects_job_performance=True,
        job_performance_comment="The supervised practical in the teaching kitchen is what our chefs check on a "
        "first shift.",
        endorsement_comment="Great Lakes Hospitality Group co-designed this micro-credential and hires its holders.",
    ),
    "spreadsheet-analysis": partners.Answers(
        in_demand=True,
        in_demand_rationale="Our hotel managers analyse occupancy and food-cost data every week.",
        reflects_job_performance=True,
        job_performance_comment="The projects use real workplace data sets.",
        endorsement_comment="Useful for supervisors and assistant managers.",
    ),
    "cyber-awareness": partners.Answers(
        in_demand=True,
        in_demand_rationale="Front-desk staff handle guest payment data.",
        reflects_job_performance=True,
        job_performance_comment="The risk register mirrors our own incident process.",
        endorsement_comment="Endorsed for front-desk teams.",
    ),
}
OCCUPATIONS: dict[str, dict[str, Any]] = {
    "food-safety": {
        "esco": [COOK],
        "noc": [("63200", "Cooks")],
        "cip": ("12.0500", "Cooking and Related Culinary Arts, General"),
    },
    "cyber-awareness": {"noc": [("22220", "Computer network and web technicians")]},
}
LAPSED_REQUEST_MESSAGE = (
    "Our endorsement expired: the risk register now covers payment-card data. Could you review it again?"
)


@dataclass(frozen=True)
class Validity:
    valid_from: datetime
    valid_until: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _exists(run: Seeding, get: Callable[[Session, uuid.UUID], object], row_id: uuid.UUID) -> bool:
    """Whether ``get(session, id)`` finds the row (partners' getters raise NotFound when it is missing)."""
    try:
        get(run.session, row_id)
    except NotFound:
        return False
    return True


def _endorse(run: Seeding, key: str, validity: Validity) -> None:
    endorsement_id = demo_id(f"endorsement:{key}")
    if _exists(run, partners.get_endorsement, endorsement_id):
        return
    partners.sign_endorsement(
        run.session,
        endorsement_id=endorsement_id,
        achievement_id=achievement_id(key),
        partner_id=EMPLOYER_ID,
        answers=ANSWERS[key],
        base_url=run.base_url,
        master_key=run.master_key,
        valid_from=validity.valid_from,
        valid_until=validity.valid_until,
    )
    run.count("endorsements")


def _seed_occupations(run: Seeding) -> None:
    for key, codes in OCCUPATIONS.items():
        coded_id = achievement_id(key)
        if partners.labour_market_codes(run.session, coded_id):
            continue
        esco = [uri for uri in codes.get("esco", []) if taxonomy.find_occupation(run.session, uri) is not None]
        partners.set_labour_market_codes(
            run.session, coded_id, esco=esco, noc=codes.get("noc", []), cip=codes.get("cip")
        )


def seed_before_awards(run: Seeding) -> None:
    """The partner, its key, the occupations, and the two endorsements the demo awards carry."""
    if partners.find_partner(run.session, EMPLOYER_ID) is None:
        partners.register_partner(run.session, EMPLOYER_ID, partner_type="employer", sector="Hospitality")
        run.count("partners")
    issuers.ensure_signing_key(run.session, EMPLOYER_ID, master_key=run.master_key)
    _seed_occupations(run)
    now = _now()
    _endorse(run, "food-safety", Validity(now))
    # eleven months ago: the 12-month review is due within the 60-day reminder window
    _endorse(run, "spreadsheet-analysis", Validity(add_months(now, -11)))


def seed_after_awards(run: Seeding) -> None:
    """The lapsed endorsement, the pending request to renew it, and the college's policy requiring endorsements."""
    start = add_months(_now(), -14)
    _endorse(run, "cyber-awareness", Validity(start, add_months(start, 12)))  # expired two months ago: lapsed
    request_id = demo_id("endorsement-request:cyber-awareness")
    if not _exists(run, partners.get_request, request_id):
        partners_seed.add_pending_request(
            run.session,
            request_id=request_id,
            achievement_id=achievement_id("cyber-awareness"),
            partner_id=EMPLOYER_ID,
            message=LAPSED_REQUEST_MESSAGE,
        )
    if not partners.get_policy(run.session, COLLEGE_ID).require_endorsement:
        partners.set_policy(run.session, COLLEGE_ID, require_endorsement=True)
