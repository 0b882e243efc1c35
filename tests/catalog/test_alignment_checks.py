"""Outcome kind vs aligned concept: warnings the author must confirm (against a tiny ESCO-shaped import)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred.catalog import services as catalog
from microcred.catalog.models import Achievement
from microcred.db import session_scope
from microcred.taxonomy import services as taxonomy
from taxonomy.synthetic import SKILL, write_esco_folder


@pytest.fixture
def imported(factory: sessionmaker[Session], tmp_path: Path) -> None:
    with session_scope(factory) as session:
        taxonomy.import_esco(session, write_esco_folder(tmp_path / "esco-v1.0.0"))


def _outcome(kind: str, suffix: str, label: str = "concept") -> dict[str, Any]:
    return {
        "statement": f"A {kind} outcome.",
        "kind": kind,
        "alignments": [{"target_url": SKILL + suffix, "target_name": label, "target_framework": "ESCO v1.0.0"}],
    }


def _create(session: Session, make_org: Callable[..., Any], outcomes: list[dict[str, Any]], **kw: Any) -> Any:
    return catalog.create_achievement(
        session,
        issuer_id=make_org(session).id,
        name="Bread",
        description="Bread.",
        criteria_narrative="Bake.",
        workload_hours=5,
        outcomes=outcomes,
        **kw,
    )


def test_matching_kinds_raise_no_warning(
    imported: None, factory: sessionmaker[Session], make_org: Callable[..., Any]
) -> None:
    with session_scope(factory) as session:
        achievement = _create(
            session,
            make_org,
            [_outcome("knowledge", "k1"), _outcome("skill", "s1"), _outcome("attitude", "t1")],
            confirm_warnings=False,
        )
        assert catalog.alignment_warnings(achievement) == []


def test_mismatches_need_confirmation_and_are_kept_once_confirmed(
    imported: None, factory: sessionmaker[Session], make_org: Callable[..., Any]
) -> None:
    outcomes = [
        _outcome("knowledge", "s1"),  # a skill concept
        _outcome("attitude", "t2"),  # transversal, but T2 thinking: not an attitude group
        _outcome("skill", "g-T3", "self-management skills"),  # a group, not a concept
        _outcome("skill", "nowhere"),  # unknown
        _outcome("skill", "s2"),  # fits
    ]
    with factory() as session:
        with pytest.raises(catalog.AlignmentWarnings) as refused:
            _create(session, make_org, outcomes, confirm_warnings=False)
        warnings = refused.value.warnings
        assert [w.split(":")[0] for w in warnings] == [
            "outcome 1, alignment 1",
            "outcome 2, alignment 1",
            "outcome 3, alignment 1",
            "outcome 4, alignment 1",
        ]
        assert "is a skill concept" in warnings[0] and "knead bread dough" in warnings[0]
        assert "skill group" in warnings[2]
        assert "not a concept of any imported framework" in warnings[3]
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Achievement)) == 0
    with session_scope(factory) as session:
        achievement = _create(session, make_org, outcomes, confirm_warnings=True)
        assert catalog.alignment_warnings(achievement) == warnings
        group = achievement.outcomes[2].alignments[0]
        assert group.target_code == "T3"  # filled from the framework
        assert achievement.outcomes[4].alignments[0].kind_warning is None


def test_add_outcome_checks_too(imported: None, factory: sessionmaker[Session], make_org: Callable[..., Any]) -> None:
    with session_scope(factory) as session:
        achievement = _create(session, make_org, [_outcome("skill", "s1")], confirm_warnings=False)
        achievement_id = achievement.id
    with factory() as session, pytest.raises(catalog.AlignmentWarnings, match="knowledge outcome"):
        catalog.add_outcome(session, achievement_id, _outcome("knowledge", "s2"), confirm_warnings=False)
