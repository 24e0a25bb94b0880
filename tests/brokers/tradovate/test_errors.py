"""Tradovate's envelopes and status codes as typed errors; contract names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from desktop_app.brokers.tradovate.errors import (
    LOCKOUT_SECONDS,
    Penalty,
    SessionExpired,
    map_error,
    throttle_policy,
)
from desktop_app.brokers.tradovate.mapping import split_contract_name
from desktop_app.domain.errors import (
    AuthError,
    NotFound,
    RateLimited,
    Rejected,
    Unavailable,
)

ROOT = "https://demo.tradovateapi.com/v1"


def reply(status: int, body: Any = None, path: str = "/order/placeorder",
          method: str = "POST") -> httpx.Response:
    request = httpx.Request(method, ROOT + path)
    if body is None:
        return httpx.Response(status, request=request)
    return httpx.Response(status, json=body, request=request)


def test_successes_map_to_none() -> None:
    assert map_error(reply(200, {"orderId": 5})) is None
    assert map_error(reply(200, {"failureReason": "Success", "orderId": 5})) is None
    assert map_error(reply(200, [{"id": 1}], "/account/list", "GET")) is None
    assert map_error(reply(200, {"totalCashValue": 1, "errorText": ""})) is None


def test_http_200_business_errors_keep_the_brokers_words() -> None:
    error = map_error(reply(200, {"errorText": "Demo account is closed or inactive"},
                            "/cashBalance/changeDemoBalance"))
    assert isinstance(error, Rejected) and error.message == "Demo account is closed or inactive"

    refused = map_error(reply(200, {"errorText": "Empty accountIds", "ok": False}))
    assert isinstance(refused, Rejected) and refused.message == "Empty accountIds"
    assert isinstance(map_error(reply(200, {"ok": False})), Rejected)

    violations = map_error(reply(200, {"violations": [
        {"constraint": "orderQty", "value": "0", "description": "orderQty should be > 0"},
        {"constraint": "action", "value": "", "description": "action should be specified"},
    ]}))
    assert isinstance(violations, Rejected) and violations.code == "violations"
    assert "orderQty should be > 0 (0)" in violations.message
    assert "action should be specified" in violations.message

    failure = map_error(reply(200, {"failureReason": "NoQuote", "failureText": "No quote"}))
    assert isinstance(failure, Rejected)
    assert (failure.message, failure.code) == ("No quote", "NoQuote")
    bare = map_error(reply(200, {"failureReason": "TradingLocked"}))
    assert isinstance(bare, Rejected) and "TradingLocked" in bare.message


def test_login_errors_are_auth_errors() -> None:
    error = map_error(reply(200, {"errorText": "Incorrect username or password."},
                            "/auth/accessTokenRequest"))
    assert isinstance(error, AuthError) and not isinstance(error, SessionExpired)
    assert error.message == "Incorrect username or password."
    expired = map_error(reply(401, {"errorText": "Access is denied"}, "/account/list", "GET"))
    assert isinstance(expired, SessionExpired) and expired.message == "Access is denied"


def test_penalty_tickets() -> None:
    error = map_error(reply(200, {"p-ticket": "abc", "p-time": 7, "p-captcha": False}))
    assert isinstance(error, Penalty) and isinstance(error, RateLimited)
    assert (error.ticket, error.p_time, error.captcha) == ("abc", 7.0, False)
    captcha = map_error(reply(200, {"p-ticket": "x", "p-time": 3600, "p-captcha": True}))
    assert isinstance(captcha, Penalty) and captcha.captcha
    assert "captcha" in captcha.message and "hour" in captcha.user_text()


def test_status_codes() -> None:
    assert isinstance(map_error(reply(404, {"errorText": "Contract X not found"})), NotFound)
    assert isinstance(map_error(reply(503)), Unavailable)
    assert isinstance(map_error(reply(400, {"errorText": "Malformed JSON"})), Rejected)
    locked = map_error(reply(429))
    assert isinstance(locked, RateLimited) and "hour" in locked.message


def test_throttle_policy_locks_out_on_429_and_slows_down_on_423() -> None:
    lockouts: list[int] = []
    policy = throttle_policy(on_lockout=lambda: lockouts.append(1), slow_down=lambda: 2.0)
    locked = policy(reply(429))
    assert locked is not None and not locked.retry and locked.pause == LOCKOUT_SECONDS
    assert lockouts == [1]
    read = policy(reply(423, path="/position/list", method="GET"))
    assert read is not None and read.retry and read.pause == 2.0
    write = policy(reply(423, path="/order/placeOrder"))
    assert write is not None and not write.retry
    assert policy(reply(200, {"p-ticket": "t", "p-time": 1})) is None  # the client's job
    assert policy(reply(401)) is None


@pytest.mark.parametrize(
    ("name", "product", "month", "year"),
    [("ESZ6", "ES", 12, 2026), ("MNQH7", "MNQ", 3, 2027), ("6EZ6", "6E", 12, 2026),
     ("ZNZ6", "ZN", 12, 2026), ("CLF7", "CL", 1, 2027), ("gcg27", "GC", 2, 2027),
     ("ESH5", "ES", 3, 2025)],
)
def test_contract_names(name: str, product: str, month: int, year: int) -> None:
    parsed = split_contract_name(name, today=datetime(2026, 11, 23, tzinfo=UTC))
    assert parsed is not None
    assert (parsed.product, parsed.month, parsed.year) == (product, month, year)


def test_unparseable_contract_names() -> None:
    assert split_contract_name("ES") is None
    assert split_contract_name("hello world") is None
