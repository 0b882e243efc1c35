"""Section 4: issuing end-to-end, on SQLite and on PostgreSQL (a fresh schema, dropped afterwards): Food Safety
awards issued through `issuing.issue_award` as the demo issues them, one transaction each (gates, assessment
results, endorsement, status index allocation, schema validation, Data Integrity + JWT signing, storage, audit,
pathway hooks, commit), each to a new earner assessed beforehand (a cohort; the assessing is not timed), next to
pure signing of the same credential document in the same run.

Every award issued is verified afterwards (untimed) by the instance verifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.instance import Instance, instance
from benchmarks.report import Section
from benchmarks.timing import Budget, Figure, measure
from microcred.vc import memo

SIGN_DI = "sign_data_integrity (pure signing)"
SIGN_BOTH = "sign DI + JWT (what issuing signs)"
# Issuing signs a document never seen before: its canonical form is never in the memos, so neither is the baseline's.
ISSUE = "issue_award, end-to-end (a transaction each)"
BACKENDS = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))


def _new_assessed_earner(inst: Instance, number: int) -> Any:
    """A new earner with a passing result on every Food Safety outcome (as the demo assesses its earners)."""
    from microcred.assessments import services as assessments
    from microcred.db import session_scope
    from microcred.demo.catalog import achievement_spec
    from microcred.demo.ids import achievement_id
    from microcred.earners import services as earners

    spec = achievement_spec("food-safety")
    with session_scope(inst.factory) as session:
        earner = earners.create_earner(session, name=f"Bench Earner {number}", email=f"bench{number}@learner.example")
        for n, (_, kind, _) in enumerate(spec["outcomes"], start=1):
            result = {"score": 82} if kind == "knowledge" else {"level": "Proficient"}
            assessments.record_result(
                session, achievement_id=achievement_id("food-safety"), earner_id=earner.id, outcome=n,
                assessor="Bench assessor", **result,
            )
        return earner.id


class _Issuer:
    """Food Safety awards issued through `issuing.issue_award` as the demo issues them, one transaction each, to
    an earner who holds nothing yet (a cohort: `prepare`, untimed, assesses the next one)."""

    def __init__(self, inst: Instance) -> None:
        from microcred.demo import AWARDS
        from microcred.issuers import keystore

        self.inst = inst
        self.master = keystore.load_master_key(inst.settings)
        self.evidence = next(e for _earner, key, e in AWARDS if key == "food-safety")
        self.issued: list[Any] = []
        self.next_earner: Any = None

    def prepare(self) -> None:
        self.next_earner = _new_assessed_earner(self.inst, len(self.issued) + 1)

    def issue(self) -> Any:
        from microcred import issuing
        from microcred.db import session_scope
        from microcred.demo.ids import achievement_id

        with session_scope(self.inst.factory) as session:
            award = issuing.issue_award(
                session, achievement_id=achievement_id("food-safety"), earner_id=self.next_earner,
                evidence=self.evidence, base_url=self.inst.base_url, master_key=self.master,
            )
        self.issued.append(award.id)
        return award.id


def _verify_all(inst: Instance, award_ids: list[Any]) -> bool:
    from microcred.awards import queries as awards
    from microcred.verification import instance_verifier

    verifier = instance_verifier(inst.factory, inst.settings)
    with inst.factory() as session:
        documents = [awards.credential_document(awards.get_award(session, i)) for i in award_ids]
    return all(verifier.verify(document).verified for document in documents)


def _signing(inst: Instance, award_id: Any, budget: Budget) -> tuple[Figure, Figure]:
    """Pure signing of the document ``award_id`` was issued as (its proof removed), with the same key."""
    from microcred.awards import queries as awards
    from microcred.issuers import keystore
    from microcred.issuers import services as issuers
    from microcred.vc import sign_data_integrity, sign_jwt

    with inst.factory() as session:
        award = awards.get_award(session, award_id)
        document = awards.credential_document(award)
        master = keystore.load_master_key(inst.settings)
        material = issuers.signing_material(
            session, _organisation(session, award), base_url=inst.base_url, master_key=master
        )
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    proof = document["proof"][0] if isinstance(document["proof"], list) else document["proof"]
    created = proof["created"]
    vm = material.verification_method

    def di() -> dict[str, Any]:
        return sign_data_integrity(unsigned, material.key, vm, created=created)

    def both() -> str:
        di()
        return sign_jwt(unsigned, material.key, kid=vm)

    with memo.disabled():
        return measure(di, budget), measure(both, budget)


def _organisation(session: Any, award: Any) -> Any:
    from microcred.catalog import services as catalog

    return catalog.get_achievement(session, award.achievement_id).issuer_id


def run(root: Path, *, awards: int, sign_budget: Budget) -> Section:
    section = Section("issuing", "4. Issuing end-to-end vs pure signing (this process; one core)")
    section.notes += [
        f"{awards} Food Safety awards per backend after one untimed, each to a new earner assessed beforehand"
        " (untimed) and committed on its own; CPU = this process (PostgreSQL's own CPU is not counted)",
        "baseline: sign_data_integrity of the same credential document with the same key, memos off (a new"
        " document is never in them), in this same run; every award issued was verified afterwards (verified)",
    ]
    for backend, label in BACKENDS:
        with instance(root, backend, f"issuing-{backend}") as inst:
            issuer = _Issuer(inst)
            figure = measure(issuer.issue, Budget(seconds=0.0, min_ops=awards), before_each=issuer.prepare)
            figure.verified = _verify_all(inst, issuer.issued)
            di, both = _signing(inst, issuer.issued[-1], sign_budget)
        case = f"Food Safety award, {label}"
        section.add(case, SIGN_DI, di)
        section.add(case, SIGN_BOTH, both, vs=SIGN_DI)
        section.add(case, ISSUE, figure, vs=SIGN_DI)
    return section
