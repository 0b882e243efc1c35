"""Users and roles, one-time sign-in links, argon2 passwords, sign-in rate limits kept in the database.

Rate limits are rows (one per attempt) counted over a sliding window, so they hold across processes and
machines that share the database. Sign-in tokens are 256-bit random values; only their SHA-256 is stored,
and each works once, before it expires.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from microcred.accounts.models import ROLES, SignInAttempt, SignInToken
from microcred.accounts.models import STAFF_ROLES as STAFF_ROLES  # re-exported: the roles staff accounts may have
from microcred.accounts.models import User as User  # re-exported: other packages annotate with it
from microcred.db.base import utcnow
from microcred.db.rows import get_row
from microcred.earners import services as earners
from microcred.errors import Conflict, InvalidInput
from microcred.issuers import services as issuers
from microcred.validation import as_uuid, one_of, optional_email, required_text

LINK_LIFETIME = timedelta(minutes=20)
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults

# What each role may do in the console. Earners have the backpack only.
PERMISSIONS: dict[str, frozenset[str]] = {
    "org_admin": frozenset(
        {"view", "manage_people", "manage_organisations", "edit_achievements", "manage_earners", "award"}
    ),
    "issuer_staff": frozenset({"view", "edit_achievements", "manage_earners", "award"}),
    "assessor": frozenset({"view", "manage_earners", "award"}),
    "partner_reviewer": frozenset({"view"}),
    "earner": frozenset(),
}


def can(user: User | None, permission: str) -> bool:
    return user is not None and permission in PERMISSIONS.get(user.role, frozenset())


def normalise_email(email: str) -> str:
    address = optional_email(email)
    if address is None:
        raise InvalidInput("email is required")
    return address


# -- users ----------------------------------------------------------------------------------------
def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    organisation_id: uuid.UUID | str | None = None,
    earner_id: uuid.UUID | str | None = None,
    password: str | None = None,
    id: uuid.UUID | None = None,
) -> User:
    role = one_of(role, "role", ROLES)
    address = normalise_email(email)
    if find_user_by_email(session, address) is not None:
        raise Conflict(f"a user with email {address} already exists")
    org_id = None
    if role in STAFF_ROLES:
        if organisation_id is None:
            raise InvalidInput("staff and partner reviewers belong to an organisation")
        org_id = issuers.get_organisation(session, organisation_id).id
    linked_earner = None
    if role == "earner":
        if earner_id is None:
            raise InvalidInput("an earner's account is tied to an earner record")
        linked_earner = earners.get_earner(session, earner_id).id
    elif password is None and earner_id is not None:
        raise InvalidInput("only earners are tied to an earner record")
    user = User(
        id=id or uuid.uuid4(),
        email=address,
        name=required_text(name, "name", max_length=300),
        role=role,
        organisation_id=org_id,
        earner_id=linked_earner,
        session_version=1,
        created_at=utcnow(),
    )
    if password is not None:
        if role == "earner":
            raise InvalidInput("earners sign in with an email link only")
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: uuid.UUID | str) -> User:
    return get_row(session, User, user_id, "user")


def find_user_by_email(session: Session, email: str) -> User | None:
    address = (email or "").strip().lower()
    return session.scalars(select(User).where(User.email == address)).first()


def list_users(session: Session, *, organisation_id: uuid.UUID | str | None = None) -> list[User]:
    stmt = select(User).where(User.role != "earner").order_by(User.name, User.email)
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == as_uuid(organisation_id, "organisation"))
    return list(session.scalars(stmt))


def user_for_sign_in(session: Session, email: str) -> User | None:
    """The account for ``email``; an earner known to the instance gets an earner account on first sign-in."""
    user = find_user_by_email(session, email)
    if user is not None:
        return user
    earner = earners.find_earner_by_email(session, email)
    if earner is None:
        return None
    return create_user(session, email=earner.email, name=earner.name, role="earner", earner_id=earner.id)


def end_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere: session cookies carry the version they were issued under."""
    user.session_version += 1
    session.flush()


# -- passwords ------------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise InvalidInput("a password has at most 1024 characters")
    return _hasher.hash(password)


def set_password(session: Session, user: User, password: str) -> None:
    if user.role not in STAFF_ROLES:
        raise InvalidInput("earners sign in with an email link only")
    user.password_hash = hash_password(password)
    end_sessions(session, user)


def check_password(session: Session, email: str, password: str) -> User | None:
    """The staff user whose password this is, else None (same work whether or not the user exists)."""
    user = find_user_by_email(session, email)
    stored = user.password_hash if user is not None and user.role in STAFF_ROLES else None
    try:
        if stored is None:
            _hasher.verify(_DUMMY_HASH, password)  # keep timing alike for unknown addresses
            return None
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    assert user is not None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
        session.flush()
    return user


_DUMMY_HASH = _hasher.hash("not-a-password-" + secrets.token_hex(8))


# -- one-time sign-in links -------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_sign_in_token(session: Session, user: User, *, lifetime: timedelta = LINK_LIFETIME) -> str:
    """A new one-time token for ``user`` (returned once; the database keeps its hash)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SignInToken(
            id=uuid.uuid4(), user_id=user.id, token_hash=_token_hash(token), created_at=now, expires_at=now + lifetime
        )
    )
    session.flush()
    return token


def peek_sign_in_token(session: Session, token: str) -> User | None:
    """The user a still-valid token would sign in, without using it up."""
    row = _valid_token(session, token)
    return get_user(session, row.user_id) if row is not None else None


def _valid_token(session: Session, token: str) -> SignInToken | None:
    if not token or len(token) > 200:
        return None
    row = session.scalars(
        select(SignInToken).where(SignInToken.token_hash == _token_hash(token)).with_for_update()
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def consume_sign_in_token(session: Session, token: str) -> User | None:
    """Use the token up and return its user; None when unknown, used or expired."""
    row = _valid_token(session, token)
    if row is None:
        return None
    row.used_at = utcnow()
    user = get_user(session, row.user_id)
    user.last_sign_in_at = row.used_at
    session.flush()
    return user


# -- rate limits ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limit:
    bucket: str
    max_attempts: int
    window: timedelta


def email_bucket(email: str) -> str:
    return "email:" + hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


def ip_bucket(address: str | None) -> str:
    return "ip:" + (address or "unknown")[:100]


def sign_in_limits(email: str, address: str | None) -> list[Limit]:
    return [
        Limit(email_bucket(email), 5, timedelta(minutes=15)),
        Limit(ip_bucket(address), 30, timedelta(minutes=15)),
    ]


def rate_limited(session: Session, limits: list[Limit], *, now: datetime | None = None) -> bool:
    """Record one attempt in every bucket; True when any bucket is already over its limit (nothing recorded)."""
    now = now or utcnow()
    for limit in limits:
        count = session.scalar(
            select(func.count())
            .select_from(SignInAttempt)
            .where(SignInAttempt.bucket == limit.bucket, SignInAttempt.created_at > now - limit.window)
        )
        if (count or 0) >= limit.max_attempts:
            return True
    for limit in limits:
        session.add(SignInAttempt(id=uuid.uuid4(), bucket=limit.bucket, created_at=now))
    session.execute(delete(SignInAttempt).where(SignInAttempt.created_at < now - timedelta(days=1)))
    session.flush()
    return False
