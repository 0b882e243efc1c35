"""Organisations, signing keys, did:web identifiers, DID documents, OB 3.0 issuer profiles, key resolution."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, Unpack
from urllib.parse import urlsplit

from sqlalchemy import Subquery, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from microcred.audit import services as audit
from microcred.db.base import utcnow
from microcred.db.rows import get_row
from microcred.errors import Conflict, InvalidInput, KeyStoreError, NotFound
from microcred.issuers import keystore
from microcred.issuers.models import ORGANISATION_KINDS as ORGANISATION_KINDS  # re-exported: the console's kinds
from microcred.issuers.models import KeyStatus, SigningKey
from microcred.issuers.models import Organisation as Organisation  # re-exported: other packages annotate with it
from microcred.settings import get_settings
from microcred.validation import (
    as_uuid,
    country_code,
    one_of,
    optional_email,
    optional_text,
    optional_url,
    required_text,
)
from microcred.vc import did as vc_did
from microcred.vc.errors import KeyResolutionError
from microcred.vc.keys import Ed25519Key
from microcred.vc.ob import IssuerProfile
from microcred.vc.resolvers import ResolvedKey

OrgRef = Organisation | uuid.UUID | str


# -- organisations -------------------------------------------------------------------------------
class OrganisationDetails(TypedDict, total=False):
    """The optional facts of an issuing body or partner (its real identity): ``id`` for fixed ids (the demo)."""

    legal_name: str | None
    url: str | None
    email: str | None
    region: str | None
    registration_id: str | None
    description: str | None
    id: uuid.UUID | None


def create_organisation(
    session: Session, *, kind: str, name: str, country: str, **details: Unpack[OrganisationDetails]
) -> Organisation:
    org = Organisation(
        id=details.get("id") or uuid.uuid4(),
        kind=one_of(kind, "kind", ORGANISATION_KINDS),
        name=required_text(name, "name", max_length=300),
        legal_name=optional_text(details.get("legal_name"), "legal_name", max_length=300),
        url=optional_url(details.get("url"), "url"),
        email=optional_email(details.get("email")),
        country=country_code(country),
        region=optional_text(details.get("region"), "region", max_length=100),
        registration_id=optional_text(details.get("registration_id"), "registration_id", max_length=200),
        description=optional_text(details.get("description"), "description"),
        created_at=utcnow(),
    )
    session.add(org)
    session.flush()
    audit.record(session, "organisation.created", f"organisation:{org.id}", {"kind": org.kind, "name": org.name})
    return org


class OrganisationProfile(TypedDict, total=False):
    """The profile fields `update_organisation` changes (the kind is fixed when the organisation is created)."""

    name: str
    legal_name: str | None
    url: str | None
    email: str | None
    country: str
    region: str | None
    registration_id: str | None
    description: str | None


_PROFILE_CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: required_text(v, "name", max_length=300),
    "legal_name": lambda v: optional_text(v, "legal_name", max_length=300),
    "url": lambda v: optional_url(v, "url"),
    "email": optional_email,
    "country": country_code,
    "region": lambda v: optional_text(v, "region", max_length=100),
    "registration_id": lambda v: optional_text(v, "registration_id", max_length=200),
    "description": lambda v: optional_text(v, "description"),
}


def update_organisation(
    session: Session, org_id: uuid.UUID | str, **changes: Unpack[OrganisationProfile]
) -> Organisation:
    """Change the profile fields given (the others keep their value), each checked as on creation, all or nothing.
    The fields that really changed are recorded in the audit log with their new values (nothing when none did).
    Credentials issued before keep the profile they were signed with; later ones carry the new one."""
    org = get_organisation(session, org_id)
    unknown = sorted(set(changes) - set(_PROFILE_CHECKS))
    if unknown:
        raise InvalidInput(f"{', '.join(unknown)}: not a profile field that can be changed")
    checked = {field: _PROFILE_CHECKS[field](value) for field, value in changes.items()}
    changed = {field: value for field, value in checked.items() if getattr(org, field) != value}
    for field, value in changed.items():
        setattr(org, field, value)
    session.flush()
    if changed:
        audit.record(session, "organisation.changed", f"organisation:{org.id}", {"changed": changed})
    return org


def get_organisation(session: Session, org_id: uuid.UUID | str) -> Organisation:
    return get_row(session, Organisation, org_id, "organisation")


def find_organisation(session: Session, org_id: uuid.UUID | str) -> Organisation | None:
    try:
        return get_organisation(session, org_id)
    except NotFound:
        return None


def list_organisations(session: Session, *, kind: str | None = None) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.created_at, Organisation.name)
    if kind is not None:
        stmt = stmt.where(Organisation.kind == one_of(kind, "kind", ORGANISATION_KINDS))
    return list(session.scalars(stmt))


def _org(session: Session, org: OrgRef) -> Organisation:
    return org if isinstance(org, Organisation) else get_organisation(session, org)


def _org_id(org: OrgRef) -> uuid.UUID:
    return org.id if isinstance(org, Organisation) else as_uuid(org, "organisation")


# -- keys ----------------------------------------------------------------------------------------
def list_signing_keys(session: Session, org: OrgRef) -> list[SigningKey]:
    stmt = (
        select(SigningKey)
        .where(SigningKey.organisation_id == _org_id(org))
        .order_by(SigningKey.created_at, SigningKey.public_key_multibase)
    )
    return list(session.scalars(stmt))


def active_signing_key(session: Session, org: OrgRef) -> SigningKey | None:
    stmt = (
        select(SigningKey)
        .where(SigningKey.organisation_id == _org_id(org), SigningKey.status == "active")
        .order_by(SigningKey.created_at.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def active_signing_key_id(session: Session, org: OrgRef) -> uuid.UUID | None:
    """The id of :func:`active_signing_key` (one column read: no key material loaded)."""
    stmt = (
        select(SigningKey.id)
        .where(SigningKey.organisation_id == _org_id(org), SigningKey.status == "active")
        .order_by(SigningKey.created_at.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def keys_stamp_query() -> Subquery:
    """One row of aggregates over every signing key that changes with any key's state: a new key (the count), a
    rotation (a new key, one more retired), a compromise (one more compromised, the earliest and latest
    compromised-since). Key states only move forward (active, retired, compromised; a compromise is marked once), so
    key lookups made under one stamp hold while it is unchanged. A subquery, so that a caller reads it with other
    stamps in one statement (`verification.instance_stamp`)."""
    return select(
        func.count(SigningKey.id),
        func.count(case((SigningKey.status == KeyStatus.RETIRED.value, 1))),
        func.count(case((SigningKey.status == KeyStatus.COMPROMISED.value, 1))),
        func.min(SigningKey.compromised_since),
        func.max(SigningKey.compromised_since),
    ).subquery("keys_stamp")


def _new_key(session: Session, org: Organisation, master_key: bytes) -> SigningKey:
    pair = Ed25519Key.generate()
    key_id = uuid.uuid4()
    record = SigningKey(
        id=key_id,
        organisation_id=org.id,
        public_key_multibase=pair.public_multibase,
        encrypted_private_key=keystore.encrypt_private_key(
            pair.seed(), master_key, key_id=str(key_id), public_multibase=pair.public_multibase
        ),
        status="active",
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        "key.created",
        f"organisation:{org.id}",
        {"key_id": str(key_id), "public_key_multibase": pair.public_multibase},
    )
    return record


def ensure_signing_key(session: Session, org: OrgRef, *, master_key: bytes | None = None) -> SigningKey:
    """The organisation's active signing key, generated (and stored encrypted) if it has none."""
    organisation = _org(session, org)
    existing = active_signing_key(session, organisation)
    if existing is not None:
        return existing
    return _new_key(session, organisation, master_key or keystore.load_master_key())


