"""The session's price streams with Tradovate: the simulator serves prices over its
market-data WebSocket only (REST quotes off, as real Tradovate) unless a test turns its
REST stand-in on."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal

from desktop_app.domain.types import OrderRequest, Side
from desktop_app.session.connection import Backoff
from desktop_app.session.events import PositionsUpdated, PricesChanged, QuoteUpdated, Topic
from desktop_app.session.poll_config import PollConfig
from desktop_app.session.streams import PriceMode
from tests.session.conftest import wait_for
from tests.session.test_hub_tradovate import (
    CID,
    front_month,
    tradovate_accounts,
    tradovate_profile,
    tradovate_secrets,
)

ON_SCREEN = {Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS}
GETQUOTE = "GET /md/getquote"


def _slow_positions() -> PollConfig:
    """Positions read over REST once a minute: a P/L that moves sooner moved by the stream."""
    base = PollConfig()
    return replace(base, visible={**base.visible, Topic.POSITIONS: 60.0},
                   background={**base.background, Topic.POSITIONS: 60.0})


def test_ticket_price_and_position_pl_come_from_the_stream(tradovate_sim, run,
                                                           make_hub) -> None:
    sim = tradovate_sim
    assert sim.state.rest_quotes is False
    hub = make_hub(poll_config=_slow_positions())
    events: list[object] = []
    hub.subscribe(events.append)
    es = front_month(sim, "ES")
    market = sim.state.market

    async def go() -> None:
        await hub.start()
        await hub.add_connection(tradovate_profile(sim), tradovate_secrets(sim), persist=False)
        first, _ = await tradovate_accounts(hub, sim)
        market.freeze_prices()
        hub.set_focus(first, ON_SCREEN, {es})
        # The ticket's first quote: REST has none, the stream's first price is taken.
        quote = await hub.quote(first, es)
        snap = market.quote(es)
        assert (quote.symbol, quote.bid, quote.offer) == (es, snap.bid, snap.offer)
        feed = hub.price_feed(CID)
        assert feed.mode is PriceMode.STREAMING and feed.streamed == (es,)
        assert hub.poller.focus.quote_symbols == ()  # nothing polled while it streams
        assert (await hub.place_order(OrderRequest(first, es, Side.BUY, Decimal(2)))).accepted
        await wait_for(lambda: hub.positions(first), 5)
        reads = sim.state.stats["requests"]["GET /position/list"]
        market.set_price(es, snap.bid + 20)
        moved = market.quote(es)
        await wait_for(lambda: hub.positions(first)[0].current_level == moved.bid, 5)
        (position,) = hub.positions(first)
        assert position.profit_loss == (moved.bid - position.open_level) * 2 * 50
        assert sim.state.stats["requests"]["GET /position/list"] == reads  # not re-read
        ticket = [e.quote for e in events if isinstance(e, QuoteUpdated)
                  and e.quote.symbol == es and e.account == first]
        assert ticket[-1].bid == moved.bid
        marked = [e for e in events if isinstance(e, PositionsUpdated)
                  and e.positions and e.positions[0].current_level == moved.bid]
        assert len(marked) == 1  # one update for the account, not one per tick
        # While the stream is down the last streamed prices stay: there is no REST quote.
        sim.state.streams.refuse(30)
        sim.state.streams.drop()
        await wait_for(lambda: hub.price_feed(CID).mode is PriceMode.RECONNECTING, 5)
        assert "no REST prices, so the last streamed ones stay" in hub.price_feed(CID).detail
        assert hub.positions(first)[0].current_level == moved.bid

    run(go(), timeout=30)
    # The one REST quote ever asked (the 404 of a server without them), then never again.
    assert sim.state.stats["requests"][GETQUOTE] <= 1
    assert hub.capabilities(CID) is None or not hub.capabilities(CID).quotes


def test_a_dropped_stream_reconnects_and_prices_resume(tradovate_sim, run, make_hub) -> None:
    sim = tradovate_sim
    hub = make_hub()
    hub.streams.backoff = Backoff(initial=0.3, maximum=0.6, jitter=0)
    events: list[object] = []
    hub.subscribe(events.append)
    es = front_month(sim, "ES")
    market = sim.state.market
    knobs = sim.state.streams

    async def go() -> None:
        await hub.start()
        await hub.add_connection(tradovate_profile(sim), tradovate_secrets(sim), persist=False)
        first, _ = await tradovate_accounts(hub, sim)
        hub.set_focus(first, ON_SCREEN, {es})
        await wait_for(lambda: es in hub.price_feed(CID).streamed, 5)
        market.freeze_prices()
        knobs.refuse(1.5)  # new connections are turned away for a while
        assert knobs.drop() == 1
        await wait_for(lambda: hub.price_feed(CID).mode is PriceMode.RECONNECTING, 5)
        said = [e for e in events if isinstance(e, PricesChanged) and e.connection_id == CID
                and e.mode == "reconnecting"]
        assert "connection was lost" in said[0].detail
        await asyncio.sleep(0.8)
        assert hub.price_feed(CID).mode is PriceMode.RECONNECTING  # refused meanwhile
        assert "HTTP 503" in hub.price_feed(CID).detail
        await wait_for(lambda: hub.price_feed(CID).mode is PriceMode.STREAMING, 10)
        snap = market.quote(es)
        market.set_price(es, snap.bid + 30)
        bid = market.quote(es).bid
        await wait_for(lambda: any(isinstance(e, QuoteUpdated) and e.quote.bid == bid
                                   for e in events), 5)
        assert knobs.live == 1
        await hub.stop()
        await wait_for(lambda: knobs.live == 0, 5)  # its stream closed with the hub

    run(go(), timeout=40)
    assert knobs.stats["dropped"] == 1 and knobs.stats["refused"] >= 1
    assert knobs.stats["opened"] == 2


def test_rest_polling_covers_the_gap_where_rest_quotes_exist(tradovate_sim, run,
                                                              make_hub) -> None:
    sim = tradovate_sim
    sim.state.rest_quotes = True  # the simulator's stand-in (real Tradovate has none)
    hub = make_hub()
    hub.streams.backoff = Backoff(initial=0.3, maximum=0.6, jitter=0)
    events: list[object] = []
    hub.subscribe(events.append)
    es = front_month(sim, "ES")
    knobs = sim.state.streams

    def polled() -> int:
        return sim.state.stats["requests"][GETQUOTE]

    async def go() -> None:
        await hub.start()
        await hub.add_connection(tradovate_profile(sim), tradovate_secrets(sim), persist=False)
        first, _ = await tradovate_accounts(hub, sim)
        hub.set_focus(first, ON_SCREEN, {es})
        await wait_for(lambda: hub.price_feed(CID).mode is PriceMode.STREAMING, 5)
        await asyncio.sleep(0.3)  # a poll started before the stream was up ends
        before = polled()
        await asyncio.sleep(1.5)
        assert polled() == before  # streaming: no REST quote polling
        knobs.refuse(3.0)
        knobs.drop()
        await wait_for(lambda: hub.price_feed(CID).mode is PriceMode.RECONNECTING, 5)
        assert "read over REST meanwhile" in hub.price_feed(CID).detail
        gap = len(events)
        assert hub.poller.focus.quote_symbols == (es,)
        # The poller covers the gap, within Tradovate's budget (12 requests per 10 s).
        await wait_for(lambda: any(isinstance(e, QuoteUpdated) for e in events[gap:]), 5)
        assert polled() > before
        await wait_for(lambda: hub.price_feed(CID).mode is PriceMode.STREAMING, 10)
        assert hub.poller.focus.quote_symbols == ()
        await asyncio.sleep(0.3)
        back = polled()
        await asyncio.sleep(1.5)
        assert polled() == back  # and stops once the stream is back

    run(go(), timeout=40)
