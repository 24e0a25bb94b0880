"""Tradovate simulator: penalty tickets, 423, the 429 lock-out, budgets and fault knobs."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.simulators.tradovate.tradovate_http import TradovateHttp


def _order_body(account_id: int, symbol: str) -> dict:
    return {"accountId": account_id, "action": "Buy", "symbol": symbol, "orderQty": 1,
            "orderType": "Market", "isAutomated": True}


@pytest.fixture
def es(tradovate_sim) -> str:
    return next(c.name for c in tradovate_sim.state.catalog.contracts.values()
                if c.product.name == "ES" and c.maturity.is_front)


def test_penalty_then_resend_places_exactly_one_order(tradovate_sim, client: TradovateHttp,
                                                      account_id: int, es: str) -> None:
    state = tradovate_sim.state
    state.penalty_next("/order/placeOrder", p_time=2)
    body = _order_body(account_id, es)
    penalty = client.ok("POST", "/order/placeorder", body)
    assert set(penalty) == {"p-ticket", "p-time", "p-captcha"}
    assert (penalty["p-time"], penalty["p-captcha"]) == (2, False)
    assert client.ok("GET", "/order/list") == [] and state.orders_placed == []

    ticketed = {**body, "p-ticket": penalty["p-ticket"]}
    early = client.ok("POST", "/order/placeorder", ticketed)
    assert "p-ticket" in early and early["p-ticket"] != penalty["p-ticket"]  # too early
    assert client.ok("GET", "/order/list") == []
    state.advance_clock(early["p-time"])
    mismatch = client.ok("POST", "/order/placeorder",
                         {**body, "orderQty": 2, "p-ticket": early["p-ticket"]})
    assert mismatch["ok"] is False and mismatch["errorText"]
    placed = client.ok("POST", "/order/placeorder", {**body, "p-ticket": early["p-ticket"]})
    assert set(placed) == {"orderId"}
    reused = client.ok("POST", "/order/placeorder", {**body, "p-ticket": early["p-ticket"]})
    assert reused["ok"] is False and "orderId" not in reused
    assert [o["id"] for o in client.ok("GET", "/order/list")] == [placed["orderId"]]
    assert state.orders_placed == [body]
    assert state.stats["penalties"]["POST /order/placeorder"] == 2


def test_penalty_knob_counts_and_captcha(tradovate_sim, client: TradovateHttp,
                                         account_id: int, es: str) -> None:
    state = tradovate_sim.state
    state.penalty_next("/order/placeorder", p_time=0.5, captcha=True, count=2)
    body = _order_body(account_id, es)
    first = client.ok("POST", "/order/placeorder", body)
    assert first["p-captcha"] is True and first["p-time"] == 0.5
    state.advance_clock(5)
    resent = client.ok("POST", "/order/placeorder", {**body, "p-ticket": first["p-ticket"]})
    assert resent["p-captcha"] is True  # a captcha ticket is never accepted
    second = client.ok("POST", "/order/placeorder", body)
    assert "p-ticket" in second
    assert "orderId" in client.ok("POST", "/order/placeorder", body)  # the knob is used up
    assert len(state.orders_placed) == 1


def test_per_endpoint_hourly_limit_gives_a_ticket(tradovate_sim, client: TradovateHttp,
                                                  account_id: int) -> None:
    state = tradovate_sim.state
    state.limits.endpoint_per_hour["/cashbalance/changedemobalance"] = 2
    state.balance_change_cooldown = 0
    body = {"accountId": account_id, "cashChange": 10}
    for _ in range(2):
        assert "totalCashValue" in client.ok("POST", "/cashBalance/changeDemoBalance", body)
    penalty = client.ok("POST", "/cashBalance/changeDemoBalance", body)
    assert penalty["p-captcha"] is False and penalty["p-time"] > 0
    assert len(state.balance_changes) == 2
    state.advance_clock(penalty["p-time"])
    accepted = client.ok("POST", "/cashBalance/changeDemoBalance",
                         {**body, "p-ticket": penalty["p-ticket"]})
    assert accepted["totalCashValue"] == 25_030
    assert len(state.balance_changes) == 3


def test_renewal_limit_and_get_tickets(tradovate_sim, client: TradovateHttp) -> None:
    state = tradovate_sim.state
    state.limits.endpoint_per_hour["/auth/renewaccesstoken"] = 1
    assert "accessToken" in client.ok("GET", "/auth/renewaccesstoken")
    penalty = client.ok("GET", "/auth/renewaccesstoken")
    assert "p-ticket" in penalty
    state.advance_clock(penalty["p-time"])
    renewed = client.ok("GET", "/auth/renewaccesstoken", params={"p-ticket": penalty["p-ticket"]})
    assert "accessToken" in renewed and state.stats["renewals"] == 2


def test_force_423_is_one_warning(tradovate_sim, client: TradovateHttp) -> None:
    state = tradovate_sim.state
    state.force_423(count=2, path="/account/list")
    for _ in range(2):
        warned = client.get("/account/list")
        assert (warned.status_code, warned.content) == (423, b"")
    assert client.get("/account/list").status_code == 200
    assert state.stats["423"]["GET /account/list"] == 2
    assert state.stats["requests"]["GET /account/list"] == 3


def test_force_429_locks_everything_out(tradovate_sim, client: TradovateHttp,
                                        account_id: int, es: str) -> None:
    state = tradovate_sim.state
    assert state.lockout_seconds == 3600
    state.force_429(path="/order/placeorder")
    assert client.get("/account/list").status_code == 200  # other paths until it fires
    locked = client.post("/order/placeorder", _order_body(account_id, es))
    assert (locked.status_code, locked.content) == (429, b"")
    for path in ("/account/list", "/auth/me", "/no/such/path"):
        response = client.get(path)
        assert (response.status_code, response.content) == (429, b"")
    assert client.http.post("/auth/accesstokenrequest", json={}).status_code == 429
    state.advance_clock(3599)
    assert client.get("/account/list").status_code == 429
    state.advance_clock(2)
    assert client.get("/account/list").status_code == 200
    assert state.orders_placed == []
    assert state.stats["429"]["POST /order/placeorder"] == 1
    assert state.stats["429"]["GET /account/list"] == 2


def test_general_budget_warns_with_423_then_locks_out(tradovate_sim,
                                                      client: TradovateHttp) -> None:
    state = tradovate_sim.state
    state.limits.per_minute = 5
    state.lockout_seconds = 30
    statuses = [client.get("/account/list").status_code for _ in range(8)]
    assert statuses == [200] * 5 + [423, 429, 429]
    state.advance_clock(31)
    state.limits.per_minute = 5000
    assert client.get("/account/list").status_code == 200


def test_drop_reply_next_processes_then_hangs_up(tradovate_sim, client: TradovateHttp,
                                                 account_id: int, es: str) -> None:
    state = tradovate_sim.state
    state.drop_reply_next("/order/placeOrder")
    with pytest.raises(httpx.TransportError):
        client.post("/order/PLACEORDER", _order_body(account_id, es))
    (order,) = client.ok("GET", "/order/list")  # it was placed: a client must reconcile
    assert order["ordStatus"] == "Filled"
    assert len(state.orders_placed) == 1
    assert client.get("/account/list").status_code == 200


def test_delay_seconds_holds_replies_back(tradovate_sim, client: TradovateHttp) -> None:
    tradovate_sim.state.delay_seconds = 0.3
    started = time.monotonic()
    assert client.get("/auth/me").status_code == 200
    assert time.monotonic() - started >= 0.3
