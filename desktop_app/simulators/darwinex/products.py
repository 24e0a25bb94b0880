"""The DARWINs: names, seeded quotes (``pricepath``), scores, flags and daily histories.

A DARWIN starts at 100.00 on its validation date and follows a random walk that is a pure
function of time, so quotes, daily closes and candles agree with each other. Daily closes
are taken on weekdays at 21:00 UTC. A DELETED DARWIN's quote stays where it was on the
day it was deleted.
"""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from desktop_app.simulators.pricepath import PricePath, stable_key, unit_noise

CENT = Decimal("0.01")
_DAY = 86_400
_CLOSE_SECOND = 21 * 3600  # daily close at 21:00 UTC
_YEAR = 365 * _DAY

# Short keys of GET /products/{p}/scores ([RB] cassette) and the badge names that
# GET /products/{p}/scores/{BADGE} takes (EXPERIENCE is recorded; the rest follow the
# Darwinex investment attributes, UNCONFIRMED spelling).
BADGES: dict[str, str] = {
    "EXPERIENCE": "ex",
    "MARKET_CORRELATION": "mc",
    "RISK_STABILITY": "rs",
    "RISK_ADJUSTMENT": "ra",
    "OPEN_STRATEGY": "os",
    "CLOSE_STRATEGY": "cs",
    "WINNING_CONSISTENCY": "rplus",
    "LOSING_CONSISTENCY": "rminus",
    "DURATION_CONSISTENCY": "dc",
    "LOSS_AVERSION": "la",
    "PERFORMANCE": "pf",
    "CAPACITY": "cp",
    "SCALABILITY": "sc",
}
_SCORE_KEYS = ("dc", "os", "cs", "mc", "rplus", "ra", "ex", "pf", "rminus", "rs", "sc", "la", "cp")

# Order of the badge values inside one GET .../history/badges row, as darwinexapis reads it.
BADGE_ROW = ("ex", "mc", "rs", "ra", "os", "cs", "rplus", "rminus", "dc", "la", "pf", "cp")

PERIODS: dict[str, int | None] = {
    "1m": 30 * _DAY,
    "3m": 91 * _DAY,
    "6m": 182 * _DAY,
    "12m": _YEAR,
    "1y": _YEAR,
    "2y": 2 * _YEAR,
    "3y": 3 * _YEAR,
    "5y": 5 * _YEAR,
    "all": None,
    "actual": None,
}

# Names the documentation and samples use; the rest are generated per seed.
_KNOWN = ("DWC.4.20", "AEB.5.4", "AEC.5.8", "NTI.4.12", "LVS.4.20", "THA.4.12", "PLF.4.1",
          "DWF.4.19", "KVL.4.5")
_ACTIVE_COUNT = 46
_DELETED_COUNT = 4


