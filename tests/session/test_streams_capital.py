"""The session's price streams with Capital.com: one WebSocket per session, at most 40
epics, no REST quote polling while it is up, and a new stream after an account switch."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from desktop_app.domain.types import OrderRequest, Side
from desktop_app.session.events import QuoteUpdated, Topic
from desktop_app.session.streams import PriceMode
from tests.session.conftest import (
    CID,
    capital_profile,
    capital_secrets,
    connected_accounts,
    wait_for,
)

ON_SCREEN = {Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS}
MARKET = "GET /markets/{epic}"


def test_one_stream_per_session_moves_quotes_without_rest_polling(capital_sim, run,
                                                                   make_hub) -> None:
    sim = capital_sim
    hub = make_hub()
    events: list[object] = []
    hub.subscribe(events.append)

    def rest_quotes() -> int:
        return sim.state.stats["requests"][MARKET]

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(sim), capital_secrets(sim), persist=False)
        first, second = await connected_accounts(hub)
        hub.set_focus(first, ON_SCREEN, {"GOLD"})
        quote = await hub.quote(first, "GOLD")  # the ticket's first quote: one REST read
        assert quote.market_status == "TRADEABLE"
        await wait_for(lambda: hub.price_feed(CID).mode is PriceMode.STREAMING, 5)
        assert hub.poller.focus.quote_symbols == ()
        before = rest_quotes()
        seen = len(events)
        await asyncio.sleep(2.5)
        bids = {e.quote.bid for e in events[seen:]
                if isinstance(e, QuoteUpdated) and e.quote.symbol == "GOLD"}
        assert len(bids) >= 3  # moving ...
        assert rest_quotes() == before  # ... with no REST quote polling
        # A streamed price keeps the REST quote's market status and flags.
        last = next(e.quote for e in reversed(events) if isinstance(e, QuoteUpdated))
        assert last.market_status == "TRADEABLE" and last.buy_allowed
        assert sim.state.streams.live == 1 and sim.state.streams.stats["opened"] == 1
        # Another account of the session: the switch drops the stream; a new one (still
        # one per session) subscribes again at once.
        hub.set_focus(second, ON_SCREEN, {"GOLD"})
        await wait_for(lambda: sim.state.streams.stats["opened"] == 2, 10)
        await wait_for(lambda: hub.price_feed(CID).mode is PriceMode.STREAMING, 5)
        assert "GOLD" in hub.price_feed(CID).streamed
        seen = len(events)
        await wait_for(lambda: any(isinstance(e, QuoteUpdated) and e.account == second
                                   for e in events[seen:]), 5)
        assert sim.state.streams.live == 1

    run(go(), timeout=40)


def test_at_most_the_limit_is_streamed_and_the_rest_polled(capital_sim, run,
                                                           make_hub) -> None:
    sim = capital_sim
    # The simulator lists 19 epics: both sides' limit lowered to 3 to fill it.
    sim.state.stream_timing.max_epics = 3
    sim.state.limits.per_session_per_second = 10_000
    hub = make_hub()

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(sim), capital_secrets(sim), persist=False)
        first, _ = await connected_accounts(hub)
        service = hub.connection(CID).service
        service.stream_max_epics = 3  # type: ignore[union-attr]
        for epic in ("GOLD", "SILVER", "EURUSD", "US500"):
            size = Decimal("1000") if epic == "EURUSD" else Decimal("1")
            assert (await hub.place_order(OrderRequest(first, epic, Side.BUY, size))).accepted
        await wait_for(lambda: len(hub.positions(first)) == 4, 10)
        hub.set_focus(first, ON_SCREEN, {"BTCUSD"})
        await wait_for(lambda: hub.price_feed(CID).mode is PriceMode.STREAMING
                       and len(hub.price_feed(CID).streamed) == 3, 10)
        feed = hub.price_feed(CID)
        # The ticket first, then the positions as listed; the other two are polled.
        assert "BTCUSD" in feed.streamed
        assert len(feed.polled) == 2 and not set(feed.polled) & set(feed.streamed)
        assert set(hub.poller.focus.quote_symbols) == set(feed.polled)
        assert "3 of 5 are streamed" in feed.detail and "at most 40 epics" in feed.detail
        assert "Not streamed" not in feed.detail  # the broker never had to refuse one
        polled = set(feed.polled)
        await wait_for(lambda: all(
            any(isinstance(e, QuoteUpdated) and e.quote.symbol == s for e in events)
            for s in polled), 10)

    events: list[object] = []
    hub.subscribe(events.append)
    run(go(), timeout=40)
