"""What Darwinex takes now: the market status (``productmarket/status``) and each
product's own flags, turned into quotes and into refusals given before anything is sent."""

from __future__ import annotations

import time
from typing import Any

from desktop_app.brokers.darwinex import mapping
from desktop_app.brokers.darwinex.core import (
    MARKET_MAX_TTL,
    MARKET_MIN_TTL,
    STATUS_REUSE,
    DarwinexCore,
    _Cached,
    _text,
    _when,
)
from desktop_app.domain.money import optional_decimal, utc_now
from desktop_app.domain.types import AccountRef, OrderType, Quote, Side
from desktop_app.net.limiter import Priority


class DarwinexStatus(DarwinexCore):
    async def _market_status(self, priority: Priority = Priority.VISIBLE) -> dict[str, Any]:
        """``productmarket/status``, cached until its ``epochTimestampNextUpdate``."""
        now = time.monotonic()
        if self._market is not None and now < self._market[1]:
            return self._market[0]
        data = await self.client.market_status(priority=priority)
        ttl = MARKET_MAX_TTL
        next_ms = optional_decimal(data.get("epochTimestampNextUpdate"))
        if next_ms is not None:
            ttl = float(next_ms) / 1000 - time.time()
        self._market = (data, now + min(MARKET_MAX_TTL, max(MARKET_MIN_TTL, ttl)))
        return data

    async def _product_status(
        self, product: str, priority: Priority = Priority.VISIBLE,
        reuse: float = STATUS_REUSE,
    ) -> dict[str, Any]:
        cached = self._status.get(product)
        if cached is not None and cached.fresh(reuse / self.time_scale):
            return cached.value
        data = await self.client.product_status(product, priority=priority)
        self._status[product] = _Cached(data)
        return data

    @staticmethod
    def _market_note(side: Side, status: dict[str, Any], market: dict[str, Any]) -> str:
        verb = "buy" if side is Side.BUY else "sell"
        stamp = status.get("estimatedOpenDate") or market.get("epochTimestampNextUpdate")
        at = mapping.ms_time(stamp) if stamp else None
        when = f" again at {_when(at)}" if at is not None else " again later"
        key = "allowConditionalBuy" if side is Side.BUY else "allowConditionalSell"
        conditional = " (limit and stop orders are taken now)" if market.get(key) else ""
        return f"Darwinex accepts {verb} orders{when}{conditional}."

    def _refusal(
        self, product: str, side: Side, order_type: OrderType,
        status: dict[str, Any], market: dict[str, Any],
    ) -> str:
        """Why Darwinex would refuse this order now ("" when it would not)."""
        state = _text(status.get("status")).upper()
        if state and state != "ACTIVE":
            return f"{product} is {state.lower()}: it takes no orders."
        conditional = order_type is not OrderType.MARKET
        buy = side is Side.BUY
        if conditional:
            market_key = "allowConditionalBuy" if buy else "allowConditionalSell"
            product_key = "conditionalBuyAllowed" if buy else "conditionalSellAllowed"
        else:
            market_key = "allowBuy" if buy else "allowSell"
            product_key = "buyAllowed" if buy else "sellAllowed"
        if market.get(market_key) is False:
            if conditional:
                kind = "conditional buy" if buy else "conditional sell"
                return f"Darwinex takes no {kind} orders at the moment."
            return self._market_note(side, status, market)
        if status.get(product_key) is False:
            if buy and not conditional:
                return f"{product} is closed to new investment."
            if buy:
                return f"{product} takes no conditional buy orders at the moment."
            return f"Selling {product} is not possible at the moment."
        return ""

    def _quote_of(self, symbol: str, status: dict[str, Any], market: dict[str, Any]) -> Quote:
        value = mapping.quote_value(status)
        buy = self._refusal(symbol, Side.BUY, OrderType.MARKET, status, market)
        sell = self._refusal(symbol, Side.SELL, OrderType.MARKET, status, market)
        state = _text(status.get("status")).upper() or "ACTIVE"
        conditional_ok = any(
            market.get(k) is not False and status.get(p) is not False
            for k, p in (("allowConditionalBuy", "conditionalBuyAllowed"),
                         ("allowConditionalSell", "conditionalSellAllowed"))
        )
        if state != "ACTIVE":
            market_status = state
        elif not buy or not sell or conditional_ok:
            market_status = "TRADEABLE"
        else:
            market_status = "CLOSED"
        notes = list(dict.fromkeys(n for n in (buy, sell) if n))
        opens_at = None
        if buy and sell and state == "ACTIVE":  # closed for market orders: until when
            stamp = status.get("estimatedOpenDate") or market.get("epochTimestampNextUpdate")
            opens_at = mapping.ms_time(stamp) if stamp else None
        return Quote(
            symbol=symbol,
            bid=value,
            offer=value,
            as_of=mapping.ms_time(status.get("quoteDate")) or utc_now(),
            market_status=market_status,
            buy_allowed=not buy,
            sell_allowed=not sell,
            note=" ".join(notes),
            conditional_buy_allowed=not self._refusal(
                symbol, Side.BUY, OrderType.LIMIT, status, market),
            conditional_sell_allowed=not self._refusal(
                symbol, Side.SELL, OrderType.LIMIT, status, market),
            opens_at=opens_at,
        )

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        """The DARWIN's quote (``bid`` = ``offer``) with what may be traded now."""
        self.check_account(account)
        status = await self._product_status(symbol)
        market = await self._market_status()
        return self._quote_of(symbol, status, market)