def money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(slots=True)
class Product:
    name: str
    currency: str
    validation_s: float
    path: PricePath
    scores: dict[str, float]
    d_leverage: float
    investors: int
    invested: Decimal
    trader_equity: Decimal
    username: str
    key: int
    community: bool = False
    migration_ms: int = 0
    deleted_s: float | None = None
    buy_allowed: bool = True
    sell_allowed: bool = True
    conditional_buy_allowed: bool = True
    conditional_sell_allowed: bool = True
    pin: Decimal | None = None
    closes_cache: tuple[int, np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def status(self) -> str:
        return "ACTIVE" if self.deleted_s is None else "DELETED"

    @property
    def active(self) -> bool:
        return self.deleted_s is None

    @property
    def validation_ms(self) -> int:
        return int(self.validation_s * 1000)

    @property
    def dscore(self) -> float:
        return self.scores["score"]

    def quote(self, t: float) -> Decimal:
        if self.pin is not None:
            return self.pin
        return money(self.path.mid(self._clamp(t)))

    def _clamp(self, t: float) -> float:
        t = max(t, self.validation_s)
        return t if self.deleted_s is None else min(t, self.deleted_s)

    # ---------------------------------------------------------------- histories
    def close_times(self, now: float) -> np.ndarray:
        """Every daily close (unix seconds) from the validation day up to ``now``."""
        end = now if self.deleted_s is None else min(now, self.deleted_s)
        first_day = int(self.validation_s // _DAY)
        last_day = int(end // _DAY)
        days = np.arange(first_day, last_day + 1, dtype=np.int64)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        times = days[weekday < 5] * _DAY + _CLOSE_SECOND
        return times[(times >= self.validation_s) & (times <= end)]

    def closes(self, now: float) -> tuple[np.ndarray, np.ndarray]:
        """(close times in s, close quotes) up to ``now``; cached until the next close."""
        times = self.close_times(now)
        last = int(times[-1]) if len(times) else 0
        if self.closes_cache is None or self.closes_cache[0] != last:
            values = np.round(self.path.mids(times.astype(np.float64)), 2) if len(times) else (
                np.zeros(0))
            self.closes_cache = (last, times, values)
        return self.closes_cache[1], self.closes_cache[2]

    def smooth(self, kind: str, count: int, scale: float = 15.0) -> np.ndarray:
        """A slowly varying series in about [-1, 1] over ``count`` days, 0 at the last day."""
        key = stable_key(self.key, kind)
        idx = np.arange(count, dtype=np.float64) / scale
        lattice = np.floor(idx).astype(np.int64)
        knots = {int(i): unit_noise(key, int(i)) * 2 - 1 for i in np.unique(np.r_[lattice,
                                                                                 lattice + 1])}
        v0 = np.array([knots[int(i)] for i in lattice])
        v1 = np.array([knots[int(i) + 1] for i in lattice])
        values = v0 + (v1 - v0) * (idx - lattice)
        return values - values[-1] if count else values

    def metric(self, name: str, period: str, now: float) -> float:
        """return / drawdown (percent) over ``period``; dscore and investors ignore it."""
        if name in ("dscore", "d-score", "score"):
            return self.dscore
        if name == "investors":
            return float(self.investors)
        if name in self.scores:
            return self.scores[name]
        times, values = self.closes(now)
        current = float(self.quote(now))
        span = PERIODS.get(period.lower())
        start = -math.inf if span is None else now - span
        window = np.r_[values[times >= start], current]
        if name == "return":
            before = values[times < start]
            base = float(before[-1]) if len(before) else 100.0
            return round((current / base - 1) * 100, 2)
        if name == "drawdown":
            peaks = np.maximum.accumulate(window)
            return round(float(np.min(window / peaks - 1)) * 100, 2)
        raise KeyError(name)


class Catalogue:
    """Every DARWIN of the simulator, ACTIVE and DELETED, by name (sorted)."""

    def __init__(self, seed: int, now: float) -> None:
        rng = random.Random(f"darwinex-products-{seed}")
        names = list(_KNOWN)
        taken = {n.split(".")[0] for n in names}
        while len(names) < _ACTIVE_COUNT + _DELETED_COUNT:
            short = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
            if short in taken:
                continue
            taken.add(short)
            names.append(f"{short}.{rng.choice((4, 4, 4, 5))}.{rng.randrange(1, 25)}")
        deleted = set(rng.sample(names[len(_KNOWN):], _DELETED_COUNT))
        self.products: dict[str, Product] = {}
        for name in sorted(names):
            product = _make_product(seed, name, rng, now)
            if name in deleted:
                product.deleted_s = now - rng.uniform(20, 200) * _DAY
            self.products[name] = product
        # A few DARWINs take no new money (as DWC.4.20 did in the recorded status), so the
        # app has a reason to show when buying is refused.
        closed = ["DWC.4.20", *rng.sample([n for n in self.active_names() if n not in _KNOWN], 3)]
        for name in closed:
            product = self.products[name]
            product.buy_allowed = False
            product.conditional_buy_allowed = False
        self.products["DWC.4.20"].community = True

    def get(self, name: str) -> Product | None:
        return self.products.get(name)

    def active_names(self) -> list[str]:
        return [n for n, p in self.products.items() if p.active]

    def by_status(self, status: str | None) -> list[Product]:
        if status is None or status.upper() == "ALL":
            return list(self.products.values())
        return [p for p in self.products.values() if p.status == status.upper()]


def _make_product(seed: int, name: str, rng: random.Random, now: float) -> Product:
    key = stable_key("darwinex", seed, name)
    validation_s = now - rng.uniform(1.5, 6.0) * _YEAR
    daily_vol = rng.uniform(0.004, 0.012)
    scores = {k: round(rng.uniform(1.0, 10.0), 2) for k in _SCORE_KEYS}
    scores["score"] = round(rng.uniform(20.0, 80.0), 2)
    investors = rng.randrange(0, 600)
    return Product(
        name=name,
        currency=rng.choice(("USD", "USD", "USD", "EUR")),
        validation_s=validation_s,
        path=PricePath(key, 100.0, daily_vol, validation_s),
        scores=scores,
        d_leverage=round(rng.uniform(0.4, 4.0), 2),
        investors=investors,
        invested=money(investors * rng.uniform(200, 20_000)),
        trader_equity=money(rng.choice((10_000, 20_000, 50_000)) * rng.uniform(0.5, 3)),
        username=f"trader{rng.randrange(1000, 100_000)}",
        key=key,
        migration_ms=0 if rng.random() < 0.7 else int((validation_s - 30 * _DAY) * 1000),
    )

