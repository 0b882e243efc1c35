"""CLR 2.0 and EndorsementCredential: builders, and the verifier reporting every nested credential."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from microcred.vc import Ed25519Key, SchemaValidationError, Verifier, default_resolver, jsonld, sign_data_integrity
from microcred.vc.clr import Association, build_clr_credential
from microcred.vc.endorsement import build_endorsement_credential
from microcred.vc.ob import IssuerProfile, SubjectIdentity
from support.credentials import NOW, signed_sample
from support.vectors import EXAMPLES, load

KEY = Ed25519Key.from_seed(bytes(range(32)))
PARTNER = Ed25519Key.from_seed(bytes([4]) * 32)
VERIFIER = Verifier(default_resolver(), now=lambda: NOW)


def clr(credentials: list[dict[str, Any]], associations: tuple[Association, ...] = ()) -> dict[str, Any]:
    unsigned = build_clr_credential(
        credential_id="https://example.ca/clr/1",
        issuer=IssuerProfile(id=KEY.did_key, name="Northern Lakes College"),
        subject=SubjectIdentity(email="learner@example.ca", salt="s"),
        name="Comprehensive Learner Record",
        credentials=credentials,
        valid_from=NOW - timedelta(hours=1),
        associations=associations,
        partial=False,
    )
    return sign_data_integrity(unsigned, KEY, KEY.did_key_verification_method, created=NOW)


def test_clr_vector_verifies_with_each_nested_credential_reported() -> None:
    vector = load(EXAMPLES / "clr2-testvector-eddsa-rdfc-2022.json")
    vm = vector["proofOptions"]["verificationMethod"]
    verifier = Verifier(default_resolver(pinned={vm: vector["keyPair"]["publicKeyMultibase"]}))
    result = verifier.verify(vector["signedCredential"])
    assert result.verified, result.summary
    assert [n.label for n in result.nested] == ["credentialSubject.verifiableCredential[0]"]
    assert result.nested[0].result.verified
    assert {c.check: c.passed for c in result.checks}["nested credentials"] is True
    assert result.to_json()["nested"][0]["verified"] is True


def test_built_clr_verifies_and_a_tampered_nested_credential_is_named() -> None:
    first, second = signed_sample(KEY), signed_sample(KEY, language="fr")
    second["credentialSubject"]["achievement"]["id"] = "https://example.ca/achievements/2"
    second = sign_data_integrity(
        {k: v for k, v in second.items() if k != "proof"}, KEY, KEY.did_key_verification_method, created=NOW
    )
    pathway = (Association("isPartOf", "https://example.ca/achievements/1", "https://example.ca/achievements/2"),)
    signed = clr([first, second], pathway)
    assert signed["credentialSubject"]["association"][0]["associationType"] == "isPartOf"
    assert jsonld.canonicalize(signed) == jsonld.canonicalize_reference(signed)
    result = VERIFIER.verify(signed)
    assert result.verified, result.summary
    assert len(result.nested) == 2 and all(n.result.verified for n in result.nested)
    # change a nested credential and re-sign only the outer CLR: the outer proof holds, the nested one fails
    inner_tampered = copy.deepcopy(first)
    inner_tampered["name"] = "Forged"
    resigned = clr([inner_tampered, second])
    result = VERIFIER.verify(resigned)
    assert not result.verified
    assert {c.check: c.passed for c in result.checks}["proof"] is True
    failing = [c for c in result.checks if not c.passed]
    assert failing[0].check == "nested credentials" and "verifiableCredential[0]" in failing[0].reason


def test_clr_builder_refuses_bad_input() -> None:
    with pytest.raises(SchemaValidationError):
        clr([])
    with pytest.raises(SchemaValidationError, match="not in this CLR"):
        clr([signed_sample(KEY)], (Association("isPartOf", "urn:a", "urn:b"),))
    with pytest.raises(SchemaValidationError):
        clr([{"type": "nope"}])
    with pytest.raises(ValueError, match="associationType"):
        Association("likes", "a", "b")


def test_clr_shape_problems_are_reported() -> None:
    signed = clr([signed_sample(KEY)])
    broken = copy.deepcopy(signed)
    broken["credentialSubject"]["type"] = ["Nope"]
    assert "ClrSubject" in VERIFIER.verify(broken).checks[0].reason
    empty = copy.deepcopy(signed)
    empty["credentialSubject"]["verifiableCredential"] = []
    assert not VERIFIER.verify(empty).verified


def endorsement(comment: str = "In demand in Ontario kitchens.") -> dict[str, Any]:
    unsigned = build_endorsement_credential(
        credential_id="urn:uuid:0f9e7a4c-1111-4c2b-9d0e-000000000001",
        endorser=IssuerProfile(id=PARTNER.did_key, name="Great Lakes Hospitality Group"),
        endorsed_id="https://example.ca/achievements/1",
        name="Endorsement of Data Analysis with SQL",
        valid_from=NOW - timedelta(days=1),
        comment=comment,
    )
    return sign_data_integrity(unsigned, PARTNER, PARTNER.did_key_verification_method, created=NOW)


def test_endorsement_verifies_alone_and_embedded() -> None:
    signed = endorsement()
    alone = VERIFIER.verify(signed)
    assert alone.verified, alone.summary
    assert "endorsementcredential" in alone.checks[0].reason
    credential = signed_sample(KEY)
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    unsigned["credentialSubject"]["achievement"]["endorsement"] = [signed]
    with_endorsement = sign_data_integrity(unsigned, KEY, KEY.did_key_verification_method, created=NOW)
    result = VERIFIER.verify(with_endorsement)
    assert result.verified, result.summary
    assert [n.kind for n in result.nested] == ["endorsement"]
    assert {c.check: c.reason for c in result.checks}["endorsements"] == "all 1 verified"
    forged = copy.deepcopy(unsigned)
    forged["credentialSubject"]["achievement"]["endorsement"] = [endorsement("changed")]
    forged["credentialSubject"]["achievement"]["endorsement"][0]["credentialSubject"]["endorsementComment"] = "x"
    resigned = sign_data_integrity(forged, KEY, KEY.did_key_verification_method, created=NOW)
    result = VERIFIER.verify(resigned)
    assert not result.verified and "endorsement[0]" in next(c for c in result.checks if not c.passed).reason


def test_endorsement_builder_validates() -> None:
    with pytest.raises(SchemaValidationError):
        build_endorsement_credential(
            credential_id="urn:x",
            endorser=IssuerProfile(id=PARTNER.did_key, name="P"),
            endorsed_id="urn:y",
            name="E",
            valid_from=NOW,
            valid_until=NOW - timedelta(days=1),
        )


def test_nesting_depth_is_limited() -> None:
    shallow = Verifier(default_resolver(), now=lambda: NOW, max_depth=0)
    result = shallow.verify(clr([signed_sample(KEY)]))
    assert not result.verified and "nested deeper" in result.summary
