"""DARWINs as products: search, Darwinex's screens, D-Score and D-Leverage (throttled
hard by Darwinex: a budget of their own, cached for an hour, fetched on demand), details
and a year of quotes."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.darwinex import mapping
from desktop_app.brokers.darwinex.core import (
    D_LEVERAGE_HINT,
    D_SCORE_HINT,
    DETAILS_SCORE_WAIT,
    HISTORY_TTL,
    MIN_AMOUNT,
    PREFETCH_BATCH,
    PREFETCH_RESERVE,
    PRODUCTS_TTL,
    SCORE_RETRY,
    SCORE_TTL,
    SCREENS,
    SEARCH_LIMIT,
    _Cached,
    _text,
)
from desktop_app.brokers.darwinex.errors import BROKER
from desktop_app.brokers.darwinex.status import DarwinexStatus
from desktop_app.domain.errors import (
    BrokerError,
    NotFound,
    NotSupported,
    ProtocolError,
    RateLimited,
    Rejected,
    Unavailable,
)
from desktop_app.domain.money import format_money, optional_decimal, to_decimal, utc_now
from desktop_app.domain.types import (
    AccountRef,
    Fact,
    Instrument,
    InstrumentScreen,
    PricePoint,
)
from desktop_app.net.limiter import Priority

log = logging.getLogger(__name__)


class DarwinexProducts(DarwinexStatus):
    def _size_label(self, account: AccountRef) -> str:
        currency = self._currency(account)
        return f"Amount ({currency})" if currency else "Amount"

    def _instrument(
        self, account: AccountRef, data: dict[str, Any], facts: tuple[Fact, ...] = ()
    ) -> Instrument:
        inst = mapping.instrument(
            data, size_label=self._size_label(account), min_size=MIN_AMOUNT, facts=facts,
        )
        # Amounts are in the account's currency, whatever the DARWIN's own currency.
        return replace(inst, currency=self._currency(account) or inst.currency)

    async def _product_list(self) -> list[dict[str, Any]]:
        if self._products is not None and self._products.fresh(PRODUCTS_TTL):
            return self._products.value
        items = await self.client.products("ACTIVE")
        self._products = _Cached(items)
        return items

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]:
        self.check_account(account)
        term = text.strip().upper()
        if not term:
            return []
        found = [
            p for p in await self._product_list()
            if term in _text(p.get("productName")).upper()
            or term in _text(p.get("shortName")).upper()
        ]
        # The ticker itself first, then names starting with the text, then the rest.
        found.sort(key=lambda p: (
            _text(p.get("shortName")).upper() != term,
            not _text(p.get("productName")).upper().startswith(term),
            _text(p.get("productName")),
        ))
        return [self._instrument(account, p) for p in found[:SEARCH_LIMIT]]

    async def screen_instruments(
        self, account: AccountRef, screen: InstrumentScreen, text: str = ""
    ) -> list[Instrument]:
        self.check_account(account)
        preset = SCREENS.get(screen.key)
        if preset is None:
            raise NotSupported(f"Darwinex has no product screen {screen.label!r}.",
                               broker=BROKER)
        cached = self._screens.get(screen.key)
        if cached is None or not cached.fresh(PRODUCTS_TTL):
            cached = self._screens[screen.key] = _Cached(
                await self.client.filter_products(preset[1])
            )
        term = text.strip().upper()
        rows = [
            r for r in cached.value
            if not term or term in _text(r.get("productName")).upper()
            or term in _text(r.get("shortName")).upper()
        ]
        for row in rows:
            if row.get("dscore") is not None:
                self._scores.setdefault(
                    _text(row.get("productName")),
                    _Cached(to_decimal(row["dscore"], field="dscore")),
                )
        return [self._instrument(account, r) for r in rows]

    def _score_facts(self, product: str) -> tuple[Fact, ...]:
        cached = self._scores.get(product)
        if cached is None or not cached.fresh(SCORE_TTL):
            return ()
        return (Fact("D-Score", mapping.plain(cached.value), D_SCORE_HINT),)

    async def _fetch_score(self, product: str, priority: Priority) -> Decimal:
        value = await self.client.dxscore(product, priority=priority)
        score = to_decimal(value, field="dxscore")
        self._scores[product] = _Cached(score)
        return score

    def _prefetch_scores(self, products: list[str]) -> None:
        """D-Scores of positions' products: a few per call, in the background, never
        again within the hour, and only while the scores budget has room for clicks."""
        now = time.monotonic()
        wanted = [
            p for p in dict.fromkeys(products)
            if not self._score_facts(p) and p not in self._prefetching
            and self._score_failed.get(p, 0.0) <= now
        ][:PREFETCH_BATCH]
        if not wanted or self.client.http.client.is_closed:
            return
        if self.rate_limiter.headroom("scores") < PREFETCH_RESERVE + len(wanted):
            return
        self._prefetching.update(wanted)
        task = asyncio.get_running_loop().create_task(
            self._prefetch(wanted), name=f"darwinex-scores:{self.connection_id}"
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _prefetch(self, products: list[str]) -> None:
        try:
            for product in products:
                try:
                    await self._fetch_score(product, Priority.BACKGROUND)
                except BrokerError as exc:
                    log.info("Darwinex D-Score of %s not fetched: %s", product, exc.message)
                    self._score_failed[product] = time.monotonic() + SCORE_RETRY
        finally:
            self._prefetching.difference_update(products)

    async def _score_within(self, product: str) -> Fact:
        """The D-Score, from the cache or fetched if the budget allows soon; a score that
        cannot be had now is shown as "…" with the reason."""
        cached = self._scores.get(product)
        if cached is not None and cached.fresh(SCORE_TTL):
            return Fact("D-Score", mapping.plain(cached.value), D_SCORE_HINT)
        wait = self.client.scores_wait()
        if wait > DETAILS_SCORE_WAIT:
            return Fact("D-Score", "…", (
                "Darwinex allows about 10 score requests a minute; try again in "
                f"{max(1, round(wait))} s."))
        try:
            score = await self._fetch_score(product, Priority.INTERACTIVE)
        except (RateLimited, Unavailable, ProtocolError, NotFound, Rejected) as exc:
            return Fact("D-Score", "…", f"Could not be read now: {exc.message}")
        return Fact("D-Score", mapping.plain(score), D_SCORE_HINT)

    @staticmethod
    def _dleverage_fact(status: dict[str, Any]) -> Fact:
        value = mapping.d_leverage(status)
        if value is None:
            return Fact("D-Leverage", "-", "Darwinex's product status carries no D-Leverage "
                        "(averageDLeverage) for this DARWIN.")
        return Fact("D-Leverage", mapping.plain(value), D_LEVERAGE_HINT)

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        """The product with its scores (cached an hour), figures and trading flags."""
        self.check_account(account)
        status = await self._product_status(symbol, Priority.INTERACTIVE)
        market = await self._market_status(Priority.INTERACTIVE)
        facts = [await self._score_within(symbol), self._dleverage_fact(status)]
        for key, label in (("productReturn", "Return"), ("drawdown", "Drawdown")):
            if status.get(key) is not None:
                facts.append(Fact(label, mapping.percent(status[key])))
        if status.get("numInvestors") is not None:
            facts.append(Fact("Investors", _text(status["numInvestors"])))
        invested = optional_decimal(status.get("invested"))
        darwin_currency = _text(status.get("currency"))
        if invested is not None:
            facts.append(Fact("Invested by all", format_money(invested, darwin_currency)))
        facts.append(Fact("Status", _text(status.get("status")) or "ACTIVE"))
        if darwin_currency and darwin_currency != self._currency(account):
            facts.append(Fact("DARWIN currency", darwin_currency))
        quote = self._quote_of(symbol, status, market)
        inst = self._instrument(account, status, tuple(facts))
        return replace(
            inst, bid=quote.bid, offer=quote.offer, buy_allowed=quote.buy_allowed,
            sell_allowed=quote.sell_allowed, note=quote.note,
            market_status=quote.market_status, tradeable=quote.market_status == "TRADEABLE",
            opens_at=quote.opens_at,
        )

    async def quote_history(
        self, account: AccountRef, symbol: str, since: datetime
    ) -> list[PricePoint]:
        """Daily quotes since ``since`` (``history/quotes``, on the scores budget)."""
        self.check_account(account)
        end = utc_now()
        key = (symbol, since.astimezone(UTC).date().isoformat())
        cached = self._histories.get(key)
        if cached is not None and cached.fresh(HISTORY_TTL):
            return cached.value
        rows = await self.client.history(
            symbol, "quotes", params={"start": mapping.to_ms(since), "end": mapping.to_ms(end)},
        )
        points = [p for p in mapping.price_points(rows) if p.at >= since]
        self._histories[key] = _Cached(points)
        return points

