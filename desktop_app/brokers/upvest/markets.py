"""Upvest's instruments: searched by name, ISIN or WKN in the tradable universe.

``GET /instruments`` lists the client's whole universe (paged); it changes rarely, so it
is read once per ``UNIVERSE_MAX_AGE`` and searched here. One instrument is
``GET /instruments/isin:{ISIN}`` (its trading status now). Each instrument offers its
size units (an EUR amount where fractional trading is on, else whole shares) and asks
the buy acknowledgement Upvest's orders carry.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from desktop_app.brokers.upvest import mapping
from desktop_app.brokers.upvest.core import BUY_ACKNOWLEDGEMENT, UpvestCore
from desktop_app.domain.errors import BrokerError
from desktop_app.domain.types import AccountRef, Instrument, SizeUnit
from desktop_app.net.limiter import Priority

log = logging.getLogger(__name__)

UNIVERSE_MAX_AGE = 600.0
MAX_RESULTS = 50


def for_desk(instrument: Instrument) -> Instrument:
    """The ticket's labels for Upvest's size units, and the buy acknowledgement."""
    label = "Amount (EUR)" if instrument.size_units[0] is SizeUnit.CASH else "Quantity"
    return replace(instrument, size_label=label, buy_acknowledgement=BUY_ACKNOWLEDGEMENT)


class UpvestMarkets(UpvestCore):
    async def universe(self) -> dict[str, Instrument]:
        async with self._universe_lock:
            if time.monotonic() - self._universe_at > UNIVERSE_MAX_AGE or not self._universe:
                listed = await self.client.instruments(priority=Priority.INTERACTIVE)
                found = [for_desk(mapping.instrument(i)) for i in listed]
                self._universe = {i.symbol: i for i in found}
                self._universe_at = time.monotonic()
            return self._universe

    async def know_names(self) -> None:
        """The universe for instrument names in lists; without it they show ISINs."""
        if self._universe and time.monotonic() - self._universe_at <= UNIVERSE_MAX_AGE:
            return
        try:
            await self.universe()
        except BrokerError as exc:
            log.info("Upvest instruments not read for names: %s", exc.message)

    def instrument_name(self, isin: str) -> str:
        known = self._universe.get(isin)
        return known.name if known is not None else isin

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]:
        self.check_account(account)
        wanted = text.strip().lower()
        if not wanted:
            return []
        universe = await self.universe()

        def matches(i: Instrument) -> bool:
            return wanted in i.name.lower() or any(wanted in c.value.lower() for c in i.codes)

        found = [i for i in universe.values() if matches(i)]
        # Identifiers typed in full first, then names that start with the text.
        found.sort(key=lambda i: (not any(c.value.lower() == wanted for c in i.codes),
                                  not i.name.lower().startswith(wanted), i.name))
        return found[:MAX_RESULTS]

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        self.check_account(account)
        data = await self.client.instrument(symbol, priority=Priority.INTERACTIVE)
        found = for_desk(mapping.instrument(data))
        self._universe[found.symbol] = found
        return found