def rotate_signing_key(session: Session, org: OrgRef, *, master_key: bytes | None = None) -> SigningKey:
    """Retire the active key (it stays in the DID document so old credentials verify) and make a new one."""
    organisation = _org(session, org)
    retired = []
    for record in list_signing_keys(session, organisation):
        if record.status == "active":
            record.status = "retired"
            retired.append(str(record.id))
    session.flush()
    new = _new_key(session, organisation, master_key or keystore.load_master_key())
    audit.record(
        session, "key.rotated", f"organisation:{organisation.id}", {"retired": retired, "new_key_id": str(new.id)}
    )
    return new


def mark_key_compromised(session: Session, key_id: uuid.UUID | str, *, since: datetime) -> SigningKey:
    """Credentials signed with this key at or after `since` no longer verify (see InstanceKeyResolver)."""
    record = get_row(session, SigningKey, key_id, "signing key")
    if since.tzinfo is None:
        raise InvalidInput("compromised_since must be timezone-aware")
    record.status = "compromised"
    record.compromised_since = since
    session.flush()
    audit.record(
        session,
        "key.compromised",
        f"organisation:{record.organisation_id}",
        {"key_id": str(record.id), "public_key_multibase": record.public_key_multibase, "since": since.isoformat()},
    )
    return record


