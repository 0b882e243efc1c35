"""issuing: the pipeline runs the registered steps (gates, contributors, after-issue hooks) in order, inside one
savepoint; a step is any object with the protocol's shape (`microcred.issuance`), registered in issuing.registry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing
from microcred.awards import queries as awards
from microcred.awards.models import Award
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.errors import InvalidInput
from microcred.issuance import (
    AfterIssue,
    Contributor,
    CredentialParts,
    Gate,
    IssueContext,
    IssueFunction,
    IssueRequest,
)
from microcred.issuing import registry
from microcred.vc import ob

BASE = "http://127.0.0.1:8000"


@dataclass
class World:
    achievement_id: uuid.UUID
    second_id: uuid.UUID
    earner_id: uuid.UUID


@pytest.fixture
def world(factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any]) -> World:
    with session_scope(factory) as session:
        org = make_org(session)
        first = make_achievement(session, org.id)
        second = make_achievement(session, org.id, name="Allergen Awareness")
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@example.org")
        return World(first.id, second.id, earner.id)


def _awards(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Award)) or 0)


@dataclass
class RefusingGate:
    name: str = "test-refusal"
    checked: list[uuid.UUID] = field(default_factory=list)

    def applies(self, request: IssueRequest) -> bool:
        return request.enforce_relevance

    def check(self, context: IssueContext) -> None:
        self.checked.append(context.achievement.id)
        raise InvalidInput(f"refused by the test gate for {context.achievement.name}")


@dataclass
class ExtraEvidence:
    name: str = "test-evidence"
    recorded: list[uuid.UUID] = field(default_factory=list)

    def contribute(self, context: IssueContext, parts: CredentialParts) -> None:
        parts.evidence.append(ob.EvidenceItem(name="Added by a contributor", narrative="From the test step."))

    def record(self, context: IssueContext, parts: CredentialParts, award_id: uuid.UUID) -> None:
        self.recorded.append(award_id)


@dataclass
class FollowUp:
    """Issues the second achievement once, after the first."""

    second_id: uuid.UUID
    name: str = "test-follow-up"
    seen: list[uuid.UUID] = field(default_factory=list)

    def after_issue(self, context: IssueContext, award_id: uuid.UUID, issue: IssueFunction) -> None:
        self.seen.append(award_id)
        if context.achievement.id != self.second_id:
            issue(context.session, IssueRequest(achievement_id=self.second_id, earner_id=context.earner.id))


def test_registry_runs_the_owners_steps_in_order() -> None:
    assert [g.name for g in registry.GATES] == ["prerequisites", "relevance"]
    assert [c.name for c in registry.CONTRIBUTORS] == ["assessment", "issuer-results", "transcript", "endorsements"]
    assert [h.name for h in registry.AFTER_ISSUE] == ["pathways"]
    # the test steps below have the protocols' shape (mypy checks these assignments)
    gate: Gate = RefusingGate()
    contributor: Contributor = ExtraEvidence()
    hook: AfterIssue = FollowUp(uuid.uuid4())
    assert gate.name and contributor.name and hook.name


def test_a_gate_refuses_with_its_reason_and_nothing_is_written(
    factory: sessionmaker[Session], world: World, master_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = RefusingGate()
    monkeypatch.setattr(registry, "GATES", (*registry.GATES, gate))
    with factory() as session:
        with pytest.raises(InvalidInput, match="refused by the test gate for Food Safety Fundamentals"):
            issuing.issue(
                session,
                IssueRequest(achievement_id=world.achievement_id, earner_id=world.earner_id),
                issuing.Signing(BASE, master_key),
            )
        session.commit()  # a caller that commits what is left finds nothing half-written
    with factory() as session:
        assert _awards(session) == 0
    assert gate.checked == [world.achievement_id]


def test_a_gate_the_request_waives_does_not_run(
    factory: sessionmaker[Session], world: World, master_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = RefusingGate()
    monkeypatch.setattr(registry, "GATES", (*registry.GATES, gate))
    with session_scope(factory) as session:
        award = issuing.issue(
            session,
            IssueRequest(achievement_id=world.achievement_id, earner_id=world.earner_id, enforce_relevance=False),
            issuing.Signing(BASE, master_key),
        )
        assert award.achievement_id == world.achievement_id
    assert gate.checked == []


def test_a_contributor_adds_its_part_and_records_once_the_award_exists(
    factory: sessionmaker[Session], world: World, master_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = ExtraEvidence()
    monkeypatch.setattr(registry, "CONTRIBUTORS", (*registry.CONTRIBUTORS, step))
    with session_scope(factory) as session:
        award = issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            base_url=BASE,
            master_key=master_key,
        )
        document = awards.credential_document(award)
    names = [e.get("name") for e in document["evidence"]]
    assert "Added by a contributor" in names
    assert step.recorded == [award.id]


def test_after_issue_hooks_may_issue_follow_ups_in_the_same_transaction(
    factory: sessionmaker[Session], world: World, master_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = FollowUp(world.second_id)
    monkeypatch.setattr(registry, "AFTER_ISSUE", (*registry.AFTER_ISSUE, hook))
    with factory() as session:
        first = issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            base_url=BASE,
            master_key=master_key,
        )
        session.rollback()  # the follow-up is part of the same unit of work: both go
    with factory() as session:
        assert _awards(session) == 0
    assert hook.seen[0] == first.id and len(hook.seen) == 2  # the first award, then its follow-up
    with session_scope(factory) as session:
        issuing.issue_award(
            session,
            achievement_id=world.achievement_id,
            earner_id=world.earner_id,
            base_url=BASE,
            master_key=master_key,
        )
    with factory() as session:
        held = {a.achievement_id for a in awards.list_awards(session, earner_id=world.earner_id)}
    assert held == {world.achievement_id, world.second_id}


def test_unknown_request_fields_are_refused_by_name(factory: sessionmaker[Session], world: World) -> None:
    with factory() as session, pytest.raises(TypeError, match="colour"):
        issuing.issue_award(
            session, achievement_id=world.achievement_id, earner_id=world.earner_id, base_url=BASE, colour="red"
        )
