"""VC-JOSE: credentials secured as compact JWS (``application/vc+jwt``) with EdDSA / Ed25519.

The form follows OB 3.0 §8.2 where it and VC-JOSE-COSE disagree, and VC-JOSE-COSE everywhere else (docs/jwt.md):
the payload is the credential itself (no ``vc`` claim, which VC-JOSE-COSE forbids and OB 3.0 §8.2 no longer
uses) plus the OB claims ``iss``, ``jti``, ``nbf``, ``sub``, ``exp``; the header is ``{alg, kid, typ: "JWT"}``
(OB 3.0: ``typ`` "If present, MUST be set to JWT"; VC-JOSE-COSE only says SHOULD ``vc+jwt``). Both ``typ`` values
are accepted on input, and so is the VCDM 1.1 ``vc`` claim.
"""

from __future__ import annotations

import base64
import json
import warnings
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from microcred.vc.dataintegrity import parse_datetime
from microcred.vc.errors import KeyFormatError, KeyResolutionError, SigningError
from microcred.vc.fields import issuer_id
from microcred.vc.keys import Ed25519Key
from microcred.vc.resolvers import KeyResolver, ResolvedKey

MEDIA_TYPE = "application/vc+jwt"


class JoseAlg(StrEnum):
    """The JWS ``alg`` values accepted: "EdDSA" is what deployed wallets and verifiers understand (and what this
    instance signs with); RFC 9864's fully-specified "Ed25519" is accepted too."""

    EDDSA = "EdDSA"
    ED25519 = "Ed25519"


SIGNING_ALG: str = JoseAlg.EDDSA.value
ACCEPTED_ALGS: tuple[str, ...] = tuple(alg.value for alg in JoseAlg)
# JWT claims that OB 3.0 asks for next to the credential; they are checked and removed before the credential is used.
JWT_CLAIMS = ("iss", "jti", "nbf", "sub", "exp", "iat")
# The JOSE header typ written (OB 3.0 §8.2) and the ones read: OB's "JWT", VC-JOSE-COSE's "vc+jwt" and the
# "vc+ld+jwt" of its drafts, each also with the "application/" prefix RFC 7515 §4.1.9 lets a producer keep.
SIGNING_TYP = "JWT"


class JoseTyp(StrEnum):
    """The header ``typ`` values read as marking a credential, lower-cased and without the "application/" prefix."""

    JWT = "jwt"
    VC_JWT = "vc+jwt"
    VC_LD_JWT = "vc+ld+jwt"


ACCEPTED_TYPS: tuple[str, ...] = tuple(typ.value for typ in JoseTyp)