def find_signing_key(session: Session, org: OrgRef, key_ref: str) -> SigningKey:
    """One of the organisation's keys, by row id or by publicKeyMultibase (the verification method's fragment)."""
    organisation = _org(session, org)
    ref = key_ref.strip().rpartition("#")[2]
    for record in list_signing_keys(session, organisation):
        if ref in (str(record.id), record.public_key_multibase):
            return record
    raise NotFound(f"organisation {organisation.id} has no signing key {key_ref[:80]!r}")


def find_any_signing_key(session: Session, key_ref: str) -> SigningKey:
    """A key of any organisation, by row id or publicKeyMultibase."""
    ref = key_ref.strip().rpartition("#")[2]
    try:
        record = session.get(SigningKey, uuid.UUID(ref))
    except ValueError:
        record = session.scalars(select(SigningKey).where(SigningKey.public_key_multibase == ref)).first()
    if record is None:
        raise NotFound(f"no signing key {key_ref[:80]!r}")
    return record


def compromise_key(
    session: Session, org: OrgRef, key_ref: str, *, since: datetime, master_key: bytes | None = None
) -> SigningKey:
    """Mark one of the organisation's keys compromised; if it was the active key, a new active key is made."""
    record = find_signing_key(session, org, key_ref)
    if record.status == "compromised":
        raise Conflict(f"signing key {record.id} is already marked compromised")
    was_active = record.status == "active"
    mark_key_compromised(session, record.id, since=since)
    if was_active:
        ensure_signing_key(session, record.organisation_id, master_key=master_key)
    return record


def public_keys_export(session: Session, org: OrgRef, base_url: str) -> dict[str, Any]:
    """Every public key of the organisation with its status (no private material), and its DID document."""
    organisation = _org(session, org)
    return {
        "organisation": str(organisation.id),
        "name": organisation.name,
        "did": did_for(organisation, base_url),
        "keys": [
            {
                "id": str(record.id),
                "verificationMethod": verification_method_id(organisation, base_url, record.public_key_multibase),
                "type": "Multikey",
                "publicKeyMultibase": record.public_key_multibase,
                "status": record.status,
                "created": record.created_at.isoformat(),
                "compromisedSince": record.compromised_since.isoformat() if record.compromised_since else None,
            }
            for record in list_signing_keys(session, organisation)
        ],
        "didDocument": did_document(session, organisation, base_url),
    }


@dataclass(frozen=True, repr=False)
class SigningMaterial:
    """What the signer needs: the decrypted key pair, its verification method and its row id."""

    key_id: uuid.UUID
    key: Ed25519Key
    verification_method: str

    def __repr__(self) -> str:
        return f"SigningMaterial(key_id={self.key_id}, verification_method={self.verification_method!r})"


def signing_material(
    session: Session, org: OrgRef, *, base_url: str | None = None, master_key: bytes | None = None
) -> SigningMaterial:
    organisation = _org(session, org)
    master = master_key or keystore.load_master_key()
    record = ensure_signing_key(session, organisation, master_key=master)
    seed = keystore.decrypt_private_key(
        record.encrypted_private_key, master, key_id=str(record.id), public_multibase=record.public_key_multibase
    )
    key = Ed25519Key.from_seed(seed)
    if key.public_multibase != record.public_key_multibase:  # pragma: no cover - AAD already binds them
        raise KeyStoreError(f"signing key {record.id}: private key does not match its public key")
    base = base_url or get_settings().base_url
    return SigningMaterial(record.id, key, verification_method_id(organisation, base, record.public_key_multibase))


def signing_key(
    session: Session, org: OrgRef, *, base_url: str | None = None, master_key: bytes | None = None
) -> tuple[Ed25519Key, str]:
    """(key pair, verification method id) of the organisation's active key (created if it has none)."""
    material = signing_material(session, org, base_url=base_url, master_key=master_key)
    return material.key, material.verification_method


# -- identifiers ---------------------------------------------------------------------------------
def _base(base_url: str) -> str:
    base = base_url.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"base URL must be an http(s) URL (got {base_url!r})")
    return base


def did_web_for_url(url: str) -> str:
    """did:web for an http(s) URL: host (port colon percent-encoded) + path segments joined by ':'."""
    try:
        return vc_did.did_web_from_url(url.rstrip("/"))
    except ValueError:
        raise InvalidInput(f"not an absolute URL: {url!r}") from None


def issuer_url(org: OrgRef, base_url: str) -> str:
    return f"{_base(base_url)}/issuers/{_org_id(org)}"


def did_for(org: OrgRef, base_url: str) -> str:
    """`did:web:127.0.0.1%3A8000:issuers:<org_id>`; its document is at `<base_url>/issuers/<org_id>/did.json`."""
    return did_web_for_url(issuer_url(org, base_url))


