"""catalog: achievements with typed outcomes and alignments; publishing rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from conftest import outcome_dicts
from microcred.catalog import services as catalog
from microcred.catalog.services import AlignmentInput, OutcomeInput
from microcred.db import session_scope
from microcred.errors import InvalidInput, NotFound


def test_create_published_achievement(
    factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> None:
    with session_scope(factory) as session:
        org = make_org(session)
        achievement_id = make_achievement(session, org.id).id
    with factory() as session:
        achievement = catalog.get_achievement(session, achievement_id)
        assert achievement.status == "published"
        assert achievement.achievement_type == "MicroCredential"
        assert achievement.language == "en"
        assert achievement.workload_hours == 20.0 and achievement.credits == 0.5
        assert [o.kind for o in achievement.outcomes] == ["knowledge", "skill", "attitude"]
        assert [o.position for o in achievement.outcomes] == [0, 1, 2]
        alignment = achievement.outcomes[0].alignments[0]
        assert alignment.target_url.startswith("http://data.europa.eu/esco/skill/")
        assert alignment.target_framework == "ESCO v1.1.1"
        assert catalog.get_published_achievement(session, achievement_id) is achievement
        assert "published" in repr(achievement) and "knowledge" in repr(achievement.outcomes[0])
        assert "esco" in repr(alignment)


def test_dataclass_inputs(session: Session, make_org: Callable[..., Any]) -> None:
    org = make_org(session)
    achievement = catalog.create_achievement(
        session,
        issuer_id=org.id,
        name="Dataclass input",
        description="d",
        criteria_narrative="c",
        workload_hours=1.5,
        image="data:image/png;base64,iVBORw0KGgo=",
        outcomes=[
            OutcomeInput(
                "Know things.",
                "knowledge",
                [AlignmentInput("http://data.europa.eu/esco/skill/7ee4c2ea-b349-4bd2-81a3-ec31475d4833", "statistics")],
            )
        ],
        publish=True,
    )
    assert achievement.outcomes[0].alignments[0].target_framework == "ESCO v1.1.1"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"outcomes": []}, "at least one learning outcome"),
        ({"outcomes": [{"statement": "x", "kind": "value", "alignments": []}]}, "kind must be one of"),
        ({"outcomes": [{"statement": " ", "kind": "skill"}]}, "statement is required"),
        ({"outcomes": [{"statement": "x", "kind": "skill", "extra": 1}]}, "unknown learning outcome field"),
        ({"outcomes": ["not an object"]}, "must be an object"),
        (
            {
                "outcomes": [
                    {"statement": "x", "kind": "skill", "alignments": [{"target_url": "nope", "target_name": "n"}]}
                ]
            },
            "target_url must be an http",
        ),
        (
            {"outcomes": [{"statement": "x", "kind": "skill", "alignments": [{"target_name": "n"}]}]},
            "needs target_url",
        ),
        ({"outcomes": [{"statement": "x", "kind": "skill", "alignments": [{"bogus": 1}]}]}, "unknown alignment"),
        ({"outcomes": [{"statement": "x", "kind": "skill", "alignments": ["x"]}]}, "must be an object"),
        ({"workload_hours": 0}, "workload_hours must be a positive"),
        ({"workload_hours": None}, "workload_hours is required"),
        ({"workload_hours": "many"}, "must be a number"),
        ({"workload_hours": True}, "must be a number"),
        ({"credits": -1}, "credits must be a non-negative"),
        ({"image": "javascript:alert(1)"}, "image"),
        ({"name": ""}, "name is required"),
        ({"criteria_url": "not a url"}, "criteria_url"),
    ],
)
def test_validation(
    session: Session,
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    overrides: dict[str, Any],
    message: str,
) -> None:
    org = make_org(session)
    with pytest.raises(InvalidInput, match=message):
        make_achievement(session, org.id, **overrides)


def test_publishing_requires_an_alignment_per_outcome(
    session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> None:
    org = make_org(session)
    with pytest.raises(InvalidInput, match="has no alignment"):
        make_achievement(session, org.id, outcomes=outcome_dicts(aligned=False))
    draft = make_achievement(session, org.id, outcomes=outcome_dicts(aligned=False), publish=False)
    assert draft.status == "draft"
    with pytest.raises(InvalidInput, match="not published"):
        catalog.get_published_achievement(session, draft.id)
    with pytest.raises(InvalidInput, match="has no alignment"):
        catalog.publish_achievement(session, draft.id)

    aligned = make_achievement(session, org.id, name="Second", publish=False)
    catalog.add_outcome(session, aligned.id, outcome_dicts()[0])
    assert len(aligned.outcomes) == 4 and aligned.outcomes[-1].position == 3
    assert catalog.publish_achievement(session, aligned.id).status == "published"
    with pytest.raises(InvalidInput, match="cannot change"):
        catalog.add_outcome(session, aligned.id, outcome_dicts()[0])


def test_lookup_and_listing(
    session: Session, make_org: Callable[..., Any], make_achievement: Callable[..., Any]
) -> None:
    college = make_org(session)
    other = make_org(session, name="Other")
    published = make_achievement(session, college.id)
    draft = make_achievement(session, college.id, name="Draft", publish=False)
    foreign = make_achievement(session, other.id, name="Foreign")
    assert catalog.list_achievements(session) == [published, draft, foreign]
    assert catalog.list_achievements(session, issuer_id=college.id) == [published, draft]
    assert catalog.list_achievements(session, status="draft") == [draft]
    with pytest.raises(InvalidInput):
        catalog.list_achievements(session, status="archived")
    with pytest.raises(NotFound):
        catalog.get_achievement(session, uuid.uuid4())
    assert catalog.find_achievement(session, "nonsense") is None
    with pytest.raises(NotFound):
        make_achievement(session, uuid.uuid4())  # unknown issuer
