"""``GET /products/{p}/history/<attribute>`` rows, shaped as the recorded real replies.

The recordings ([RB] cassettes, DWC.4.20, July 2020) show, for every investment attribute
(experience, riskadjustment, capacity, ...), daily rows ``[ms, value]`` or ``[ms, value,
detail]``:

- element 1 is the SAME on a date for every attribute, and it is not the attribute: it
  rises by exactly 1/15 per trading day (65.33 on the last recorded day, while the D-Score
  was 55.15 and ``averageDLeverage`` 1.46). Here: ``trading days before this one / 15``;
- element 2, the attribute's own detail, has a shape per attribute and is missing on some
  days (the first day, and days without trading): experience ``[n, score]``;
  riskadjustment ``[a, b, [[ms, duration_ms, x, y, n, ratio, z], ...]]``; capacity
  ``[[5 quotes], a, b, c]``; open/close strategy 12 integers; duration/winning/losing
  consistency ``[[ms, duration_ms, return, a, b], ...]``; performance ``[n, [a, b,
  [13 ratios], m], ...]``; riskstability 7 numbers; marketcorrelation one row only,
  ``[[["N/A", 9 numbers], ...]]``;
- ``badges`` rows are ``[ms, value of the day before, [12 badge scores, D-Score], ms, ms]``;
  ``returndivergence`` ``[ms, quote, quote after divergence]``; ``orderdivergence``
  ``[ms, "N/A", amount, n, divergence]`` for the last 100 orders.

The numbers inside the details are seeded noise in the recorded ranges; nothing in them
is meant to be read as D-Leverage (that is ``averageDLeverage`` of ``/status``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from desktop_app.simulators.darwinex.products import BADGE_ROW, Product
from desktop_app.simulators.pricepath import stable_key

_SLOTS = 128
_CACHE: OrderedDict[tuple[int, str, int], list[list[Any]]] = OrderedDict()
_CACHE_SIZE = 64
KINDS = (
    "badges", "experience", "marketcorrelation", "riskstability", "riskadjustment",
    "openstrategy", "closestrategy", "winningconsistency", "losingconsistency",
    "durationconsistency", "performance", "capacity", "orderdivergence", "returndivergence",
)


class _Noise:
    """Seeded numbers in [0, 1) per (day, slot); a day's numbers never change as days are
    added (the generator fills the table row by row)."""

    def __init__(self, product: Product, kind: str, days: int) -> None:
        rng = np.random.default_rng(stable_key(product.key, kind))
        self.table = rng.random((max(days, 100), _SLOTS)).tolist()

    def __call__(self, day: int, slot: int = 0) -> float:
        return float(self.table[day][slot % _SLOTS])

    def between(self, low: float, high: float, day: int, slot: int = 0) -> float:
        return low + (high - low) * self(day, slot)


def _score_series(product: Product, key: str, count: int) -> np.ndarray:
    current = product.scores[key]
    return np.round(np.clip(current + 2.0 * product.smooth(key, count), 0.0, 10.0), 2)


def _detail(kind: str, noise: _Noise, day: int, ms: int, quote: float) -> Any:
    if kind == "experience":
        return [int(noise(day) * 20), noise.between(0.0, 60.0, day, 1)]
    if kind == "riskadjustment":
        trades = [[ms + 600_000 * (j + 1), 600_000 * (1 + int(noise(day, 10 + j) * 12)),
                   noise.between(0.3, 0.8, day, 20 + j), 0.0, 20 + j,
                   noise.between(0.999, 1.001, day, 30 + j), noise.between(10.0, 50.0, day, 40 + j)]
                  for j in range(1 + int(noise(day, 2) * 3))]
        return [noise.between(0.7, 0.8, day), noise.between(0.02, 0.03, day, 1), trades]
    if kind == "capacity":
        drop = [noise.between(0.0, 0.08, day, j) for j in range(4)]
        return [[quote, *(quote * (1 - sum(drop[: j + 1])) for j in range(4))],
                noise.between(0.0, 0.001, day, 5), noise.between(0.0, 0.05, day, 6),
                noise.between(1000.0, 9000.0, day, 7)]
    if kind in ("openstrategy", "closestrategy"):
        return [1 + int(noise(day, j) * 120) for j in range(12)]
    if kind in ("durationconsistency", "winningconsistency", "losingconsistency"):
        sign = -1.0 if kind == "losingconsistency" else 1.0
        return [[ms + 600_000 * (j + 1), 600_000 * (1 + int(noise(day, 10 + j) * 60)),
                 sign * noise.between(0.0, 0.005, day, 20 + j), noise.between(0.02, 0.03, day),
                 noise.between(0.01, 0.09, day, 30 + j)]
                for j in range(int(noise(day, 1) * 4))]
    if kind == "performance":
        ratios = sorted((noise.between(0.85, 1.15, day, 50 + j) for j in range(13)),
                        reverse=True)
        ratios[6] = 1.0
        return [int(noise(day) * 30),
                [noise.between(0.4, 0.5, day, 1), noise.between(0.97, 1.0, day, 2), ratios,
                 int(noise(day, 3) * 90)]]
    if kind == "riskstability":
        return [noise.between(0.02, 0.03, day, j) for j in range(6)] + [
            noise.between(1.0, 1.02, day, 6)]
    raise KeyError(kind)


def history(product: Product, kind: str, now: float) -> list[list[Any]]:
    """The rows of ``/history/<kind>`` (not ``quotes``) up to ``now``; cached per day."""
    times, closes = product.closes(now)
    key = (product.key, kind, int(times[-1]) if len(times) else 0)
    if key not in _CACHE:
        _CACHE[key] = _history(product, kind, now, times, closes)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return _CACHE[key]


def _history(product: Product, kind: str, now: float, times: np.ndarray,
             closes: np.ndarray) -> list[list[Any]]:
    stamps = [int(t) * 1000 for t in times]
    count = len(stamps)
    # The value every attribute shares on a date: trading days before it, / 15.
    shared = [max(0, i - 1) / 15 for i in range(count)]
    noise = _Noise(product, kind, count)
    if kind == "badges":
        columns = [_score_series(product, key, count) for key in BADGE_ROW]
        dscore = np.round(np.clip(product.dscore + 8.0 * product.smooth("score", count), 0,
                                  100), 2)
        return [[ms, shared[i - 1] if i else 0.0,
                 [*(float(c[i]) for c in columns), float(dscore[i])], ms, ms]
                for i, ms in enumerate(stamps)][1:]
    if kind == "returndivergence":
        return [[ms, float(closes[i]), float(closes[i]) * (1 + 2e-4 * noise(i))]
                for i, ms in enumerate(stamps)]
    if kind == "orderdivergence":
        last = stamps[-1] if stamps else int(now * 1000)
        orders = min(100, 4 * count)
        return [[last - 2_700_000 * (orders - 1 - j), "N/A", round(noise.between(0, 2600, j), 6),
                 10 + int(noise(j, 1) * 40), noise.between(-3e-5, 3e-5, j, 2)]
                for j in range(orders)]
    if kind == "marketcorrelation":
        if not stamps:
            return []
        day = count - 1
        rows = [["N/A", *(noise.between(0.0, 0.7, day, 10 * r + j) for j in range(2)),
                 int(noise(day, 10 * r + 3) * 90), int(noise(day, 10 * r + 4) * 90),
                 *(noise.between(0.0, 0.75, day, 10 * r + 5 + j) for j in range(5))]
                for r in range(4)]
        return [[stamps[-1], shared[-1], [rows]]]
    if kind == "riskstability":
        start = min(20, count)  # the recorded series starts about a month later
        return [[ms, shared[i], _detail(kind, noise, i, ms, float(closes[i]))]
                for i, ms in enumerate(stamps) if i >= start]
    rows: list[list[Any]] = []
    for i, ms in enumerate(stamps):
        quiet = i == 0 or noise(i, 99) < 0.12  # no detail on quiet days
        if quiet and kind not in ("capacity", "durationconsistency", "winningconsistency",
                                  "losingconsistency"):
            rows.append([ms, shared[i]])
        else:
            rows.append([ms, shared[i], _detail(kind, noise, i, ms, float(closes[i]))])
    return rows
