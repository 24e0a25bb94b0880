"""What every Darwinex request goes through: the WSO2 gateway, then the backend.

Order as in WSO2's handler chain: injected faults, the Bearer token (401 fault), the
throttling windows (429 fault), then the backend: investor account ownership (403),
conditional-order matching, body parsing and the handler.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from desktop_app.domain.exact_json import dumps
from desktop_app.simulators.darwinex import errors
from desktop_app.simulators.darwinex.book import Book, InvestorAccount
from desktop_app.simulators.darwinex.errors import DarwinexError
from desktop_app.simulators.darwinex.state import DarwinexState, ThrottleLimits
from desktop_app.simulators.darwinex.throttle import Window
from desktop_app.simulators.darwinex.tokens import AccessToken


class Api(Enum):
    INFO = "/darwininfo/2.0"
    ACCOUNTS = "/investoraccountinfo/2.0"
    TRADING = "/trading/1.1"
    QUOTES = "/quotes/1.0"


# The recorded Investor Account Info replies carry a charset; the Info API's do not.
_MEDIA = {
    Api.INFO: "application/json",
    Api.ACCOUNTS: "application/json;charset=UTF-8",
    Api.TRADING: "application/json;charset=UTF-8",
    Api.QUOTES: "application/json",
    None: "application/json",
}
_BODY_METHODS = ("POST", "PUT", "DELETE", "PATCH")


@dataclass(slots=True)
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    empty: bool = False  # 200 with no body at all (what a void Spring method answers)
    raw: bytes | None = None
    stream: Any = None  # an ASGI app that streams the body (the Quotes API)


@dataclass(slots=True)
class Ctx:
    request: Request
    state: DarwinexState
    params: dict[str, str]
    query: QueryParams
    raw_body: bytes = b""
    body: dict[str, Any] = field(default_factory=dict)
    token: AccessToken | None = None
    _account: InvestorAccount | None = None

    @property
    def book(self) -> Book:
        return self.state.book

    @property
    def account(self) -> InvestorAccount:
        assert self._account is not None
        return self._account

    @property
    def now(self) -> float:
        return self.state.clock()

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name)
        return value.strip() if value is not None else None


Handler = Callable[[Ctx], Reply]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    template: str  # relative to the API's root, e.g. "/investoraccounts/{accountId}"
    handler: Handler
    api: Api | None  # None: the token endpoint (no Bearer, no throttling)
    scores: bool = False  # counts against the ~10/min budget of /dxscore, /scores, /history
    json_body: bool = False

    @property
    def path(self) -> str:
        return (self.api.value if self.api is not None else "") + self.template

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def respond(reply: Reply, api: Api | None) -> Response:
    if reply.stream is not None:
        return reply.stream  # type: ignore[no-any-return]  # an ASGI app, as Response is
    if reply.raw is not None:
        content = reply.raw
    elif reply.empty:
        return Response(b"", reply.status, headers=reply.headers)
    else:
        content = dumps(reply.body, allow_float=True)
    headers = {**reply.headers, "content-type": _MEDIA[api]}
    return Response(content, reply.status, headers=headers)


def bearer(ctx: Ctx) -> str | None:
    value = ctx.header("Authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def windows(
    endpoint: Endpoint, token: AccessToken, account_key: str | None, limits: ThrottleLimits
) -> list[Window]:
    assert endpoint.api is not None
    env = token.env
    found = [
        Window(f"api:{endpoint.api.name}", limits.per_api_per_second, 1.0),
        Window(f"user:{env}", limits.per_user_per_minute, 60.0),
    ]
    if endpoint.scores:
        found.append(Window(f"scores:{env}", limits.scores_per_minute, 60.0))
    if endpoint.api is Api.ACCOUNTS:
        # Per investor account; the account list (no id) counts per token.
        key = f"account:{env}:{account_key}" if account_key else f"token:{token.value}"
        found.append(Window(key, limits.account_info_per_minute, 60.0))
    return found


def parse_json(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.bad_request("Malformed request body.") from exc
    if not isinstance(body, dict):
        raise errors.bad_request("Malformed request body.")
    return body


def _process(ctx: Ctx, endpoint: Endpoint) -> Reply:
    state = ctx.state
    try:
        if endpoint.api is not None:
            ctx.token = state.tokens.find(bearer(ctx))
            if ctx.token is None:
                raise errors.invalid_credentials()
            account_key = ctx.params.get("accountId")
            state.admit(windows(endpoint, ctx.token, account_key, state.limits))
            if account_key is not None:
                try:
                    account_id = int(account_key)
                except ValueError:
                    raise errors.bad_request(f"Invalid account id {account_key}.") from None
                ctx._account = state.accessible(ctx.token.env, account_id)
        state.book.match()
        if endpoint.json_body:
            ctx.body = parse_json(ctx.raw_body)
        return endpoint.handler(ctx)
    except DarwinexError as err:
        return Reply(err.body, err.status, dict(err.headers))


async def run(request: Request, endpoint: Endpoint, state: DarwinexState) -> Response:
    fault = state.take_fault(request.url.path)
    if fault is not None:
        reply = Reply(status=fault[0], raw=fault[1].encode())
    else:
        raw = await request.body() if request.method in _BODY_METHODS else b""
        ctx = Ctx(request, state, dict(request.path_params), request.query_params, raw)
        with state.lock:
            reply = _process(ctx, endpoint)
    state.count(endpoint.route, reply.status)
    return respond(reply, endpoint.api)
