"""The web side of verification: VC-API envelopes, verify options and response shape over `microcred.verification`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from microcred.errors import InvalidInput
from microcred.settings import Settings
from microcred.vc import CheckResult, VerificationResult
from microcred.vc.dataintegrity import proofs_of
from microcred.vc.fields import as_list
from microcred.verification import instance_verifier
from microcred.web.deps import SessionFactory

# Media types an EnvelopedVerifiableCredential may carry here (its id is `data:<media type>,<compact JWS>`).
ENVELOPED_MEDIA_TYPES = ("application/vc+jwt", "application/vc-ld+jwt", "application/jwt")

# VC-API verify options: the current VC-API's returnResults / returnProblemDetails / returnCredential, and what the
# W3C Data Integrity test suites send (checks, expectedProofPurpose, domain, challenge: vc-data-integrity §4.4).
VERIFY_OPTIONS = (
    "challenge",
    "checks",
    "domain",
    "expectedProofPurpose",
    "returnCredential",
    "returnProblemDetails",
    "returnResults",
)
# `checks` may name any check this verifier performs (every check always runs; naming fewer skips none), plus the
# names other VC-API implementations use for the same checks.
KNOWN_CHECKS = {
    "proof": "proof",
    "issuer": "issuer",
    "schema": "schema",
    "credentialSchema": "schema",
    "context": "context",
    "vocabulary": "vocabulary",
    "validity": "validity",
    "expiration": "validity",
    "validFrom": "validity",
    "validUntil": "validity",
    "status": "status",
    "credentialStatus": "status",
}
VERIFIED_PROOF_PURPOSE = "assertionMethod"

_PROBLEM_TYPES = {
    "format": "PARSING_ERROR",
    "proof": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "issuer": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "proof purpose": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "domain": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "challenge": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "validity": "RANGE_ERROR",
}


class BadVerifyRequest(InvalidInput):
    """A verify request that cannot be processed: the route answers 400 with this reason (the VC-API's status for a
    malformed request, not the 422 of other InvalidInput), nothing verified."""


@dataclass(frozen=True)
class VerifyOptions:
    checks: tuple[str, ...] = ()
    expected_proof_purpose: str | None = None
    domain: str | None = None
    challenge: str | None = None
    return_results: bool = False
    return_problem_details: bool = False
    return_credential: bool = False


def parse_verify_options(options: Mapping[str, Any]) -> VerifyOptions:
    """VC-API verify options, or BadVerifyRequest naming what is wrong (unknown keys, wrong types)."""
    unknown = sorted(k for k in options if k not in VERIFY_OPTIONS)
    if unknown:
        raise BadVerifyRequest(
            f"unsupported option(s): {', '.join(unknown)[:300]}; this verifier accepts {', '.join(VERIFY_OPTIONS)}"
        )
    checks = options.get("checks", [])
    if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
        raise BadVerifyRequest("options.checks must be a list of check names (e.g. [\"proof\"])")
    unknown_checks = sorted({c for c in checks if c not in KNOWN_CHECKS})
    if unknown_checks:
        raise BadVerifyRequest(
            f"options.checks names check(s) this verifier does not perform: {', '.join(unknown_checks)[:300]} "
            f"(known: {', '.join(KNOWN_CHECKS)})"
        )
    strings: dict[str, str | None] = {}
    for name in ("expectedProofPurpose", "domain", "challenge"):
        value = options.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise BadVerifyRequest(f"options.{name} must be a non-empty string")
        strings[name] = value
    flags: dict[str, bool] = {}
    for name in ("returnResults", "returnProblemDetails", "returnCredential"):
        value = options.get(name, False)
        if not isinstance(value, bool):
            raise BadVerifyRequest(f"options.{name} must be true or false")
        flags[name] = value
    return VerifyOptions(
        checks=tuple(checks),
        expected_proof_purpose=strings["expectedProofPurpose"],
        domain=strings["domain"],
        challenge=strings["challenge"],
        return_results=flags["returnResults"],
        return_problem_details=flags["returnProblemDetails"],
        return_credential=flags["returnCredential"],
    )


def vc_api_source(value: Any) -> dict[str, Any] | str:
    """What ``verifiableCredential`` of a VC-API verify request holds: a credential object, or the compact JWS of an
    ``EnvelopedVerifiableCredential``. Anything else is a BadVerifyRequest with the reason."""
    if not isinstance(value, dict):
        kind = _json_kind(value)
        hint = (
            '; to verify a VC-JWT send {"@context": ["https://www.w3.org/ns/credentials/v2"], '
            '"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt,<the JWT>"}'
            if isinstance(value, str)
            else ""
        )
        raise BadVerifyRequest(
            f"verifiableCredential must be a JSON object (a credential with an embedded proof, or an "
            f"EnvelopedVerifiableCredential); got {kind}{hint}"
        )
    if "EnvelopedVerifiableCredential" not in as_list(value.get("type")):
        return value
    ident = value.get("id")
    if not isinstance(ident, str) or not ident.startswith("data:") or "," not in ident:
        raise BadVerifyRequest(
            "an EnvelopedVerifiableCredential needs an id of the form data:application/vc+jwt,<compact JWS>"
        )
    header, _, payload = ident[len("data:") :].partition(",")
    media_type = header.split(";", 1)[0].strip().lower()
    if media_type not in ENVELOPED_MEDIA_TYPES:
        raise BadVerifyRequest(
            f"the enveloped credential's media type {media_type[:60]!r} is not supported here "
            f"(supported: {', '.join(ENVELOPED_MEDIA_TYPES)})"
        )
    if ";base64" in header.lower():
        raise BadVerifyRequest("a compact JWS is sent as text in the data: URL, not base64-encoded")
    return payload


def unwrap_enveloped(source: Any) -> Any:
    """An ``EnvelopedVerifiableCredential`` (``id`` = ``data:application/vc+jwt,<jws>``) -> the JWS string."""
    if isinstance(source, dict):
        types = source.get("type")
        type_list = types if isinstance(types, list) else [types]
        ident = source.get("id")
        if "EnvelopedVerifiableCredential" in type_list and isinstance(ident, str) and ident.startswith("data:"):
            header, _, payload = ident.partition(",")
            if "vc+jwt" in header or "vc+sd-jwt" in header or "jwt" in header:
                return payload
    return source


def verify(settings: Settings, session_factory: SessionFactory, source: dict[str, Any] | str) -> VerificationResult:
    # The same verifier as `microcred verify`; a broken trusted-keys file is logged, not fatal, on the server.
    return instance_verifier(session_factory, settings, strict=False).verify(unwrap_enveloped(source))


def verify_all(
    settings: Settings, session_factory: SessionFactory, sources: list[dict[str, Any] | str]
) -> list[VerificationResult]:
    """Verify several credentials (a backpack, a list) with one verifier and one read of the store's stamp."""
    verifier = instance_verifier(session_factory, settings, strict=False)
    return verifier.verify_all([unwrap_enveloped(source) for source in sources])


