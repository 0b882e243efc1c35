"""Allocate status-list indexes (random, never reused, safe across processes), flip bits, serve signed lists.

Allocation: a random index is inserted under the unique constraint (list, index) inside a savepoint; a
collision (same index taken by this or another transaction, even one not yet committed on PostgreSQL, which
makes the second inserter wait and then fail) rolls back the savepoint and retries with another index. When
random picks keep colliding the free indexes are read and one of them is drawn; a list with none left is marked
full and the next list of that organisation and purpose is started (again under a unique constraint).

Bulk issuance reserves a chunk's indexes in one step (`reserve`, in a short transaction of its own, so that two
workers' chunks never wait on each other's uncommitted entries); inside `using_reservation`, `allocate_for_award`
takes reserved entries instead of inserting new ones, and entries left unattached when the chunk commits are
deleted (they were never in a committed credential). A chunk that never commits leaves its reserved entries
unattached: gaps, never reused by a credential.

List credentials are signed lazily, when served, and only when a bit changed (``version``) or the
organisation's active key changed since the last signature.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Subquery, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from microcred.db.base import utcnow
from microcred.db.rows import get_row
from microcred.errors import Conflict, InvalidInput
from microcred.issuers import services as issuers
from microcred.status.models import STATUS_PURPOSES, StatusEntry, StatusList
from microcred.vc import sign_data_integrity
from microcred.vc.statuslist import MIN_ENTRIES, Bitstring, status_entry, status_list_credential

LIST_SIZE = MIN_ENTRIES  # 131,072 entries (16 KiB): the spec's minimum, for herd privacy
RANDOM_TRIES = 16
RESERVE_TRIES = 5
_RESERVATION = "microcred_status_reservation"  # Session.info key: the reservation `using_reservation` hands out
LIST_TTL_SECONDS = 300  # how long verifiers may cache a list (Cache-Control max-age and the list's ttl)


def list_url(list_id: uuid.UUID | str, base_url: str) -> str:
    """The stable URL of a status list credential: `<base_url>/status/<list_id>`."""
    return f"{base_url.rstrip('/')}/status/{list_id}"


def _purpose(purpose: str) -> str:
    if purpose not in STATUS_PURPOSES:
        raise InvalidInput(f"status purpose must be one of {', '.join(STATUS_PURPOSES)} (got {purpose!r})")
    return purpose


def _open_list(session: Session, org_id: uuid.UUID, purpose: str) -> StatusList:
    """The organisation's list with room for this purpose, started (sequence + 1) when none has room."""
    for _ in range(20):
        current = session.scalars(
            select(StatusList)
            .where(StatusList.organisation_id == org_id, StatusList.purpose == purpose, StatusList.full.is_(False))
            .order_by(StatusList.sequence)
            .limit(1)
        ).first()
        if current is not None:
            return current
        last = session.scalar(
            select(func.max(StatusList.sequence)).where(
                StatusList.organisation_id == org_id, StatusList.purpose == purpose
            )
        )
        created = StatusList(
            id=uuid.uuid4(),
            organisation_id=org_id,
            purpose=purpose,
            sequence=(last or 0) + 1,
            size=LIST_SIZE,
            full=False,
            version=0,
            created_at=utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(created)
                session.flush()
            return created
        except IntegrityError:
            continue  # another transaction started that list first: use it
    raise Conflict(f"could not open a {purpose} status list (too much contention); try again")


def _try_insert(session: Session, lst: StatusList, index: int) -> StatusEntry | None:
    entry = StatusEntry(id=uuid.uuid4(), status_list_id=lst.id, list_index=index, purpose=lst.purpose, is_set=False)
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        return None
    return entry


def _draw_free(session: Session, lst: StatusList) -> int | None:
    used = set(session.scalars(select(StatusEntry.list_index).where(StatusEntry.status_list_id == lst.id)))
    free = lst.size - len(used)
    if free <= 0:
        return None
    target = secrets.randbelow(free)
    for index in range(lst.size):
        if index in used:
            continue
        if target == 0:
            return index
        target -= 1
    return None  # pragma: no cover


def allocate(session: Session, org_id: uuid.UUID, purpose: str) -> StatusEntry:
    """A fresh random entry in the organisation's current list for ``purpose`` (not yet tied to an award)."""
    _purpose(purpose)
    for _ in range(50):
        lst = _open_list(session, org_id, purpose)
        for _ in range(RANDOM_TRIES):
            entry = _try_insert(session, lst, secrets.randbelow(lst.size))
            if entry is not None:
                return entry
        index = _draw_free(session, lst)
        if index is None:
            session.execute(update(StatusList).where(StatusList.id == lst.id).values(full=True))
            session.expire(lst)
            continue
        entry = _try_insert(session, lst, index)
        if entry is not None:
            return entry
    raise Conflict(f"could not allocate a {purpose} status index (too much contention); try again")


@dataclass(frozen=True)
class AllocatedStatus:
    entries: tuple[StatusEntry, ...]

    def credential_status(self, base_url: str) -> dict[str, Any]:
        """The credential's ONE ``credentialStatus``: its revocation BitstringStatusListEntry.

        OB 3.0 allows a single status entry, and independent status checkers read one bit per entry, so the
        suspension entry is not written into the credential: a suspension is an issuer-side hold that this
        instance's verifier reads from its own suspension list (docs/ob-extensions.md, "Status")."""
        entry = next(e for e in self.entries if e.purpose == "revocation")
        return status_entry(list_url(entry.status_list_id, base_url), entry.list_index, entry.purpose)

    def attach(self, session: Session, award_id: uuid.UUID) -> None:
        for entry in self.entries:
            entry.award_id = award_id
        session.flush()


def allocate_for_award(session: Session, org_id: uuid.UUID) -> AllocatedStatus:
    """A revocation and a suspension entry, in that order (reserved ones inside `using_reservation`)."""
    reservation = session.info.get(_RESERVATION)
    if isinstance(reservation, _Handing):
        taken = reservation.take(org_id)
        if taken is not None:
            return AllocatedStatus(taken)
    return AllocatedStatus(tuple(allocate(session, org_id, purpose) for purpose in STATUS_PURPOSES))


@dataclass(frozen=True)
class Reservation:
    """Entries reserved for ``awards`` awards of one organisation: ids by purpose (each purpose's list in order)."""

    org_id: uuid.UUID
    ids: dict[str, tuple[uuid.UUID, ...]]

    @property
    def awards(self) -> int:
        return min((len(ids) for ids in self.ids.values()), default=0) if len(self.ids) == len(STATUS_PURPOSES) else 0


def _free_sample(session: Session, lst: StatusList, count: int) -> list[int] | None:
    """``count`` distinct random indexes not used in ``lst`` (as committed now); None when it has too few left."""
    used = set(session.scalars(select(StatusEntry.list_index).where(StatusEntry.status_list_id == lst.id)))
    if lst.size - len(used) < 2 * count:
        return None  # (nearly) full: the per-award path marks it full and opens the next list
    picked: set[int] = set()
    while len(picked) < count:
        index = secrets.randbelow(lst.size)
        if index not in used:
            picked.add(index)
    return list(picked)


def _reserve_purpose(session: Session, org_id: uuid.UUID, purpose: str, count: int) -> tuple[uuid.UUID, ...]:
    for _ in range(RESERVE_TRIES):
        lst = _open_list(session, org_id, purpose)
        indexes = _free_sample(session, lst, count)
        if indexes is None:
            return ()
        entries = [
            StatusEntry(id=uuid.uuid4(), status_list_id=lst.id, list_index=i, purpose=purpose, is_set=False)
            for i in indexes
        ]
        try:
            with session.begin_nested():
                session.add_all(entries)
                session.flush()
        except IntegrityError:
            continue  # another reservation or award took one of them meanwhile: draw again
        return tuple(e.id for e in entries)
    return ()


def reserve(session: Session, org_id: uuid.UUID, awards: int) -> Reservation:
    """Entries (random indexes, unique per list) for up to ``awards`` awards of the organisation, inserted in one
    step per purpose; the caller commits them at once, in a transaction of their own. Fewer (even none) when a list
    is nearly full or contention is high: `allocate_for_award` then allocates the rest one by one."""
    ids: dict[str, tuple[uuid.UUID, ...]] = {}
    if awards > 0:
        for purpose in STATUS_PURPOSES:
            found = _reserve_purpose(session, org_id, purpose, awards)
            if not found:
                break
            ids[purpose] = found
    return Reservation(org_id, ids)


@dataclass
class _Handing:
    """The reserved entries of `using_reservation`, handed out one award at a time."""

    org_id: uuid.UUID
    left: dict[str, deque[StatusEntry]] = field(default_factory=dict)
    all_ids: list[uuid.UUID] = field(default_factory=list)

    def take(self, org_id: uuid.UUID) -> tuple[StatusEntry, ...] | None:
        if org_id != self.org_id or len(self.left) != len(STATUS_PURPOSES) or not all(self.left.values()):
            return None
        return tuple(self.left[purpose].popleft() for purpose in STATUS_PURPOSES)


@contextmanager
def using_reservation(session: Session, reservation: Reservation) -> Iterator[None]:
    """Inside the block, `allocate_for_award` for the reservation's organisation takes reserved entries (one of
    each purpose, while they last). When the block ends without an error, the reserved entries no award holds (a
    row that failed or was rolled back) are deleted in the caller's transaction."""
    handing = _Handing(reservation.org_id)
    if reservation.awards:
        for purpose in STATUS_PURPOSES:
            wanted = reservation.ids[purpose][: reservation.awards]
            loaded = {e.id: e for e in session.scalars(select(StatusEntry).where(StatusEntry.id.in_(wanted)))}
            handing.left[purpose] = deque(loaded[i] for i in wanted if i in loaded and loaded[i].award_id is None)
    handing.all_ids = [i for ids in reservation.ids.values() for i in ids]
    previous = session.info.get(_RESERVATION)
    session.info[_RESERVATION] = handing
    try:
        yield
    finally:
        if previous is None:
            session.info.pop(_RESERVATION, None)
        else:
            session.info[_RESERVATION] = previous
    if handing.all_ids:
        session.flush()
        session.execute(
            delete(StatusEntry)
            .where(StatusEntry.id.in_(handing.all_ids), StatusEntry.award_id.is_(None))
            .execution_options(synchronize_session=False)
        )
        reserved = set(handing.all_ids)
        for entry in [o for o in session.identity_map.values() if isinstance(o, StatusEntry) and o.id in reserved]:
            if entry.__dict__.get("award_id") is None:  # deleted just now (or expired by a rolled-back row)
                session.expunge(entry)


def entries_for_award(session: Session, award_id: uuid.UUID) -> list[StatusEntry]:
    return list(
        session.scalars(select(StatusEntry).where(StatusEntry.award_id == award_id).order_by(StatusEntry.purpose))
    )


def set_bit(session: Session, award_id: uuid.UUID, purpose: str, value: bool) -> bool:
    """Set (or clear) the award's bit in its ``purpose`` list; True when it changed (the list then needs re-signing)."""
    _purpose(purpose)
    entry = session.scalars(
        select(StatusEntry).where(StatusEntry.award_id == award_id, StatusEntry.purpose == purpose)
    ).first()
    if entry is None:
        raise Conflict(
            f"award {award_id} carries no {purpose} status entry (issued before status lists existed); "
            "re-issue it first"
        )
    return _set_entry(session, entry, value)


def set_entry_bit(session: Session, entry_id: uuid.UUID, value: bool) -> bool:
    """Set (or clear) the bit of an entry not tied to an award (e.g. an endorsement's); True when it changed."""
    return _set_entry(session, get_entry(session, entry_id), value)


def _set_entry(session: Session, entry: StatusEntry, value: bool) -> bool:
    """Flip one entry's bit and bump its list's ``version`` (so the list is re-signed when next served); False
    when the bit already had that value (nothing written)."""
    if entry.is_set == value:
        return False
    entry.is_set = value
    session.execute(
        update(StatusList).where(StatusList.id == entry.status_list_id).values(version=StatusList.version + 1)
    )
    session.flush()
    return True


def get_list(session: Session, list_id: uuid.UUID | str) -> StatusList:
    return get_row(session, StatusList, list_id, "status list")


def list_lists(session: Session, org_id: uuid.UUID | None = None) -> list[StatusList]:
    stmt = select(StatusList).order_by(StatusList.organisation_id, StatusList.purpose, StatusList.sequence)
    if org_id is not None:
        stmt = stmt.where(StatusList.organisation_id == org_id)
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class SignedList:
    text: str
    etag: str
    resigned: bool

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.text)
        return doc


