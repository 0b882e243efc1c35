"""status.tasks: a status bit change queues its list's re-signing (one waiting job per list), a key rotation
queues every list of the organisation; a worker then signs them, and the list served is fresh (SQLite and
PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jobs.helpers import FAST
from microcred import issuing, jobs
from microcred.awards import lifecycle as award_lifecycle
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.issuers import services as issuers
from microcred.settings import Settings
from microcred.status import services as status
from microcred.status import tasks as status_tasks
from microcred.vc.statuslist import Bitstring
from support.instance import test_settings, verifier_for

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def org(factory: sessionmaker[Session], make_org: Callable[..., Any], make_achievement: Callable[..., Any],
        master_key: bytes) -> tuple[uuid.UUID, list[uuid.UUID]]:  # fmt: skip
    """An organisation with a key and two awards: (its id, the award ids)."""
    with session_scope(factory) as session:
        organisation = make_org(session)
        issuers.ensure_signing_key(session, organisation, master_key=master_key)
        achievement = make_achievement(session, organisation.id)
        earner = earners.create_earner(session, name="Amara Okafor", email="amara@example.org")
        ids = [
            issuing.issue_award(
                session, achievement_id=achievement.id, earner_id=earner.id, base_url=BASE, master_key=master_key
            ).id
            for _ in range(2)
        ]
        return organisation.id, ids


@pytest.fixture
def settings(master_key: bytes) -> Settings:
    return test_settings(master_key, BASE)


def _entry(factory: sessionmaker[Session], award_id: uuid.UUID, purpose: str) -> tuple[uuid.UUID, int]:
    with factory() as session:
        entry = next(e for e in status.entries_for_award(session, award_id) if e.purpose == purpose)
        return entry.status_list_id, entry.list_index


def _waiting(factory: sessionmaker[Session], list_id: uuid.UUID) -> bool:
    """Whether the list's job is waiting: a second one is refused by the queueing lock (rolled back)."""
    with factory() as session:
        job_id = status_tasks.queue_resign(session, list_id)
        session.rollback()
    return job_id is None


def _drain(settings: Settings, factory: sessionmaker[Session]) -> int:
    return jobs.drain(settings, session_factory=factory, timing=FAST)


def _served(factory: sessionmaker[Session], list_id: uuid.UUID, master_key: bytes) -> status.SignedList:
    with session_scope(factory) as session:
        return status.signed_list(session, list_id, base_url=BASE, master_key=master_key)


def test_revocations_queue_one_job_per_list_and_the_worker_signs_the_list(
    factory: sessionmaker[Session], org: tuple[uuid.UUID, list[uuid.UUID]], settings: Settings, master_key: bytes
) -> None:
    first, second = org[1]
    list_id, index_1 = _entry(factory, first, "revocation")
    assert _entry(factory, second, "revocation")[0] == list_id
    before = _served(factory, list_id, master_key)
    assert not _waiting(factory, list_id)  # nothing changed yet: no job
    with session_scope(factory) as session:
        award_lifecycle.revoke_award(session, first, reason="Plagiarism (case 17)")
    assert _waiting(factory, list_id)
    with session_scope(factory) as session:
        award_lifecycle.revoke_award(session, second, reason="Plagiarism (case 18)")
    assert _drain(settings, factory) == 1  # the two revocations: one job
    assert not _waiting(factory, list_id)

    served = _served(factory, list_id, master_key)
    assert not served.resigned and served.etag != before.etag  # the worker signed it: served as stored
    bits = Bitstring.decode(served.document()["credentialSubject"]["encodedList"])
    assert bits.count() == 2 and bits.get(index_1) and bits.get(_entry(factory, second, "revocation")[1])
    check = verifier_for(factory, master_key, BASE).verify(served.document())
    assert check.verified, check.summary
    assert status_tasks.resign_list(factory, settings, list_id) is False  # run again: nothing to do
    assert _drain(settings, factory) == 0


def test_suspension_reinstatement_and_a_replacement_queue_the_suspension_list(
    factory: sessionmaker[Session], org: tuple[uuid.UUID, list[uuid.UUID]], settings: Settings, master_key: bytes
) -> None:
    award_id = org[1][0]
    list_id, index = _entry(factory, award_id, "suspension")
    with session_scope(factory) as session:
        award_lifecycle.suspend_award(session, award_id, reason="Complaint under review")
    assert _waiting(factory, list_id) and _drain(settings, factory) == 1
    assert Bitstring.decode(_served(factory, list_id, master_key).document()["credentialSubject"]["encodedList"]).get(
        index
    )
    with session_scope(factory) as session:  # the replacement carries the suspension over: its bit is set
        new_id = issuing.reissue_award(session, award_id, base_url=BASE, master_key=master_key).id
    new_list, new_index = _entry(factory, new_id, "suspension")
    assert _waiting(factory, new_list) and _drain(settings, factory) == 1
    served = _served(factory, new_list, master_key)
    assert not served.resigned
    assert Bitstring.decode(served.document()["credentialSubject"]["encodedList"]).get(new_index)
    with session_scope(factory) as session:
        award_lifecycle.reinstate_award(session, new_id)
    assert _waiting(factory, new_list) and _drain(settings, factory) == 1
    served = _served(factory, new_list, master_key)
    assert not served.resigned
    assert not Bitstring.decode(served.document()["credentialSubject"]["encodedList"]).get(new_index)


def test_after_a_rotation_every_list_is_signed_with_the_new_key(
    factory: sessionmaker[Session], org: tuple[uuid.UUID, list[uuid.UUID]], settings: Settings, master_key: bytes
) -> None:
    org_id = org[0]
    with factory() as session:
        list_ids = [lst.id for lst in status.list_lists(session, org_id)]
    assert len(list_ids) == 2  # revocation and suspension
    for list_id in list_ids:
        _served(factory, list_id, master_key)
    with session_scope(factory) as session:
        new_key = issuers.rotate_signing_key(session, org_id, master_key=master_key)
        queued = status_tasks.queue_resign_org(session, org_id)
        assert len(queued) == 2 and status_tasks.queue_resign_org(session, org_id) == []  # already waiting
    assert _drain(settings, factory) == 2
    verifier = verifier_for(factory, master_key, BASE)
    for list_id in list_ids:
        with factory() as session:
            assert status.get_list(session, list_id).signing_key_id == new_key.id
        served = _served(factory, list_id, master_key)
        assert not served.resigned
        assert served.document()["proof"][0]["verificationMethod"].endswith(new_key.public_key_multibase)
        check = verifier.verify(served.document())
        assert check.verified, check.summary
