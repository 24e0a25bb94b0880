"""Prices of the shared market: seeded random walks per instrument, quotes, bars, FX.

Prices are a function of the simulator clock (see ``pricepath``); whether a market is
open is a function of the session clock (see ``clock`` and ``hours``), unless a test has
set an instrument's status by hand.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

import numpy as np

from desktop_app.simulators.clock import SimClock
from desktop_app.simulators.deals import Bar, MarketQuote, utc
from desktop_app.simulators.hours import SessionState
from desktop_app.simulators.instruments import CLOSED, DAILY_VOL, TRADEABLE, InstrumentSpec
from desktop_app.simulators.pricepath import PricePath, stable_key, unit_noise

_DAY = 86_400
_WEEK = 7 * _DAY
_MONDAY_OFFSET = 4 * _DAY  # 1970-01-01 was a Thursday; weekly bars start on Mondays.


class PriceBook:
    """Instruments and their prices; shares the market's lock."""

    def __init__(
        self,
        seed: int,
        instruments: Iterable[InstrumentSpec],
        clock: Callable[[], float],
        session_clock: SimClock,
        lock: threading.RLock,
        started_at: float,
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.session_clock = session_clock
        self._lock = lock
        self.started_at = started_at
        self.frozen_at: float | None = None
        self.instruments: dict[str, InstrumentSpec] = {s.symbol: s for s in instruments}
        # Statuses set by hand (test knobs); the rest follow the trading hours.
        self.status_overrides: dict[str, str] = {}
        self.paths = {
            spec.symbol: PricePath(
                stable_key(seed, spec.symbol),
                float(spec.price),
                DAILY_VOL.get(spec.kind, 0.01),
                started_at,
            )
            for spec in self.instruments.values()
        }
        self._grid_cache: dict[str, tuple[float, tuple[float, float, float]]] = {}

    def spec(self, symbol: str) -> InstrumentSpec:
        return self.instruments[symbol]

    # ----------------------------------------------------------------- trading hours
    def session(self, symbol: str) -> SessionState:
        override = self.status_overrides.get(symbol)
        if override is not None:
            return SessionState.OPEN if override == TRADEABLE else SessionState.CLOSED
        return self.spec(symbol).hours.state(self.session_clock.now())

    def status(self, symbol: str) -> str:
        return TRADEABLE if self.session(symbol) is SessionState.OPEN else CLOSED

    def next_open(self, symbol: str) -> datetime | None:
        """When ``symbol`` opens next, on the simulator clock (None: never, by hand)."""
        if symbol in self.status_overrides:
            return None
        found = self.spec(symbol).hours.next_open(self.session_clock.now())
        return self.session_clock.to_base(found) if found is not None else None

    def set_status(self, symbol: str, status: str | None) -> None:
        """Test knob: e.g. ``set_status("GOLD", CLOSED)``; None follows the hours again."""
        with self._lock:
            self.spec(symbol)
            if status is None:
                self.status_overrides.pop(symbol, None)
            else:
                self.status_overrides[symbol] = status

    # ----------------------------------------------------------------- prices
    def set_price(self, symbol: str, mid: Decimal | float | str) -> None:
        """Test knob: move the mid price to ``mid`` now; the walk goes on from there."""
        with self._lock:
            self.paths[symbol].shock_to(self.price_now(), float(mid))
            self._grid_cache.pop(symbol, None)

    def freeze_prices(self) -> None:
        """Test knob: hold every price where it is now (set_price still moves them)."""
        with self._lock:
            self.frozen_at = self.price_now()

    def thaw_prices(self) -> None:
        with self._lock:
            self.frozen_at = None

    def price_now(self) -> float:
        frozen = self.frozen_at
        return frozen if frozen is not None else self.clock()

    def bid_offer(self, spec: InstrumentSpec, mid: float) -> tuple[Decimal, Decimal]:
        bid = spec.on_grid(Decimal(repr(mid)) - spec.spread / 2)
        return bid, bid + spec.spread

    def _day_grid(self, symbol: str, now: float) -> tuple[float, float, float]:
        """(open, low, high) mid of the day so far on a 5-minute grid, cached per grid step."""
        day_start = math.floor(now / _DAY) * _DAY
        grid_end = math.floor(now / 300.0) * 300.0
        cached = self._grid_cache.get(symbol)
        if cached is not None and cached[0] == grid_end:
            return cached[1]
        mids = self.paths[symbol].mids(np.arange(day_start, grid_end + 1, 300.0))
        stats = (float(mids[0]), float(mids.min()), float(mids.max()))
        self._grid_cache[symbol] = (grid_end, stats)
        return stats

    def quote(self, symbol: str) -> MarketQuote:
        spec = self.spec(symbol)
        with self._lock:
            now = self.price_now()
            mid = self.paths[symbol].mid(now)
            day_open_mid, low_mid, high_mid = self._day_grid(symbol, now)
            status = self.status(symbol)
        bid, offer = self.bid_offer(spec, mid)
        day_open, _ = self.bid_offer(spec, day_open_mid)
        high, _ = self.bid_offer(spec, max(high_mid, mid))
        low, _ = self.bid_offer(spec, min(low_mid, mid))
        change = bid - day_open
        pct = (change / day_open * 100).quantize(Decimal("0.0001")) if day_open else Decimal(0)
        return MarketQuote(symbol, bid, offer, high, low, change, pct, status, utc(self.clock()))

    def mid(self, symbol: str) -> Decimal:
        return Decimal(repr(self.paths[symbol].mid(self.price_now())))

    def extremes(self, symbol: str, start: float, end: float) -> tuple[Decimal, Decimal,
                                                                         Decimal, Decimal]:
        """(lowest bid, highest bid, lowest offer, highest offer) over [start, end]."""
        spec = self.spec(symbol)
        low, high = self.paths[symbol].extremes(start, end)
        low_bid, low_offer = self.bid_offer(spec, low)
        high_bid, high_offer = self.bid_offer(spec, high)
        return low_bid, high_bid, low_offer, high_offer

    def bars(
        self,
        symbol: str,
        resolution_seconds: int,
        *,
        start: float | None = None,
        end: float | None = None,
        count: int = 10,
    ) -> list[Bar]:
        """Bars whose start lies in [start, end]; the last ``count`` if only ``end`` binds.

        With ``start`` given, the first ``count`` bars from it. The current bar is partial.
        """
        spec = self.spec(symbol)
        now = self.price_now()
        last_bucket = _bucket(min(end, now) if end is not None else now, resolution_seconds)
        if start is not None:
            first_bucket = _bucket(start, resolution_seconds)
            if first_bucket < start:
                first_bucket += resolution_seconds
            buckets = np.arange(first_bucket, last_bucket + 1, resolution_seconds)[:count]
        else:
            buckets = np.arange(last_bucket - (count - 1) * resolution_seconds,
                                last_bucket + 1, resolution_seconds)
        if len(buckets) == 0:
            return []
        points = 8
        times = buckets[:, None] + resolution_seconds * np.arange(points + 1) / points
        times = np.minimum(times, now)
        mids = self.paths[symbol].mids(times.ravel()).reshape(times.shape)
        key = stable_key(self.seed, symbol, resolution_seconds)
        scale = math.sqrt(resolution_seconds / 60)
        bars = []
        for bucket, row in zip(buckets, mids, strict=True):
            o, _ = self.bid_offer(spec, float(row[0]))
            c, _ = self.bid_offer(spec, float(row[-1]))
            h, _ = self.bid_offer(spec, float(row.max()))
            lo, _ = self.bid_offer(spec, float(row.min()))
            volume = int((40 + 160 * unit_noise(key, int(bucket))) * scale)
            bars.append(Bar(utc(float(bucket)), o, h, lo, c, spec.spread, volume))
        return bars

    # ----------------------------------------------------------------- currencies
    def _usd_per(self, currency: str) -> Decimal:
        if currency == "USD":
            return Decimal(1)
        direct, inverse = f"{currency}USD", f"USD{currency}"
        if direct in self.paths:
            return self.mid(direct)
        if inverse in self.paths:
            return 1 / self.mid(inverse)
        raise KeyError(f"no exchange rate for {currency}")

    def convert(self, amount: Decimal, from_currency: str, to_currency: str) -> Decimal:
        if from_currency == to_currency:
            return amount
        return amount * self._usd_per(from_currency) / self._usd_per(to_currency)


def _bucket(t: float, resolution_seconds: int) -> int:
    if resolution_seconds == _WEEK:
        return math.floor((t - _MONDAY_OFFSET) / _WEEK) * _WEEK + _MONDAY_OFFSET
    return math.floor(t / resolution_seconds) * resolution_seconds
