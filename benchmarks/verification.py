"""Section 2: full verification of each kind of credential the demo issues, by the instance verifier that
`microcred verify`, `POST /credentials/verify` and the credential page use (all checks: shape and schema,
contexts, vocabulary, proof, issuer key, validity, status, nested credentials), in four ways, in this process:

- warm: the same document again, memos on (what a server sees for a credential it has verified before);
- cold: every content memo emptied (``vc.memo.clear()``) before each verification;
- uncached: inside ``vc.memo.disabled()``: nothing memoised, nothing shared between verifications (today's path,
  the baseline);
- reference: ``reference=True``: pyld normalisation, python-jsonschema, nothing memoised (same verdicts).

The Node verifier of the test suite (Digital Bazaar's libraries) is measured on the same files by `node.py`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.documents import Case
from benchmarks.instance import Instance
from benchmarks.report import Section
from benchmarks.timing import Budget, Figure, measure
from microcred.vc import memo
from microcred.verification import instance_verifier

UNCACHED = "uncached (today's path)"
VARIANTS = ("warm", "cold", "reference")


def new_section() -> Section:
    section = Section("verification", "2. Full verification of what the demo issues (one core, this process)")
    section.notes += [
        "baseline: the uncached path (vc.memo.disabled()) in this same run; cold = memo.clear() before each;"
        " reference = pyld + python-jsonschema",
        "node: Digital Bazaar's verifier (tests/interop/verify.mjs), a batch in one node process; node's start-up"
        " is its own row; it checks proofs, dates and status, not JSON Schema or vocabulary",
        "each verification of an award also verifies its embedded endorsement and its status list credential;"
        " a CLR verifies every credential in it",
    ]
    return section


def _verified(result: Any) -> bool:
    return bool(getattr(result, "verified", False))


def _memo_counts() -> tuple[int, int]:
    found = memo.stats()
    return sum(s.hits for s in found), sum(s.misses for s in found)


def _with_memo_counts(run: Callable[[], Figure]) -> Figure:
    hits, misses = _memo_counts()
    figure = run()
    after_hits, after_misses = _memo_counts()
    figure.extra.update(memo_hits=after_hits - hits, memo_misses=after_misses - misses)
    return figure


def _figures(case: Case, verifiers: dict[str, Any], budget: Budget) -> dict[str, Figure]:
    source = case.load()
    fast, reference = verifiers["fast"], verifiers["reference"]

    def verify() -> Any:
        return fast.verify(source)

    with memo.disabled():
        uncached = measure(verify, budget, check=_verified)
    return {
        UNCACHED: uncached,
        "warm": _with_memo_counts(lambda: measure(verify, budget, check=_verified)),
        "cold": measure(verify, budget, before_each=memo.clear, check=_verified),  # clear() resets the counts
        "reference": measure(lambda: reference.verify(source), budget, check=_verified),
    }


def run(section: Section, inst: Instance, cases: list[Case], budget: Budget) -> None:
    """Add each case's four in-process figures to ``section``."""
    verifiers = {
        "fast": instance_verifier(inst.factory, inst.settings),
        "reference": instance_verifier(inst.factory, inst.settings, reference=True),
    }
    for case in cases:
        figures = _figures(case, verifiers, budget)
        size = case.path.stat().st_size
        section.add(case.name, UNCACHED, figures[UNCACHED], note=f"{size:,} bytes")
        for variant in VARIANTS:
            section.add(case.name, variant, figures[variant], vs=UNCACHED)
