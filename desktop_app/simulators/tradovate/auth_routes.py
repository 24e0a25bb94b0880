"""/auth: access token request, renewal, and the calling user."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from desktop_app.simulators.tradovate import payloads
from desktop_app.simulators.tradovate.parsing import Reader
from desktop_app.simulators.tradovate.pipeline import Ctx, Endpoint, Reply
from desktop_app.simulators.tradovate.state import Token, TradovateState

# UNCONFIRMED wording (third-party notes); also the answer for a wrong appId, cid or sec.
BAD_LOGIN = "Incorrect username or password. Please try again."


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _token_reply(state: TradovateState, token: Token) -> Reply:
    return Reply(payloads.access_token(
        token.value, token.md_value, datetime.fromtimestamp(token.expires_at, UTC),
        state.user_id, state.username, state.environment == "live",
    ))


def access_token_request(ctx: Ctx) -> Reply:
    state = ctx.state
    reader = Reader(ctx.body)
    name = reader.text("name", required=True, max_length=64)
    password = reader.text("password", required=True, max_length=64)
    app_id = reader.text("appId", max_length=64)
    reader.text("appVersion", max_length=64)
    device_id = reader.text("deviceId", max_length=64)
    cid = reader.text("cid", max_length=64, numbers_ok=True)
    sec = reader.text("sec", max_length=8192)
    reader.done()
    assert name is not None
    valid = (
        name.lower() == state.username.lower()
        and _same(password, state.password)
        and app_id == state.app_id
        and _same(cid, state.cid)
        and _same(sec, state.sec)
    )
    if not valid:
        state.limiter.login_failed()
        state.bump("failed_logins")
        return Reply({"errorText": BAD_LOGIN})
    state.limiter.login_succeeded()
    state.bump("logins")
    return _token_reply(state, state.open_session(device_id or "", app_id or ""))


def renew_access_token(ctx: Ctx) -> Reply:
    assert ctx.token is not None
    ctx.state.bump("renewals")
    return _token_reply(ctx.state, ctx.state.issue_token(ctx.token.session))


def me(ctx: Ctx) -> Reply:
    state = ctx.state
    return Reply({
        "userId": state.user_id,
        "name": state.username,
        "fullName": "Demo Trader",
        "email": f"{state.username}@example.com",
        "emailVerified": True,
        "isTrial": False,
    })


ENDPOINTS = [
    Endpoint("POST", "/auth/accesstokenrequest", access_token_request, auth=False),
    Endpoint("GET", "/auth/renewaccesstoken", renew_access_token),
    Endpoint("GET", "/auth/me", me),
]
