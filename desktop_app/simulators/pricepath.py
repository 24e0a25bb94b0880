"""A seeded random-walk price that is a pure function of wall time.

The log price is a sum of value-noise octaves (1 s up to about a year), each with an
amplitude proportional to the square root of its scale. Increments then have Brownian
scaling (variance proportional to the horizon), so it behaves as a random walk, but any
instant can be computed on its own: prices advance with the clock without a background
loop, and bars of every resolution agree with the live quote.
"""

from __future__ import annotations

import math

import numpy as np

_OCTAVES = 26
_SCALES = 2.0 ** np.arange(_OCTAVES)
_SQRT_SCALES = np.sqrt(_SCALES)
_OCTAVE_SALT = np.arange(_OCTAVES, dtype=np.uint64) * np.uint64(0xD1B54A32D192ED03)
# Measured once: the raw octave sum moves by about 2.0 * sqrt(seconds) (one standard deviation).
_RAW_STD_PER_SQRT_SECOND = 2.0
_SECONDS_PER_DAY = 86_400.0


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fast, well-spread integer hash (wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def stable_key(*parts: object) -> int:
    """A 64-bit key that is the same in every process (unlike hash() of a str)."""
    acc = np.uint64(0x243F6A8885A308D3)
    for part in parts:
        for byte in str(part).encode():
            acc = _mix(np.asarray(acc ^ np.uint64(byte), dtype=np.uint64))
    return int(acc)


def unit_noise(key: int, index: int) -> float:
    """A deterministic number in [0, 1) for (key, index)."""
    h = _mix(np.asarray(np.uint64(key) ^ _mix(np.asarray(np.uint64(index & (2**64 - 1))))))
    return float(int(h) >> 11) * 2.0**-53


class PricePath:
    """Mid price of one instrument over time; ``shock_to`` moves it from a moment on."""

    def __init__(self, key: int, start_mid: float, daily_vol: float, anchor_time: float) -> None:
        if start_mid <= 0:
            raise ValueError("start_mid must be positive")
        with np.errstate(over="ignore"):
            self._base = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15) + _OCTAVE_SALT
        self._sigma = daily_vol / math.sqrt(_SECONDS_PER_DAY) / _RAW_STD_PER_SQRT_SECOND
        self._log_start = math.log(start_mid)
        self._anchor_noise = float(self._noise(np.asarray([anchor_time]))[0])
        # (from_time, added log offset): test knobs that move the price at an instant.
        self._shocks: list[tuple[float, float]] = []

    def _noise(self, t: np.ndarray) -> np.ndarray:
        x = t[:, None] / _SCALES
        lattice = np.floor(x)
        frac = x - lattice
        idx = lattice.astype(np.int64).astype(np.uint64)
        with np.errstate(over="ignore"):
            h0 = _mix(_mix(idx ^ self._base) + self._base)
            h1 = _mix(_mix((idx + np.uint64(1)) ^ self._base) + self._base)
        v0 = ((h0 >> np.uint64(11)).astype(np.float64) * 2.0**-52 - 1.0) * math.sqrt(3.0)
        v1 = ((h1 >> np.uint64(11)).astype(np.float64) * 2.0**-52 - 1.0) * math.sqrt(3.0)
        return ((v0 + (v1 - v0) * frac) * _SQRT_SCALES).sum(axis=1)

    def mids(self, times: np.ndarray | list[float]) -> np.ndarray:
        t = np.asarray(times, dtype=np.float64)
        log_mid = self._log_start + self._sigma * (self._noise(t) - self._anchor_noise)
        for at, offset in self._shocks:
            log_mid = log_mid + np.where(t >= at, offset, 0.0)
        return np.exp(log_mid)

    def mid(self, t: float) -> float:
        return float(self.mids([t])[0])

    def shock_to(self, t: float, target_mid: float) -> None:
        if target_mid <= 0:
            raise ValueError("target_mid must be positive")
        self._shocks.append((t, math.log(target_mid) - math.log(self.mid(t))))

    def extremes(self, start: float, end: float, max_samples: int = 2000) -> tuple[float, float]:
        """(lowest, highest) mid in [start, end], sampled at 1 s or coarser."""
        if end <= start:
            m = self.mid(end)
            return m, m
        count = int(min(max_samples, max(2, math.ceil(end - start) + 1)))
        values = self.mids(np.linspace(start, end, count))
        return float(values.min()), float(values.max())
