"""Re-issue and re-sign in the background (issue 15): the tasks ``issuing.reissue_signed_with`` and
``issuing.resign_all``, and the calls that queue them (`microcred awards reissue --background`, `microcred keys
rotate --reissue`, `microcred keys compromised --reissue`).

Each task is the foreground command's own loop (``issuing.maintenance``): one transaction per credential, each row
locked and read afresh, what is already done skipped. So a job run twice, at once in two workers, or again after
its worker died half-way, does each credential once and finishes the rest. The audit log names the actor given at
enqueue time (the command line's ``cli:<user>``).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session, sessionmaker

from microcred import jobs
from microcred.audit.services import acting_as
from microcred.issuing import maintenance
from microcred.issuing.pipeline import Signing
from microcred.settings import Settings

log = logging.getLogger(__name__)

REISSUE_TASK = "issuing.reissue_signed_with"
RESIGN_ALL_TASK = "issuing.resign_all"
DEFAULT_ACTOR = "jobs"


def _signing(settings: Settings) -> Signing:
    from microcred.issuers import keystore

    return Signing(settings.base_url, keystore.load_master_key(settings))


@jobs.task(REISSUE_TASK, max_attempts=5)
def reissue_signed_with_task(
    session_factory: sessionmaker[Session], settings: Settings, key_id: str, actor: str = DEFAULT_ACTOR
) -> None:
    """Re-issue, with the organisation's current key, every award the key signed that was not re-issued yet."""
    with acting_as(actor):
        done = maintenance.reissue_signed_with(session_factory, key_id, _signing(settings))
    log.info("re-issued %d award(s) signed with key %s", len(done), key_id)


@jobs.task(RESIGN_ALL_TASK, max_attempts=5)
def resign_all_task(session_factory: sessionmaker[Session], settings: Settings, actor: str = DEFAULT_ACTOR) -> None:
    """Re-sign, in place, every endorsement and award stored in an earlier form."""
    with acting_as(actor):
        counts = maintenance.resign_all(session_factory, _signing(settings))
    log.info("re-signed %d award(s) and %d endorsement(s)", counts.awards, counts.endorsements)


def enqueue_reissue(session: Session, key_id: uuid.UUID, *, actor: str = DEFAULT_ACTOR) -> int:
    """Queue the re-issue of what the key signed, in the caller's transaction; the job's id."""
    return jobs.enqueue(session, REISSUE_TASK, args={"key_id": str(key_id), "actor": actor})


def enqueue_resign_all(session: Session, *, actor: str = DEFAULT_ACTOR) -> int:
    """Queue the in-place re-signing of every earlier form, in the caller's transaction; the job's id."""
    return jobs.enqueue(session, RESIGN_ALL_TASK, args={"actor": actor})
