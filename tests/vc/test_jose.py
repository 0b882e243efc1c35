"""VC-JOSE: header, claims, and the ways a JWT must fail."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import OKPKey

from microcred.vc import Ed25519Key, SigningError, default_resolver, sign_jwt, verify_jwt
from microcred.vc.jose import credential_from_payload, decode_unverified, looks_like_jwt
from support.credentials import NOW, sample_credential

KEY = Ed25519Key.from_seed(bytes(range(32)))
RESOLVER = default_resolver()


def b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def raw_token(header: dict[str, Any], payload: dict[str, Any], key: Ed25519Key = KEY) -> str:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        okp = OKPKey.import_key(key.private_jwk())  # type: ignore[arg-type]
        return jws.serialize_compact(header, json.dumps(payload).encode(), okp, algorithms=["EdDSA", "Ed25519"])


def test_header_and_claims() -> None:
    credential = sample_credential(
        issuer_id=KEY.did_key, subject_did="did:example:learner", valid_until=NOW + timedelta(days=30)
    )
    token = sign_jwt({**credential, "proof": [{"ignored": True}]}, KEY, KEY.did_key_verification_method)
    header, payload = decode_unverified(token)
    assert header == {"alg": "EdDSA", "typ": "vc+jwt", "kid": KEY.did_key_verification_method}
    assert payload["iss"] == KEY.did_key and payload["jti"] == credential["id"]
    assert payload["sub"] == "did:example:learner"
    assert payload["nbf"] < payload["exp"]
    assert "proof" not in payload
    assert credential_from_payload(payload) == credential
    assert looks_like_jwt(token) and not looks_like_jwt("{}") and not looks_like_jwt("a.b")
    outcome = verify_jwt(token, RESOLVER)
    assert outcome.verified and outcome.kid == KEY.did_key_verification_method


def test_fully_specified_ed25519_alg_is_accepted() -> None:
    credential = sample_credential(issuer_id=KEY.did_key)
    token = raw_token({"alg": "Ed25519", "kid": KEY.did_key_verification_method}, credential)
    assert verify_jwt(token, RESOLVER).verified


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "HS256", "kid": "x"}, "not supported"),
        ({"alg": "EdDSA", "kid": KEY.did_key_verification_method, "x5u": "https://evil"}, "unexpected JOSE header"),
        ({"alg": "EdDSA"}, "names no key"),
        ({"alg": "EdDSA", "kid": "https://unknown.example/k#1"}, "could not be resolved"),
    ],
)
def test_header_failures(header: dict[str, Any], reason: str) -> None:
    payload = sample_credential(issuer_id=KEY.did_key)
    token = f"{b64(header)}.{b64(payload)}.{'A' * 86}"
    outcome = verify_jwt(token, RESOLVER)
    assert not outcome.verified and reason in outcome.reason


def test_embedded_jwk_only_for_did_key_issuer() -> None:
    credential = sample_credential(issuer_id=KEY.did_key)
    token = raw_token({"alg": "EdDSA", "jwk": KEY.public_jwk()}, credential)
    assert verify_jwt(token, RESOLVER).verified
    other = Ed25519Key.from_seed(bytes([5]) * 32)
    forged = raw_token({"alg": "EdDSA", "jwk": other.public_jwk()}, credential, other)
    outcome = verify_jwt(forged, RESOLVER)
    assert not outcome.verified and "not the issuer's" in outcome.reason


def test_claims_must_match_the_credential() -> None:
    credential = sample_credential(issuer_id=KEY.did_key)
    token = raw_token(
        {"alg": "EdDSA", "kid": KEY.did_key_verification_method}, {**credential, "iss": "did:example:someone-else"}
    )
    outcome = verify_jwt(token, RESOLVER)
    assert not outcome.verified and "'iss'" in outcome.reason


def test_vc_1_1_vc_claim_is_read() -> None:
    credential = sample_credential(issuer_id=KEY.did_key)
    token = raw_token({"alg": "EdDSA", "kid": KEY.did_key_verification_method}, {"vc": credential, "iss": "anything"})
    outcome = verify_jwt(token, RESOLVER)
    assert outcome.verified and outcome.credential == credential


@pytest.mark.parametrize("token", ["a.b", "!!!.e30.sig", f"{b64([1])}.{b64({})}.sig"])
def test_malformed_tokens(token: str) -> None:
    assert not verify_jwt(token, RESOLVER).verified


def test_sign_errors() -> None:
    with pytest.raises(SigningError):
        sign_jwt([], KEY, "k")  # type: ignore[arg-type]
    with pytest.raises(SigningError):
        sign_jwt({"validFrom": "not a date"}, KEY, "k")
