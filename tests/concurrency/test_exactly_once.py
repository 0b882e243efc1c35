"""Issue 12, point 3: every state transition happens exactly once, on SQLite and PostgreSQL, across OS processes.

For each transition, N=4 spawned processes attempt it at the same moment, each in its own transaction: exactly one
succeeds, the others get a Conflict (the web layer's 409) and write nothing: one event, one audit entry (and one
audit entry only: the chain grows by what ONE success writes), one status-bit change, one replacement award.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred import issuing
from microcred.accounts import services as accounts
from microcred.audit import services as audit
from microcred.audit.models import AuditEntry
from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.awards.models import Award, AwardStatusEvent
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.earners.models import EarnerErasure
from microcred.partners import services as partners
from microcred.partners.models import Endorsement
from microcred.status.models import StatusList
from microcred.transcripts import pathways
from microcred.transcripts.models import PathwayCompletion
from support.concurrent_transitions import BASE, REASON, attempt, warm

N = 4


@pytest.fixture(scope="module")
def pool() -> Iterator[Any]:
    """N worker processes (spawn), started and warmed once for the module."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(N) as workers:
        pids = {r.get(timeout=120) for r in [workers.apply_async(warm) for _ in range(N)]}
        assert len(pids) == N  # one warm-up per process: the attempts below run in N different processes
        yield workers


def race(pool: Any, db_url: str, master_key: bytes, transition: str, target: dict[str, str]) -> list[str]:
    start_at = time.time() + 0.4
    pending = [pool.apply_async(attempt, (db_url, master_key, transition, target, start_at)) for _ in range(N)]
    return [p.get(timeout=60) for p in pending]


@dataclass
class World:
    org_id: uuid.UUID
    achievement_id: uuid.UUID
    earner_id: uuid.UUID
    award_id: uuid.UUID
    extra: dict[str, uuid.UUID] = field(default_factory=dict)


@pytest.fixture
def world(
    factory: sessionmaker[Session],
    make_org: Callable[..., Any],
    make_achievement: Callable[..., Any],
    master_key: bytes,
) -> World:
    with session_scope(factory) as session:
        org = make_org(session)
        achievement = make_achievement(session, org.id)
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@learner.example")
        award = issuing.issue_award(
            session, achievement_id=achievement.id, earner_id=earner.id, base_url=BASE, master_key=master_key
        )
        return World(org.id, achievement.id, earner.id, award.id)


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _audit(session: Session, action: str, subject: str | None = None) -> int:
    where = [AuditEntry.action == action] + ([AuditEntry.subject == subject] if subject else [])
    return _count(session, AuditEntry, *where)


def _snapshot(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    """(last audit seq, awards, sum of status list versions): what a transition may change."""
    with factory() as session:
        versions = session.scalar(select(func.coalesce(func.sum(StatusList.version), 0)))
        seq = session.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0)))
        return int(seq or 0), _count(session, Award), int(versions or 0)


def _new_actions(factory: sessionmaker[Session], since: int) -> list[str]:
    """The audit entries written since ``since``, sorted: exactly what ONE success writes, nothing from the 409s."""
    with factory() as session:
        return sorted(session.scalars(select(AuditEntry.action).where(AuditEntry.seq > since)))


def _report(db_url: str, transition: str, outcomes: list[str], events: int) -> None:
    dialect = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    print(
        f"\nexactly once [{dialect}] {transition}: {len(outcomes)} attempts, {outcomes.count('ok')} ok, "
        f"{outcomes.count('conflict')} conflict (409), {outcomes.count('noop')} nothing to do, "
        f"{events} event(s) written"
    )


def _one_winner(outcomes: list[str]) -> None:
    assert sorted(outcomes) == ["conflict"] * (N - 1) + ["ok"], outcomes


def _check_chain(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        chain = audit.verify_chain(session)
    assert chain.intact, chain.reason


# -- revoke, suspend, reinstate ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("transition", "action", "status", "purpose"),
    [
        ("revoke", "revoked", "revoked", "revocation"),
        ("suspend", "suspended", "suspended", "suspension"),
        ("reinstate", "reinstated", "active", "suspension"),
    ],
)
def test_status_transition_once(
    pool: Any,
    db_url: str,
    factory: sessionmaker[Session],
    world: World,
    master_key: bytes,
    transition: str,
    action: str,
    status: str,
    purpose: str,
) -> None:
    from microcred.status import services as status_services

    if transition == "reinstate":
        with session_scope(factory) as session:
            award_lifecycle.suspend_award(session, world.award_id, reason=REASON)
    audit_before, awards_before, versions_before = _snapshot(factory)

    outcomes = race(pool, db_url, master_key, transition, {"award": str(world.award_id)})

    _one_winner(outcomes)
    with factory() as session:
        events = _count(
            session, AwardStatusEvent, AwardStatusEvent.award_id == world.award_id, AwardStatusEvent.action == action
        )
        assert events == 1
        assert _audit(session, f"award.{action}", f"award:{world.award_id}") == 1
        assert award_queries.get_award(session, world.award_id).status == status
        assert status_services.award_flag(session, world.award_id, purpose) is (transition != "reinstate")
    assert _new_actions(factory, audit_before) == [f"award.{action}"]
    assert _snapshot(factory)[1:] == (awards_before, versions_before + 1)  # no new award, one bit flipped once
    _check_chain(factory)
    _report(db_url, transition, outcomes, events)


