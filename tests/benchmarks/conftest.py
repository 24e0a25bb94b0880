"""Benchmarks print figures; they are run on demand (`pytest tests/benchmarks -s`) and
in CI in quick mode (BENCH_QUICK=1). They are not collected by the default test run."""

from __future__ import annotations

import os
import statistics

QUICK = os.environ.get("BENCH_QUICK") == "1"


def report(name: str, value_ms: float, target_ms: float | None = None, extra: str = "") -> None:
    verdict = ""
    if target_ms is not None:
        verdict = f"  target < {target_ms:g} ms: {'met' if value_ms < target_ms else 'MISSED'}"
    print(f"BENCH {name}: {value_ms:.2f} ms{verdict}{('  ' + extra) if extra else ''}", flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)
