"""Capital.com simulator: fault knobs, stats and the trading budget."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.simulators.capital_http import CapitalHttp


def test_drop_reply_next_processes_then_hangs_up(capital_sim, client: CapitalHttp) -> None:
    capital_sim.state.drop_reply_next("/positions")
    with pytest.raises(httpx.TransportError):
        client.post("/positions", json={"epic": "GOLD", "direction": "BUY", "size": 1})
    # The deal was made even though no answer came back: a client must reconcile.
    (position,) = client.positions()
    assert position["position"]["direction"] == "BUY"
    assert position["market"]["epic"] == "GOLD"
    assert capital_sim.state.stats["requests"]["POST /positions"] == 1
    # Only the next matching request was affected.
    assert client.get("/ping").status_code == 200


def test_fail_next_answers_an_error_without_processing(capital_sim, client: CapitalHttp) -> None:
    capital_sim.state.fail_next(503, "error.service.unavailable", "/positions", count=2)
    for _ in range(2):
        failed = client.post("/positions", json={"epic": "GOLD", "direction": "BUY", "size": 1})
        assert (failed.status_code, failed.json()) == (
            503, {"errorCode": "error.service.unavailable"})
    assert client.get("/positions").json() == {"positions": []}
    assert client.get("/accounts").status_code == 200  # other paths were never affected


def test_force_429_and_stats(capital_sim, client: CapitalHttp) -> None:
    capital_sim.state.force_429(count=1, path_prefix="/api/v1/accounts")
    limited = client.get("/accounts")
    assert (limited.status_code, limited.json()) == (
        429, {"errorCode": "error.too-many.requests"})
    assert client.get("/accounts").status_code == 200
    stats = capital_sim.state.stats
    assert stats["requests"]["GET /accounts"] == 2
    assert stats["429"]["GET /accounts"] == 1
    assert stats["requests"]["POST /session"] == 1


def test_delay_seconds_holds_replies_back(capital_sim, client: CapitalHttp) -> None:
    capital_sim.state.delay_seconds = 0.3
    started = time.monotonic()
    assert client.get("/ping").status_code == 200
    assert time.monotonic() - started >= 0.3
    capital_sim.state.delay_seconds = 0.0
    with pytest.raises(httpx.ReadTimeout):
        capital_sim.state.delay_seconds = 0.5
        client.get("/ping", timeout=0.1)


def test_trading_budget_counts_positions_and_working_orders(
    capital_sim, client: CapitalHttp
) -> None:
    capital_sim.state.limits.trading_per_hour = 2
    order = {"epic": "GOLD", "direction": "BUY", "size": 1, "level": 1000, "type": "LIMIT"}
    assert client.post("/workingorders", json=order).status_code == 200
    assert client.post("/positions",
                       json={"epic": "GOLD", "direction": "BUY", "size": 1}).status_code == 200
    third = client.post("/positions", json={"epic": "GOLD", "direction": "BUY", "size": 1})
    assert (third.status_code, third.json()) == (429, {"errorCode": "error.too-many.requests"})
    assert client.get("/positions").status_code == 200  # reads are outside that budget


def test_errors_are_json_everywhere(capital_sim, client: CapitalHttp) -> None:
    unknown = client.get("/no/such/path")
    assert unknown.status_code == 404 and "errorCode" in unknown.json()
    wrong_method = client.request("PATCH", "/positions")
    assert wrong_method.status_code == 405 and "errorCode" in wrong_method.json()