# -- renew, re-issue ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("transition", "kind"), [("renew", "renewal"), ("reissue", "reissue")])
def test_replacement_once(
    pool: Any, db_url: str, factory: sessionmaker[Session], world: World, master_key: bytes, transition: str, kind: str
) -> None:
    audit_before, awards_before, _ = _snapshot(factory)

    outcomes = race(pool, db_url, master_key, transition, {"award": str(world.award_id)})

    _one_winner(outcomes)
    action = {"renewal": "award.renewed", "reissue": "award.reissued"}[kind]
    with factory() as session:
        replacements = list(session.scalars(select(Award).where(Award.replaces_id == world.award_id)))
        assert len(replacements) == 1 and replacements[0].replacement == kind
        assert award_queries.get_award(session, world.award_id).replaced_by_id == replacements[0].id
        assert _audit(session, action, f"award:{world.award_id}") == 1
        assert _audit(session, "award.issued") == 2  # the original and its one replacement
    assert _new_actions(factory, audit_before) == sorted(["award.issued", action])
    assert _snapshot(factory)[1] == awards_before + 1
    _check_chain(factory)
    _report(db_url, transition, outcomes, len(replacements))


# -- endorsements: one signature per request, revoked once --------------------------------------------------------
def _partner_world(session: Session, world: World) -> tuple[Any, Any, Any]:
    partner_org, _partner = partners.create_partner(
        session,
        partner_type="employer",
        sector="Hospitality",
        name="Great Lakes Hospitality Group",
        country="CA",
        email="talent@greatlakes.example",
    )
    reviewer = accounts.create_user(
        session,
        email="reviewer@greatlakes.example",
        name="Jordan Partner",
        role="partner_reviewer",
        organisation_id=partner_org.id,
    )
    request, _notes = partners.request_endorsement(
        session, achievement_id=world.achievement_id, partner_id=partner_org.id, base_url=BASE
    )
    return partner_org, reviewer, request


