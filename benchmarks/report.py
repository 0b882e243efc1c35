"""What a bench run found: sections of rows, each row one figure and the baseline it is compared with (a row of
the same run), printed as Rich tables and written as JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.timing import Figure, ratio


@dataclass
class Row:
    case: str
    variant: str
    figure: Figure
    baseline: tuple[str, str] | None = None  # (case, variant) of the row it is compared with
    note: str = ""


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def add(
        self, case: str, variant: str, figure: Figure, vs: str | tuple[str, str] | None = None, note: str = ""
    ) -> Row:
        """Add a figure; ``vs`` names its baseline: a variant of the same case, or (case, variant)."""
        baseline = (case, vs) if isinstance(vs, str) else vs
        row = Row(case, variant, figure, baseline, note)
        self.rows.append(row)
        return row

    def find(self, case: str, variant: str) -> Row | None:
        return next((r for r in self.rows if r.case == case and r.variant == variant), None)

    def versus(self, row: Row) -> dict[str, float] | None:
        base = self.find(*row.baseline) if row.baseline else None
        return ratio(row.figure, base.figure) if base is not None else None

    def failed(self, exc: BaseException) -> None:
        self.error = f"{type(exc).__name__}: {exc}"
        self.notes.append("".join(traceback.format_exception(exc))[-3000:])

    def to_json(self) -> dict[str, Any]:
        rows = []
        for row in self.rows:
            item: dict[str, Any] = {"case": row.case, "variant": row.variant, "figure": row.figure.to_json()}
            if row.baseline is not None:
                item["baseline"] = {"case": row.baseline[0], "variant": row.baseline[1]}
                item["vs_baseline"] = self.versus(row)
            if row.note:
                item["note"] = row.note
            rows.append(item)
        return {"title": self.title, "error": self.error, "notes": self.notes, "rows": rows}


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _cell(row: Row, section: Section) -> list[str]:
    figure = row.figure
    versus = section.versus(row)
    times = f"{versus['cpu']:.3g}× / {versus['wall']:.3g}×" if versus else ""
    if not versus and _is_baseline(row, section):
        times = "baseline"
    verified = {True: "yes", False: "NO", None: ""}[figure.verified]
    p50, p99 = figure.extra.get("p50_ms"), figure.extra.get("p99_ms")
    return [
        row.case,
        row.variant,
        str(figure.ops),
        _rate(figure.cpu_rate),
        _rate(figure.wall_rate),
        f"{figure.ms_per_op:.2f}",
        f"{p50:.1f}" if p50 is not None else "",
        f"{p99:.1f}" if p99 is not None else "",
        times,
        verified,
    ]


def _is_baseline(row: Row, section: Section) -> bool:
    return any(other.baseline == (row.case, row.variant) for other in section.rows)


def print_section(section: Section, console: Console) -> None:
    table = Table(title=section.title, title_justify="left", show_lines=False)
    for name, justify in (
        ("case", "left"), ("measured", "left"), ("n", "right"), ("/ CPU-s", "right"), ("/ wall-s", "right"),
        ("ms/op (wall)", "right"), ("p50 ms", "right"), ("p99 ms", "right"), ("× baseline (CPU / wall)", "right"),
        ("verified", "center"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    cases = list(dict.fromkeys(row.case for row in section.rows))  # each case's rows together, in order
    for row in sorted(section.rows, key=lambda r: cases.index(r.case)):
        table.add_row(*_cell(row, section))
    console.print(table)
    for note in section.notes:
        console.print(f"  {note}", highlight=False)
    if section.error:
        console.print(f"  [bold red]section failed:[/] {section.error}", highlight=False)
    console.print()


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_json(path: Path, sections: list[Section], *, quick: bool, env: dict[str, Any]) -> None:
    document = {
        "quick": quick,
        "environment": env,
        "sections": {section.key: section.to_json() for section in sections},
        "errors": {s.key: s.error for s in sections if s.error},
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
