"""Capital.com's streaming API through the adapter, against the simulator's /connect."""

from __future__ import annotations

import asyncio

import pytest

from desktop_app.brokers.capital.service import CapitalService
from desktop_app.brokers.capital.stream import (
    LIMIT_TEXT,
    MAX_EPICS,
    STREAM_URL,
    CapitalQuoteStream,
    stream_url,
)
from desktop_app.domain.streaming import StreamClosed
from desktop_app.domain.types import Environment
from tests.brokers.capital.conftest import account_refs
from tests.brokers.tradovate.test_stream import Prices

WS = "streaming API (WebSocket)"


def test_the_url_is_the_sessions_streaming_host(capital_sim, service: CapitalService) -> None:
    assert service.quote_stream().url == capital_sim.stream_urls[WS]  # type: ignore[attr-defined]
    assert stream_url({"streamingHost": "wss://api-streaming-capital.backend-capital.com/"},
                      Environment.LIVE) == STREAM_URL
    assert stream_url({}, Environment.DEMO) == STREAM_URL
    assert stream_url({}, Environment.DEMO, "http://127.0.0.1:9/api/v1") == (
        "ws://127.0.0.1:9/connect")


def test_quotes_subscribe_unsubscribe_and_unknown_epics(capital_sim, service, run) -> None:
    market = capital_sim.state.market
    market.freeze_prices()
    prices = Prices()

    async def go() -> None:
        stream = service.quote_stream()
        await stream.open(prices)
        refused = await stream.subscribe(["GOLD", "NOPE", "EURUSD"])
        # One unknown epic refuses a whole request: the adapter finds which one.
        assert list(refused) == ["NOPE"] and "knows no market NOPE" in refused["NOPE"]
        gold = await prices.until(lambda q: q.symbol == "GOLD")
        snap = market.quote("GOLD")
        assert (gold.bid, gold.offer) == (snap.bid, snap.offer)
        market.set_price("GOLD", snap.bid + 25)
        await prices.until(lambda q: q.symbol == "GOLD" and q.bid > snap.bid + 20)
        await stream.unsubscribe(["GOLD"])
        count = len([q for q in prices.seen if q.symbol == "GOLD"])
        euros = len([q for q in prices.seen if q.symbol == "EURUSD"])
        market.set_price("GOLD", snap.bid - 25)
        market.set_price("EURUSD", market.quote("EURUSD").bid + 1)
        await prices.until(lambda _q: len([q for q in prices.seen
                                           if q.symbol == "EURUSD"]) > euros)
        await asyncio.sleep(0.5)
        assert len([q for q in prices.seen if q.symbol == "GOLD"]) == count
        await stream.close()

    run(go())
    # Prices came over the stream, not REST (a REST quote would count here).
    assert capital_sim.state.stats["requests"]["GET /markets/{epic}"] == 0
    usd, _ = account_refs(capital_sim, service)
    run(service.quote(usd, "GOLD"))
    assert capital_sim.state.stats["requests"]["GET /markets/{epic}"] == 1


def test_the_41st_epic_is_not_subscribed(capital_sim, service, run) -> None:
    real = list(capital_sim.state.market.instruments)  # 19: fewer than 40
    wanted = real + [f"X{i}" for i in range(MAX_EPICS + 1 - len(real))]
    assert len(wanted) == MAX_EPICS + 1

    async def go() -> None:
        stream = service.quote_stream()
        await stream.open(Prices())
        refused = await stream.subscribe(wanted)
        assert refused[wanted[-1]] == LIMIT_TEXT  # never sent
        assert all("knows no market" in refused[e] for e in wanted[len(real):-1])
        assert not set(real) & set(refused)
        # With the limit filled by real epics (both sides lowered to 3): the 4th waits.
        capital_sim.state.stream_timing.max_epics = 3
        small = CapitalQuoteStream(stream.url, tokens=service.client.stream_tokens,
                                   switches=lambda: service.client.switches, max_epics=3)
        await small.open(Prices())
        assert await small.subscribe(["GOLD", "SILVER", "EURUSD"]) == {}
        assert await small.subscribe(["US500"]) == {"US500": LIMIT_TEXT}
        await small.unsubscribe(["GOLD"])
        assert await small.subscribe(["US500"]) == {}
        await small.close()
        await stream.close()

    run(go())


def test_pings_keep_the_stream_and_bad_tokens_are_refused(capital_sim, service, run) -> None:
    capital_sim.state.stream_timing.ping_timeout = 0.8
    service.stream_ping_seconds = 0.2

    async def go() -> None:
        stream = service.quote_stream()
        await stream.open(Prices())
        await asyncio.sleep(1.5)  # past the server's timeout: the pings kept it open
        assert stream.pings >= 5 and not stream._ended.is_set()
        await stream.close()
        stale = CapitalQuoteStream(stream.url, tokens=lambda: ("old", "tokens"),
                                   switches=lambda: 0)
        with pytest.raises(StreamClosed) as refused:
            await stale.open(Prices())
        assert refused.value.code == "error.invalid.session.token"

    run(go())


def test_an_account_switch_drops_the_stream_to_be_reopened_at_once(capital_sim, service,
                                                                    run) -> None:
    _usd, eur = account_refs(capital_sim, service)

    async def go() -> None:
        stream = service.quote_stream()
        await stream.open(Prices())
        await stream.subscribe(["GOLD"])
        await service.switch_account(eur)
        reason = await asyncio.wait_for(stream.closed(), 5)
        assert isinstance(reason, StreamClosed) and reason.at_once
        await stream.close()
        again = service.quote_stream()  # the same tokens, now on EUR
        prices = Prices()
        await again.open(prices)
        assert await again.subscribe(["GOLD"]) == {}
        await prices.until(lambda q: q.symbol == "GOLD")
        await again.close()

    run(go())
    assert capital_sim.state.streams.stats["opened"] == 2


def test_drop_is_a_lost_connection(capital_sim, service, run) -> None:
    async def go() -> None:
        stream = service.quote_stream()
        await stream.open(Prices())
        capital_sim.state.streams.drop()
        reason = await asyncio.wait_for(stream.closed(), 5)
        assert isinstance(reason, StreamClosed) and not reason.at_once
        assert "connection was lost" in reason.message
        await stream.close()

    run(go())
