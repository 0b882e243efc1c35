"""A schemathesis run over the app's whole OpenAPI, in-process (ASGI): every phase that applies (examples,
coverage, fuzzing, stateful), with and without the bearer token. Used by tests/web/test_fuzz_openapi.py (bounded)
and by hand for a large run: `python -m tests.support.openapi_fuzz --max-examples 400`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from microcred import issuing

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "unsupported_method",
    "allow_header_conformance",
)
PHASES = ("examples", "coverage", "fuzzing", "stateful")


@dataclass
class FuzzResult:
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def by_class(self) -> dict[str, int]:
        classes: Counter[str] = Counter()
        for status, n in self.statuses.items():
            classes[f"{status // 100}xx"] += n
        return dict(sorted(classes.items()))


def run(
    app: Any,
    *,
    token: str | None,
    max_examples: int = 30,
    seed: int = 12,
    phases: tuple[str, ...] = PHASES,
    result: FuzzResult | None = None,
) -> FuzzResult:
    import schemathesis
    from schemathesis import engine
    from schemathesis.engine import events

    result = result or FuzzResult()
    config: dict[str, Any] = {
        "seed": seed,
        "generation": {
            "max-examples": max_examples,
            "deterministic": True,
            "mode": "all",  # valid and invalid inputs
            "allow-x00": True,  # NUL in strings: PostgreSQL cannot store it
            "database": "none",  # no .hypothesis folder: every run starts from the seed
        },
        "phases": {name: {"enabled": name in phases} for name in PHASES},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "suppress-health-check": ["all"],
        "continue-on-failure": True,
        "base-url": "https://testserver",
    }
    if token:
        config["headers"] = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=schemathesis.Config.from_dict(config))
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            rec = event.recorder
            for interaction in rec.interactions.values():
                if interaction.response is not None:
                    result.statuses[interaction.response.status_code] += 1
            for case_id, checks in rec.checks.items():
                for check in checks:
                    if check.failure_info is not None:
                        case = rec.cases[case_id].value
                        status = rec.interactions[case_id].response if case_id in rec.interactions else None
                        result.failures.append(
                            f"[{event.phase}] {rec.label} {check.name}: "
                            f"{check.failure_info.failure.title} "
                            f"(status {status.status_code if status else '-'}) "
                            f"{_describe(case)}"
                        )
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.value!r}"[:600])
        elif isinstance(event, events.FatalError):
            raise event.exception
    return result


def _describe(case: Any) -> str:
    parts = []
    for name in ("path_parameters", "query", "headers", "body"):
        value = getattr(case, name, None)
        if value:
            if name == "headers":
                value = {k: v for k, v in value.items() if k.lower() != "authorization"}
            parts.append(f"{name}={value!r}"[:300])
    return " ".join(parts)


def seed(factory: Any, base_url: str, master_key: bytes) -> None:
    """An institution with a published achievement and one earner holding one award, so that lists and exports
    have something to show."""
    from microcred.catalog import services as catalog
    from microcred.demo import COMPLY_FOOD_SAFETY, alignment
    from microcred.earners import services as earners
    from microcred.issuers import services as issuers

    with factory() as session:
        org = issuers.create_organisation(
            session, kind="institution", name="Fuzz College", legal_name="Fuzz College of Applied Arts",
            country="CA", region="ON", url="https://college.example", email="registrar@college.example",
            registration_id="ON-FUZZ-001", description="A college for fuzzing.",
        )
        achievement = catalog.create_achievement(
            session, issuer_id=org.id, name="Food Safety Fundamentals", description="Food safety for kitchen staff.",
            criteria_narrative="Pass a written test.", workload_hours=20, credits=0.5, publish=True,
            outcomes=[{"statement": "Handle food in compliance with hygiene rules.", "kind": "skill",
                       "alignments": [alignment(COMPLY_FOOD_SAFETY)]}],
        )
        earner = earners.create_earner(session, name="Ada Lovelace", email="ada@example.org")
        issuing.issue_award(
            session, achievement_id=achievement.id, earner_id=earner.id,
            evidence=[{"name": "Practical assessment", "narrative": "Observed.", "genre": "Assessment"}],
            base_url=base_url, master_key=master_key,
        )
        session.commit()
