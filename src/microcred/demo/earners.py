"""The demo's two earners, found again by their email address (a second run creates none)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from microcred.demo.ids import Seeding, demo_id
from microcred.earners import services as earners

EARNERS: list[dict[str, Any]] = [
    {"key": "amara", "name": "Amara Okafor", "email": "amara.okafor@learner.example"},
    {"key": "liam", "name": "Liam Tremblay", "email": "liam.tremblay@learner.example"},
]


def earner_email(key: str) -> str:
    return str(next(p["email"] for p in EARNERS if p["key"] == key))


def find_earner_id(session: Session, key: str) -> uuid.UUID:
    """The id of the demo earner ``key`` ("amara", "liam"), looked up by address: the seed must have run."""
    earner = earners.find_earner_by_email(session, earner_email(key))
    assert earner is not None
    return earner.id


def seed_earners(run: Seeding) -> None:
    for person in EARNERS:
        if earners.find_earner_by_email(run.session, person["email"]) is None:
            earners.create_earner(
                run.session, id=demo_id(f"earner:{person['key']}"), name=person["name"], email=person["email"]
            )
            run.count("earners")
