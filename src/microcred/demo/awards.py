"""The demo's signed awards: three current ones with evidence, a revoked, a suspended and an expired one, and two
from the institute signed either side of its key rotation.

Every demo award is issued through `issue` (one call to the issuing pipeline for the whole demo)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from microcred import issuing
from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.demo.assessments import assess
from microcred.demo.catalog import PRIVACY, seed_privacy
from microcred.demo.earners import find_earner_id
from microcred.demo.ids import Seeding, achievement_id, demo_id
from microcred.demo.issuers import rotate_institute_key_once, seed_institute

# (earner, achievement, evidence)
AWARDS: list[tuple[str, str, list[dict[str, Any]]]] = [
    (
        "amara",
        "food-safety",
        [
            {
                "name": "Practical kitchen assessment",
                "narrative": "Prepared and stored three dishes under supervision; all temperature and "
                "labelling checks passed.",
                "genre": "Assessment",
                "audience": "Employers",
            }
        ],
    ),
    (
        "amara",
        "spreadsheet-analysis",
        [
            {
                "name": "Final analysis project",
                "description": "Analysis of a regional food bank's monthly intake data.",
                "url": "https://www.northernlakes.example/portfolio/amara-okafor/food-bank-analysis",
                "genre": "Project",
            }
        ],
    ),
    (
        "liam",
        "cyber-awareness",
        [
            {
                "name": "Risk register",
                "narrative": "One-page risk register for a family-run hardware store.",
                "genre": "Written work",
            }
        ],
    ),
]
# (name, earner, achievement, what happens to it)
LIFECYCLE_AWARDS: list[tuple[str, str, str]] = [
    ("revoked", "liam", "food-safety"),
    ("suspended", "liam", "spreadsheet-analysis"),
    ("expired", "amara", "cyber-awareness"),
]
LIFECYCLE_EVIDENCE = [
    {"name": "Final assessment", "narrative": "Assessed by the programme team.", "genre": "Assessment"}
]
EXPIRED_FROM = datetime(2024, 1, 15, tzinfo=UTC)
EXPIRED_UNTIL = datetime(2025, 1, 15, tzinfo=UTC)
ROTATED = (("rotated-old", "amara"), ("rotated-new", "liam"))  # signed before / after the institute's rotation


def is_issued(run: Seeding, award_id: uuid.UUID) -> bool:
    return award_queries.find_award(run.session, award_id) is not None


def issue(
    run: Seeding,
    award_id: uuid.UUID,
    issued_for: tuple[uuid.UUID, uuid.UUID],
    evidence: Sequence[dict[str, Any]],
    **extra: Any,
) -> None:
    """Issue one demo award (``issued_for`` = (achievement id, earner id)), signed with the instance's keys."""
    for_achievement, earner_id = issued_for
    issuing.issue_award(
        run.session,
        award_id=award_id,
        achievement_id=for_achievement,
        earner_id=earner_id,
        evidence=evidence,
        base_url=run.base_url,
        master_key=run.master_key,
        **extra,
    )
    run.count("awards")


def seed_awards(run: Seeding) -> list[uuid.UUID]:
    """The three current awards, each after its earner's assessment; returns their ids (the first is featured)."""
    award_ids = []
    for earner_key, achievement_key, evidence in AWARDS:
        award_id = demo_id(f"award:{earner_key}:{achievement_key}")
        award_ids.append(award_id)
        if not is_issued(run, award_id):
            earner_id = find_earner_id(run.session, earner_key)
            assess(run, achievement_key, earner_key)
            issue(run, award_id, (achievement_id(achievement_key), earner_id), evidence)
    return award_ids


def seed_lifecycle(run: Seeding) -> dict[str, uuid.UUID]:
    """A revoked, a suspended and an expired award, and an organisation whose key was rotated after it issued."""
    out = _seed_status_changes(run)
    seed_institute(run)
    privacy_id = seed_privacy(run)
    for name, earner_key in ROTATED:
        award_id = demo_id(f"award:{name}:{earner_key}:{PRIVACY['key']}")
        out[name] = award_id
        if not is_issued(run, award_id):
            issue(run, award_id, (privacy_id, find_earner_id(run.session, earner_key)), LIFECYCLE_EVIDENCE)
        if name == "rotated-old":
            rotate_institute_key_once(run)
    return out


def _seed_status_changes(run: Seeding) -> dict[str, uuid.UUID]:
    out: dict[str, uuid.UUID] = {}
    for name, earner_key, achievement_key in LIFECYCLE_AWARDS:
        award_id = demo_id(f"award:{name}:{earner_key}:{achievement_key}")
        out[name] = award_id
        if is_issued(run, award_id):
            continue
        expired = name == "expired"
        assess(run, achievement_key, earner_key)
        issue(
            run,
            award_id,
            (achievement_id(achievement_key), find_earner_id(run.session, earner_key)),
            LIFECYCLE_EVIDENCE,
            valid_from=EXPIRED_FROM if expired else None,
            valid_until=EXPIRED_UNTIL if expired else None,
        )
        if name == "revoked":
            award_lifecycle.revoke_award(run.session, award_id, reason="Demo: assessment found to be compromised.")
        elif name == "suspended":
            award_lifecycle.suspend_award(run.session, award_id, reason="Demo: under review after a complaint.")
    return out