def _subject_id(credential: dict[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    value = subject.get("id") if isinstance(subject, dict) else None
    return value if isinstance(value, str) else None


def _claims_for(credential: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    if issuer_id(credential):
        claims["iss"] = issuer_id(credential)
    if isinstance(credential.get("id"), str):
        claims["jti"] = credential["id"]
    # VCDM 2.0 validFrom / validUntil; a VCDM 1.1 credential has issuanceDate / expirationDate instead.
    start = credential.get("validFrom", credential.get("issuanceDate"))
    end = credential.get("validUntil", credential.get("expirationDate"))
    if isinstance(start, str):
        claims["nbf"] = int(parse_datetime(start).timestamp())
    if isinstance(end, str):
        claims["exp"] = int(parse_datetime(end).timestamp())
    if _subject_id(credential):
        claims["sub"] = _subject_id(credential)
    return claims


def _okp(key: Ed25519Key, private: bool) -> OKPKey:
    return OKPKey.import_key(key.private_jwk() if private else key.public_jwk())  # type: ignore[arg-type]


def sign_jwt(credential: dict[str, Any], key: Ed25519Key, kid: str) -> str:
    """Secure ``credential`` as a compact JWS: header {alg, typ: JWT, kid}; payload = credential + OB 3.0 claims."""
    if not isinstance(credential, dict):
        raise SigningError("a credential must be a JSON object")
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    try:
        payload = {**unsecured, **_claims_for(unsecured)}
    except ValueError as exc:
        raise SigningError(str(exc)) from None
    header = {"alg": SIGNING_ALG, "typ": SIGNING_TYP, "kid": kid}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jws.serialize_compact(
            header, json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode(), _okp(key, True),
            algorithms=[SIGNING_ALG],
        )


def looks_like_jwt(text: str) -> bool:
    parts = text.strip().split(".")
    return len(parts) == 3 and all(parts[:2]) and all(
        c.isalnum() or c in "-_" for c in "".join(parts)
    )


def _b64json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


@dataclass(frozen=True)
class JwtOutcome:
    verified: bool
    reason: str
    header: dict[str, Any]
    credential: dict[str, Any] | None
    resolved: ResolvedKey | None = None
    kid: str | None = None


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a compact JWS, without checking anything (raises ValueError when malformed)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ValueError("a compact JWS has three dot-separated parts")
    try:
        header, payload = _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the JWS header or payload is not base64url-encoded JSON") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ValueError("the JWS header and payload must be JSON objects")
    return header, payload


def credential_from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The credential in a JWT payload: VCDM 2.0 (payload is the credential) or VC 1.1 (``vc`` claim)."""
    if isinstance(payload.get("vc"), dict):
        return dict(payload["vc"])
    return {k: v for k, v in payload.items() if k not in JWT_CLAIMS}


def verify_jwt(token: str, resolver: KeyResolver) -> JwtOutcome:
    try:
        header, payload = decode_unverified(token)
    except ValueError as exc:
        return JwtOutcome(False, str(exc), {}, None)
    credential = credential_from_payload(payload)
    alg = header.get("alg")
    if alg not in ACCEPTED_ALGS:
        return JwtOutcome(False, f"JWS algorithm {alg!r} is not supported (use EdDSA / Ed25519)", header, credential)
    extra = set(header) - {"alg", "kid", "typ", "cty", "jwk"}
    if extra:
        return JwtOutcome(False, f"unexpected JOSE header parameters: {', '.join(sorted(extra))}", header, credential)
    typ_problem = _typ_problem(header.get("typ"))
    if typ_problem:
        return JwtOutcome(False, typ_problem, header, credential)
    kid = header.get("kid")
    try:
        if isinstance(kid, str) and kid:
            resolved = resolver.resolve(kid)
        elif isinstance(header.get("jwk"), dict):
            # An embedded key proves nothing about who signed; it is only acceptable for a did:key issuer.
            embedded = Ed25519Key.from_jwk(header["jwk"])
            issuer = issuer_id(credential) or ""
            if issuer != embedded.did_key:
                return JwtOutcome(False, "the JWS carries its own key, which is not the issuer's", header, credential)
            resolved = ResolvedKey(embedded, issuer)
        else:
            return JwtOutcome(False, "the JWS header names no key (kid)", header, credential)
    except (KeyResolutionError, KeyFormatError) as exc:
        return JwtOutcome(False, str(exc), header, credential, kid=kid)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jws.deserialize_compact(token.strip(), _okp(resolved.key, False), algorithms=list(ACCEPTED_ALGS))
    except (JoseError, ValueError):
        return JwtOutcome(False, "the JWS signature does not match (altered, or signed by another key)",
                          header, credential, resolved, kid)
    mismatch = _claim_mismatch(payload, credential)
    if mismatch:
        return JwtOutcome(False, mismatch, header, credential, resolved, kid)
    return JwtOutcome(True, f"JWS signed by {kid or resolved.controller}", header, credential, resolved, kid)


def _typ_problem(typ: Any) -> str | None:
    """None when the JOSE ``typ`` is absent or names a credential JWT; otherwise why the token is refused."""
    if typ is None:
        return None
    text = typ.lower() if isinstance(typ, str) else ""
    if text.startswith("application/"):
        text = text[len("application/") :]
    if text in ACCEPTED_TYPS:
        return None
    return (
        f"JOSE header typ {str(typ)[:60]!r} does not mark a credential "
        "(expected \"JWT\" as OB 3.0 asks, or \"vc+jwt\" as VC-JOSE-COSE asks)"
    )


def _claim_mismatch(payload: dict[str, Any], credential: dict[str, Any]) -> str | None:
    try:
        expected = _claims_for(credential)
    except ValueError as exc:
        return str(exc)
    for claim in ("iss", "jti", "sub", "nbf", "exp"):
        if claim in payload and "vc" not in payload and payload[claim] != expected.get(claim):
            return f"JWT claim {claim!r} does not match the credential"
    return None