def apply_options(result: VerificationResult, options: VerifyOptions) -> VerificationResult:
    """The proof checks the request's options add (expected proof purpose, domain, challenge), as failed or passed
    checks of the result; the verdict is recomputed over all of them."""
    extra: list[CheckResult] = []
    credential = result.credential
    proofs = [p for p in proofs_of(credential) if isinstance(p, dict)] if credential and result.format == "di" else []
    jwt = result.format == "jwt"
    if options.expected_proof_purpose is not None:
        extra.append(_purpose_check(options.expected_proof_purpose, proofs, jwt))
    for name, expected in (("domain", options.domain), ("challenge", options.challenge)):
        if expected is not None:
            extra.append(_binding_check(name, expected, proofs, jwt))
    if not extra:
        return result
    checks = (*result.checks, *extra)
    verified = result.verified and all(c.passed for c in extra)
    return replace(result, verified=verified, checks=checks)


def _purpose_check(expected: str, proofs: list[dict[str, Any]], jwt: bool) -> CheckResult:
    found = ["assertionMethod (a VC-JWT)"] if jwt else [str(p.get("proofPurpose")) for p in proofs]
    purposes = [VERIFIED_PROOF_PURPOSE] if jwt else [p.get("proofPurpose") for p in proofs]
    if expected not in purposes:
        shown = ", ".join(found) or "no proof"
        return CheckResult("proof purpose", False, f"no proof has the expected purpose {expected!r} (found: {shown})")
    if expected != VERIFIED_PROOF_PURPOSE:
        return CheckResult(
            "proof purpose",
            False,
            f"this verifier checks credentials' {VERIFIED_PROOF_PURPOSE} proofs; a {expected!r} proof is not verified",
        )
    return CheckResult("proof purpose", True, f"the proof purpose is {expected}")


