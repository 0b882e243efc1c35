"""Work over many stored credentials, one transaction each: re-issue what a key signed, re-sign earlier forms.

The one implementation behind `microcred awards reissue` (in the foreground, with its progress bar) and behind the
jobs ``issuing.reissue_signed_with`` and ``issuing.resign_all`` (``issuing.tasks``). Both may run more than once,
and at once in two workers: each credential's row is locked and read afresh before it is touched, and one that is
already done (replaced, re-signed, revoked or erased meanwhile) is skipped, so a run cut short and started again
finishes the rest and each credential is done once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from microcred.awards import lifecycle as award_lifecycle
from microcred.awards import queries as award_queries
from microcred.db import session_scope
from microcred.earners import services as earners
from microcred.issuers import services as issuers
from microcred.issuing.pipeline import Signing, resign
from microcred.issuing.renewal import reissue
from microcred.partners import services as partners

Advance = Callable[[], None]
ResignItem = tuple[str, uuid.UUID]  # ("endorsement" | "award", id)


def _noop() -> None:
    return None


# -- re-issue what a key signed -----------------------------------------------------------------------------
def reissue_plan(factory: sessionmaker[Session], key_ref: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """The key (by id or publicKeyMultibase; NotFound otherwise) and the awards it signed that still need a new
    credential (not replaced, not revoked, earner not erased), oldest first."""
    with factory() as session:
        key_id = issuers.find_any_signing_key(session, key_ref).id
        return key_id, award_queries.awards_signed_with(session, key_id)


def reissue_one(
    session: Session, award_id: uuid.UUID, key_id: uuid.UUID, signing: Signing
) -> award_queries.Award | None:
    """Re-issue one award signed with ``key_id``: the new award, or None when there is nothing left to do (it was
    replaced, revoked or erased meanwhile, e.g. by another run). The row is locked first, so of two runs at once
    the second waits, then sees the first one's replacement."""
    award = award_lifecycle.lock_award(session, award_id)
    if (
        award.signing_key_id != key_id
        or award.replaced_by_id is not None
        or award.status == "revoked"
        or earners.is_erased(session, award.earner_id)
    ):
        return None
    return reissue(session, award.id, signing)


def reissue_awards(
    factory: sessionmaker[Session],
    key_id: uuid.UUID,
    todo: list[uuid.UUID],
    signing: Signing,
    advance: Advance = _noop,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Re-issue each award of ``todo`` in its own transaction; (old id, new id) of those re-issued by this run."""
    done: list[tuple[uuid.UUID, uuid.UUID]] = []
    for award_id in todo:
        with session_scope(factory) as session:
            new = reissue_one(session, award_id, key_id, signing)
            if new is not None:
                done.append((award_id, new.id))
        advance()
    return done


def reissue_signed_with(
    factory: sessionmaker[Session], key_ref: str, signing: Signing
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Every award signed with the key that still needs it, re-issued (the job ``issuing.reissue_signed_with``)."""
    key_id, todo = reissue_plan(factory, key_ref)
    return reissue_awards(factory, key_id, todo, signing)


# -- re-sign earlier forms in place -------------------------------------------------------------------------
@dataclass
class ResignCounts:
    """How many of each kind this run re-signed (those already in the current form are not counted)."""

    counts: dict[str, int] = field(default_factory=lambda: {"endorsement": 0, "award": 0})

    @property
    def awards(self) -> int:
        return self.counts["award"]

    @property
    def endorsements(self) -> int:
        return self.counts["endorsement"]


def resign_plan(factory: sessionmaker[Session]) -> list[ResignItem]:
    """Endorsements, then awards, stored in an earlier form (endorsements first: awards embed their re-signed
    documents)."""
    with factory() as session:
        endorsements = partners.endorsements_to_resign(session)
        award_ids = award_queries.awards_to_resign(session)
    return [("endorsement", e) for e in endorsements] + [("award", a) for a in award_ids]


def resign_one(session: Session, item: ResignItem, signing: Signing) -> bool:
    """Re-sign one endorsement or award in place; False when it already is in the current form (each locks its row
    and reads it afresh first)."""
    kind, item_id = item
    if kind == "endorsement":
        return partners.resign_endorsement(session, item_id, base_url=signing.base_url, master_key=signing.master_key)
    return resign(session, item_id, signing)


def resign_items(
    factory: sessionmaker[Session], todo: list[ResignItem], signing: Signing, advance: Advance = _noop
) -> ResignCounts:
    """Re-sign each item of ``todo`` in its own transaction."""
    result = ResignCounts()
    for item in todo:
        with session_scope(factory) as session:
            changed = resign_one(session, item, signing)
        result.counts[item[0]] += int(changed)
        advance()
    return result


def resign_all(factory: sessionmaker[Session], signing: Signing) -> ResignCounts:
    """Every endorsement and award in an earlier form, re-signed in place (the job ``issuing.resign_all``)."""
    return resign_items(factory, resign_plan(factory), signing)


# -- after a key rotation or compromise ---------------------------------------------------------------------
@dataclass(frozen=True)
class QueuedJob:
    """A job queued after a rotation: ``kind`` is "resign_status_lists" (the organisation's status lists, each
    re-signed with the new key) or "reissue" (what ``key_id`` signed, re-issued under the new key)."""

    job_id: int
    kind: str
    key_id: uuid.UUID | None = None


def queue_after_rotation(
    session: Session, org_id: uuid.UUID, old_key_ids: list[uuid.UUID], *, reissue: bool, actor: str
) -> list[QueuedJob]:
    """In the rotation's (or compromise's) transaction: queue the re-signing of the organisation's status lists
    with its new key and, with ``reissue``, the re-issue of what each old key signed; the jobs queued, lists first
    (a list whose job was already waiting is not queued twice). The one implementation behind `microcred keys
    rotate|compromised` and the console's keys page."""
    from microcred.issuing import tasks as issuing_tasks  # tasks imports this module
    from microcred.status import tasks as status_tasks

    queued = [QueuedJob(job_id, "resign_status_lists") for job_id in status_tasks.queue_resign_org(session, org_id)]
    for key_id in old_key_ids if reissue else []:
        queued.append(QueuedJob(issuing_tasks.enqueue_reissue(session, key_id, actor=actor), "reissue", key_id))
    return queued
