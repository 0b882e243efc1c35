"""Holder proofs (DID Auth / OID4VCI key proofs) and generated badge images (pure, no database)."""

from __future__ import annotations

import json
import time

import pytest

from microcred.vc import Ed25519Key
from microcred.vc.badge_image import badge_png, badge_svg
from microcred.vc.baking import bake_png, bake_svg, unbake
from microcred.vc.holder import OID4VCI_PROOF_TYP, HolderProofError, sign_holder_jwt, verify_holder_jwt

AUD = "https://issuer.example"


def test_kid_and_jwk_proofs_name_the_did_key() -> None:
    key = Ed25519Key.generate()
    for use_jwk in (False, True):
        proof = verify_holder_jwt(sign_holder_jwt(key, audience=AUD, nonce="n", use_jwk=use_jwk),
                                  typ=OID4VCI_PROOF_TYP, audience=AUD)
        assert proof.did == key.did_key and proof.nonce == "n"


@pytest.mark.parametrize(
    "kwargs, audience, reason",
    [
        ({"typ": "JWT"}, AUD, "typ"),
        ({}, "https://other.example", "aud"),
        ({"iat": int(time.time()) - 3600}, AUD, "iat"),
        ({"nonce": ""}, AUD, "nonce"),
    ],
)
def test_bad_proofs_are_refused_with_a_reason(kwargs: dict[str, object], audience: str, reason: str) -> None:
    key = Ed25519Key.generate()
    values: dict[str, object] = {"audience": AUD, "nonce": "n", **kwargs}
    token = sign_holder_jwt(key, **values)  # type: ignore[arg-type]
    with pytest.raises(HolderProofError, match=reason):
        verify_holder_jwt(token, typ=OID4VCI_PROOF_TYP, audience=audience)


def test_a_tampered_proof_fails() -> None:
    token = sign_holder_jwt(Ed25519Key.generate(), audience=AUD, nonce="n")
    _header, payload, signature = token.split(".")
    other = sign_holder_jwt(Ed25519Key.generate(), audience=AUD, nonce="n").split(".")[0]
    with pytest.raises(HolderProofError, match="signature"):
        verify_holder_jwt(f"{other}.{payload}.{signature}", typ=OID4VCI_PROOF_TYP, audience=AUD)
    with pytest.raises(HolderProofError):
        verify_holder_jwt("not a jws", typ=OID4VCI_PROOF_TYP, audience=AUD)


def test_generated_badges_bake_and_escape_text() -> None:
    png = bake_png(badge_png("A very long achievement name that wraps over several lines " * 2, "College"), {"a": 1})
    assert json.loads(unbake(png)) == {"a": 1}
    svg = badge_svg("Food <Safety> & \"Hygiene\"", "T&C")
    assert "<Safety>" not in svg and "&lt;Safety&gt;" in svg
    assert unbake(bake_svg(svg, "a.b.c").encode()) == "a.b.c"
