"""Tradovate's market-data WebSocket through the adapter, against the simulator's stream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import pytest

from desktop_app.brokers.tradovate.service import TradovateService
from desktop_app.brokers.tradovate.stream import TradovateQuoteStream, md_url_for
from desktop_app.domain.errors import AuthError, Unavailable
from desktop_app.domain.streaming import StreamClosed
from desktop_app.domain.types import Environment, OrderRequest, Quote, Side
from tests.brokers.tradovate.conftest import account_refs, front_month

MD = "market data WebSocket"


class Prices:
    """A sink that can be waited on."""

    def __init__(self) -> None:
        self.seen: list[Quote] = []
        self._arrived = asyncio.Event()

    def __call__(self, quote: Quote) -> None:
        self.seen.append(quote)
        self._arrived.set()

    async def until(self, wanted: Callable[[Quote], bool], within: float = 5.0) -> Quote:
        async with asyncio.timeout(within):
            while True:
                found = next((q for q in reversed(self.seen) if wanted(q)), None)
                if found is not None:
                    return found
                self._arrived.clear()
                await self._arrived.wait()


def test_the_stream_url_is_derived_from_the_profile(tradovate_sim, service) -> None:
    stream = service.quote_stream()
    assert stream.url == tradovate_sim.stream_urls[MD]
    assert md_url_for(Environment.DEMO) == "wss://md.tradovateapi.com/v1/websocket"
    assert md_url_for(Environment.LIVE) == "wss://md.tradovateapi.com/v1/websocket"
    assert md_url_for(Environment.REPLAY) == "wss://replay.tradovateapi.com/v1/websocket"
    assert md_url_for(Environment.DEMO, "https://proxy.example/v1") == (
        "wss://proxy.example/v1/websocket")


def test_quotes_arrive_follow_the_market_and_stop_when_unsubscribed(
    tradovate_sim, service: TradovateService, run
) -> None:
    market = tradovate_sim.state.market
    market.freeze_prices()
    es, nq = front_month(tradovate_sim, "ES"), front_month(tradovate_sim, "NQ")
    prices = Prices()
    stream = service.quote_stream()

    async def go() -> None:
        await stream.open(prices)
        # authorize took the login's mdAccessToken (the simulator knows it as one)
        token = tradovate_sim.state.tokens[stream._credential]
        assert token.market_data is True
        assert await stream.subscribe([es, nq, "NOPEZ9"]) == {
            "NOPEZ9": "Tradovate knows no contract NOPEZ9."}
        first = await prices.until(lambda q: q.symbol == es)
        snap = market.quote(es)
        assert (first.bid, first.offer) == (snap.bid, snap.offer)
        await prices.until(lambda q: q.symbol == nq)
        market.set_price(es, snap.bid + 40)
        moved = await prices.until(lambda q: q.symbol == es and q.bid > snap.bid + 30)
        assert moved.offer > moved.bid
        # The service reads the streamed price: no REST quote (there is none) is asked.
        usd, _ = account_refs(tradovate_sim, service)
        assert await service.quote(usd, es) == moved
        await stream.unsubscribe([es])
        assert es not in service._streamed  # a price no longer streamed is not kept
        count = len([q for q in prices.seen if q.symbol == es])
        market.set_price(es, snap.bid - 40)
        market.set_price(nq, market.quote(nq).bid + 50)
        await prices.until(lambda q: q.symbol == nq and q.as_of > moved.as_of)
        await asyncio.sleep(0.5)
        assert len([q for q in prices.seen if q.symbol == es]) == count
        await stream.close()
        assert isinstance(await stream.closed(), StreamClosed)

    run(go())
    assert tradovate_sim.state.stats["requests"]["GET /md/getquote"] == 0
    ops = tradovate_sim.state.streams.stats
    assert ops["op authorize"] == 1 and ops["op md/subscribequote"] == 2
    assert ops["op md/unsubscribequote"] == 1


def test_client_heartbeats_keep_it_open_and_silence_gets_it_closed(
    tradovate_sim, service: TradovateService, run
) -> None:
    timing = tradovate_sim.state.md_stream
    timing.heartbeat_seconds, timing.client_timeout = 0.1, 0.6
    url = tradovate_sim.stream_urls[MD]

    async def go() -> None:
        beating = TradovateQuoteStream(url, token=service.client.market_data_token,
                                       contract_id=service._contract_id_of,
                                       heartbeat_seconds=0.1)
        silent = TradovateQuoteStream(url, token=service.client.market_data_token,
                                      contract_id=service._contract_id_of,
                                      heartbeat_seconds=60)
        await beating.open(Prices())
        await silent.open(Prices())
        reason = await asyncio.wait_for(silent.closed(), 5)
        assert isinstance(reason, StreamClosed)
        assert "Heartbeat timeout" in reason.message and reason.code == "1000"
        await asyncio.sleep(1.0)  # past the server's timeout: the beating one stays
        assert beating.heartbeats_sent >= 8 and beating.server_heartbeats >= 8
        assert not beating._ended.is_set()
        await beating.close()
        await silent.close()

    run(go())


def test_a_refused_token_is_an_auth_error(tradovate_sim, service: TradovateService,
                                           run) -> None:
    async def bad_token() -> str:
        return "not-a-token"

    stream = TradovateQuoteStream(tradovate_sim.stream_urls[MD], token=bad_token,
                                  contract_id=service._contract_id_of)
    with pytest.raises(AuthError) as refused:
        run(stream.open(Prices()))
    assert "Access is denied" in refused.value.message


def test_drop_and_refuse_knobs(tradovate_sim, service: TradovateService, run) -> None:
    es = front_month(tradovate_sim, "ES")
    knobs = tradovate_sim.state.streams

    async def go() -> None:
        stream = service.quote_stream()
        await stream.open(Prices())
        await stream.subscribe([es])
        assert service._stream_live
        assert knobs.drop() == 1
        reason = await asyncio.wait_for(stream.closed(), 5)
        assert isinstance(reason, StreamClosed) and "connection was lost" in reason.message
        assert not service._stream_live
        await stream.close()
        knobs.refuse(30)
        refused = service.quote_stream()
        with pytest.raises(Unavailable) as caught:
            await refused.open(Prices())
        assert "HTTP 503" in caught.value.message
        knobs.refuse(0)
        again = service.quote_stream()
        await again.open(Prices())
        await again.close()

    run(go())


def test_positions_are_marked_at_the_streamed_price(tradovate_sim, service: TradovateService,
                                                    run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    market = tradovate_sim.state.market
    assert run(service.place_order(OrderRequest(usd, es, Side.SELL, Decimal(2)))).accepted
    market.freeze_prices()
    (before,) = run(service.positions(usd))  # no price yet: entry price, no P/L
    assert before.current_level == before.open_level and before.profit_loss == 0
    prices = Prices()

    async def go() -> Quote:
        stream = service.quote_stream()
        await stream.open(prices)
        await stream.subscribe([es])
        snap = market.quote(es)
        market.set_price(es, snap.bid - 10)
        quote = await prices.until(lambda q: q.bid < snap.bid - 5)
        await stream.close()
        return quote

    quote = run(go())
    marked = service.reprice(before, quote)
    assert marked is not None and marked.current_level == quote.offer  # a short closes there
    assert marked.profit_loss == (quote.offer - before.open_level) * -2 * 50
    assert not [f for f in marked.facts if f.label == "Open P/L"]
    (read,) = run(service.positions(usd))  # the REST read takes the streamed price too
    assert (read.current_level, read.profit_loss) == (marked.current_level, marked.profit_loss)
