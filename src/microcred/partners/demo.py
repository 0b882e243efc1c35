"""The demo's partner data (issue 7): Great Lakes Hospitality Group as an employer partner with its own key;
food safety endorsed and current, spreadsheet analysis endorsed 11 months ago (review due within 60 days), cyber
awareness whose endorsement expired (relevance lapsed: issuing refused) with a new request pending for the partner's
reviewer; occupations (ESCO when imported, NOC 2021, CIP 2021); the college requires a current endorsement.

Endorsements the demo awards should carry are signed before those awards; the lapsed one after them (the demo's
older awards of cyber awareness were issued while it was still relevant). Idempotent: fixed ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from microcred.catalog.services import add_months
from microcred.issuers import services as issuers
from microcred.partners import services as partners
from microcred.partners.models import Endorsement, EndorsementRequest
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


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _endorse(
    session: Session,
    key: str,
    *,
    base_url: str,
    master_key: bytes | None,
    created: dict[str, int],
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> None:
    from microcred import demo

    endorsement_id = demo.demo_id(f"endorsement:{key}")
    if session.get(Endorsement, endorsement_id) is not None:
        return
    partners.sign_endorsement(
        session,
        endorsement_id=endorsement_id,
        achievement_id=demo.demo_id(f"achievement:{key}"),
        partner_id=demo.EMPLOYER_ID,
        answers=ANSWERS[key],
        base_url=base_url,
        master_key=master_key,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    created["endorsements"] = created.get("endorsements", 0) + 1


def seed_before_awards(session: Session, *, base_url: str, master_key: bytes | None, created: dict[str, int]) -> None:
    from microcred import demo

    if partners.find_partner(session, demo.EMPLOYER_ID) is None:
        partners.register_partner(session, demo.EMPLOYER_ID, partner_type="employer", sector="Hospitality")
        created["partners"] = created.get("partners", 0) + 1
    issuers.ensure_signing_key(session, demo.EMPLOYER_ID, master_key=master_key)
    for key, codes in OCCUPATIONS.items():
        achievement_id = demo.demo_id(f"achievement:{key}")
        if partners.labour_market_codes(session, achievement_id):
            continue
        esco = [uri for uri in codes.get("esco", []) if taxonomy.find_occupation(session, uri) is not None]
        partners.set_labour_market_codes(
            session, achievement_id, esco=esco, noc=codes.get("noc", []), cip=codes.get("cip")
        )
    now = _now()
    _endorse(session, "food-safety", base_url=base_url, master_key=master_key, created=created, valid_from=now)
    # eleven months ago: the 12-month review is due within the 60-day reminder window
    _endorse(
        session,
        "spreadsheet-analysis",
        base_url=base_url,
        master_key=master_key,
        created=created,
        valid_from=add_months(now, -11),
    )


def seed_after_awards(session: Session, *, base_url: str, master_key: bytes | None, created: dict[str, int]) -> None:
    from microcred import demo

    now = _now()
    start = add_months(now, -14)
    _endorse(
        session,
        "cyber-awareness",
        base_url=base_url,
        master_key=master_key,
        created=created,
        valid_from=start,
        valid_until=add_months(start, 12),  # expired two months ago: relevance lapsed
    )
    request_id = demo.demo_id("endorsement-request:cyber-awareness")
    if session.get(EndorsementRequest, request_id) is None:
        session.add(
            EndorsementRequest(
                id=request_id,
                achievement_id=demo.demo_id("achievement:cyber-awareness"),
                partner_id=demo.EMPLOYER_ID,
                message="Our endorsement expired: the risk register now covers payment-card data. Could you "
                "review it again?",
                status="pending",
            )
        )
        session.flush()
        from microcred.audit import services as audit

        audit.record(
            session,
            "endorsement.requested",
            f"endorsement_request:{request_id}",
            {"achievement_id": str(demo.demo_id("achievement:cyber-awareness")), "partner_id": str(demo.EMPLOYER_ID)},
        )
    if not partners.get_policy(session, demo.COLLEGE_ID).require_endorsement:
        partners.set_policy(session, demo.COLLEGE_ID, require_endorsement=True)