def _binding_check(name: str, expected: str, proofs: list[dict[str, Any]], jwt: bool) -> CheckResult:
    """vc-data-integrity §4.4: a domain / challenge in the options MUST equal the proof's."""
    if jwt:
        return CheckResult(name, False, f"a VC-JWT carries no {name}; options.{name} cannot be met")
    for proof in proofs:
        value = proof.get(name)
        if value == expected or (name == "domain" and isinstance(value, list) and expected in value):
            return CheckResult(name, True, f"the proof's {name} is {expected!r}")
    values = [str(p.get(name)) for p in proofs if p.get(name) is not None]
    found = ", ".join(repr(v[:80]) for v in values) if values else "none"
    return CheckResult(
        name, False, f"the proof's {name} does not match options.{name} {expected[:80]!r} (found: {found})"
    )


def result_json(
    result: VerificationResult, options: VerifyOptions | None = None, source: Any = None
) -> dict[str, Any]:
    """The VC-API verify response: verified, every check, and the failed checks' reasons as errors; with the
    current VC-API's ``credential``, ``problemDetails`` and ``results`` when the options ask for them."""
    body: dict[str, Any] = {
        "verified": result.verified,
        "checks": [c.to_json() for c in result.checks],
        "errors": [f"{c.check}: {c.reason}" for c in result.checks if not c.passed],
        "warnings": [],
        "format": result.format,
    }
    if options is None:
        return body
    if options.return_credential:
        body["credential"] = source
    if options.return_problem_details:
        body["problemDetails"] = [
            {
                "type": "https://www.w3.org/TR/vc-data-model#" + _PROBLEM_TYPES.get(c.check, "MALFORMED_VALUE_ERROR"),
                "title": c.check,
                "detail": c.reason,
            }
            for c in result.checks
            if not c.passed
        ]
    if options.return_results:
        body["results"] = _results(result)
    return body


def _results(result: VerificationResult) -> dict[str, Any]:
    """VC-API ``results``: per proof, validity bound, schema and status entry (each with the verdict of its check)."""
    credential = result.credential or {}
    by_check: dict[str, bool] = {}
    for check in result.checks:
        by_check[check.check] = by_check.get(check.check, True) and check.passed
    results: dict[str, Any] = {
        "proof": [{"verified": by_check.get("proof", False), "input": p} for p in proofs_of(credential)]
        if result.format == "di"
        else [{"verified": by_check.get("proof", False), "input": "JWS"}],
    }
    bounds = (("validFrom", ("validFrom", "issuanceDate")), ("validUntil", ("validUntil", "expirationDate")))
    for bound, names in bounds:
        for name in names:
            if name in credential:
                results[bound] = {"verified": by_check.get("validity", False), "input": credential[name]}
                break
    if "credentialSchema" in credential:
        results["credentialSchema"] = [
            {"verified": by_check.get("schema", False), "input": s} for s in as_list(credential["credentialSchema"])
        ]
    if "credentialStatus" in credential:
        results["credentialStatus"] = [
            {"verified": by_check.get("status", False), "input": s} for s in as_list(credential["credentialStatus"])
        ]
    return results


def refusal_json(reason: str) -> dict[str, Any]:
    """The 400 body of a verify request that could not be processed: the same shape as a verdict, plus ``error``."""
    return {
        "error": reason,
        "verified": False,
        "checks": [{"check": "request", "passed": False, "reason": reason}],
        "errors": [f"request: {reason}"],
        "warnings": [],
        "format": None,
    }


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__
