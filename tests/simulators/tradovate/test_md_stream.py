"""Tradovate simulator: the market-data WebSocket, with a real WebSocket client (websockets)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.simulators.tradovate.tradovate_http import TradovateHttp


def md_url(sim) -> str:
    return sim.stream_urls["market data WebSocket"]


def request(op: str, rid: int, body: object = None) -> str:
    text = body if isinstance(body, str) else ("" if body is None else json.dumps(body))
    return f"{op}\n{rid}\n\n{text}"


def data(frame: str) -> list[dict]:
    assert frame.startswith("a"), frame
    return json.loads(frame[1:])


def until(ws: ClientConnection, wanted, timeout: float = 5.0) -> dict:
    """The first data item ``wanted(item)`` accepts; heartbeats and others are skipped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = ws.recv(timeout=deadline - time.monotonic())
        if frame.startswith("a"):
            for item in data(frame):
                if wanted(item):
                    return item
    raise AssertionError("nothing wanted arrived")


@pytest.fixture
def front(tradovate_sim) -> str:
    return next(c.name for c in tradovate_sim.state.catalog.contracts.values()
                if c.product.name == "ES" and c.maturity.is_front)


@pytest.fixture
def md(tradovate_sim, client: TradovateHttp) -> Iterator[ClientConnection]:
    """Connected and authorised with the mdAccessToken."""
    with connect(md_url(tradovate_sim), open_timeout=5) as ws:
        assert ws.recv(timeout=5) == "o"
        ws.send(request("authorize", 0, client.md_token))
        assert data(ws.recv(timeout=5)) == [{"i": 0, "s": 200}]
        yield ws


def test_stream_url_is_the_md_hosts_path(tradovate_sim) -> None:
    assert md_url(tradovate_sim) == f"ws://127.0.0.1:{tradovate_sim.port}/v1/websocket"


def test_authorize_refuses_a_bad_token_and_requests_before_it(tradovate_sim, client) -> None:
    with connect(md_url(tradovate_sim), open_timeout=5) as ws:
        assert ws.recv(timeout=5) == "o"
        ws.send(request("md/subscribeQuote", 1, {"symbol": "ESZ6"}))
        assert data(ws.recv(timeout=5)) == [{"s": 401, "i": 1, "d": '"Access is denied"'}]
        ws.send(request("authorize", 2, "not-a-token"))
        assert data(ws.recv(timeout=5)) == [{"s": 401, "i": 2, "d": '"Access is denied"'}]
        ws.send(request("authorize", 3, client.token))  # the access token works too (TV-JS)
        assert data(ws.recv(timeout=5)) == [{"i": 3, "s": 200}]


def test_quotes_come_at_once_and_follow_the_market(tradovate_sim, md, front) -> None:
    market = tradovate_sim.state.market
    market.freeze_prices()
    md.send(request("md/subscribeQuote", 1, {"symbol": front}))
    assert until(md, lambda i: i.get("i") == 1) == {"s": 200, "i": 1, "d": {}}
    event = until(md, lambda i: i.get("e") == "md")
    (quote,) = event["d"]["quotes"]
    contract = tradovate_sim.state.catalog.contract(front)
    assert quote["contractId"] == contract.contract_id
    assert quote["timestamp"].endswith("Z")
    entries = quote["entries"]
    assert {"Bid", "Offer", "Trade", "TotalTradeVolume"} <= set(entries)
    snap = market.quote(front)
    assert (Decimal(str(entries["Bid"]["price"])), Decimal(str(entries["Offer"]["price"]))) == (
        snap.bid, snap.offer)
    assert isinstance(entries["Bid"]["size"], int)
    market.set_price(front, snap.bid + Decimal(40))
    moved = until(md, lambda i: i.get("e") == "md" and Decimal(str(
        i["d"]["quotes"][0]["entries"]["Bid"]["price"])) > snap.bid + 30)
    assert moved["d"]["quotes"][0]["contractId"] == contract.contract_id


def test_unsubscribe_stops_the_quotes_and_unknown_symbols_are_refused(
    tradovate_sim, md, front
) -> None:
    tradovate_sim.state.md_stream.heartbeat_seconds = 0.2
    md.send(request("md/subscribeQuote", 1, {"symbol": "NOPEZ9"}))
    assert until(md, lambda i: i.get("i") == 1) == {
        "s": 404, "i": 1, "d": '"Symbol is inaccessible"'}
    md.send(request("md/subscribeQuote", 2, {"symbol": front}))
    until(md, lambda i: i.get("e") == "md")
    md.send(request("md/unsubscribeQuote", 3, {"symbol": front}))
    until(md, lambda i: i.get("i") == 3)
    time.sleep(0.05)  # a quote event already on its way may still arrive
    while (frame := md.recv(timeout=2)) != "h":
        pass
    deadline = time.monotonic() + 1.5
    beats = 0
    while time.monotonic() < deadline:
        frame = md.recv(timeout=2)
        assert frame == "h", frame  # heartbeats only: no more quotes
        beats += 1
        md.send("[]")
    assert beats >= 3


def test_server_heartbeats_and_the_client_heartbeat_timeout(tradovate_sim, md) -> None:
    timing = tradovate_sim.state.md_stream
    timing.heartbeat_seconds, timing.client_timeout = 0.2, 0.6
    beats = [md.recv(timeout=2) for _ in range(2)]
    assert beats == ["h", "h"]
    started = time.monotonic()
    for _ in range(4):  # answering keeps it open past the timeout
        md.send("[]")
        assert md.recv(timeout=2) == "h"
    assert time.monotonic() - started > 0.6
    frames = []
    with pytest.raises(ConnectionClosed):
        while True:  # silence: the server says c and closes
            frames.append(md.recv(timeout=3))
    assert frames[-1].startswith("c") and json.loads(frames[-1][1:])[0] == 1000


def test_the_drop_knob_cuts_every_stream_and_refuse_turns_new_ones_away(tradovate_sim) -> None:
    knobs = tradovate_sim.state.streams
    with connect(md_url(tradovate_sim)) as first, connect(md_url(tradovate_sim)) as second:
        assert first.recv(timeout=5) == second.recv(timeout=5) == "o"
        deadline = time.monotonic() + 5
        while knobs.live < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert knobs.drop() == 2
        for ws in (first, second):
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=5)
            assert closed.value.rcvd is None  # reset, no close frame: a network fault
    with connect(md_url(tradovate_sim)) as orderly:
        assert orderly.recv(timeout=5) == "o"
        while knobs.live < 1:
            time.sleep(0.01)
        knobs.drop(abrupt=False)
        assert orderly.recv(timeout=5) == 'c[1001, "Dropped by the simulator"]'
    knobs.refuse(0.5)
    with pytest.raises(InvalidStatus) as refused:
        connect(md_url(tradovate_sim), open_timeout=5)
    assert refused.value.response.status_code == 503
    time.sleep(0.6)
    with connect(md_url(tradovate_sim)) as again:
        assert again.recv(timeout=5) == "o"
    assert knobs.stats["refused"] == 1 and knobs.stats["dropped"] == 3
