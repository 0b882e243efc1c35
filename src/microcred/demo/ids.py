"""The demo's fixed ids and the state one seeding run carries (the bottom of the demo package: imports no other
demo module).

Every id is a uuid5 of a stable name, so running the demo twice finds what it made the first time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from microcred.assessments.storage import EvidenceStore

_NS = uuid.UUID("5b0f7c52-93a4-4d0e-9f0e-6d1c2a7e3b10")


def demo_id(name: str) -> uuid.UUID:
    """Deterministic ids: running the demo twice finds what it made the first time."""
    return uuid.uuid5(_NS, name)


def achievement_id(key: str) -> uuid.UUID:
    """The id of the demo achievement ``key`` (e.g. ``"food-safety"``)."""
    return demo_id(f"achievement:{key}")


COLLEGE_ID = demo_id("org:northern-lakes-college")
EMPLOYER_ID = demo_id("org:great-lakes-hospitality-group")
INSTITUTE_ID = demo_id("org:lakeshore-institute")  # rotated its key: older credentials still verify


def new_counts() -> dict[str, int]:
    """What one run created, by kind; these five always print (in this order), the others when they occur."""
    return {"organisations": 0, "achievements": 0, "earners": 0, "assessment records": 0, "awards": 0}


@dataclass(frozen=True)
class Seeding:
    """One seeding run: the unit of work, where the documents point, the key material, and what was created.

    One parameter instead of five for every seed step; ``created`` is shared and counted into as the run goes
    (it is what `microcred demo` prints).
    """

    session: Session
    base_url: str
    master_key: bytes | None = None
    store: EvidenceStore | None = None
    created: dict[str, int] = field(default_factory=new_counts)

    def count(self, what: str) -> None:
        """One more ``what`` created (a key appears the first time something of its kind is created)."""
        self.created[what] = self.created.get(what, 0) + 1
