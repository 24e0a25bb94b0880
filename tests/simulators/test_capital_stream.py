"""Capital.com simulator: the streaming API at /connect, with a real WebSocket client."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.simulators.capital_http import CapitalHttp

_ids = itertools.count(1)


class Stream:
    """A client as [PM] describes it: every frame carries the session's tokens."""

    def __init__(self, ws: ClientConnection, client: CapitalHttp) -> None:
        self.ws = ws
        self.client = client

    def send(self, destination: str, payload: dict | None = None, **override: str) -> str:
        correlation = str(next(_ids))
        frame = {"destination": destination, "correlationId": correlation,
                 "cst": self.client.tokens["CST"],
                 "securityToken": self.client.tokens["X-SECURITY-TOKEN"],
                 "payload": payload or {}}
        frame.update(override)
        self.ws.send(json.dumps(frame))
        return correlation

    def until(self, wanted, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv(timeout=deadline - time.monotonic()))
            if wanted(message):
                return message
        raise AssertionError("nothing wanted arrived")

    def answer(self, correlation: str) -> dict:
        return self.until(lambda m: m.get("correlationId") == correlation)


@pytest.fixture
def stream(capital_sim, client: CapitalHttp) -> Iterator[Stream]:
    host = client.get("/session").json()["streamEndpoint"]
    with connect(host + "connect", open_timeout=5) as ws:  # as [JS] builds the URL
        yield Stream(ws, client)


def test_stream_url_comes_with_the_session(capital_sim, client: CapitalHttp) -> None:
    url = capital_sim.stream_urls["streaming API (WebSocket)"]
    assert url == f"ws://127.0.0.1:{capital_sim.port}/connect"
    assert client.get("/session").json()["streamEndpoint"] + "connect" == url
    time.sleep(1.05)  # POST /session: 1 a second
    assert client.login().json()["streamingHost"] + "connect" == url


def test_subscribe_and_quotes(capital_sim, stream: Stream) -> None:
    market = capital_sim.state.market
    market.freeze_prices()
    ack = stream.answer(stream.send("marketData.subscribe", {"epics": ["OIL_CRUDE", "GOLD"]}))
    assert ack == {"status": "OK", "destination": "marketData.subscribe",
                   "correlationId": ack["correlationId"],
                   "payload": {"subscriptions": {"OIL_CRUDE": "PROCESSED", "GOLD": "PROCESSED"}}}
    quote = stream.until(lambda m: m["destination"] == "quote"
                         and m["payload"]["epic"] == "GOLD")
    assert quote["status"] == "OK"
    payload = quote["payload"]
    assert set(payload) == {"epic", "product", "bid", "bidQty", "ofr", "ofrQty", "timestamp"}
    assert payload["product"] == "CFD" and isinstance(payload["timestamp"], int)
    snap = market.quote("GOLD")
    assert (Decimal(str(payload["bid"])), Decimal(str(payload["ofr"]))) == (snap.bid, snap.offer)
    market.set_price("GOLD", snap.bid + 25)
    moved = stream.until(lambda m: m["destination"] == "quote"
                         and m["payload"]["epic"] == "GOLD" and m["payload"]["bid"] > snap.bid)
    assert Decimal(str(moved["payload"]["bid"])) > snap.bid + 20
    stream.answer(stream.send("marketData.unsubscribe", {"epics": ["GOLD", "OIL_CRUDE"]}))
    market.set_price("GOLD", snap.bid - 25)
    stream.ws.send(json.dumps({"destination": "ping", "correlationId": "last",
                               "cst": stream.client.tokens["CST"],
                               "securityToken": stream.client.tokens["X-SECURITY-TOKEN"]}))
    time.sleep(0.6)
    pong = stream.until(lambda m: m.get("correlationId") == "last")
    assert pong == {"status": "OK", "destination": "ping", "correlationId": "last",
                    "payload": {}}
    with pytest.raises(TimeoutError):
        stream.ws.recv(timeout=0.5)  # unsubscribed: no more quotes


def test_forty_epics_at_most(capital_sim, stream: Stream) -> None:
    names = [f"EPIC{i}" for i in range(41)]
    refused = stream.answer(stream.send("marketData.subscribe", {"epics": names}))
    assert refused["status"] == "ERROR"
    assert refused["payload"] == {"errorCode": "error.too-many.epics"}
    assert capital_sim.state.stream_timing.max_epics == 40
    # The catalogue has fewer than 40 epics: fill a lowered limit with real ones.
    capital_sim.state.stream_timing.max_epics = 3
    assert stream.answer(stream.send("marketData.subscribe",
                                     {"epics": ["GOLD", "SILVER", "EURUSD"]}))["status"] == "OK"
    fourth = stream.answer(stream.send("marketData.subscribe", {"epics": ["US500"]}))
    assert (fourth["status"], fourth["payload"]) == ("ERROR",
                                                     {"errorCode": "error.too-many.epics"})
    again = stream.answer(stream.send("marketData.subscribe", {"epics": ["GOLD"]}))
    assert again["status"] == "OK"  # already held: still three
    unknown = stream.answer(stream.send("marketData.unsubscribe", {"epics": ["GOLD"]}))
    assert unknown["status"] == "OK"
    nope = stream.answer(stream.send("marketData.subscribe", {"epics": ["NOPE"]}))
    assert nope["payload"] == {"errorCode": "error.not-found.epic"}


