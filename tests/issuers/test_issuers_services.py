"""issuers: organisations, encrypted signing keys, did:web, DID documents, OB profiles, key resolution."""

from __future__ import annotations

import base64
import logging
import os
import stat
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from microcred.db import session_scope
from microcred.errors import InvalidInput, KeyStoreError, NotFound
from microcred.issuers import keystore
from microcred.issuers import services as issuers
from microcred.issuers.models import SigningKey
from microcred.vc.errors import KeyResolutionError
from microcred.vc.keys import Ed25519Key

BASE = "http://127.0.0.1:8000"


def test_create_get_list_organisations(session: Session, make_org: Callable[..., Any]) -> None:
    college = make_org(session)
    employer = make_org(session, kind="employer", name="Employer Inc.", country="ca", registration_id=None)
    assert employer.country == "CA"
    assert issuers.get_organisation(session, str(college.id)) is college
    assert [o.name for o in issuers.list_organisations(session)] == ["Test College", "Employer Inc."]
    assert issuers.list_organisations(session, kind="employer") == [employer]
    assert "Test College" in repr(college)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "university"}, "kind must be one of"),
        ({"country": "Canada"}, "ISO 3166-1 alpha-2"),
        ({"name": "  "}, "name is required"),
        ({"url": "ftp://x.example"}, "http"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_organisation_validation(
    session: Session, make_org: Callable[..., Any], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        make_org(session, **overrides)


def test_unknown_organisation(session: Session) -> None:
    with pytest.raises(NotFound):
        issuers.get_organisation(session, uuid.uuid4())
    with pytest.raises(NotFound):
        issuers.get_organisation(session, "not-a-uuid")
    assert issuers.find_organisation(session, uuid.uuid4()) is None


def test_did_for_percent_encodes_the_port() -> None:
    org_id = uuid.UUID("8d706016-63f7-507a-8cab-c0f5dbbb85df")
    assert issuers.did_for(org_id, BASE) == f"did:web:127.0.0.1%3A8000:issuers:{org_id}"
    assert issuers.did_for(org_id, BASE + "/") == f"did:web:127.0.0.1%3A8000:issuers:{org_id}"
    assert issuers.did_for(org_id, "https://creds.example.edu/mc") == f"did:web:creds.example.edu:mc:issuers:{org_id}"
    assert issuers.did_document_url(org_id, BASE) == f"{BASE}/issuers/{org_id}/did.json"
    assert issuers.verification_method_id(org_id, BASE, "z6Mk") == f"did:web:127.0.0.1%3A8000:issuers:{org_id}#z6Mk"
    with pytest.raises(InvalidInput):
        issuers.did_for(org_id, "not a url")


def test_did_document_lists_active_and_retired_keys(
    session: Session, make_org: Callable[..., Any], master_key: bytes
) -> None:
    org = make_org(session)
    first = issuers.ensure_signing_key(session, org, master_key=master_key)
    assert issuers.ensure_signing_key(session, org, master_key=master_key) is first  # idempotent
    second = issuers.rotate_signing_key(session, org, master_key=master_key)
    third = issuers.rotate_signing_key(session, org, master_key=master_key)
    issuers.mark_key_compromised(session, second.id, since=datetime(2024, 1, 1, tzinfo=UTC))
    assert first.status == "retired" and third.status == "active"
    assert issuers.active_signing_key(session, org) is third

    doc = issuers.did_document(session, org, BASE)
    did = issuers.did_for(org, BASE)
    assert doc["id"] == did
    assert doc["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
    vms = {vm["publicKeyMultibase"]: vm for vm in doc["verificationMethod"]}
    assert set(vms) == {first.public_key_multibase, third.public_key_multibase}  # compromised one left out
    for multibase, vm in vms.items():
        assert vm == {
            "id": f"{did}#{multibase}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": multibase,
        }
    assert sorted(doc["assertionMethod"]) == sorted(vm["id"] for vm in vms.values())


def test_profile_matches_the_ob_profile_schema(session: Session, make_org: Callable[..., Any]) -> None:
    from microcred.vc.schema import PROFILE_SCHEMA, schema_errors

    org = make_org(session)
    doc = issuers.profile(org, BASE)
    assert schema_errors(doc, PROFILE_SCHEMA) == []
    assert doc["id"] == issuers.did_for(org, BASE)
    assert doc["type"] == ["Profile"]
    assert doc["name"] == "Test College"
    assert doc["url"] == "https://college.example"
    assert doc["email"] == "registrar@college.example"
    assert doc["address"] == {
        "type": ["Address"],
        "addressCountry": "CA",
        "addressCountryCode": "CA",
        "addressRegion": "ON",
    }
    assert {"type": "IdentifierEntry", "identifier": "ON-TEST-001", "identifierType": "identifier"} in doc[
        "otherIdentifier"
    ]
    minimal = issuers.profile(make_org(session, name="Min", legal_name=None, registration_id=None, url=None), BASE)
    assert schema_errors(minimal, PROFILE_SCHEMA) == []
    assert "otherIdentifier" not in minimal


# -- encryption at rest ----------------------------------------------------------------------------
def _raw_rows(session: Session) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in session.execute(text("SELECT * FROM signing_keys")).all()]


def test_private_keys_are_encrypted_at_rest(
    factory: sessionmaker[Session], make_org: Callable[..., Any], master_key: bytes
) -> None:
    with session_scope(factory) as session:
        org = make_org(session)
        issuers.ensure_signing_key(session, org, master_key=master_key)
        org_id = org.id
    with factory() as session:
        key, vm = issuers.signing_key(session, org_id, base_url=BASE, master_key=master_key)
        seed = key.seed()
        secret_forms = [seed, seed.hex().encode(), key.secret_multibase.encode(), base64.b64encode(seed)]
        for row in _raw_rows(session):
            for value in row:
                blob = value if isinstance(value, bytes) else str(value).encode()
                for secret in secret_forms:
                    assert secret not in blob
        record = session.scalars(select(SigningKey)).one()
        assert record.public_key_multibase == key.public_multibase
        assert vm == f"{issuers.did_for(org_id, BASE)}#{key.public_multibase}"
        # a signature made with the decrypted key verifies with the stored public key
        assert Ed25519Key.from_public_multibase(record.public_key_multibase).verify(key.sign(b"m"), b"m")


def test_wrong_master_key_fails_cleanly(session: Session, make_org: Callable[..., Any], master_key: bytes) -> None:
    org = make_org(session)
    issuers.ensure_signing_key(session, org, master_key=master_key)
    with pytest.raises(KeyStoreError, match="wrong master key"):
        issuers.signing_key(session, org, base_url=BASE, master_key=bytes(32))


def test_ciphertext_is_bound_to_its_row(session: Session, make_org: Callable[..., Any], master_key: bytes) -> None:
    org = make_org(session)
    first = issuers.ensure_signing_key(session, org, master_key=master_key)
    second = issuers.rotate_signing_key(session, org, master_key=master_key)
    second.encrypted_private_key = first.encrypted_private_key  # swap a blob onto another row
    session.flush()
    with pytest.raises(KeyStoreError):
        issuers.signing_key(session, org, base_url=BASE, master_key=master_key)
    second.encrypted_private_key = b"\x09garbage"
    with pytest.raises(KeyStoreError, match="unknown format"):
        issuers.signing_key(session, org, base_url=BASE, master_key=master_key)


def test_no_key_material_in_repr_or_logs(
    session: Session, make_org: Callable[..., Any], master_key: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # parameters are logged at INFO
    try:
        org = make_org(session)
        record = issuers.ensure_signing_key(session, org, master_key=master_key)
        material = issuers.signing_material(session, org, base_url=BASE, master_key=master_key)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    seed = material.key.seed()
    texts = [repr(record), str(record), repr(material), repr(material.key), caplog.text]
    for item in texts:
        for secret in (seed.hex(), material.key.secret_multibase, repr(seed), master_key.hex()):
            assert secret not in item
    assert repr(record.encrypted_private_key) not in repr(record)
    assert record.public_key_multibase in repr(record)


# -- master key ------------------------------------------------------------------------------------
def test_master_key_file_created_0600_and_reused(isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from microcred.settings import get_settings

    monkeypatch.delenv("MICROCRED_MASTER_KEY")
    get_settings.cache_clear()
    first = keystore.load_master_key()
    path = isolated_settings / "master.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keystore.load_master_key() == first and len(first) == 32
    assert keystore.ensure_master_key_file()[1] is False


def test_master_key_from_environment(isolated_settings: Path) -> None:
    assert keystore.load_master_key() == b"\x07" * 32
    assert not (isolated_settings / "master.key").exists()


@pytest.mark.parametrize("value", ["not base64 !!", base64.urlsafe_b64encode(b"short").decode()])
def test_malformed_master_key(isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from microcred.settings import get_settings

    monkeypatch.setenv("MICROCRED_MASTER_KEY", value)
    get_settings.cache_clear()
    with pytest.raises(KeyStoreError, match="master key"):
        keystore.load_master_key()


def test_signing_key_uses_settings_by_default(
    isolated_settings: Path, session: Session, make_org: Callable[..., Any]
) -> None:
    org = make_org(session)
    key, vm = issuers.signing_key(session, org)
    assert vm.startswith("did:web:127.0.0.1%3A8000:issuers:")
    assert key.has_private


def test_mark_compromised_validation(session: Session) -> None:
    with pytest.raises(NotFound):
        issuers.mark_key_compromised(session, uuid.uuid4(), since=datetime.now(UTC))


# -- key resolution --------------------------------------------------------------------------------
def test_instance_key_resolver(factory: sessionmaker[Session], make_org: Callable[..., Any], master_key: bytes) -> None:
    since = datetime(2024, 3, 1, tzinfo=UTC)
    with session_scope(factory) as session:
        org = make_org(session)
        old = issuers.ensure_signing_key(session, org, master_key=master_key)
        bad = issuers.rotate_signing_key(session, org, master_key=master_key)
        issuers.mark_key_compromised(session, bad.id, since=since)
        new = issuers.rotate_signing_key(session, org, master_key=master_key)
        org_id, did = org.id, issuers.did_for(org, BASE)
    resolver = issuers.InstanceKeyResolver(factory, BASE + "/")

    resolved = resolver.resolve(f"{did}#{new.public_key_multibase}")
    assert resolved.controller == did
    assert resolved.key.public_multibase == new.public_key_multibase
    assert not resolved.key.has_private
    assert resolved.status == "active" and resolved.compromised_since is None

    assert resolver.resolve(f"{did}#{old.public_key_multibase}").status == "retired"
    compromised = resolver.resolve(f"{did}#{bad.public_key_multibase}")
    assert compromised.status == "compromised" and compromised.compromised_since == since

    by_url = resolver.resolve(f"{BASE}/issuers/{org_id}#{new.public_key_multibase}")
    assert by_url.controller == did and by_url.key.public_multibase == new.public_key_multibase

    for vm, message in [
        (f"{did}", "no '#fragment'"),
        (f"did:web:elsewhere.example:issuers:{org_id}#{new.public_key_multibase}", "not one of this instance"),
        (f"https://elsewhere.example/issuers/{org_id}#{new.public_key_multibase}", "not one of this instance"),
        (f"{issuers.did_for(uuid.uuid4(), BASE)}#{new.public_key_multibase}", "has no key"),
        (f"{did}#z6MkUnknown", "has no key"),
        (f"did:web:127.0.0.1%3A8000:issuers:not-a-uuid#{new.public_key_multibase}", "no issuer"),
        (f"{did}:extra#{new.public_key_multibase}", "not one of this instance"),
    ]:
        with pytest.raises(KeyResolutionError, match=message):
            resolver.resolve(vm)
