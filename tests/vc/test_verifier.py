"""The verifier: every check reported with a reason; anything unchecked is a failure."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from microcred.vc import (
    ChainResolver,
    DidKeyResolver,
    Ed25519Key,
    PinnedKeyResolver,
    ResolvedKey,
    Verifier,
    default_resolver,
    sign_data_integrity,
    sign_jwt,
)
from microcred.vc.errors import KeyResolutionError
from support.credentials import NOW, sample_credential, signed_sample
from support.vectors import EXAMPLES, load

KEY = Ed25519Key.from_seed(bytes(range(32)))


def verifier(**kwargs: Any) -> Verifier:
    return Verifier(default_resolver(), now=lambda: NOW, **kwargs)


def checks(result: Any) -> dict[str, tuple[bool, str]]:
    return {c.check: (c.passed, c.reason) for c in result.checks}


def test_own_credential_verifies_with_every_check_listed() -> None:
    result = verifier().verify(signed_sample(KEY))
    assert result.verified, result.summary
    assert set(checks(result)) == {"schema", "context", "vocabulary", "proof", "issuer", "validity"}
    assert result.format == "di"
    assert result.issuer == KEY.did_key
    assert result.to_json()["verified"] is True


def test_json_text_input_and_garbage() -> None:
    assert verifier().verify(json.dumps(signed_sample(KEY))).verified
    bad = verifier().verify("{not json")
    assert not bad.verified and bad.checks[0].check == "format"
    assert not verifier().verify("[1, 2]").verified
    assert not verifier().verify(42).verified  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("file", "expect_verified"),
    [
        ("ob3-validator-simple-signed-eddsa-rdfc-2022.json", True),
        ("ob3-validator-endorsementcredential-signed-eddsa-rdfc-2022.json", True),
        ("ob3-validator-complete-signed-eddsa-rdfc-2022.json", False),
    ],
)
def test_1edtech_signed_samples_with_pinned_keys(file: str, expect_verified: bool) -> None:
    document = load(EXAMPLES / file)
    vm = document["proof"][0]["verificationMethod"]
    pinned = default_resolver(pinned={vm: vm.split("#", 1)[1]})
    result = Verifier(pinned).verify(document)
    assert result.verified is expect_verified, result.summary
    assert checks(result)["proof"][0] is True
    if not expect_verified:
        # the complete sample: its proof checks out, its 1EdTechRevocationList cannot be checked here
        assert checks(result)["status"] == (
            False,
            "status could not be checked: 1EdTechRevocationList is not supported here",
        )
        assert "status could not be checked" in result.summary
    tampered = copy.deepcopy(document)
    tampered["credentialSubject"]["id"] = "did:example:someone-else"
    tampered_result = Verifier(pinned).verify(tampered)
    assert not tampered_result.verified
    assert checks(tampered_result)["proof"][0] is False


def test_unpinned_https_key_is_not_fetched_and_fails() -> None:
    document = load(EXAMPLES / "ob3-validator-simple-signed-eddsa-rdfc-2022.json")
    result = verifier().verify(document)
    assert not result.verified
    assert (
        "not configured as trusted" in checks(result)["proof"][1]
        or "could not be resolved" in checks(result)["proof"][1]
    )


def test_expired_and_not_yet_valid() -> None:
    expired = signed_sample(KEY, valid_from=NOW - timedelta(days=30), valid_until=NOW - timedelta(days=1))
    result = verifier().verify(expired)
    assert not result.verified
    assert checks(result)["validity"][0] is False and "expired" in checks(result)["validity"][1]
    future = signed_sample(KEY, valid_from=NOW + timedelta(days=2))
    result = verifier().verify(future)
    assert not result.verified and "not valid yet" in checks(result)["validity"][1]
    current = signed_sample(KEY, valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=1))
    assert verifier().verify(current).verified


def test_issuer_must_control_the_key() -> None:
    other = Ed25519Key.from_seed(bytes([7]) * 32)
    credential = sample_credential(issuer_id=other.did_key)
    signed = sign_data_integrity(credential, KEY, KEY.did_key_verification_method, created=NOW)
    result = verifier().verify(signed)
    assert not result.verified
    assert checks(result)["issuer"][0] is False
    assert "not to the issuer" in checks(result)["issuer"][1]


def test_compromised_key_invalidates_signatures_from_then_on() -> None:
    since = NOW - timedelta(hours=1)

    class Compromised:
        def resolve(self, verification_method: str) -> ResolvedKey:
            return ResolvedKey(KEY.public_only(), KEY.did_key, "compromised", since)

    before = sign_data_integrity(
        sample_credential(issuer_id=KEY.did_key),
        KEY,
        KEY.did_key_verification_method,
        created=since - timedelta(days=1),
    )
    after = sign_data_integrity(
        sample_credential(issuer_id=KEY.did_key), KEY, KEY.did_key_verification_method, created=since
    )
    v = Verifier(Compromised(), now=lambda: NOW)
    assert v.verify(before).verified
    result = v.verify(after)
    assert not result.verified and "compromised" in checks(result)["issuer"][1]


def test_status_without_checker_is_not_a_pass_and_checker_is_used() -> None:
    credential = sample_credential(issuer_id=KEY.did_key)
    credential["credentialStatus"] = {
        "id": "https://example.ca/status/1#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": "https://example.ca/status/1",
    }
    signed = sign_data_integrity(credential, KEY, KEY.did_key_verification_method, created=NOW)
    result = verifier().verify(signed)
    assert not result.verified
    assert checks(result)["status"] == (
        False,
        "status could not be checked: BitstringStatusListEntry is not supported here",
    )

    def revoked(entry: dict[str, Any], credential: dict[str, Any]) -> tuple[bool, str]:
        return False, "revoked"

    def broken(entry: dict[str, Any], credential: dict[str, Any]) -> tuple[bool, str]:
        raise OSError("unreachable")

    def fine(entry: dict[str, Any], credential: dict[str, Any]) -> tuple[bool, str]:
        return True, "not revoked"

    assert checks(verifier(status_checker=revoked).verify(signed))["status"] == (False, "revoked")
    assert "could not be checked: unreachable" in checks(verifier(status_checker=broken).verify(signed))["status"][1]
    assert verifier(status_checker=fine).verify(signed).verified


def test_context_allow_list_and_vocabulary() -> None:
    signed = signed_sample(KEY)
    unknown = copy.deepcopy(signed)
    unknown["@context"].append("https://evil.example/ctx")
    result = verifier().verify(unknown)
    assert not result.verified and "evil.example" in checks(result)["context"][1]
    assert checks(result)["proof"][0] is False
    inline = copy.deepcopy(signed)
    inline["@context"].append({"nick": "https://evil.example/nick"})
    assert "inline" in checks(verifier().verify(inline))["context"][1]
    wrong_first = copy.deepcopy(signed)
    wrong_first["@context"] = wrong_first["@context"][1:]
    assert not verifier().verify(wrong_first).verified
    added = copy.deepcopy(signed)
    added["credentialSubject"]["note"] = "I am excellent"
    result = verifier().verify(added)
    assert not result.verified
    assert checks(result)["vocabulary"][0] is False and "note" in checks(result)["vocabulary"][1]


def test_shape_checks() -> None:
    signed = signed_sample(KEY)
    no_vc_type = copy.deepcopy(signed)
    no_vc_type["type"] = ["OpenBadgeCredential"]
    assert not verifier().verify(no_vc_type).verified
    missing_subject = copy.deepcopy(signed)
    del missing_subject["credentialSubject"]
    result = verifier().verify(missing_subject)
    assert not result.verified and checks(result)["schema"][0] is False
    no_proof = copy.deepcopy(signed)
    del no_proof["proof"]
    assert checks(verifier().verify(no_proof))["proof"] == (False, "the credential has no proof")
    bad_date = copy.deepcopy(signed)
    bad_date["validFrom"] = "yesterday"
    assert checks(verifier().verify(bad_date))["validity"][0] is False


def test_generic_vc_without_ob_schema(tmp_path: Any) -> None:
    from microcred.vc import ContextRegistry
    from support.vectors import W3C_CONTEXTS, W3C_UNSIGNED

    registry = ContextRegistry.default().with_extra_dir(W3C_CONTEXTS)
    credential = {**W3C_UNSIGNED, "issuer": KEY.did_key}
    signed = sign_data_integrity(credential, KEY, KEY.did_key_verification_method, registry=registry)
    result = Verifier(default_resolver(), registry=registry).verify(signed)
    assert result.verified, result.summary
    assert "fields a Verifiable Credential requires" in checks(result)["schema"][1]


def test_jwt_round_trip_and_tampering() -> None:
    credential = sample_credential(issuer_id=KEY.did_key, valid_until=NOW + timedelta(days=365))
    token = sign_jwt(credential, KEY, KEY.did_key_verification_method)
    result = verifier().verify(token)
    assert result.verified, result.summary
    assert result.format == "jwt"
    assert result.credential is not None and result.credential["id"] == credential["id"]
    header, _payload, signature = token.split(".")
    forged = sign_jwt({**credential, "name": "Something else"}, KEY, KEY.did_key_verification_method)
    spliced = ".".join([header, forged.split(".")[1], signature])
    assert not verifier().verify(spliced).verified
    other = Ed25519Key.from_seed(bytes([9]) * 32)
    wrong_key = sign_jwt(credential, other, KEY.did_key_verification_method)
    assert "does not match" in checks(verifier().verify(wrong_key))["proof"][1]


def test_resolver_chain_order_and_messages() -> None:
    chain = ChainResolver([DidKeyResolver(), PinnedKeyResolver({"https://x.example/k#1": KEY.public_multibase})])
    assert chain.resolve("https://x.example/k#1").controller == "https://x.example/k"
    assert chain.resolve(KEY.did_key_verification_method).key.public_bytes() == KEY.public_bytes()
    with pytest.raises(KeyResolutionError, match="could not be resolved"):
        chain.resolve("https://y.example/k#1")


def test_created_timestamps_are_utc() -> None:
    signed = sign_data_integrity(
        sample_credential(issuer_id=KEY.did_key),
        KEY,
        KEY.did_key_verification_method,
        created=datetime(2026, 1, 1, 5, 0, tzinfo=UTC) + timedelta(hours=0),
    )
    assert signed["proof"][0]["created"] == "2026-01-01T05:00:00Z"
