"""VC-JOSE: header, claims, and the ways a JWT must fail (the form chosen, OB 3.0 §8.2 vs VC-JOSE-COSE: docs/jwt.md)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
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
    # OB 3.0 §8.2: typ "JWT" (VC-JOSE-COSE only says SHOULD vc+jwt); no other header parameter
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": KEY.did_key_verification_method}
    assert payload["iss"] == KEY.did_key and payload["jti"] == credential["id"]
    assert payload["sub"] == "did:example:learner"
    assert payload["nbf"] == int(datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00")).timestamp())
    assert payload["nbf"] < payload["exp"]
    assert "proof" not in payload
    # the payload is the credential itself (VC-JOSE-COSE: the vc and vp claims MUST NOT be present)
    assert "vc" not in payload and "vp" not in payload
    assert {k: payload[k] for k in credential} == {k: v for k, v in credential.items() if k != "proof"}
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


def test_sub_only_when_the_subject_has_an_id() -> None:
    credential = sample_credential(issuer_id=KEY.did_key)
    credential["credentialSubject"].pop("id", None)
    _, payload = decode_unverified(sign_jwt(credential, KEY, KEY.did_key_verification_method))
    assert "sub" not in payload  # never invented: the builder gives every subject a stable id


@pytest.mark.parametrize("typ", ["JWT", "jwt", "vc+jwt", "application/vc+jwt", "vc+ld+jwt", None])
def test_both_typ_values_are_accepted(typ: str | None) -> None:
    credential = sample_credential(issuer_id=KEY.did_key)
    header: dict[str, Any] = {"alg": "EdDSA", "kid": KEY.did_key_verification_method}
    if typ is not None:
        header["typ"] = typ
    outcome = verify_jwt(raw_token(header, credential), RESOLVER)
    assert outcome.verified, outcome.reason


@pytest.mark.parametrize("typ", ["vp+jwt", "dc+sd-jwt", "openid4vci-proof+jwt", 5])
def test_other_typ_values_are_refused(typ: Any) -> None:
    credential = sample_credential(issuer_id=KEY.did_key)
    header = {"alg": "EdDSA", "kid": KEY.did_key_verification_method, "typ": typ}
    outcome = verify_jwt(f"{b64(header)}.{b64(credential)}.{'A' * 86}", RESOLVER)  # refused before the signature
    assert not outcome.verified and "does not mark a credential" in outcome.reason


def test_vcdm_1_1_dates_give_nbf_and_exp() -> None:
    credential = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "id": "urn:uuid:0b0c0d0e-1111-4222-8333-444455556666",
        "type": ["VerifiableCredential"],
        "issuer": KEY.did_key,
        "issuanceDate": "2020-03-16T22:37:26Z",
        "expirationDate": "2030-03-16T22:37:26Z",
        "credentialSubject": {"id": "did:example:holder"},
    }
    token = sign_jwt(credential, KEY, KEY.did_key_verification_method)
    _, payload = decode_unverified(token)
    assert payload["nbf"] == 1584398246 and payload["exp"] == 1899931046
    assert payload["sub"] == "did:example:holder"
    assert verify_jwt(token, RESOLVER).verified
