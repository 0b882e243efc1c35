"""W3C Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (vc-di-eddsa)."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from microcred.vc import jsonld
from microcred.vc.contexts import ContextRegistry
from microcred.vc.errors import (
    JsonLdError,
    JsonLdSafeModeError,
    KeyFormatError,
    KeyResolutionError,
    SigningError,
    UnknownContextError,
)
from microcred.vc.keys import Ed25519Key, decode_multibase_base58, encode_multibase_base58
from microcred.vc.resolvers import KeyResolver, ResolvedKey

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
# Defines DataIntegrityProof and its properties for documents whose own contexts do not (VCDM 1.1's
# credentials/v1 does not; credentials/v2 does).
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"


def format_datetime(value: datetime) -> str:
    """XML Schema dateTime in UTC with a ``Z`` and no fractional seconds."""
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in the year 0, 9999-12-31T23:00-02:00 in 10000
        raise ValueError(f"{value.isoformat()} is outside the years 0001 to 9999 once converted to UTC") from None
    # Four-digit years always: strftime's %Y gives '1' for the year 1 on glibc.
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"


def parse_datetime(value: str) -> datetime:
    """Parse an XML Schema dateTime that carries a time zone (``Z`` or an offset)."""
    if not isinstance(value, str):
        raise ValueError(f"not a date-time string: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    if "T" not in value and "t" not in value:
        raise ValueError(f"{value!r} is a date without a time")
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone (add Z or an offset)")
    return parsed


def _hash_data(
    unsecured: dict[str, Any], proof_config: dict[str, Any], registry: ContextRegistry | None, reference: bool
) -> bytes:
    canon = jsonld.canonicalize_reference if reference else jsonld.canonicalize
    proof_hash = hashlib.sha256(canon(proof_config, registry).encode("utf-8")).digest()
    doc_hash = hashlib.sha256(canon(unsecured, registry).encode("utf-8")).digest()
    return proof_hash + doc_hash


def _without_proof(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def with_proof_context(document: dict[str, Any], registry: ContextRegistry | None = None) -> dict[str, Any]:
    """``document`` itself when its ``@context`` defines the Data Integrity proof terms, otherwise a copy with the
    Data Integrity context appended (vc-data-integrity, "Contexts and Vocabularies"; what VCDM 1.1 credentials need).

    The test is the proof configuration itself expanded in safe mode, so any context that defines the terms counts.
    An unknown context is left for the signer to report.
    """
    contexts = document.get("@context")
    context_list = list(contexts) if isinstance(contexts, list) else [contexts]
    if DATA_INTEGRITY_V2 in context_list:
        return document
    probe = {
        "@context": contexts,
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": "2000-01-01T00:00:00Z",
        "verificationMethod": "did:example:probe#key",
        "proofPurpose": "assertionMethod",
    }
    try:
        jsonld.expand(probe, registry)
    except JsonLdSafeModeError:
        return {**document, "@context": [*context_list, DATA_INTEGRITY_V2]}
    except (UnknownContextError, JsonLdError):
        return document
    return document


def sign_data_integrity(
    credential: dict[str, Any],
    key: Ed25519Key,
    verification_method: str,
    *,
    created: datetime | str | None = None,
    registry: ContextRegistry | None = None,
    proof_purpose: str = "assertionMethod",
    reference: bool = False,
) -> dict[str, Any]:
    """Return a copy of ``credential`` with an eddsa-rdfc-2022 ``DataIntegrityProof`` appended to ``proof``.

    ``proof`` is written as an array (what the OB 3.0 JSON Schema requires). Existing proofs are kept and are not
    covered by the new one (a proof set, not a chain).
    """
    if not isinstance(credential, dict):
        raise SigningError("a credential must be a JSON object")
    if "@context" not in credential:
        raise SigningError("the credential has no @context")
    if created is None:
        created_text = format_datetime(datetime.now(UTC))
    elif isinstance(created, datetime):
        created_text = format_datetime(created)
    else:
        try:
            parse_datetime(created)
        except ValueError as exc:
            raise SigningError(f"--created: {exc}") from None
        created_text = created
    unsecured = _without_proof(credential)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created_text,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    proof_config = {**proof, "@context": credential["@context"]}
    try:
        message = _hash_data(unsecured, proof_config, registry, reference)
    except (UnknownContextError, JsonLdSafeModeError, JsonLdError) as exc:
        raise SigningError(str(exc)) from exc
    proof["proofValue"] = encode_multibase_base58(key.sign(message))
    signed = copy.deepcopy(credential)
    existing = signed.get("proof")
    proofs = [] if existing is None else (existing if isinstance(existing, list) else [existing])
    signed["proof"] = [*proofs, proof]
    return signed


@dataclass(frozen=True)
class ProofOutcome:
    """The outcome of checking one proof."""

    verified: bool
    reason: str
    verification_method: str | None = None
    resolved: ResolvedKey | None = None
    created: datetime | None = None


def proofs_of(document: dict[str, Any]) -> list[Any]:
    proof = document.get("proof")
    if proof is None:
        return []
    return proof if isinstance(proof, list) else [proof]


def _proof_header_problem(proof: Any, expected_purpose: str) -> ProofOutcome | None:
    """Why ``proof`` cannot be one of ours (not an object, other suite, no key, other purpose); None if it can."""
    if not isinstance(proof, dict):
        return ProofOutcome(False, "the proof is not a JSON object")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return ProofOutcome(
            False,
            f"unsupported proof type {proof.get('type')!r} / cryptosuite {proof.get('cryptosuite')!r} "
            f"(supported: {PROOF_TYPE} with {CRYPTOSUITE})",
        )
    vm = proof.get("verificationMethod")
    if not isinstance(vm, str) or not vm:
        return ProofOutcome(False, "the proof has no verificationMethod")
    if proof.get("proofPurpose") != expected_purpose:
        return ProofOutcome(False, f"proof purpose is {proof.get('proofPurpose')!r}, expected {expected_purpose!r}", vm)
    return None


def _signature(proof: dict[str, Any]) -> bytes:
    """The proofValue's bytes (empty when it is not base58btc multibase)."""
    proof_value = proof.get("proofValue")
    try:
        return decode_multibase_base58(proof_value) if isinstance(proof_value, str) else b""
    except KeyFormatError:
        return b""