def _is_fresh(session: Session, lst: StatusList, url: str) -> bool:
    if lst.credential_json is None or lst.etag is None or lst.signed_version != lst.version:
        return False
    active = issuers.active_signing_key(session, lst.organisation_id)
    if active is None or active.id != lst.signing_key_id:
        return False
    try:
        return bool(json.loads(lst.credential_json).get("id") == url)
    except ValueError:  # pragma: no cover - we wrote it
        return False


def signed_list(
    session: Session,
    list_id: uuid.UUID | str,
    *,
    base_url: str,
    master_key: bytes | Callable[[], bytes] | None = None,
) -> SignedList:
    """The signed BitstringStatusListCredential, re-signed (and stored) only when out of date. The caller commits.

    ``master_key`` may be a callable: it is then only called when the list must be signed again."""
    lst = get_list(session, list_id)
    session.refresh(lst)
    url = list_url(lst.id, base_url)
    if _is_fresh(session, lst, url):
        assert lst.credential_json is not None and lst.etag is not None
        return SignedList(lst.credential_json, lst.etag, False)
    version = lst.version  # read before the bits: a change made meanwhile leaves the list stale, never wrong
    bits = Bitstring(lst.size)
    for index in session.scalars(
        select(StatusEntry.list_index).where(StatusEntry.status_list_id == lst.id, StatusEntry.is_set.is_(True))
    ):
        bits.set(index)
    org = issuers.get_organisation(session, lst.organisation_id)
    master = master_key() if callable(master_key) else master_key
    material = issuers.signing_material(session, org, base_url=base_url, master_key=master)
    now = utcnow().replace(microsecond=0)
    unsigned = status_list_credential(
        list_url=url,
        issuer=issuers.did_for(org, base_url),
        purpose=lst.purpose,
        bits=bits,
        valid_from=now,
        ttl_ms=LIST_TTL_SECONDS * 1000,
    )
    signed = sign_data_integrity(unsigned, material.key, material.verification_method, created=now)
    text = json.dumps(signed, ensure_ascii=False, indent=2)
    etag = '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'
    lst.credential_json, lst.etag, lst.signed_version = text, etag, version
    lst.signing_key_id, lst.signed_at = material.key_id, now
    session.flush()
    return SignedList(text, etag, True)


