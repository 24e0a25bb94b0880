"""Tradovate simulator: access tokens, renewal, expiry, bad logins, captcha, paths."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.simulators.tradovate.tradovate_http import TradovateHttp, login_body

BAD_LOGIN = {"errorText": "Incorrect username or password. Please try again."}
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _expiry(body: dict) -> datetime:
    return datetime.fromisoformat(body["expirationTime"].replace("Z", "+00:00"))


def test_access_token_response(tradovate_sim) -> None:
    assert set(tradovate_sim.credentials) == {"name", "password", "app_id", "app_version",
                                              "cid", "sec"}
    assert tradovate_sim.base_url.endswith("/v1")
    response = httpx.post(f"{tradovate_sim.base_url}/auth/accesstokenrequest",
                          json=login_body(tradovate_sim.credentials))
    assert response.status_code == 200
    body = response.json()
    assert "errorText" not in body
    assert body["accessToken"] and body["mdAccessToken"] != body["accessToken"]
    assert ISO_Z.fullmatch(body["expirationTime"])
    assert ISO_Z.fullmatch(body["passwordExpirationTime"])
    lifetime = _expiry(body) - datetime.now(UTC)
    assert timedelta(minutes=89) < lifetime <= timedelta(minutes=90)
    assert body["userStatus"] == "Active" and body["hasLive"] is False
    assert body["name"] == "demo_trader" and body["userId"] == tradovate_sim.state.user_id
    assert tradovate_sim.state.stats["logins"] == 1


@pytest.mark.parametrize("field, value", [
    ("password", "wrong"), ("name", "someone_else"), ("sec", "not-the-secret"),
    ("cid", 9), ("appId", "Another App"),
])
def test_wrong_credentials_answer_200_with_error_text(tradovate_sim, field, value) -> None:
    client = TradovateHttp(tradovate_sim.base_url, tradovate_sim.credentials)
    response = client.login(**{field: value})
    assert (response.status_code, response.json()) == (200, BAD_LOGIN)
    assert tradovate_sim.state.stats["failed_logins"] == 1
    client.close()


def test_login_body_is_validated(tradovate_sim) -> None:
    client = TradovateHttp(tradovate_sim.base_url, tradovate_sim.credentials)
    response = client.login(name=None, password=None)
    assert response.status_code == 200
    violations = response.json()["violations"]
    assert {v["constraint"] for v in violations} == {"name", "password"}
    assert all(v["description"] for v in violations)
    # cid as a string works as well as a number; the username is not case-sensitive.
    assert "accessToken" in client.login(cid="8", name="DEMO_TRADER").json()
    client.close()


def test_bearer_token_is_required(tradovate_sim, client: TradovateHttp) -> None:
    assert client.get("/account/list").status_code == 200
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": client.token}):
        response = httpx.get(f"{tradovate_sim.base_url}/account/list", headers=headers)
        assert response.status_code == 401
    # The market-data token is for market data only.
    assert client.get("/account/list", token=client.md_token).status_code == 401
    tradovate_sim.state.rest_quotes = True  # the simulator's own REST quote
    assert client.get("/md/getQuote", token=client.md_token,
                      params={"symbol": "ESZ6"}).status_code == 200


def test_renewal_extends_the_same_session(tradovate_sim, client: TradovateHttp) -> None:
    state = tradovate_sim.state
    first, first_expiry = client.token, _expiry(client.last_login)
    state.advance_clock(600)
    renewed = client.ok("GET", "/auth/renewAccessToken")
    assert renewed["accessToken"] != first and renewed["userId"] == state.user_id
    assert _expiry(renewed) > first_expiry + timedelta(seconds=590)
    assert state.stats["renewals"] == 1
    # The old token stays valid until its own expiry, the new one lives on.
    assert client.get("/auth/me").status_code == 200
    state.advance_clock(90 * 60 - 300)
    assert client.get("/auth/me").status_code == 401
    me = client.ok("GET", "/auth/me", token=renewed["accessToken"])
    assert me["userId"] == state.user_id and me["name"] == "demo_trader"


def test_tokens_expire(tradovate_sim, client: TradovateHttp) -> None:
    state = tradovate_sim.state
    state.token_lifetime = 120
    client.login()
    state.advance_clock(119)
    assert client.get("/account/list").status_code == 200
    state.advance_clock(2)
    assert client.get("/account/list").status_code == 401
    assert client.get("/auth/renewAccessToken").status_code == 401  # too late to renew
    client.login()
    assert client.get("/account/list").status_code == 200
    state.expire_all_tokens()
    assert client.get("/account/list").status_code == 401


def test_three_failed_logins_bring_a_captcha(tradovate_sim) -> None:
    state = tradovate_sim.state
    client = TradovateHttp(tradovate_sim.base_url, tradovate_sim.credentials)
    for _ in range(3):
        assert client.login(password="wrong").json() == BAD_LOGIN
    penalty = client.login().json()  # even the right password
    assert penalty["p-captcha"] is True and penalty["p-ticket"] and penalty["p-time"] > 0
    state.advance_clock(penalty["p-time"] + 1)
    resent = client.http.post("/auth/accesstokenrequest", json={
        **login_body(client.credentials), "p-ticket": penalty["p-ticket"]}).json()
    assert resent["p-captcha"] is True  # a captcha ticket cannot be cleared by an app
    state.advance_clock(3600)
    assert "accessToken" in client.login().json()
    assert state.stats["penalties"]["POST /auth/accesstokenrequest"] == 2
    client.close()


def test_ten_logins_a_minute_then_a_penalty_ticket(tradovate_sim) -> None:
    state = tradovate_sim.state
    client = TradovateHttp(tradovate_sim.base_url, tradovate_sim.credentials)
    for _ in range(10):
        assert "accessToken" in client.login().json()
    penalty = client.login().json()
    assert set(penalty) == {"p-ticket", "p-time", "p-captcha"}
    assert penalty["p-captcha"] is False
    assert state.stats["logins"] == 10
    state.advance_clock(penalty["p-time"])
    resent = client.http.post("/auth/accesstokenrequest", json={
        **login_body(client.credentials), "p-ticket": penalty["p-ticket"]})
    assert "accessToken" in resent.json()
    assert state.stats["logins"] == 11
    client.close()


def test_paths_are_case_insensitive(tradovate_sim, client: TradovateHttp) -> None:
    account = client.accounts()[0]["id"]
    for path in ("/cashBalance/getCashBalanceSnapshot", "/cashbalance/getcashbalancesnapshot",
                 "/CASHBALANCE/GetCashBalanceSnapshot"):
        assert "totalCashValue" in client.ok("POST", path, {"accountId": account})
    assert client.ok("GET", "/Account/List") == client.accounts()
    stats = tradovate_sim.state.stats["requests"]
    assert stats["POST /cashbalance/getcashbalancesnapshot"] == 3
    assert stats["GET /account/list"] == 3
