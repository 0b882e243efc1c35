"""The repository tests itself: no code, test, benchmark or build step reads a folder beside the clone.

A fresh `git clone` has nothing next to it, so a path that climbs out of the repository (the sibling reference
folder in particular) works on one machine and fails everywhere else. What the tests need is copied into
tests/fixtures (see its README.md); the ESCO files come from the package (microcred/taxonomy/data).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The patterns are built so that this file does not match itself.
SIBLING = "sha" + "red"
FILE = "__" + "file__"  # for the samples below
# "../<sibling>" (or "..\\<sibling>") anywhere: a string, a shell line, a Makefile recipe.
PARENT_SLASH = re.compile(r"\.\.[/\\]+" + SIBLING + r"\b")
# <sibling> joined as a path component: Path(...) / "<sibling>", .joinpath("<sibling>"), os.path.join(..., "<sibling>").
PATH_COMPONENT = re.compile(
    r"(?:/\s*|joinpath\(\s*|os\.path\.join\([^)\n]*,\s*)[rbuRBU]?[\"']" + SIBLING + r"(?:[\"'/\\])"
)
# Path(__file__)...parents[N] / .parent chains: N counts the levels climbed from the file's own folder.
PARENTS_INDEX = re.compile(r"__file__\)(?:\.resolve\(\)|\.absolute\(\))?\.parents\[(\d+)\]")
PARENT_CHAIN = re.compile(r"__file__\)(?:\.resolve\(\)|\.absolute\(\))?((?:\.parent\b)+)")


SUFFIXES = {".py", ".mjs", ".js", ".sh"}  # our code, including the JavaScript interop verifier
SKIPPED = {"__pycache__", "node_modules", "vendor"}  # third-party code is not ours to police


def scanned_files() -> list[Path]:
    files = [p for folder in ("src", "tests", "benchmarks") for p in (ROOT / folder).rglob("*") if p.suffix in SUFFIXES]
    files += [ROOT / name for name in ("Makefile", "pyproject.toml", ".ci/run") if (ROOT / name).is_file()]

    def ours(path: Path) -> bool:
        parts = path.relative_to(ROOT).parts  # relative: the folder the clone sits in must not matter
        return not SKIPPED & set(parts) and not any(part.endswith(".egg-info") for part in parts)

    return sorted(p for p in files if p.is_file() and ours(p))


def escapes(path: Path, text: str) -> list[str]:
    """Each line of ``text`` that names the sibling folder or climbs above the repository root."""
    # parents[k] of a file at ROOT/a/b/c.py: k = 0 is ROOT/a/b, k = depth - 1 is ROOT, more is outside.
    depth = len(path.relative_to(ROOT).parts)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        reasons = []
        if PARENT_SLASH.search(line) or PATH_COMPONENT.search(line):
            reasons.append(f"names the folder beside the repository ({SIBLING!r})")
        for match in PARENTS_INDEX.finditer(line):
            if int(match.group(1)) >= depth:
                reasons.append(f"parents[{match.group(1)}] is above the repository root")
        for match in PARENT_CHAIN.finditer(line):
            if match.group(1).count(".parent") > depth:
                reasons.append(f"{match.group(1).count('.parent')} x .parent is above the repository root")
        found += [f"{path.relative_to(ROOT)}:{number}: {reason}: {line.strip()}" for reason in reasons]
    return found


def test_nothing_reads_outside_the_repository() -> None:
    files = scanned_files()
    assert ROOT / "tests" / "support" / "vectors.py" in files  # the scan sees the files that used to do it
    offenders = [hit for path in files for hit in escapes(path, path.read_text(encoding="utf-8"))]
    assert not offenders, "paths outside the repository (copy the data into tests/fixtures):\n" + "\n".join(offenders)


def test_the_scan_catches_each_form_and_spares_prose() -> None:
    here = ROOT / "tests" / "support" / "example.py"
    bad = [
        f'SHARED = Path({FILE}).resolve().parents[3] / "{SIBLING}"',
        f"VECTOR = Path({FILE}).resolve().parents[2] / '{SIBLING}' / 'spec'",
        f'ROOT.parent.joinpath("{SIBLING}", "esco")',
        f'os.path.join(ROOT, "..", "{SIBLING}")',
        f'open("../{SIBLING}/spec/examples/x.json")',
        f"\tcp ../{SIBLING}/vectors/keyPair.json tests/",
        f"DATA = Path({FILE}).resolve().parents[3] / 'elsewhere'",
        f"DATA = Path({FILE}).parent.parent.parent.parent / 'elsewhere'",
    ]
    for line in bad:
        assert escapes(here, line), line
    good = [
        f'"Work effectively in teams to complete a {SIBLING} project."',
        f"# contexts are {SIBLING} and treated as immutable; see {SIBLING}/esco/NOTES.md",
        f'"""Small helpers {SIBLING} by the CLI command groups."""',
        f"ROOT = Path({FILE}).resolve().parents[2]  # the repository root for tests/support/example.py",
        f'FIXTURES = Path({FILE}).resolve().parents[1] / "fixtures"',
        f"HERE = Path({FILE}).parent.parent",
    ]
    for line in good:
        assert not escapes(here, line), line