def _contexts_match(document: dict[str, Any], options: dict[str, Any]) -> bool:
    """A proof's own @context, when it has one, must be the start of the document's."""
    if "@context" not in options:
        return True
    doc_ctx = document.get("@context")
    doc_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
    proof_ctx = options["@context"]
    proof_list = proof_ctx if isinstance(proof_ctx, list) else [proof_ctx]
    return bool(doc_list[: len(proof_list)] == proof_list)


@dataclass(frozen=True)
class PreparedProof:
    """Everything about one proof that depends only on the document's content: its key id, its creation date, its
    signature bytes and the message that was signed (or why the document could not be canonicalized). What is left
    to check, :func:`check_prepared`, is the key and the signature: cheap, and never memoised."""

    verification_method: str
    created: datetime | None
    signature: bytes
    message: bytes | None
    canonicalization_problem: str | None = None


def prepare_proof(
    document: dict[str, Any],
    proof: Any,
    *,
    registry: ContextRegistry | None = None,
    expected_purpose: str = "assertionMethod",
    reference: bool = False,
) -> PreparedProof | ProofOutcome:
    """The content-only part of :func:`verify_proof`: a :class:`PreparedProof`, or the failed outcome."""
    problem = _proof_header_problem(proof, expected_purpose)
    if problem is not None:
        return problem
    vm: str = proof["verificationMethod"]
    created: datetime | None = None
    if "created" in proof:
        try:
            created = parse_datetime(proof["created"])
        except ValueError as exc:
            return ProofOutcome(False, f"the proof's created date is invalid: {exc}", vm)
    signature = _signature(proof)
    if len(signature) != 64:
        return ProofOutcome(False, "proofValue is not a base58btc-encoded 64-byte Ed25519 signature", vm)
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if not _contexts_match(document, options):
        return ProofOutcome(False, "the proof's @context does not match the start of the document's @context", vm)
    options["@context"] = document.get("@context")
    try:
        message = _hash_data(_without_proof(document), options, registry, reference)
    except (UnknownContextError, JsonLdSafeModeError, JsonLdError) as exc:
        return PreparedProof(vm, created, signature, None, f"the document could not be canonicalized: {exc}")
    return PreparedProof(vm, created, signature, message)


def check_prepared(prepared: PreparedProof | ProofOutcome, resolver: KeyResolver) -> ProofOutcome:
    """Resolve the proof's key (its current state) and check the signature over the prepared message."""
    if isinstance(prepared, ProofOutcome):
        return prepared
    vm, created = prepared.verification_method, prepared.created
    try:
        resolved = resolver.resolve(vm)
    except (KeyResolutionError, KeyFormatError) as exc:
        return ProofOutcome(False, str(exc), vm)
    if prepared.message is None:
        return ProofOutcome(False, str(prepared.canonicalization_problem), vm, resolved, created)
    if not resolved.key.verify(prepared.signature, prepared.message):
        return ProofOutcome(
            False,
            "the signature does not match the document (it was altered or signed by another key)",
            vm,
            resolved,
            created,
        )
    return ProofOutcome(True, f"signed by {vm}", vm, resolved, created)


def verify_proof(
    document: dict[str, Any],
    proof: Any,
    resolver: KeyResolver,
    *,
    registry: ContextRegistry | None = None,
    expected_purpose: str = "assertionMethod",
    reference: bool = False,
) -> ProofOutcome:
    """Verify one Data Integrity proof of ``document``; never raises for bad input, reports why instead."""
    prepared = prepare_proof(
        document, proof, registry=registry, expected_purpose=expected_purpose, reference=reference
    )
    return check_prepared(prepared, resolver)
