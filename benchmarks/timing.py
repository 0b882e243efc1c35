"""How a figure is measured: operations counted against this process's CPU time and against wall time.

Each operation is timed on its own, so work done before it (``before_each``: emptying the memos for a "cold"
figure) is not counted. The machines here are shared and noisy: the figures to read are the ratios between two
figures of the same run, not the absolute rates.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Budget:
    """How long each figure runs: ``repeats`` runs of at least ``seconds`` (wall) and ``min_ops`` operations each;
    the figure kept is the run with the median CPU rate."""

    seconds: float
    min_ops: int = 3
    repeats: int = 1


@dataclass
class Figure:
    """``ops`` operations that took ``cpu`` seconds of CPU time and ``wall`` seconds of wall time.

    ``verified``: for a verification, whether every single call (warm-up included) said "verified"; None for
    anything that is not a verification. ``extra``: what else the figure reports (latency percentiles, sizes)."""

    ops: int
    cpu: float
    wall: float
    verified: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cpu_rate(self) -> float:
        return self.ops / self.cpu if self.cpu > 0 else 0.0

    @property
    def wall_rate(self) -> float:
        return self.ops / self.wall if self.wall > 0 else 0.0

    @property
    def ms_per_op(self) -> float:
        return 1000 * self.wall / self.ops if self.ops else 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ops": self.ops,
            "cpu_seconds": round(self.cpu, 6),
            "wall_seconds": round(self.wall, 6),
            "ops_per_cpu_second": round(self.cpu_rate, 3),
            "ops_per_wall_second": round(self.wall_rate, 3),
            "ms_per_op_wall": round(self.ms_per_op, 4),
        }
        if self.verified is not None:
            out["verified"] = self.verified
        out.update(self.extra)
        return out


def _one_run(
    fn: Callable[[], Any], budget: Budget, before_each: Callable[[], None] | None, check: Callable[[Any], bool] | None
) -> Figure:
    ops, cpu, wall, ok = 0, 0.0, 0.0, True
    while ops < budget.min_ops or wall < budget.seconds:
        if before_each is not None:
            before_each()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = fn()
        wall += time.perf_counter() - wall0
        cpu += time.process_time() - cpu0
        ops += 1
        if check is not None:
            ok = check(result) and ok
    return Figure(ops, cpu, wall, verified=ok if check is not None else None)


def measure(
    fn: Callable[[], Any],
    budget: Budget,
    *,
    before_each: Callable[[], None] | None = None,
    check: Callable[[Any], bool] | None = None,
    warm_up: bool = True,
) -> Figure:
    """Time ``fn`` (after one untimed call unless ``warm_up`` is False); ``check`` judges every result."""
    ok = True
    if warm_up:
        if before_each is not None:
            before_each()
        result = fn()
        ok = check(result) if check is not None else True
    runs = [_one_run(fn, budget, before_each, check) for _ in range(budget.repeats)]
    median = statistics.median_low([run.cpu_rate for run in runs])
    kept = next(run for run in runs if run.cpu_rate == median)
    if kept.verified is not None:
        kept.verified = ok and all(run.verified for run in runs)
    return kept


def ratio(figure: Figure, baseline: Figure) -> dict[str, float]:
    """How many times faster ``figure`` is than ``baseline``, by CPU time and by wall time."""
    return {
        "cpu": round(figure.cpu_rate / baseline.cpu_rate, 3) if baseline.cpu_rate else 0.0,
        "wall": round(figure.wall_rate / baseline.wall_rate, 3) if baseline.wall_rate else 0.0,
    }
