"""`python -m benchmarks.run --quick --json FILE` in a subprocess (as `make bench` runs it, with tiny counts): every
section is there and ran, every figure is positive, every baseline is a row of the same run, and every
verification in it said "verified". No time is asserted: the figures are for people, not for the test.

It needs what `make bench` needs: PostgreSQL (MICROCRED_TEST_POSTGRES_URL) and Node.js with tests/interop's
packages (`make interop`); without them the run reports a failed section and this test FAILS, it never skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {"proof", "verification", "http", "issuing"}
KINDS = ("award + endorsement", "award, no endorsement", "endorsement", "CLR of 5 ", "CLR of 20 ", "VC-JWT")
IN_PROCESS = {"uncached (today's path)", "warm", "cold", "reference"}
NODE = "node (Digital Bazaar)"
RUN_TIMEOUT_SECONDS = 900


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    env = {k: v for k, v in os.environ.items() if k != "BENCH_JSON"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--json", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False,
    )
    assert out.is_file(), f"no JSON written (exit {done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    found: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    found["exit"], found["stdout"] = done.returncode, done.stdout
    return found


def rows(report: dict[str, Any], section: str | None = None) -> list[dict[str, Any]]:
    keys = [section] if section else sorted(report["sections"])
    return [row for key in keys for row in report["sections"][key]["rows"]]


def test_every_section_ran_without_error(report: dict[str, Any]) -> None:
    assert set(report["sections"]) == SECTIONS
    assert report["errors"] == {}, report["errors"]
    for key, section in report["sections"].items():
        assert section["error"] is None and section["rows"], key
    assert report["exit"] == 0, report["stdout"][-6000:]
    assert report["quick"] is True


def test_every_figure_is_positive(report: dict[str, Any]) -> None:
    for row in rows(report):
        figure = row["figure"]
        for name in ("ops", "cpu_seconds", "wall_seconds", "ops_per_cpu_second", "ops_per_wall_second"):
            assert figure[name] > 0, (row["case"], row["variant"], name, figure)


def test_every_verification_was_verified(report: dict[str, Any]) -> None:
    checked = [row for row in rows(report) if "verified" in row["figure"]]
    assert all(row["figure"]["verified"] is True for row in checked), [
        (r["case"], r["variant"], r["figure"]) for r in checked if r["figure"]["verified"] is not True
    ]
    # proof: reference, memos off, memos on, JWT; verification: 6 kinds x 4 ways + node on the 5 DI kinds;
    # HTTP: the API and the page; issuing: the awards of each backend
    assert len(checked) == 4 + 6 * 4 + 5 + 2 + 2


def test_each_kind_the_demo_issues_is_verified_every_way(report: dict[str, Any]) -> None:
    verification = rows(report, "verification")
    for kind in KINDS:
        variants = {r["variant"] for r in verification if r["case"].startswith(kind)}
        expected = IN_PROCESS if kind == "VC-JWT" else IN_PROCESS | {NODE}
        assert variants == expected, (kind, variants)
    startup = [r for r in verification if r["case"].startswith("node start-up")]
    assert len(startup) == 1 and startup[0]["figure"]["node"].startswith("v")


def test_http_ran_against_two_workers(report: dict[str, Any]) -> None:
    http = rows(report, "http")
    assert {r["variant"] for r in http} == {
        "GET /credentials/{id} as JSON-LD (no verification)", "POST /credentials/verify",
        "GET /credentials/{id} as HTML",
    }
    for row in http:
        figure = row["figure"]
        assert figure["server_workers"] == 2 and figure["concurrency"] == 8
        assert 0 < figure["p50_ms"] <= figure["p99_ms"] <= figure["max_ms"]


def test_issuing_ran_on_both_backends_next_to_pure_signing(report: dict[str, Any]) -> None:
    issuing = rows(report, "issuing")
    for backend in ("SQLite", "PostgreSQL"):
        variants = {r["variant"] for r in issuing if r["case"].endswith(backend)}
        assert any(v.startswith("issue_award") for v in variants) and any(v.startswith("sign_data") for v in variants)


def test_every_baseline_is_a_row_of_the_same_section(report: dict[str, Any]) -> None:
    for key, section in report["sections"].items():
        present = {(r["case"], r["variant"]) for r in section["rows"]}
        compared = [r for r in section["rows"] if "baseline" in r]
        assert compared, key
        for row in compared:
            assert (row["baseline"]["case"], row["baseline"]["variant"]) in present, (key, row["baseline"])
            assert row["vs_baseline"]["cpu"] > 0 and row["vs_baseline"]["wall"] > 0, (key, row)


def test_bulk_ran_with_one_and_two_workers_and_on_sqlite(report: dict[str, Any]) -> None:
    """Issue 15's figures: a batch on PostgreSQL by 1 then 2 `microcred worker` processes and one on SQLite by
    `microcred serve`'s embedded worker, each next to pure signing of the same documents, every row issued."""
    issuing = rows(report, "issuing")
    postgres = [r for r in issuing if r["case"] == "Bulk batch of 120 rows, PostgreSQL"]
    sqlite = [r for r in issuing if r["case"] == "Bulk batch of 40 rows, SQLite"]
    sign = "sign_data_integrity of the batch's documents (pure signing)"
    assert {r["variant"] for r in postgres} == {sign, "batch, 1 worker process", "batch, 2 worker processes"}
    assert {r["variant"] for r in sqlite} == {sign, "batch, microcred serve's embedded worker"}
    for row in postgres + sqlite:
        figure = row["figure"]
        assert figure["ops"] == (120 if row in postgres else 40), row
        if row["variant"] == sign:
            continue
        assert row["baseline"]["variant"] == sign
        assert figure["worker_processes"] == (2 if "2 worker" in row["variant"] else 1)
        assert figure["wall_vs_pure_signing"] > 0 and figure["peak_rss_mb"] > 0
        assert figure["batch_seconds_in_db"] is not None and figure["batch_seconds_in_db"] > 0
    two = next(r for r in postgres if r["variant"] == "batch, 2 worker processes")
    assert two["figure"]["speed_up_vs_1_worker"] > 0
