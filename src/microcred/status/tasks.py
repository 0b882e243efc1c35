"""Status lists re-signed in the background (issue 15): the task ``status.resign_list`` and the calls that queue it.

A revocation, suspension or reinstatement (``awards.lifecycle``), a suspension carried over to a replacement, an
endorsement withdrawn, or a key rotation queues the list's job in the transaction that made the change, so the job
exists exactly when the change committed; a worker then signs the list, and the first verifier after the change
gets a list already signed. One waiting job per list is enough (queueing lock ``status-list:<id>``): the job reads
the list when it runs, so it signs every change committed before then.

The job is an optimisation, never the only path: `services.signed_list` still re-signs a list served while stale
(a change committed while the list's job was already running, say), so a served list is never out of date.
Running the job twice is harmless: a list that is fresh is left as it is.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session, sessionmaker

from microcred import jobs
from microcred.db import session_scope
from microcred.settings import Settings
from microcred.status import services as status

log = logging.getLogger(__name__)

RESIGN_TASK = "status.resign_list"


def lock_name(list_id: uuid.UUID | str) -> str:
    """The queueing lock of a list's job: at most one waits at a time."""
    return f"status-list:{list_id}"


@jobs.task(RESIGN_TASK, max_attempts=5)
def resign_list_task(session_factory: sessionmaker[Session], settings: Settings, list_id: str) -> None:
    """Sign the list again when it is out of date (a bit changed, or its organisation's key did); else nothing."""
    resign_list(session_factory, settings, list_id)


def resign_list(factory: sessionmaker[Session], settings: Settings, list_id: uuid.UUID | str) -> bool:
    """`services.signed_list` in its own unit of work, committed: True when the list was signed again."""
    from microcred.issuers import keystore

    with session_scope(factory) as session:
        signed = status.signed_list(
            session, list_id, base_url=settings.base_url, master_key=lambda: keystore.load_master_key(settings)
        )
    if signed.resigned:
        log.info("status list %s signed again", list_id)
    return signed.resigned


def queue_resign(session: Session, list_id: uuid.UUID | str) -> int | None:
    """Queue the list's job in the caller's transaction: its id, or None when one is already waiting (that one
    will sign this change too: it reads the list when it runs)."""
    try:
        return jobs.enqueue(session, RESIGN_TASK, args={"list_id": str(list_id)}, queueing_lock=lock_name(list_id))
    except jobs.AlreadyQueued:
        return None


def queue_resign_org(session: Session, org_id: uuid.UUID) -> list[int]:
    """Queue the job of every list of the organisation (after a key rotation or compromise: each list is then
    signed with the new key); the ids of the jobs queued (lists whose job was already waiting are left out)."""
    queued = (queue_resign(session, lst.id) for lst in status.list_lists(session, org_id))
    return [job_id for job_id in queued if job_id is not None]


def queue_resign_for_award(session: Session, award_id: uuid.UUID, purpose: str) -> int | None:
    """Queue the job of the list holding the award's ``purpose`` entry (after `services.set_bit` changed it)."""
    entry = next((e for e in status.entries_for_award(session, award_id) if e.purpose == purpose), None)
    return None if entry is None else queue_resign(session, entry.status_list_id)


def queue_resign_for_entry(session: Session, entry_id: uuid.UUID) -> int | None:
    """Queue the job of the list holding that entry (after `services.set_entry_bit` changed it)."""
    return queue_resign(session, status.get_entry(session, entry_id).status_list_id)
