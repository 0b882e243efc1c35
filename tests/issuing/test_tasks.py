"""issuing.tasks / issuing.maintenance: the re-issue of what a key signed and the in-place re-signing, as jobs.
Run twice, at once in two threads, or again after a crash half-way: each award is done once (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jobs.helpers import FAST
from microcred import issuing, jobs
from microcred.audit import services as audit
from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.issuers import services as issuers
from microcred.issuing import maintenance
from microcred.issuing import tasks as issuing_tasks
from microcred.issuing.pipeline import Signing
from microcred.settings import Settings
from support.instance import test_settings

BASE = "http://127.0.0.1:8000"


@dataclass
class Rotated:
    org_id: uuid.UUID
    old_key: uuid.UUID
    new_key: uuid.UUID
    awards: list[uuid.UUID]  # signed with the old key, not revoked
    revoked: uuid.UUID


@pytest.fixture
def rotated(factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any],
            master_key: bytes, settings: Settings) -> Rotated:  # fmt: skip
    """Four awards, the last revoked (its status list job run), then the key rotated."""
    with session_scope(factory) as session:
        org = make_org(session)
        old = issuers.ensure_signing_key(session, org, master_key=master_key)
        achievement = make_achievement(session, org.id)
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@example.org")
        ids = [
            issuing.issue_award(
                session, achievement_id=achievement.id, earner_id=earner.id, base_url=BASE, master_key=master_key
            ).id
            for _ in range(4)
        ]
        award_lifecycle.revoke_award(session, ids[-1], reason="Revoked before the rotation")
        new = issuers.rotate_signing_key(session, org.id, master_key=master_key)
        world = Rotated(org.id, old.id, new.id, ids[:-1], ids[-1])
    assert _drain(settings, factory) == 1  # the revocation's status list job
    return world


@pytest.fixture
def settings(master_key: bytes) -> Settings:
    return test_settings(master_key, BASE)


def _replacements(factory: sessionmaker[Session], award_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID | None]:
    with factory() as session:
        return {a: award_queries.get_award(session, a).replaced_by_id for a in award_ids}


def _check_each_once(factory: sessionmaker[Session], world: Rotated) -> None:
    """Every old award is replaced once, by an award signed with the new key; the revoked one is left alone."""
    replaced = _replacements(factory, [*world.awards, world.revoked])
    assert replaced[world.revoked] is None
    with factory() as session:
        assert award_queries.awards_signed_with(session, world.old_key) == []
        for old_id in world.awards:
            new = award_queries.get_award(session, replaced[old_id])  # type: ignore[arg-type]
            assert new.replaces_id == old_id and new.signing_key_id == world.new_key
            assert new.replaced_by_id is None
        # no award was replaced twice
        assert len(award_queries.awards_signed_with(session, world.new_key)) == len(world.awards)
        assert audit.verify_chain(session).intact


def _drain(settings: Settings, factory: sessionmaker[Session]) -> int:
    return jobs.drain(settings, session_factory=factory, timing=FAST)


def test_the_reissue_job_runs_twice_and_reissues_each_award_once(
    factory: sessionmaker[Session], rotated: Rotated, settings: Settings
) -> None:
    with session_scope(factory) as session:
        first = issuing_tasks.enqueue_reissue(session, rotated.old_key, actor="cli:test")
        second = issuing_tasks.enqueue_reissue(session, rotated.old_key, actor="cli:test")
    assert _drain(settings, factory) == 2
    _check_each_once(factory, rotated)
    with factory() as session:
        assert {jobs.status(session, j).state for j in (first, second)} == {jobs.JobState.SUCCEEDED}
        entries = [json.loads(line) for line in audit.export_lines(session)]
    assert {e["actor"] for e in entries if e["action"] == "award.reissued"} == {"cli:test"}  # the enqueuer


def test_two_runs_at_once_reissue_each_award_once(
    factory: sessionmaker[Session], rotated: Rotated, master_key: bytes
) -> None:
    key_id, todo = maintenance.reissue_plan(factory, str(rotated.old_key))
    assert key_id == rotated.old_key and sorted(todo) == sorted(rotated.awards)
    results: list[list[tuple[uuid.UUID, uuid.UUID]]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(maintenance.reissue_awards(factory, key_id, todo, Signing(BASE, master_key)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2
    assert sorted(old for done in results for old, _ in done) == sorted(rotated.awards)  # each by one run
    _check_each_once(factory, rotated)


def test_a_job_cut_short_then_run_again_finishes_the_rest(
    factory: sessionmaker[Session], rotated: Rotated, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = maintenance.reissue
    calls: list[object] = []

    def crash_on_the_second(session: Session, award_id: Any, signing: Signing) -> Any:
        calls.append(award_id)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(session, award_id, signing)

    monkeypatch.setattr(maintenance, "reissue", crash_on_the_second)
    with pytest.raises(RuntimeError):
        issuing_tasks.reissue_signed_with_task(factory, settings, key_id=str(rotated.old_key))
    done = _replacements(factory, rotated.awards)
    assert [a for a in rotated.awards if done[a] is not None] == calls[:1]  # the first one committed, alone
    monkeypatch.setattr(maintenance, "reissue", real)
    issuing_tasks.reissue_signed_with_task(factory, settings, key_id=str(rotated.old_key))
    _check_each_once(factory, rotated)


def test_the_resign_all_job_resigns_earlier_forms_once(
    factory: sessionmaker[Session], rotated: Rotated, settings: Settings
) -> None:
    from microcred.awards.models import Award

    legacy = rotated.awards[0]
    with session_scope(factory) as session:  # an earlier form: no subject id
        award = session.get(Award, legacy)
        assert award is not None
        doc = json.loads(award.credential_json)
        del doc["credentialSubject"]["id"]
        award.credential_json = json.dumps(doc)
    assert maintenance.resign_plan(factory) == [("award", legacy)]
    with session_scope(factory) as session:
        job = issuing_tasks.enqueue_resign_all(session, actor="cli:test")
        issuing_tasks.enqueue_resign_all(session)
    assert _drain(settings, factory) == 2
    with factory() as session:
        assert jobs.status(session, job).state == jobs.JobState.SUCCEEDED
        stored = award_queries.get_award(session, legacy)
        assert award_queries.in_current_form(json.loads(stored.credential_json))
        assert stored.signing_key_id == rotated.new_key and stored.replaced_by_id is None
    assert maintenance.resign_plan(factory) == []
    assert maintenance.resign_all(factory, Signing(settings.base_url)).awards == 0