def did_document_url(org: OrgRef, base_url: str) -> str:
    return issuer_url(org, base_url) + "/did.json"


def verification_method_id(org: OrgRef, base_url: str, public_key_multibase: str) -> str:
    return f"{did_for(org, base_url)}#{public_key_multibase}"


def did_document(session: Session, org: OrgRef, base_url: str) -> dict[str, Any]:
    """The did:web document: every active and retired key as a Multikey assertion method.

    Compromised keys are left out, so that verifiers outside this instance reject what they signed;
    this instance's own verifier still resolves them (with their status) through InstanceKeyResolver.
    """
    organisation = _org(session, org)
    did = did_for(organisation, base_url)
    return vc_did.did_document(
        did,
        [
            (f"{did}#{record.public_key_multibase}", record.public_key_multibase)
            for record in list_signing_keys(session, organisation)
            if record.status in ("active", "retired")
        ],
    )


def issuer_profile(org: Organisation, base_url: str) -> IssuerProfile:
    """The organisation as the standards core's IssuerProfile (what goes into credentials)."""
    return IssuerProfile(
        id=did_for(org, base_url),
        name=org.name,
        url=org.url,
        email=org.email,
        description=org.description,
        country=org.country,
        region=org.region,
        registration_id=org.registration_id,
        legal_name=org.legal_name,
    )


def profile(org: Organisation, base_url: str) -> dict[str, Any]:
    """The organisation as an OB 3.0 Profile (ISS-1, ISS-2: name, URL, identifiers, country/region) — the same
    document that is embedded as `issuer` in its credentials."""
    return issuer_profile(org, base_url).to_json()


# -- key resolution ------------------------------------------------------------------------------
class InstanceKeyResolver:
    """Resolves this instance's verification methods (did:web or issuer URL form) from the store.

    Accepts `did:web:<host>:issuers:<org_id>#<multibase>` and `<base_url>/issuers/<org_id>#<multibase>`.
    Returns the public key only, with its status (active / retired / compromised + since when).
    """

    def __init__(
        self, session_factory: sessionmaker[Session] | Callable[[], AbstractContextManager[Session]], base_url: str
    ) -> None:
        """``session_factory``: a sessionmaker, or any callable giving a session as a context manager (the instance
        verifier passes one that reuses the session of the verification in progress)."""
        self._session_factory = session_factory
        self._base_url = _base(base_url)
        self._did_prefix = did_web_for_url(self._base_url + "/issuers") + ":"
        self._url_prefix = self._base_url + "/issuers/"

    def _org_id_from(self, controller: str) -> str | None:
        for prefix in (self._did_prefix, self._url_prefix):
            if controller.startswith(prefix):
                rest = controller[len(prefix) :]
                if rest and ":" not in rest and "/" not in rest:
                    return rest
        return None

    def resolve(self, verification_method: str) -> ResolvedKey:
        if not isinstance(verification_method, str) or "#" not in verification_method:
            raise KeyResolutionError(f"not a verification method id (no '#fragment'): {verification_method!r:.120}")
        controller, _, fragment = verification_method.partition("#")
        org_text = self._org_id_from(controller)
        if org_text is None:
            raise KeyResolutionError(
                f"verification method {verification_method[:120]!r} is not one of this instance's "
                f"issuers (expected {self._did_prefix}<id>#<key> or {self._url_prefix}<id>#<key>)"
            )
        try:
            org_id = uuid.UUID(org_text)
        except ValueError:
            raise KeyResolutionError(f"no issuer {org_text[:64]!r} on this instance") from None
        with self._session_factory() as session:
            record = session.scalars(
                select(SigningKey).where(
                    SigningKey.organisation_id == org_id, SigningKey.public_key_multibase == fragment
                )
            ).first()
            if record is None:
                raise KeyResolutionError(f"issuer {org_id} on this instance has no key {fragment[:64]!r}")
            return ResolvedKey(
                key=Ed25519Key.from_public_multibase(record.public_key_multibase),
                controller=did_for(org_id, self._base_url),
                status=record.status,
                compromised_since=record.compromised_since,
            )


def organisations_by_name(session: Session, org_ids: Iterable[uuid.UUID]) -> list[Organisation]:
    """The organisations with these ids, ordered by name by the database (its collation), for a subset such as the
    partners, without the caller joining the organisations table."""
    stmt = select(Organisation).where(Organisation.id.in_(list(org_ids))).order_by(Organisation.name)
    return list(session.scalars(stmt))
