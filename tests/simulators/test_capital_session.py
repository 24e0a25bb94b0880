"""Capital.com simulator: login, tokens, account switching, preferences, limits, expiry."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.simulators.capital_http import CapitalHttp, encrypt_password


def test_time_needs_no_session(capital_sim) -> None:
    before = int(time.time() * 1000)
    answer = httpx.get(f"{capital_sim.base_url}/time").json()
    assert before - 1000 <= answer["serverTime"] <= int(time.time() * 1000) + 1000


@pytest.fixture
def many_logins(capital_sim):
    """Lift the one-login-per-second limit for tests that log in repeatedly on purpose."""
    capital_sim.state.limits.session_create_per_second = 1000
    return capital_sim


def test_plain_login_answers_tokens_and_the_documented_body(many_logins) -> None:
    creds = many_logins.credentials
    for flag in (None, False, "false"):
        body = {"identifier": creds["identifier"], "password": creds["password"]}
        if flag is not None:
            body["encryptedPassword"] = flag
        response = httpx.post(
            f"{many_logins.base_url}/session", headers={"X-CAP-API-KEY": creds["api_key"]},
            json=body,
        )
        assert response.status_code == 200, (flag, response.text)
    assert response.headers["CST"] and response.headers["X-SECURITY-TOKEN"]
    answer = response.json()
    assert answer["accountType"] == "CFD"
    assert answer["currencyIsoCode"] == "USD" and answer["currencySymbol"] == "$"
    assert set(answer["accountInfo"]) == {"balance", "deposit", "profitLoss", "available"}
    assert answer["accountInfo"]["balance"] == 10000.0
    assert len(answer["accounts"]) == 2
    preferred = [a for a in answer["accounts"] if a["preferred"]]
    assert [a["accountId"] for a in preferred] == [answer["currentAccountId"]]
    assert {"clientId", "timezoneOffset", "streamingHost", "hasActiveDemoAccounts",
            "hasActiveLiveAccounts", "trailingStopsEnabled"} <= set(answer)


def test_encrypted_login(many_logins) -> None:
    creds = many_logins.credentials
    http = httpx.Client(base_url=many_logins.base_url)
    key = {"X-CAP-API-KEY": creds["api_key"]}
    for flag in (True, "true"):
        answer = http.get("/session/encryptionKey", headers=key).json()
        assert answer["encryptionKey"].startswith("MIIBIjAN")  # RSA-2048 SubjectPublicKeyInfo
        assert abs(answer["timeStamp"] - time.time() * 1000) < 5000
        encrypted = encrypt_password(answer["encryptionKey"], answer["timeStamp"],
                                     creds["password"])
        assert len(encrypted) == 344
        body = {"identifier": creds["identifier"], "password": encrypted,
                "encryptedPassword": flag}
        response = http.post("/session", headers=key, json=body)
        assert response.status_code == 200, response.text
        assert response.headers["CST"]


def test_encrypted_login_refuses_a_wrong_password_or_an_old_timestamp(many_logins) -> None:
    creds = many_logins.credentials
    http = httpx.Client(base_url=many_logins.base_url)
    key = {"X-CAP-API-KEY": creds["api_key"]}
    answer = http.get("/session/encryptionKey", headers=key).json()
    stale = answer["timeStamp"] - 3_600_000
    for password, stamp in ((creds["password"] + "x", answer["timeStamp"]),
                            (creds["password"], stale)):
        body = {
            "identifier": creds["identifier"],
            "password": encrypt_password(answer["encryptionKey"], stamp, password),
            "encryptedPassword": True,
        }
        response = http.post("/session", headers=key, json=body)
        assert (response.status_code, response.json()) == (
            401, {"errorCode": "error.invalid.details"})


def test_login_errors(capital_sim) -> None:
    creds = capital_sim.credentials
    url = f"{capital_sim.base_url}/session"
    body = {"identifier": creds["identifier"], "password": "wrong"}
    missing_key = httpx.post(url, json=body)
    assert (missing_key.status_code, missing_key.json()) == (
        400, {"errorCode": "error.null.api.key"})
    wrong = httpx.post(url, headers={"X-CAP-API-KEY": creds["api_key"]}, json=body)
    assert (wrong.status_code, wrong.json()) == (401, {"errorCode": "error.invalid.details"})
    assert "CST" not in wrong.headers


def test_login_is_limited_to_one_per_second_per_api_key(capital_sim) -> None:
    first = CapitalHttp(capital_sim.base_url, capital_sim.credentials)
    assert first.login().status_code == 200
    second = first.login()
    assert (second.status_code, second.json()) == (
        429, {"errorCode": "error.too-many.requests"})
    assert capital_sim.state.stats["429"]["POST /session"] == 1
    time.sleep(1.05)
    assert first.login().status_code == 200


def test_every_call_needs_and_echoes_the_tokens(capital_sim, client) -> None:
    no_tokens = httpx.get(f"{capital_sim.base_url}/accounts")
    assert (no_tokens.status_code, no_tokens.json()) == (
        401, {"errorCode": "error.invalid.session.token"})
    response = client.get("/ping")
    assert response.json() == {"status": "OK"}
    assert response.headers["CST"] == client.tokens["CST"]
    assert response.headers["X-SECURITY-TOKEN"] == client.tokens["X-SECURITY-TOKEN"]
    error = client.get("/markets/NOPE")
    assert error.status_code == 404 and error.headers["CST"] == client.tokens["CST"]


def test_double_slashes_and_trailing_slashes_are_tolerated(capital_sim, client) -> None:
    root = capital_sim.base_url.replace("/api/v1", "/")
    response = httpx.get(f"{root}/api/v1/ping/", headers=client.tokens)
    assert response.status_code == 200 and response.json() == {"status": "OK"}


def test_switching_accounts(capital_sim, client) -> None:
    usd, eur = capital_sim.state.account_ids()
    session = client.get("/session").json()
    assert session["accountId"] == usd and session["currency"] == "USD"
    usd_token = client.tokens["X-SECURITY-TOKEN"]
    same = client.put("/session", json={"accountId": usd})
    assert (same.status_code, same.json()) == (
        400, {"errorCode": "error.not-different.accountId"})
    unknown = client.put("/session", json={"accountId": "0000000000001"})
    assert (unknown.status_code, unknown.json()) == (
        400, {"errorCode": "error.invalid.accountId"})
    switched = client.put("/session", json={"accountId": eur})
    assert switched.status_code == 200
    assert switched.json() == {"trailingStopsEnabled": False, "dealingEnabled": True,
                               "hasActiveDemoAccounts": True, "hasActiveLiveAccounts": False}
    # The active account is session state: the login's own tokens now act on EUR, as
    # Capital.com's samples keep using them after PUT /session.
    assert client.tokens["X-SECURITY-TOKEN"] == usd_token
    assert client.get("/session").json()["accountId"] == eur
    kept = client.get("/session", headers={"X-SECURITY-TOKEN": usd_token}).json()
    assert kept["accountId"] == eur
    client.put("/session", json={"accountId": usd})
    assert client.get("/session").json()["accountId"] == usd
    foreign = client.get("/session", headers={"X-SECURITY-TOKEN": "not-this-sessions"})
    assert (foreign.status_code, foreign.json()) == (
        401, {"errorCode": "error.security.account.token.invalid"})


def test_accounts_list_both_demo_accounts(client) -> None:
    accounts = client.get("/accounts").json()["accounts"]
    assert [(a["accountName"], a["currency"], a["status"]) for a in accounts] == [
        ("USD", "USD", "ENABLED"), ("EUR", "EUR", "ENABLED")]
    for account in accounts:
        assert set(account["balance"]) == {"balance", "deposit", "profitLoss", "available"}


def test_preferences(client) -> None:
    prefs = client.get("/accounts/preferences").json()
    assert prefs["hedgingMode"] is False
    assert list(prefs["leverages"]) == [
        "SHARES", "CURRENCIES", "INDICES", "CRYPTOCURRENCIES", "COMMODITIES"]
    assert prefs["leverages"]["CURRENCIES"] == {"current": 30, "available": [1, 10, 20, 30]}
    bad = client.put("/accounts/preferences", json={"leverages": {"INDICES": 600}})
    assert (bad.status_code, bad.json()) == (400, {"errorCode": "error.invalid.leverage.value"})
    ok = client.put("/accounts/preferences",
                    json={"leverages": {"CURRENCIES": "10"}, "hedgingMode": "true"})
    assert ok.json() == {"status": "SUCCESS"}
    prefs = client.get("/accounts/preferences").json()
    assert prefs["hedgingMode"] is True
    assert prefs["leverages"]["CURRENCIES"]["current"] == 10
    assert client.get("/markets/EURUSD").json()["instrument"]["marginFactor"] == 10


def test_ten_requests_per_second_per_session(capital_sim, client) -> None:
    codes = [client.get("/ping").status_code for _ in range(12)]
    assert codes[:10] == [200] * 10
    assert 429 in codes[10:]
    limited = client.get("/ping")
    if limited.status_code == 429:
        assert limited.json() == {"errorCode": "error.too-many.requests"}
    assert capital_sim.state.stats["429"]["GET /ping"] >= 1
    time.sleep(1.05)
    assert client.get("/ping").status_code == 200


def test_idle_session_expires(capital_sim, client) -> None:
    capital_sim.state.session_idle_timeout = 0.3
    assert client.get("/ping").status_code == 200
    time.sleep(0.2)
    assert client.get("/ping").status_code == 200  # use keeps it alive
    time.sleep(0.45)
    expired = client.get("/ping")
    assert (expired.status_code, expired.json()) == (
        401, {"errorCode": "error.invalid.session.token"})


def test_logout_and_expire_all(many_logins, client) -> None:
    assert client.delete("/session").json() == {"status": "SUCCESS"}
    assert client.get("/ping").status_code == 401
    assert client.login().status_code == 200
    many_logins.state.expire_all_sessions()
    assert client.get("/accounts").status_code == 401
