"""Darwinex's DARWIN quote WebSocket through the adapter, against the simulator's."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from desktop_app.brokers.darwinex.service import DarwinexService
from desktop_app.brokers.darwinex.stream import quote_socket_url
from desktop_app.domain.errors import AuthError
from desktop_app.domain.streaming import StreamClosed
from tests.brokers.darwinex.conftest import demo_secrets
from tests.brokers.tradovate.test_stream import Prices

WS = "quote WebSocket"
DWC, NTI = "DWC.4.20", "NTI.4.12"


def test_the_url_is_on_the_rest_host(darwinex_sim, service: DarwinexService) -> None:
    assert service.quote_stream().url == darwinex_sim.stream_urls[WS]  # type: ignore[attr-defined]
    assert quote_socket_url("https://api.darwinex.com") == (
        "wss://api.darwinex.com/quotewebsocket/1.0.0")


def test_quotes_heartbeats_and_unsubscribe(darwinex_sim, service: DarwinexService,
                                           run) -> None:
    state = darwinex_sim.state
    state.quote_stream.heartbeat_seconds = 0.1
    state.quote_stream.quote_seconds = 0.05
    prices = Prices()

    async def go() -> None:
        stream = service.quote_stream()
        await stream.open(prices)
        assert await stream.subscribe([DWC, NTI]) == {}
        first = await prices.until(lambda q: q.symbol == DWC)
        assert first.bid == first.offer == state.quote(DWC)
        state.set_quote(DWC, first.bid + Decimal("3.21"))
        moved = await prices.until(lambda q: q.symbol == DWC and q.bid != first.bid)
        assert moved.bid == first.bid + Decimal("3.21")
        await asyncio.sleep(0.35)
        assert stream.heartbeats >= 2
        await stream.unsubscribe([DWC])
        count = len([q for q in prices.seen if q.symbol == DWC])
        state.set_quote(DWC, first.bid - 1)
        nti = state.quote(NTI)
        state.set_quote(NTI, nti + 1)
        await prices.until(lambda q: q.symbol == NTI and q.bid == nti + 1)
        await asyncio.sleep(0.3)
        assert len([q for q in prices.seen if q.symbol == DWC]) == count
        await stream.close()

    run(go())
    assert state.streams.stats["op subscribe"] == 1
    assert state.streams.stats["op unsubscribe"] == 1


def test_an_expired_token_is_renewed_before_the_handshake_is_tried_again(
    darwinex_sim, service: DarwinexService, run
) -> None:
    darwinex_sim.state.expire_all_tokens()
    prices = Prices()

    async def go() -> None:
        stream = service.quote_stream()
        await stream.open(prices)  # refused with 401 once, renewed, opened
        await stream.subscribe([DWC])
        await prices.until(lambda q: q.symbol == DWC)
        await stream.close()

    run(go())
    assert service.client.refreshes == 1
    assert darwinex_sim.state.streams.stats["unauthorised"] == 1


def test_credentials_that_cannot_be_renewed_are_an_auth_error(
    darwinex_sim, make_service, run
) -> None:
    secrets = {**demo_secrets(darwinex_sim), "access_token": "stale", "refresh_token": "dead"}
    service = make_service(secrets=secrets)
    with pytest.raises(AuthError):
        run(service.quote_stream().open(Prices()))


def test_a_renewed_token_closes_the_old_stream_to_be_reopened_at_once(
    darwinex_sim, service: DarwinexService, run
) -> None:
    async def go() -> None:
        stream = service.quote_stream()
        await stream.open(Prices())
        await service.client.refresh()  # WSO2 revokes the old access token
        reason = await asyncio.wait_for(stream.closed(), 5)
        assert isinstance(reason, StreamClosed) and reason.at_once and reason.code == "1008"
        await stream.close()
        again = service.quote_stream()
        await again.open(Prices())
        await again.close()

    run(go())
