"""``GET /products/{p}/candles?resolution=&from=&to=`` and ``/candles/{timeframe}``.

The recorded reply ([RB] cassette, DWC.4.20) is ``{"candles": [], "period": {"start",
"end"}, "resolution": "1m", "supportedResolutions": ["1m"]}``: ``from``/``to`` are unix
seconds echoed in ``period`` even when ``from`` is after ``to`` (then no candles), and an
empty ``resolution=`` is answered as ``1m``. A candle is ``{"timestamp": <s>, "candle":
{"open", "high", "low", "close"}}`` (the shape darwinexapis reads; no recording has one).

``/candles/{1D|1W|1M|3M|6M|1Y|2Y|ALL}?resolution=`` ([DX]) covers that span up to now. Its
resolutions are UNCONFIRMED: here each timeframe offers the resolutions that give at most
``MAX_CANDLES`` candles (``supportedResolutions``), defaulting to the finest of them; an
unsupported resolution is 400.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from desktop_app.simulators.darwinex import errors
from desktop_app.simulators.darwinex.parsing import query_int
from desktop_app.simulators.darwinex.pipeline import Ctx, Reply
from desktop_app.simulators.darwinex.products import Product, money

MAX_CANDLES = 7 * 24 * 60
_SAMPLES = 5
_DAY = 86_400
RESOLUTIONS: dict[str, int] = {
    "1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "4h": 14_400,
    "1d": _DAY, "1w": 7 * _DAY, "1mn": 30 * _DAY,
}
TIMEFRAMES: dict[str, int | None] = {
    "1D": _DAY, "1W": 7 * _DAY, "1M": 30 * _DAY, "3M": 91 * _DAY, "6M": 182 * _DAY,
    "1Y": 365 * _DAY, "2Y": 730 * _DAY, "ALL": None,
}


def _product(ctx: Ctx) -> Product:
    name = ctx.params["productName"]
    product = ctx.state.catalogue.get(name)
    if product is None:
        raise errors.not_found(f"Product {name} not found.")
    return product


def candles(product: Product, start: int, end: int, step: int, now: float) -> list[dict[str, Any]]:
    """Finished candles of ``step`` seconds whose start lies in [start, end]."""
    first = max(math.ceil(start / step) * step, math.ceil(product.validation_s / step) * step)
    last = min(end, now - step, product.deleted_s or now)
    if last < first:
        return []
    starts = np.arange(first, last + 1, step, dtype=np.float64)
    if len(starts) > MAX_CANDLES:
        raise errors.bad_request(f"At most {MAX_CANDLES} candles per request.")
    offsets = np.linspace(0, step, _SAMPLES)
    grid = product.path.mids((starts[:, None] + offsets[None, :]).ravel()).reshape(
        len(starts), _SAMPLES)
    return [
        {
            "timestamp": int(t),
            "candle": {
                "open": money(float(row[0])),
                "high": money(float(row.max())),
                "low": money(float(row.min())),
                "close": money(float(row[-1])),
            },
        }
        for t, row in zip(starts, grid, strict=True)
    ]


def get_candles(ctx: Ctx) -> Reply:
    product = _product(ctx)
    resolution = (ctx.query.get("resolution") or "1m").strip()
    if resolution != "1m":
        raise errors.bad_request(f"Unsupported resolution {resolution}.")
    now = ctx.now
    to = query_int(ctx.query, "to", int(now))
    start = query_int(ctx.query, "from", int(now) - 3600)
    assert to is not None and start is not None
    return Reply({
        "candles": candles(product, start, to, 60, now),
        "period": {"start": start, "end": to},
        "resolution": "1m",
        "supportedResolutions": ["1m"],
    })


def get_candles_timeframe(ctx: Ctx) -> Reply:
    product = _product(ctx)
    timeframe = ctx.params["timeframe"].upper()
    if timeframe not in TIMEFRAMES:
        raise errors.bad_request(
            f"Unknown timeframe {ctx.params['timeframe']}; use one of {', '.join(TIMEFRAMES)}.")
    now = ctx.now
    span = TIMEFRAMES[timeframe]
    start = int(product.validation_s) if span is None else int(now) - span
    supported = [name for name, step in RESOLUTIONS.items()
                 if (now - start) / step <= MAX_CANDLES]
    resolution = (ctx.query.get("resolution") or supported[0]).strip()
    if resolution not in supported:
        raise errors.bad_request(f"Unsupported resolution {resolution} for {timeframe}.")
    return Reply({
        "candles": candles(product, start, int(now), RESOLUTIONS[resolution], now),
        "period": {"start": start, "end": int(now)},
        "resolution": resolution,
        "supportedResolutions": supported,
    })
