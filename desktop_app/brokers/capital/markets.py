"""Capital.com markets: quotes, search, the market tree, watchlists, details, prices."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from desktop_app.brokers.capital import mapping
from desktop_app.brokers.capital.core import CapitalCore
from desktop_app.domain.errors import NotFound, Rejected
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    AccountRef,
    Instrument,
    MarketNode,
    PricePoint,
    Quote,
    Watchlist,
)
from desktop_app.net.limiter import Priority

log = logging.getLogger(__name__)


class CapitalMarkets(CapitalCore):
    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        self.check_account(account)
        return mapping.quote(await self._market(symbol))

    async def _market(
        self, epic: str, priority: Priority = Priority.VISIBLE
    ) -> dict[str, Any]:
        shared = self._market_calls.get(epic)
        if shared is None:
            shared = asyncio.ensure_future(self.client.market(epic, priority=priority))
            self._market_calls[epic] = shared
            shared.add_done_callback(lambda _f: self._market_calls.pop(epic, None))
            # Every caller may have gone (cancelled): the outcome is still taken here.
            shared.add_done_callback(lambda f: f.cancelled() or f.exception())
        return await asyncio.shield(shared)

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]:
        self.check_account(account)
        term = text.strip()
        if not term:
            return []
        markets = await self.client.search_markets(term)
        details = await self._details([m.get("epic") for m in markets])
        return [mapping.instrument(m, details.get(str(m.get("epic")))) for m in markets]

    async def _details(self, epics: list[object]) -> dict[str, dict[str, Any]]:
        """Dealing rules (minimum size, step) for up to one call's worth of markets."""
        wanted = [str(e) for e in epics if e][:50]
        if not wanted:
            return {}
        try:
            found = await self.client.markets(wanted, priority=Priority.INTERACTIVE)
        except (Rejected, NotFound) as exc:
            log.info("Capital.com market details unavailable: %s", exc)
            return {}
        return {str((d.get("instrument") or {}).get("epic")): d for d in found}

    async def market_navigation(
        self, account: AccountRef, node_id: str | None
    ) -> tuple[list[MarketNode], list[Instrument]]:
        self.check_account(account)
        data = await self.client.navigation(node_id)
        nodes = [mapping.node(n) for n in data.get("nodes") or []]
        markets = [mapping.instrument(m) for m in data.get("markets") or []]
        return nodes, markets

    async def watchlists(self, account: AccountRef) -> list[Watchlist]:
        self.check_account(account)
        return [mapping.watchlist(w) for w in await self.client.watchlists()]

    async def watchlist_instruments(
        self, account: AccountRef, watchlist_id: str
    ) -> list[Instrument]:
        self.check_account(account)
        return [mapping.instrument(m) for m in await self.client.watchlist(watchlist_id)]

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        """``GET /markets/{epic}``: dealing rules, margin factor and today's prices."""
        self.check_account(account)
        details = await self._market(symbol, Priority.INTERACTIVE)
        snap = details.get("snapshot") or {}
        info = details.get("instrument") or {}
        summary = {
            "epic": info.get("epic") or symbol, "instrumentName": info.get("name"),
            "instrumentType": info.get("type"), "marketStatus": snap.get("marketStatus"),
            "bid": snap.get("bid"), "offer": snap.get("offer"),
        }
        base = mapping.instrument(summary, details)
        return replace(base, facts=mapping.instrument_facts(details))

    async def quote_history(
        self, account: AccountRef, symbol: str, since: datetime
    ) -> list[PricePoint]:
        """Daily closes (mid) from ``GET /prices/{epic}``, at most 1000 bars."""
        self.check_account(account)
        days = max(1, (utc_now() - since).days + 1)
        bars = await self.client.prices(
            symbol, resolution="DAY", count=days, priority=Priority.INTERACTIVE
        )
        points = [p for bar in bars if (p := mapping.price_point(bar)) is not None]
        return [p for p in points if p.at >= since - timedelta(days=1)]
