"""`make bench`: signing and verification throughput, each next to the pyld reference measured in the same run.

Machines here are noisy, so the numbers that matter are the ratios (fast path / pyld), not the absolute rates.
Everything runs on one core in this process.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from microcred.vc import PinnedKeyResolver, load_key_file, sign_data_integrity, sign_jwt, verify_jwt, verify_proof

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
VECTOR = FIXTURES / "spec" / "examples" / "ob3-testvector-eddsa-rdfc-2022.json"


def rate(fn: Callable[[], Any], seconds: float = 2.0, repeats: int = 3) -> float:
    """Operations per CPU-second of this process: the median of ``repeats`` runs of about ``seconds`` each.

    CPU time rather than wall time, so other processes on a shared 2-core machine disturb the figures less.
    """
    fn()  # warm caches (contexts are processed once per process, which is the point of the fast path)
    results = []
    for _ in range(repeats):
        count, start = 0, time.process_time()
        while (elapsed := time.process_time() - start) < seconds:
            fn()
            count += 1
        results.append(count / elapsed)
    return statistics.median(results)


def main() -> None:
    vector = json.loads(VECTOR.read_text())
    key_file = load_key_file(vector["keyPair"])
    vm = vector["proofOptions"]["verificationMethod"]
    created = vector["proofOptions"]["created"]
    unsigned = vector["unsignedCredential"]
    resolver = PinnedKeyResolver({vm: key_file.key.public_multibase})
    signed_fast = sign_data_integrity(unsigned, key_file.key, vm, created=created)
    proof = signed_fast["proof"][0]
    assert proof["proofValue"] == vector["proofValue"], "fast path does not reproduce the vector"
    assert sign_data_integrity(unsigned, key_file.key, vm, created=created, reference=True) == signed_fast
    assert verify_proof(signed_fast, proof, resolver).verified
    assert verify_proof(signed_fast, proof, resolver, reference=True).verified
    token = sign_jwt(unsigned, key_file.key, vm)
    assert verify_jwt(token, resolver).verified

    rows = [
        (
            "DI sign",
            lambda: sign_data_integrity(unsigned, key_file.key, vm, created=created),
            lambda: sign_data_integrity(unsigned, key_file.key, vm, created=created, reference=True),
        ),
        (
            "DI verify",
            lambda: verify_proof(signed_fast, proof, resolver),
            lambda: verify_proof(signed_fast, proof, resolver, reference=True),
        ),
        (
            "JWT sign",
            lambda: sign_jwt(unsigned, key_file.key, vm),
            lambda: sign_data_integrity(unsigned, key_file.key, vm, created=created, reference=True),
        ),
        (
            "JWT verify",
            lambda: verify_jwt(token, resolver),
            lambda: verify_proof(signed_fast, proof, resolver, reference=True),
        ),
    ]
    print("1EdTech OB 3.0 test vector credential, one core; baseline = pyld (reference DI) in this same run")
    print(f"{'operation':<12} {'microcred/s':>12} {'pyld DI/s':>10} {'ratio':>7}")
    for name, fast, reference in rows:
        fast_rate, ref_rate = rate(fast), rate(reference)
        print(f"{name:<12} {fast_rate:>12.0f} {ref_rate:>10.0f} {fast_rate / ref_rate:>6.1f}x")


if __name__ == "__main__":
    main()