def list_stamp(session: Session, list_id: uuid.UUID) -> tuple[int, uuid.UUID | None] | None:
    """What the signed list document depends on: (the list's version, its organisation's active key id); None when
    there is no such list. Two small reads: a document cached with the same stamp is the document
    :func:`signed_list` would serve (a bit change bumps the version; a key rotation changes the active key)."""
    row = session.execute(
        select(StatusList.version, StatusList.organisation_id).where(StatusList.id == list_id)
    ).first()
    if row is None:
        return None
    return row.version, issuers.active_signing_key_id(session, row.organisation_id)


def lists_stamp_query() -> Subquery:
    """One row: (number of lists, sum of their versions). It changes whenever any bit of any list changes (a
    version only grows) or a list is added, so what was read from the lists under one stamp holds while the stamp
    is unchanged. A subquery, so that a caller reads it with other stamps in one statement
    (`verification.instance_stamp`)."""
    return select(func.count(StatusList.id), func.coalesce(func.sum(StatusList.version), 0)).subquery("lists_stamp")


def parse_list_url(url: str, base_url: str) -> uuid.UUID | None:
    """The list id when ``url`` is one of this instance's status list URLs, else None."""
    prefix = base_url.rstrip("/") + "/status/"
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    try:
        return uuid.UUID(rest)
    except ValueError:
        return None


def award_flag(session: Session, award_id: uuid.UUID, purpose: str) -> bool | None:
    """Whether the award's ``purpose`` bit is set; None when the award has no entry of that purpose."""
    _purpose(purpose)
    return session.scalar(
        select(StatusEntry.is_set).where(StatusEntry.award_id == award_id, StatusEntry.purpose == purpose)
    )


def entry_document(entry: StatusEntry, base_url: str) -> dict[str, Any]:
    """The ``credentialStatus`` object of an allocated entry."""
    return status_entry(list_url(entry.status_list_id, base_url), entry.list_index, entry.purpose)


def get_entry(session: Session, entry_id: uuid.UUID) -> StatusEntry:
    return get_row(session, StatusEntry, entry_id, "status entry")