def test_endorsement_signed_once_per_request(
    pool: Any, db_url: str, factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    with session_scope(factory) as session:
        _org, reviewer, request = _partner_world(session, world)
    audit_before, _, _ = _snapshot(factory)

    outcomes = race(
        pool, db_url, master_key, "sign_endorsement", {"request": str(request.id), "reviewer": str(reviewer.id)}
    )

    _one_winner(outcomes)
    with factory() as session:
        signed = _count(session, Endorsement, Endorsement.request_id == request.id)
        assert signed == 1
        assert partners.get_request(session, request.id).status == "endorsed"
        assert _audit(session, "endorsement.answered", f"endorsement_request:{request.id}") == 1
        assert _audit(session, "endorsement.signed") == 1
    # the partner's signing key is made on its first signature, in the same (one) transaction
    assert _new_actions(factory, audit_before) == ["endorsement.answered", "endorsement.signed", "key.created"]
    _check_chain(factory)
    _report(db_url, "endorsement sign", outcomes, signed)


def test_endorsement_revoked_once(
    pool: Any, db_url: str, factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    from microcred.status import services as status_services

    with session_scope(factory) as session:
        _org, reviewer, request = _partner_world(session, world)
        _row, endorsement, _notes = partners.answer_request(
            session,
            request.id,
            reviewer_id=reviewer.id,
            answers=partners.Answers(True, "In demand.", True, "Reflects the job."),
            decision="endorse",
            base_url=BASE,
            master_key=master_key,
        )
        assert endorsement is not None
    audit_before, _, versions_before = _snapshot(factory)

    outcomes = race(pool, db_url, master_key, "revoke_endorsement", {"endorsement": str(endorsement.id)})

    _one_winner(outcomes)
    with factory() as session:
        events = _audit(session, "endorsement.revoked", f"endorsement:{endorsement.id}")
        assert events == 1
        row = partners.get_endorsement(session, endorsement.id)
        assert row.revoked_at is not None and row.status_entry_id is not None
        assert status_services.get_entry(session, row.status_entry_id).is_set
    assert _new_actions(factory, audit_before) == ["endorsement.revoked"]
    assert _snapshot(factory)[2] == versions_before + 1
    _check_chain(factory)
    _report(db_url, "endorsement revoke", outcomes, events)


# -- pathway completion: one completion and one pathway credential per earner and pathway ----------------------
def _pathway(session: Session, world: World, make_achievement: Callable[..., Any], **kw: Any) -> tuple[Any, Any]:
    second = make_achievement(session, world.org_id, name="Knife Skills")
    cert = make_achievement(session, world.org_id, name="Kitchen Certificate", achievement_type="Certificate")
    pathways.create_pathway(session, achievement_id=cert.id, components=[world.achievement_id, second.id], **kw)
    return second, cert


def test_pathway_completed_once_when_its_last_part_is_issued_concurrently(
    pool: Any,
    db_url: str,
    factory: sessionmaker[Session],
    world: World,
    master_key: bytes,
    make_achievement: Callable[..., Any],
) -> None:
    """The earner holds part 1; four processes issue part 2 at once: four part-2 awards (issuing twice is allowed),
    but one completion and one pathway credential."""
    with session_scope(factory) as session:
        second, cert = _pathway(session, world, make_achievement)
    audit_before, _, _ = _snapshot(factory)

    outcomes = race(pool, db_url, master_key, "issue", {"achievement": str(second.id), "earner": str(world.earner_id)})

    assert outcomes == ["ok"] * N, outcomes
    with factory() as session:
        completions = _count(session, PathwayCompletion, PathwayCompletion.earner_id == world.earner_id)
        assert completions == 1
        assert _count(session, Award, Award.achievement_id == cert.id) == 1
        assert _count(session, Award, Award.achievement_id == second.id) == N
        assert _audit(session, "pathway.completed") == 1
        assert _audit(session, "pathway.credential_issued") == 1
    expected = ["award.issued"] * (N + 1) + ["pathway.completed", "pathway.credential_issued"]
    assert _new_actions(factory, audit_before) == expected
    _check_chain(factory)
    _report(db_url, "pathway completion (last part issued by 4 at once)", outcomes, completions)


def test_pathway_completion_approved_once(
    pool: Any,
    db_url: str,
    factory: sessionmaker[Session],
    world: World,
    master_key: bytes,
    make_achievement: Callable[..., Any],
) -> None:
    with session_scope(factory) as session:
        second, cert = _pathway(session, world, make_achievement, issue_mode="approval")
        issuing.issue_award(session, achievement_id=second.id, earner_id=world.earner_id, base_url=BASE,
                           master_key=master_key)  # fmt: skip
        completion = session.scalars(select(PathwayCompletion)).one()
        assert completion.status == "pending"
    audit_before, awards_before, _ = _snapshot(factory)

    outcomes = race(pool, db_url, master_key, "approve_completion", {"completion": str(completion.id)})

    _one_winner(outcomes)
    with factory() as session:
        issued = _count(session, Award, Award.achievement_id == cert.id)
        assert issued == 1
        assert _audit(session, "pathway.approved") == 1
        assert _audit(session, "pathway.credential_issued") == 1
    assert _new_actions(factory, audit_before) == ["award.issued", "pathway.approved", "pathway.credential_issued"]
    assert _snapshot(factory)[1] == awards_before + 1
    _check_chain(factory)
    _report(db_url, "pathway completion approval", outcomes, issued)


# -- erasure ----------------------------------------------------------------------------------------------
def test_erasure_once(pool: Any, db_url: str, factory: sessionmaker[Session], world: World, master_key: bytes) -> None:
    audit_before, _, _ = _snapshot(factory)

    outcomes = race(pool, db_url, master_key, "erase", {"earner": str(world.earner_id)})

    _one_winner(outcomes)
    with factory() as session:
        events = _audit(session, "earner.erased", f"earner:{world.earner_id}")
        assert events == 1
        assert _count(session, EarnerErasure, EarnerErasure.earner_id == world.earner_id) == 1
    assert _new_actions(factory, audit_before) == ["earner.erased"]
    _check_chain(factory)
    _report(db_url, "erasure", outcomes, events)


# -- re-signing in place (awards reissue --all) ------------------------------------------------------------
def test_resigning_in_place_once(
    pool: Any, db_url: str, factory: sessionmaker[Session], world: World, master_key: bytes
) -> None:
    """An award stored in an earlier form (its credentialStatus a list); four processes re-sign it at once: one
    does, the others find it in the current form (False: nothing to do) and write nothing."""
    import json

    with session_scope(factory) as session:
        award = award_queries.get_award(session, world.award_id)
        document = json.loads(award.credential_json)
        document["credentialStatus"] = [document["credentialStatus"]]
        award.credential_json = json.dumps(document)
        assert not award_queries.in_current_form(document)
    audit_before, awards_before, _ = _snapshot(factory)

    outcomes = race(pool, db_url, master_key, "resign", {"award": str(world.award_id)})

    assert sorted(outcomes) == ["noop"] * (N - 1) + ["ok"], outcomes
    assert _new_actions(factory, audit_before) == ["award.resigned"]
    with factory() as session:
        document = award_queries.credential_document(award_queries.get_award(session, world.award_id))
        assert award_queries.in_current_form(document)
    assert _snapshot(factory)[1] == awards_before
    _check_chain(factory)
    _report(db_url, "re-sign in place", outcomes, 1)
