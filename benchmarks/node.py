"""The independent Node verifier (tests/interop/verify.mjs) on the same files as section 2, driven by
`node_bench.mjs` in ONE node process per run, against the instance served on loopback (it fetches the did:web
DID documents and status list credentials over HTTP, as any outside verifier does)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from benchmarks.documents import Case
from benchmarks.report import Section
from benchmarks.timing import Figure

HERE = Path(__file__).resolve().parent
INTEROP = HERE.parent / "tests" / "interop"
NODE_TIMEOUT_SECONDS = 600
VARIANT = "node (Digital Bazaar)"


def node_executable() -> str:
    """`node`, with the verifier's packages installed; a plain-language error naming the fix otherwise."""
    found = shutil.which("node")
    if found is None:
        raise RuntimeError("Node.js (`node`, v20+) is not on PATH: install it (Debian: apt-get install -y nodejs npm)")
    if not (INTEROP / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        raise RuntimeError(f"{INTEROP / 'node_modules'} is missing: run `make interop`")
    return found


def _job(cases: list[Case], count: int, clr_count: int) -> dict[str, object]:
    return {
        "count": count,
        "cases": [
            {"key": c.key, "kind": c.kind, "file": str(c.path), "count": clr_count if c.kind == "clr" else count}
            for c in cases
            if c.kind is not None
        ],
    }


def run(section: Section, cases: list[Case], *, count: int, clr_count: int) -> None:
    """Add a node row to each case node can verify (a VC-JWT it cannot: noted), and node's start-up."""
    node = node_executable()
    job = _job(cases, count, clr_count)
    start = time.perf_counter()
    done = subprocess.run(
        [node, str(HERE / "node_bench.mjs")], input=json.dumps(job), capture_output=True, text=True,
        timeout=NODE_TIMEOUT_SECONDS, check=False,
    )
    total = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"node_bench.mjs exited with {done.returncode}: {done.stderr[-2000:]}")
    out = json.loads(done.stdout)
    by_key = {c.key: c for c in cases}
    for result in out["results"]:
        case = by_key[result["key"]]
        figure = Figure(result["ops"], result["cpu_seconds"], result["wall_seconds"], verified=result["verified"])
        if result["errors"]:
            figure.extra["errors"] = result["errors"]
        section.add(case.name, VARIANT, figure, vs="uncached (today's path)")
    startup = Figure(1, out["startup_cpu_seconds"], out["startup_seconds"])
    startup.extra.update(node=out["node"], process_wall_seconds=round(total, 3))
    section.add("node start-up (process + libraries, excluded above)", "node", startup)
    skipped = [c.name for c in cases if c.kind is None]
    if skipped:
        section.notes.append(f"node: not measured for {', '.join(skipped)} (verify.mjs verifies Data Integrity only)")
