"""What every Capital.com request goes through before and after its handler.

Faults, lazy market matching, the session (CST and X-SECURITY-TOKEN, idle expiry), the
documented rate limits, body parsing, ``{"errorCode"}`` errors, and the token echo that
the real server puts on every answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from desktop_app.domain.exact_json import dumps
from desktop_app.simulators.accounts import SimAccount
from desktop_app.simulators.capital import errors
from desktop_app.simulators.capital.errors import CapitalError
from desktop_app.simulators.capital.parsing import parse_body
from desktop_app.simulators.capital.payloads import Clock
from desktop_app.simulators.capital.state import CapitalState, Session
from desktop_app.simulators.market import Market


@dataclass(slots=True)
class Reply:
    body: Any
    status: int = 200


@dataclass(slots=True)
class Ctx:
    request: Request
    state: CapitalState
    params: dict[str, str]
    query: QueryParams
    body: dict[str, Any] = field(default_factory=dict)
    session: Session | None = None
    account_id: str | None = None

    @property
    def market(self) -> Market:
        return self.state.market

    @property
    def account(self) -> SimAccount:
        assert self.account_id is not None
        return self.state.market.account(self.account_id)

    @property
    def clock(self) -> Clock:
        return Clock(self.state.timezone_offset_hours)

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name)
        return value.strip() if value is not None else None


Handler = Callable[[Ctx], Reply]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    template: str  # relative to /api/v1, e.g. "/positions/{dealId}"
    handler: Handler
    auth: bool = True
    trading: bool = False  # counts against the 1000/hour demo trading budget

    @property
    def route(self) -> str:
        return f"{self.method} {self.template}"


def json_response(reply: Reply, headers: dict[str, str] | None = None) -> Response:
    content = b"" if reply.body is None else dumps(reply.body, allow_float=True)
    return Response(content, reply.status, headers=headers, media_type="application/json")


def error_reply(err: CapitalError) -> Reply:
    return Reply({"errorCode": err.code}, err.status)


def _authenticate(ctx: Ctx) -> None:
    state = ctx.state
    session = state.find_session(ctx.header("CST"))
    if session is None:
        raise CapitalError(401, errors.INVALID_SESSION_TOKEN)
    token = ctx.header("X-SECURITY-TOKEN")
    if token and token != session.security_token:
        raise CapitalError(401, errors.INVALID_ACCOUNT_TOKEN)
    account_id = session.active_account
    session.last_used = state.monotonic()
    ctx.session, ctx.account_id = session, account_id
    if not state.allow("session", session.cst):
        raise CapitalError(429, errors.TOO_MANY_REQUESTS)


async def run(request: Request, endpoint: Endpoint, state: CapitalState) -> Response:
    ctx = Ctx(request, state, dict(request.path_params), request.query_params)
    fault = state.take_fault(request.url.path)
    if fault is not None:
        reply = Reply({"errorCode": fault[1]}, fault[0])
    else:
        try:
            state.market.sync()
            if endpoint.auth:
                _authenticate(ctx)
            if endpoint.trading and not state.allow("trading", state.client_id):
                raise CapitalError(429, errors.TOO_MANY_REQUESTS)
            if request.method in ("POST", "PUT", "DELETE"):
                ctx.body = parse_body(await request.body())
            reply = endpoint.handler(ctx)
        except CapitalError as err:
            reply = error_reply(err)
    state.count(endpoint.route, reply.status)
    headers: dict[str, str] = {}
    if ctx.session is not None and ctx.account_id is not None:
        headers["CST"] = ctx.session.cst
        headers["X-SECURITY-TOKEN"] = ctx.session.security_token
    return json_response(reply, headers)
