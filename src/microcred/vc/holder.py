"""Holder proofs: a compact JWS a holder signs over a server's nonce, with a did:key (``kid``) or a ``jwk``.

Used for DID Auth (binding an earner's DID) and for OpenID4VCI key proofs (``typ: openid4vci-proof+jwt``,
``aud`` = the credential issuer, ``iat``, ``nonce`` = the issuer's ``c_nonce``). Only Ed25519 (EdDSA) keys.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from microcred.vc.did import key_from_did_key
from microcred.vc.errors import KeyFormatError, KeyResolutionError, VCError
from microcred.vc.jose import ACCEPTED_ALGS, decode_unverified
from microcred.vc.keys import Ed25519Key

OID4VCI_PROOF_TYP = "openid4vci-proof+jwt"
DID_AUTH_TYP = "JWT"


class HolderProofError(VCError):
    """A holder proof that does not hold (the message says why)."""


@dataclass(frozen=True)
class HolderProof:
    did: str  # the holder's did:key (from the kid, or derived from the jwk)
    nonce: str
    payload: dict[str, Any]


def sign_holder_jwt(
    key: Ed25519Key, *, audience: str, nonce: str, typ: str = OID4VCI_PROOF_TYP, use_jwk: bool = False,
    iat: int | None = None, extra: dict[str, Any] | None = None,
) -> str:
    """What a wallet does: sign {aud, iat, nonce} with its key, naming it by did:key ``kid`` (or ``jwk``)."""
    header: dict[str, Any] = {"alg": "EdDSA", "typ": typ}
    if use_jwk:
        header["jwk"] = key.public_jwk()
    else:
        header["kid"] = key.did_key_verification_method
    payload = {"aud": audience, "iat": int(time.time()) if iat is None else iat, "nonce": nonce, **(extra or {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jws.serialize_compact(
            header, json.dumps(payload, separators=(",", ":")).encode(),
            OKPKey.import_key(key.private_jwk()),  # type: ignore[arg-type]
            algorithms=["EdDSA"],
        )


def _holder_key(header: dict[str, Any]) -> tuple[Ed25519Key, str]:
    """The key the proof names (exactly one of a did:key ``kid`` or a public ``jwk``) and the holder's DID."""
    kid, jwk = header.get("kid"), header.get("jwk")
    if (kid is None) == (jwk is None):
        raise HolderProofError("the proof must name its key by exactly one of kid (a did:key URL) or jwk")
    try:
        if isinstance(kid, str):
            return key_from_did_key(kid), kid.split("#", 1)[0]
        if isinstance(jwk, dict):
            if "d" in jwk:
                raise HolderProofError("the jwk header must not carry a private key")
            key = Ed25519Key.from_jwk(jwk)
            return key, key.did_key
        raise HolderProofError("the proof's kid must be a string and jwk an object")
    except (KeyResolutionError, KeyFormatError) as exc:
        raise HolderProofError(f"the proof's key cannot be used: {exc}") from None


def _check_claims(payload: dict[str, Any], audience: str, max_age_seconds: int, now: float | None) -> str:
    """``aud``, ``iat`` freshness and a ``nonce``; returns the nonce."""
    aud = payload.get("aud")
    if aud != audience and not (isinstance(aud, list) and audience in aud):
        raise HolderProofError(f"the proof's aud must be {audience!r}")
    iat = payload.get("iat")
    current = time.time() if now is None else now
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise HolderProofError("the proof has no iat (issued-at time)")
    if iat > current + 60 or iat < current - max_age_seconds:
        raise HolderProofError(f"the proof's iat is outside the accepted window ({max_age_seconds} s)")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise HolderProofError("the proof carries no nonce")
    return nonce


def verify_holder_jwt(
    token: str, *, typ: str, audience: str, max_age_seconds: int = 300, now: float | None = None
) -> HolderProof:
    """Check header (typ, alg, one key), signature, ``aud``, ``iat`` freshness and that a ``nonce`` is present.

    The caller checks the nonce itself (it is one-time and kept in the caller's store)."""
    if not isinstance(token, str) or len(token) > 16_000:
        raise HolderProofError("the proof must be a compact JWS string")
    try:
        header, payload = decode_unverified(token)
    except ValueError as exc:
        raise HolderProofError(str(exc)) from None
    if header.get("typ") != typ:
        raise HolderProofError(f"the proof's typ must be {typ!r} (got {str(header.get('typ'))[:60]!r})")
    if header.get("alg") not in ACCEPTED_ALGS:
        raise HolderProofError(f"proof algorithm {str(header.get('alg'))[:20]!r} is not supported (use EdDSA)")
    key, did = _holder_key(header)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jws.deserialize_compact(
                token.strip(),
                OKPKey.import_key(key.public_jwk()),  # type: ignore[arg-type]
                algorithms=list(ACCEPTED_ALGS),
            )
    except (JoseError, ValueError):
        raise HolderProofError("the proof's signature does not match its key") from None
    nonce = _check_claims(payload, audience, max_age_seconds, now)
    return HolderProof(did=did, nonce=nonce, payload=payload)
