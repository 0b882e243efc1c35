"""`make bench` (`python -m benchmarks.run [--quick] [--json FILE]`): what users run, each figure next to a
baseline measured in the same run, in CPU time and wall time. See docs/benchmarks.md.

1. proof only, on the 1EdTech OB 3.0 test vector: microcred vs the pyld reference path;
2. full verification of each kind the demo issues: warm, cold, uncached (the baseline), reference, and the
   independent Node verifier of the test suite on the same files;
3. HTTP: `microcred serve --workers 2` on loopback under a bounded load (POST /credentials/verify, the HTML
   credential page; baseline: the credential as JSON-LD);
4. issuing end-to-end on SQLite and PostgreSQL vs pure signing, and in bulk: a cohort CSV issued as one batch by
   1 then 2 `microcred worker` processes on PostgreSQL and by `microcred serve`'s embedded worker on SQLite, vs
   pure signing of the same documents (benchmarks/bulk.py).

Self-contained: a temporary folder holds the instance (demo seeded, base URL on a free loopback port) and is
removed at the end; PostgreSQL gets a fresh schema, dropped at the end (MICROCRED_TEST_POSTGRES_URL, default
postgresql+psycopg://root@127.0.0.1:5432/test). Exit status 1 when a section failed or a verification did not
say "verified"."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from benchmarks import bulk, documents, http_load, issuing, node, proof, verification
from benchmarks.instance import instance
from benchmarks.report import Section, environment, print_section, write_json
from benchmarks.timing import Budget


@dataclass(frozen=True)
class Plan:
    proof: Budget
    verify: Budget
    node_count: int  # copies of each credential in node's batch
    node_clr_count: int
    http_requests: int
    http_warm_up: int
    awards: int  # per backend
    sign: Budget
    bulk_postgres: int  # rows of the bulk batch on PostgreSQL (run with 1, then 2 workers)
    bulk_sqlite: int


FULL = Plan(
    proof=Budget(seconds=1.0, min_ops=3, repeats=3),
    verify=Budget(seconds=1.5, min_ops=3),
    node_count=50,
    node_clr_count=10,
    http_requests=2000,
    http_warm_up=100,
    awards=100,
    sign=Budget(seconds=0.7, min_ops=3, repeats=3),
    bulk_postgres=10_000,
    bulk_sqlite=2_000,
)
QUICK = Plan(
    proof=Budget(seconds=0.05, min_ops=1),
    verify=Budget(seconds=0.05, min_ops=1),
    node_count=2,
    node_clr_count=1,
    http_requests=40,
    http_warm_up=8,
    awards=3,
    sign=Budget(seconds=0.05, min_ops=1),
    bulk_postgres=120,  # two chunks (100 + 20): two workers can share them
    bulk_sqlite=40,
)


def _guarded(key: str, title: str, build: Callable[[], Section]) -> Section:
    """The section ``build`` makes, or an empty one that says why it failed (the other sections still run)."""
    try:
        return build()
    except Exception as exc:  # a bench reports what broke and goes on
        section = Section(key, title)
        section.failed(exc)
        return section


def _step(section: Section, work: Callable[[], object]) -> None:
    """Run ``work``; if it raises, ``section`` says so (what it measured before stands)."""
    try:
        work()
    except Exception as exc:  # a bench reports what broke and goes on
        section.failed(exc)


def _served_sections(root: Path, plan: Plan, console: Console) -> list[Section]:
    """Sections 2 and 3, on one seeded SQLite instance (section 2's Node rows need it served)."""
    checks = verification.new_section()
    http = Section("http", "3. HTTP")
    try:
        with instance(root, "sqlite", "bench") as inst:
            cases = documents.collect(inst)
            console.print(f"[dim]instance at {inst.base_url}; credentials in {root / 'bench' / 'credentials'}[/]")
            _step(checks, lambda: verification.run(checks, inst, cases, plan.verify))
            featured = next(c for c in cases if c.key == "award").load()
            assert isinstance(featured, dict)
            try:
                with http_load.served(inst) as server:
                    _step(checks, lambda: node.run(checks, cases, count=plan.node_count, clr_count=plan.node_clr_count))
                    http = _guarded("http", http.title, lambda: http_load.run(
                        server, featured, requests=plan.http_requests, warm_up=plan.http_warm_up))
            except Exception as exc:  # the server did not start: neither node nor the HTTP load could run
                checks.failed(exc)
                http.failed(exc)
    except Exception as exc:  # no instance: nothing of sections 2 and 3 could run
        checks.failed(exc)
        http.failed(exc)
    return [checks, http]


def _issuing(root: Path, plan: Plan) -> Section:
    """Section 4: one award at a time, then in bulk (the bulk rows join the same section; if they fail, the
    section says so and keeps the one-at-a-time rows)."""
    section = issuing.run(root, awards=plan.awards, sign_budget=plan.sign)
    section.title = "4. Issuing end-to-end, one at a time and in bulk, vs pure signing"
    _step(section, lambda: bulk.run(section, root, postgres_rows=plan.bulk_postgres, sqlite_rows=plan.bulk_sqlite))
    return section


def _failures(sections: list[Section]) -> list[str]:
    found = [f"{s.key}: {s.error}" for s in sections if s.error]
    for section in sections:
        found += [f"{section.key}: {r.case} / {r.variant} was not verified" for r in section.rows
                  if r.figure.verified is False]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every section with tiny counts (a smoke run)")
    parser.add_argument("--json", type=Path, default=os.environ.get("BENCH_JSON") or None,
                        help="also write the figures as JSON to this file (default: $BENCH_JSON)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)  # a file or pipe: 160 columns
    env = environment()
    sections: list[Section] = []
    with tempfile.TemporaryDirectory(prefix="microcred-bench-") as tmp:
        root = Path(tmp)
        steps: list[Callable[[], list[Section]]] = [
            lambda: [_guarded("proof", "1. Proof only", lambda: proof.run(plan.proof))],
            lambda: _served_sections(root, plan, console),
            lambda: [_guarded("issuing", "4. Issuing", lambda: _issuing(root, plan))],
        ]
        for step in steps:
            for section in step():
                print_section(section, console)
                sections.append(section)
    if args.json is not None:
        write_json(Path(args.json), sections, quick=args.quick, env=env)
        console.print(f"figures written to {args.json}")
    failures = _failures(sections)
    for failure in failures:
        console.print(f"[bold red]FAILED[/] {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
