"""Darwinex simulator: the quote stream (chunked HTTP) and the quote WebSocket."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.simulators.darwinex.dx_http import DarwinexHttp

HTTP_LABEL, WS_LABEL = "quote stream (chunked HTTP POST)", "quote WebSocket"


def bearer(sim) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.credentials['access_token']}"}


def test_urls(darwinex_sim) -> None:
    port = darwinex_sim.port
    assert darwinex_sim.stream_urls == {
        HTTP_LABEL: f"http://127.0.0.1:{port}/quotes/1.0/quotes",
        WS_LABEL: f"ws://127.0.0.1:{port}/quotewebsocket/1.0.0",
    }


def test_the_http_stream_sends_lines_as_quotes_change(unthrottled) -> None:
    sim = unthrottled
    sim.state.quote_stream.quote_seconds = 0.05
    sim.state.set_quote("NTI.4.12", "100.00")
    body = {"productNames": ["NTI.4.12", "DWC.4.20"]}
    with httpx.stream("POST", sim.stream_urls[HTTP_LABEL], json=body, headers=bearer(sim),
                      timeout=5) as response:
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        lines = response.iter_lines()
        raw = [next(lines) for _ in range(2)]
        first = [json.loads(line) for line in raw]
        assert [eval(line) for line in raw] == first  # darwinexapis evals each line
        assert {line["productName"] for line in first} == {"NTI.4.12", "DWC.4.20"}
        nti = next(line for line in first if line["productName"] == "NTI.4.12")
        assert set(nti) == {"productName", "quote", "timestamp"} and nti["quote"] == 100.0
        assert abs(nti["timestamp"] / 1000 - time.time()) < 60
        sim.state.set_quote("NTI.4.12", "101.25")
        changed = next(json.loads(line) for line in lines
                       if json.loads(line)["productName"] == "NTI.4.12")
        assert Decimal(str(changed["quote"])) == Decimal("101.25")


def test_the_http_stream_checks_token_products_and_ends_after_its_time(unthrottled) -> None:
    sim = unthrottled
    url = sim.stream_urls[HTTP_LABEL]
    no_token = httpx.post(url, json={"productNames": ["NTI.4.12"]})
    assert no_token.status_code == 401
    assert no_token.json()["fault"]["message"] == "Invalid Credentials"
    unknown = httpx.post(url, json={"productNames": ["XXX.4.1"]}, headers=bearer(sim))
    assert (unknown.status_code, unknown.json()) == (404, {"status": "Product XXX.4.1 not found."})
    empty = httpx.post(url, json={"productNames": []}, headers=bearer(sim))
    assert empty.status_code == 400
    sim.state.quote_stream.stream_max_seconds = 0.3
    started = time.monotonic()
    with httpx.stream("POST", url, json={"productNames": ["NTI.4.12"]}, headers=bearer(sim),
                      timeout=5) as response:
        lines = list(response.iter_lines())  # ends cleanly: the chunked body is complete
    assert lines and time.monotonic() - started < 3


def test_the_http_stream_drop_and_refuse_knobs(unthrottled) -> None:
    sim = unthrottled
    url = sim.stream_urls[HTTP_LABEL]
    with httpx.stream("POST", url, json={"productNames": ["NTI.4.12"]}, headers=bearer(sim),
                      timeout=5) as response:
        lines = response.iter_lines()
        next(lines)
        assert sim.state.streams.drop() == 1
        with pytest.raises(httpx.RemoteProtocolError):
            list(lines)  # cut mid-body: the chunked body never ends
    sim.state.streams.refuse(0.4)
    refused = httpx.post(url, json={"productNames": ["NTI.4.12"]}, headers=bearer(sim))
    assert refused.status_code == 503 and "fault" in refused.json()


def test_the_websocket(unthrottled, dx: DarwinexHttp) -> None:
    sim = unthrottled
    sim.state.quote_stream.heartbeat_seconds = 0.2
    sim.state.quote_stream.quote_seconds = 0.05
    with pytest.raises(InvalidStatus) as refused:
        connect(sim.stream_urls[WS_LABEL], open_timeout=5)
    assert refused.value.response.status_code == 401
    with connect(sim.stream_urls[WS_LABEL], additional_headers=bearer(sim)) as ws:
        ws.send(json.dumps({"op": "subscribe", "productNames": ["NTI.4.12", "XXX.4.1"]}))
        messages = [json.loads(ws.recv(timeout=5)) for _ in range(4)]
        assert {"op": "error", "message": "Product XXX.4.1 not found."} in messages
        quote = next(m for m in messages if m.get("productName") == "NTI.4.12")
        assert set(quote) == {"productName", "quote", "timestamp"}
        beats = [m for m in messages if m.get("op") == "hb"]
        assert beats and set(beats[0]) == {"op", "timestamp"}
        ws.send(json.dumps({"op": "unsubscribe", "productNames": ["NTI.4.12"]}))
        sim.state.set_quote("NTI.4.12", "150.00")
        time.sleep(0.3)
        later = [json.loads(ws.recv(timeout=2)) for _ in range(3)]
        assert all(m.get("op") == "hb" for m in later[1:])
        sim.state.expire_all_tokens()  # the token it opened with no longer works
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=3)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_the_websocket_drop_knob(unthrottled) -> None:
    sim = unthrottled
    with connect(sim.stream_urls[WS_LABEL], additional_headers=bearer(sim)) as ws:
        ws.send(json.dumps({"op": "subscribe", "productNames": ["NTI.4.12"]}))
        ws.recv(timeout=5)
        assert sim.state.streams.drop() == 1
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=3)
        assert closed.value.rcvd is None
    assert sim.state.streams.stats["dropped"] == 1


def test_the_minimum_holds_buys_only(darwinex_sim, dx: DarwinexHttp, account: int,
                                     held: None) -> None:
    assert dx.buy(account, "NTI.4.12", "1000.00").status_code == 200
    assert dx.buy(account, "NTI.4.12", "150.00").status_code == 400
    assert dx.sell(account, "NTI.4.12", "150.00").status_code == 200  # sells are exempt
    darwinex_sim.state.min_amount_on_sells = True
    below = dx.sell(account, "NTI.4.12", "150.00")
    assert below.status_code == 400 and "200.00" in below.json()["status"]
