"""Section 1: the Data Integrity proof alone, on the 1EdTech OB 3.0 test vector (eddsa-rdfc-2022), and the JWT
forms, each next to the pyld reference path (pyld normalize, nothing memoised) in the same run.

This is the measurement `make bench` made before issue 14, kept as it was: signing and verifying the proof of a
small credential, no schema, no status, no key lookup."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.report import Section
from benchmarks.timing import Budget, Figure, measure
from microcred.vc import PinnedKeyResolver, load_key_file, memo, sign_data_integrity, sign_jwt, verify_jwt, verify_proof

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
VECTOR = FIXTURES / "spec" / "examples" / "ob3-testvector-eddsa-rdfc-2022.json"
REFERENCE = "pyld reference DI"
UNCACHED = "microcred, memos off"


def run(budget: Budget) -> Section:
    section = Section("proof", "1. Proof only: the 1EdTech OB 3.0 test vector (one core, this process)")
    section.notes += [
        "baseline: the pyld reference path of Data Integrity in this same run (JWT rows: against the DI reference,"
        " as before issue 14)",
        "microcred = the same document again with the memos on (its N-Quads are remembered); memos off ="
        " inside vc.memo.disabled(), every call canonicalises again",
    ]
    vector = json.loads(VECTOR.read_text(encoding="utf-8"))
    key_file = load_key_file(vector["keyPair"])
    vm = vector["proofOptions"]["verificationMethod"]
    created = vector["proofOptions"]["created"]
    unsigned = vector["unsignedCredential"]
    resolver = PinnedKeyResolver({vm: key_file.key.public_multibase})
    signed = sign_data_integrity(unsigned, key_file.key, vm, created=created)
    proof = signed["proof"][0]
    if proof["proofValue"] != vector["proofValue"]:
        raise AssertionError("the fast path does not reproduce the test vector's proofValue")
    if sign_data_integrity(unsigned, key_file.key, vm, created=created, reference=True) != signed:
        raise AssertionError("the reference path signs the test vector differently")
    token = sign_jwt(unsigned, key_file.key, vm)

    def di_sign(reference: bool = False) -> object:
        return sign_data_integrity(unsigned, key_file.key, vm, created=created, reference=reference)

    def di_verify(reference: bool = False) -> object:
        return verify_proof(signed, proof, resolver, reference=reference)

    def same_proof(result: object) -> bool:
        return isinstance(result, dict) and result.get("proof") == signed["proof"]

    def verified(result: object) -> bool:
        return bool(getattr(result, "verified", False))

    rows = [
        ("DI sign", lambda: di_sign(True), di_sign, same_proof),
        ("DI verify", lambda: di_verify(True), di_verify, verified),
    ]
    for name, reference, fast, check in rows:
        wrap = _signing if name.endswith("sign") else _as_is
        section.add(name, REFERENCE, wrap(measure(reference, budget, check=check)))
        with memo.disabled():
            section.add(name, UNCACHED, wrap(measure(fast, budget, check=check)), vs=REFERENCE)
        section.add(name, "microcred", wrap(measure(fast, budget, check=check)), vs=REFERENCE)
    section.add("JWT sign", "microcred", measure(lambda: sign_jwt(unsigned, key_file.key, vm), budget),
                vs=("DI sign", REFERENCE))
    section.add("JWT verify", "microcred", measure(lambda: verify_jwt(token, resolver), budget, check=verified),
                vs=("DI verify", REFERENCE))
    return section


def _as_is(figure: Figure) -> Figure:
    return figure


def _signing(figure: Figure) -> Figure:
    """A signing is no verification: its check (the very proof of the vector) is reported as such."""
    figure.extra["same_proof_as_vector"], figure.verified = figure.verified, None
    return figure