def test_ohlc_bars(capital_sim, stream: Stream) -> None:
    ack = stream.answer(stream.send("OHLCMarketData.subscribe", {
        "epics": ["OIL_CRUDE", "AAPL"], "resolutions": ["MINUTE_5"], "type": "classic"}))
    assert ack["payload"] == {"subscriptions": {"OIL_CRUDE:MINUTE_5:classic": "PROCESSED",
                                                "AAPL:MINUTE_5:classic": "PROCESSED"}}
    bar = stream.until(lambda m: m["destination"] == "ohlc.event"
                       and m["payload"]["epic"] == "AAPL")["payload"]
    assert set(bar) == {"resolution", "epic", "type", "priceType", "t", "h", "l", "o", "c"}
    assert (bar["resolution"], bar["type"], bar["priceType"]) == ("MINUTE_5", "classic", "bid")
    assert bar["t"] % 300_000 == 0 and bar["l"] <= min(bar["o"], bar["c"]) <= bar["h"]
    heikin = stream.answer(stream.send("OHLCMarketData.subscribe",
                                       {"epics": ["GOLD"], "type": "heikin-ashi"}))
    assert heikin["payload"] == {"subscriptions": {"GOLD:MINUTE:heikin-ashi": "PROCESSED"}}
    ha = stream.until(lambda m: m["destination"] == "ohlc.event"
                      and m["payload"]["type"] == "heikin-ashi")["payload"]
    assert ha["l"] <= min(ha["o"], ha["c"]) <= max(ha["o"], ha["c"]) <= ha["h"]
    gone = stream.answer(stream.send("OHLCMarketData.unsubscribe",
                                     {"epics": ["OIL_CRUDE", "AAPL"], "types": ["classic"]}))
    assert gone["payload"]["subscriptions"] == {"OIL_CRUDE:MINUTE_5:classic": "PROCESSED",
                                                "AAPL:MINUTE_5:classic": "PROCESSED"}
    bad = stream.answer(stream.send("OHLCMarketData.subscribe",
                                    {"epics": ["GOLD"], "resolutions": ["SECOND"]}))
    assert bad["payload"] == {"errorCode": "error.invalid.resolution"}


def test_tokens_are_checked_on_every_frame(capital_sim, stream: Stream) -> None:
    bad_cst = stream.answer(stream.send("ping", cst="nope"))
    assert bad_cst == {"status": "ERROR", "destination": "ping",
                       "correlationId": bad_cst["correlationId"],
                       "payload": {"errorCode": "error.invalid.session.token"}}
    bad_token = stream.answer(stream.send("marketData.subscribe", {"epics": ["GOLD"]},
                                          securityToken="nope"))
    assert bad_token["payload"] == {"errorCode": "error.security.account.token.invalid"}
    account = stream.client.get("/session").json()["accountId"]
    by_account_id = stream.answer(stream.send("ping", securityToken=account))
    assert by_account_id["status"] == "OK"  # [PM]: "account token or account id"
    capital_sim.state.expire_all_sessions()
    expired = stream.answer(stream.send("ping"))
    assert expired["payload"] == {"errorCode": "error.invalid.session.token"}


def test_no_ping_for_the_session_time_closes_the_stream(capital_sim, stream: Stream) -> None:
    capital_sim.state.stream_timing.ping_timeout = 0.8
    for _ in range(3):
        time.sleep(0.4)
        assert stream.answer(stream.send("ping"))["status"] == "OK"  # pings keep it open
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            stream.ws.recv(timeout=3)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


def test_an_account_switch_drops_the_stream(capital_sim, stream: Stream) -> None:
    stream.answer(stream.send("marketData.subscribe", {"epics": ["GOLD"]}))
    _usd, eur = capital_sim.state.account_ids()
    assert stream.client.put("/session", json={"accountId": eur}).status_code == 200
    with pytest.raises(ConnectionClosed):
        while True:
            stream.ws.recv(timeout=3)
    # The login's own tokens go on working, now on EUR: resubscribe on a new connection.
    with connect(capital_sim.stream_urls["streaming API (WebSocket)"]) as ws:
        fresh = Stream(ws, stream.client)
        assert fresh.answer(fresh.send("marketData.subscribe", {"epics": ["GOLD"]}))[
            "status"] == "OK"


def test_drop_and_refuse_knobs(capital_sim, stream: Stream) -> None:
    knobs = capital_sim.state.streams
    stream.answer(stream.send("ping"))
    assert knobs.drop() == 1
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            stream.ws.recv(timeout=3)
    assert closed.value.rcvd is None  # reset without a close frame
    knobs.refuse(0.5)
    with pytest.raises(InvalidStatus) as refused:
        connect(capital_sim.stream_urls["streaming API (WebSocket)"], open_timeout=5)
    assert refused.value.response.status_code == 503
    time.sleep(0.6)
    with connect(capital_sim.stream_urls["streaming API (WebSocket)"]) as ws:
        again = Stream(ws, stream.client)
        assert again.answer(again.send("ping"))["status"] == "OK"
