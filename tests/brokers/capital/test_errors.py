"""The error mapper on Capital.com's documented error replies."""

from __future__ import annotations

import httpx
import pytest

from desktop_app.brokers.capital.errors import (
    SessionExpired,
    level_hint,
    map_error,
    split_code,
)
from desktop_app.domain.errors import (
    AuthError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Rejected,
    Unavailable,
)

BASE = "https://demo-api-capital.backend-capital.com/api/v1"


def reply(status: int, code: str | None, method: str = "GET", path: str = "/accounts"):
    request = httpx.Request(method, BASE + path)
    body = {} if code is None else {"errorCode": code}
    return httpx.Response(status, json=body, request=request)


def test_success_maps_to_none() -> None:
    assert map_error(httpx.Response(200, json={}, request=httpx.Request("GET", BASE))) is None


def test_bad_login_is_auth_error_a_trader_understands() -> None:
    err = map_error(reply(401, "error.invalid.details", "POST", "/session"))
    assert type(err) is AuthError
    assert err.message.startswith("Login or password not accepted")
    assert err.code == "error.invalid.details"
    assert "Capital.com" in str(err)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("error.null.api.key", "No API key"),
        ("error.invalid.api.key", "API key was not accepted"),
        ("error.invalid.api.key.expired", "expired"),
        ("error.invalid.api.key.disabled", "paused"),
    ],
)
def test_api_key_problems_name_the_api_key(code: str, words: str) -> None:
    err = map_error(reply(400 if "null" in code else 401, code, "POST", "/session"))
    assert type(err) is AuthError
    assert words in err.message


def test_expired_session_is_a_session_expired_auth_error() -> None:
    err = map_error(reply(401, "error.invalid.session.token"))
    assert isinstance(err, SessionExpired)
    assert isinstance(err, AuthError)
    # Any 401 on a call other than the login means the session is gone.
    assert isinstance(map_error(reply(401, "")), SessionExpired)
    # ...but a 401 on the login itself is about the credentials.
    login = map_error(reply(401, "", "POST", "/session"))
    assert type(login) is AuthError


def test_too_many_requests() -> None:
    err = map_error(reply(429, "error.too-many.requests"))
    assert isinstance(err, RateLimited)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("error.not-found.dealId", "Position or order not found"),
        ("error.not-found.epic", "Market not found."),
        ("error.epic.not-found", "Market not found."),
        ("error.not-found.watchlist", "Watchlist not found."),
        ("error.not-found.somethingNew", "somethingNew not found."),
    ],
)
def test_not_found_names_what(code: str, message: str) -> None:
    err = map_error(reply(404, code))
    assert isinstance(err, NotFound)
    assert err.message.startswith(message)


def test_level_errors_quote_the_brokers_limit() -> None:
    err = map_error(reply(400, "error.invalid.stoploss.minvalue: 17.1", "POST", "/positions"))
    assert isinstance(err, Rejected)
    assert err.message == "Stop loss level too low: minimum is 17.1"
    assert err.code == "error.invalid.stoploss.minvalue: 17.1"
    tp = map_error(reply(400, "error.invalid.takeprofit.maxvalue: 2500.5", "POST", "/positions"))
    assert tp.message == "Take profit level too high: maximum is 2500.5"


@pytest.mark.parametrize(
    ("code", "buying", "hint"),
    [
        # A sell's stop sits above the market: below the minimum means too close.
        ("error.invalid.stoploss.minvalue: 17.1", False, "too close to the market for a sell"),
        ("error.invalid.stoploss.minvalue: 17.1", True, "too far from the market for a buy"),
        ("error.invalid.stoploss.maxvalue: 20", True, "too close to the market for a buy"),
        ("error.invalid.takeprofit.minvalue: 20", True, "too close to the market for a buy"),
        ("error.invalid.takeprofit.maxvalue: 20", False, "too close to the market for a sell"),
        ("error.invalid.takeprofit.maxvalue: 20", True, "too far from the market for a buy"),
        ("error.invalid.leverage.value", True, ""),
    ],
)
def test_level_hint_depends_on_the_direction(code: str, buying: bool, hint: str) -> None:
    assert level_hint(code, buying) == hint


def test_known_rejections() -> None:
    same = map_error(reply(400, "error.not-different.accountId", "PUT", "/session"))
    assert isinstance(same, Rejected) and same.code == "error.not-different.accountId"
    lev = map_error(reply(400, "error.invalid.leverage.value", "PUT", "/accounts/preferences"))
    assert isinstance(lev, Rejected) and "leverage" in lev.message


def test_unknown_code_is_rejected_with_the_code_shown() -> None:
    err = map_error(reply(400, "error.brand.new.thing"))
    assert isinstance(err, Rejected)
    assert "error.brand.new.thing" in str(err)


def test_server_errors_and_forbidden() -> None:
    assert isinstance(map_error(reply(503, None)), Unavailable)
    assert isinstance(map_error(reply(403, "error.forbidden")), PermissionDenied)
    plain = httpx.Response(400, text="oops", request=httpx.Request("GET", BASE + "/x"))
    assert isinstance(map_error(plain), Rejected)


def test_split_code() -> None:
    assert split_code("error.invalid.stoploss.minvalue: 17.146") == (
        "error.invalid.stoploss.minvalue", "17.146"
    )
    assert split_code("error.null.epic") == ("error.null.epic", "")
