"""An assessed achievement (a rubric per outcome, one scored), an earner, and an evidence store under tmp_path."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from microcred.assessments import services as assessments
from microcred.assessments.storage import FolderStore
from microcred.catalog import services as catalog
from microcred.db import session_scope
from microcred.earners import services as earners

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n"
LEVELS = [
    {"name": "Beginning", "description": "Needs prompts", "points": 1},
    {"name": "Proficient", "description": "Works unaided", "points": 2},
    {"name": "Exemplary", "description": "Could coach others", "points": 3},
]


def rubrics() -> list[dict[str, Any]]:
    return [
        {"outcome": 1, "levels": LEVELS, "required_level": "Proficient"},
        {"outcome": 2, "score": {"min": 0, "max": 100, "required": 70}},
        {"outcome": 3, "levels": ["Not yet", "Consistently"], "required_level": 2},
    ]


@dataclass
class Assessed:
    org_id: uuid.UUID
    achievement_id: uuid.UUID
    outcome_ids: list[uuid.UUID]
    earner_id: uuid.UUID


@pytest.fixture
def store(tmp_path: Path) -> FolderStore:
    return FolderStore(tmp_path / "evidence")


@pytest.fixture
def assessed(
    factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> Assessed:
    with session_scope(factory) as session:
        org = make_org(session)
        achievement = make_achievement(session, org.id, publish=False)
        assessments.define_assessment(
            session, achievement.id, method="observed_performance", identity_verified=True, rubrics=rubrics()
        )
        catalog.publish_achievement(session, achievement.id)
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@example.org")
        return Assessed(org.id, achievement.id, [o.id for o in achievement.outcomes], earner.id)
