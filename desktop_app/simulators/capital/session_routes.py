"""/time, /ping and /session: login (plain and encrypted), details, account switch, logout."""

from __future__ import annotations

import hmac
from typing import Any

from desktop_app.simulators.capital import errors
from desktop_app.simulators.capital.errors import CapitalError
from desktop_app.simulators.capital.parsing import opt_bool, req_str
from desktop_app.simulators.capital.payloads import CURRENCY_SYMBOLS, balance
from desktop_app.simulators.capital.pipeline import Ctx, Endpoint, Reply

_CLOCK_SKEW_MS = 5_000


def _stream_endpoint(ctx: Ctx) -> str:
    # This host's streaming API; clients append "connect" as to the real streamingHost.
    return f"ws://{ctx.request.url.netloc}/"


def _check_api_key(ctx: Ctx) -> str:
    key = ctx.header("X-CAP-API-KEY")
    if not key:
        raise CapitalError(400, errors.NULL_API_KEY)
    return key


def _valid_api_key(ctx: Ctx, key: str) -> None:
    if not hmac.compare_digest(key.encode(), ctx.state.api_key.encode()):
        raise CapitalError(401, errors.INVALID_API_KEY)


def get_time(ctx: Ctx) -> Reply:
    return Reply({"serverTime": int(ctx.state.clock() * 1000)})


def get_ping(ctx: Ctx) -> Reply:
    return Reply({"status": "OK"})


def get_encryption_key(ctx: Ctx) -> Reply:
    _valid_api_key(ctx, _check_api_key(ctx))
    return Reply({
        "encryptionKey": ctx.state.password_key.public_key_b64(),
        "timeStamp": int(ctx.state.clock() * 1000),
    })


def _password_matches(ctx: Ctx, password: str, encrypted: bool) -> bool:
    state = ctx.state
    if encrypted:
        try:
            password, stamp = state.password_key.decrypt(password)
        except ValueError:
            return False
        now_ms = state.clock() * 1000
        if stamp > now_ms + _CLOCK_SKEW_MS or now_ms - stamp > state.encryption_key_max_age * 1000:
            return False
    return hmac.compare_digest(password.encode(), state.password.encode())


def post_session(ctx: Ctx) -> Reply:
    state = ctx.state
    key = _check_api_key(ctx)
    if not state.allow("login", key):
        raise CapitalError(429, errors.TOO_MANY_REQUESTS)
    _valid_api_key(ctx, key)
    identifier = req_str(ctx.body, "identifier")
    password = req_str(ctx.body, "password")
    encrypted = opt_bool(ctx.body, "encryptedPassword")
    if identifier.lower() != state.identifier.lower() or not _password_matches(
        ctx, password, encrypted
    ):
        raise CapitalError(401, errors.INVALID_DETAILS)
    session = state.open_session()
    ctx.session, ctx.account_id = session, session.active_account
    account = ctx.account
    return Reply({
        "accountType": "CFD",
        "accountInfo": balance(ctx.market, account.account_id),
        "currencyIsoCode": account.currency,
        "currencySymbol": CURRENCY_SYMBOLS.get(account.currency, account.currency),
        "currentAccountId": account.account_id,
        "streamingHost": _stream_endpoint(ctx),
        "accounts": [
            {
                "accountId": a.account_id,
                "accountName": a.name,
                "preferred": a.preferred,
                "accountType": "CFD",
            }
            for a in ctx.market.accounts()
        ],
        "clientId": state.client_id,
        "timezoneOffset": state.timezone_offset_hours,
        "hasActiveDemoAccounts": state.demo,
        "hasActiveLiveAccounts": not state.demo,
        "trailingStopsEnabled": state.trailing_stops_enabled,
    })


def get_session(ctx: Ctx) -> Reply:
    return Reply({
        "clientId": ctx.state.client_id,
        "accountId": ctx.account_id,
        "timezoneOffset": ctx.state.timezone_offset_hours,
        "locale": "en",
        "currency": ctx.account.currency,
        "streamEndpoint": _stream_endpoint(ctx),
    })


def put_session(ctx: Ctx) -> Reply:
    account_id = req_str(ctx.body, "accountId")
    if account_id == ctx.account_id:
        raise CapitalError(400, errors.NOT_DIFFERENT_ACCOUNT_ID)
    if account_id not in ctx.state.account_ids():
        raise CapitalError(400, errors.INVALID_ACCOUNT_ID)
    assert ctx.session is not None
    ctx.session.active_account = account_id  # the login's tokens now act on this account
    ctx.account_id = account_id
    ctx.state.account_switched(ctx.session.cst)  # "streaming falls off" ([PM] FAQ)
    body: dict[str, Any] = {
        "trailingStopsEnabled": ctx.state.trailing_stops_enabled,
        "dealingEnabled": True,
        "hasActiveDemoAccounts": ctx.state.demo,
        "hasActiveLiveAccounts": not ctx.state.demo,
    }
    return Reply(body)


def delete_session(ctx: Ctx) -> Reply:
    assert ctx.session is not None
    ctx.state.close_session(ctx.session.cst)
    return Reply({"status": "SUCCESS"})


ENDPOINTS = [
    Endpoint("GET", "/time", get_time, auth=False),
    Endpoint("GET", "/ping", get_ping),
    Endpoint("GET", "/session/encryptionKey", get_encryption_key, auth=False),
    Endpoint("POST", "/session", post_session, auth=False),
    Endpoint("GET", "/session", get_session),
    Endpoint("PUT", "/session", put_session),
    Endpoint("DELETE", "/session", delete_session),
]
