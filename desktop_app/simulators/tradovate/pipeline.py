"""What every Tradovate request goes through around its handler.

In order: the lock-out (429, empty body), forced 429/423, the general budget, the route
(404 unknown path, 405 wrong method; paths are case-insensitive), the body (400 if not
JSON), penalty tickets (redeem a resent ``p-ticket``, or earn a penalty), the Bearer
token (401), lazy order matching, then the handler. Handlers answer business errors with
HTTP 200, as Tradovate does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from desktop_app.domain.exact_json import dumps
from desktop_app.simulators.tradovate.catalog import Catalog
from desktop_app.simulators.tradovate.limits import Penalty
from desktop_app.simulators.tradovate.parsing import BadRequest, Violations, parse_body
from desktop_app.simulators.tradovate.state import Token, TradovateState
from desktop_app.simulators.tradovate.trading import Book


@dataclass(slots=True)
class Reply:
    body: Any  # None: an empty body
    status: int = 200

    def content(self) -> bytes:
        return b"" if self.body is None else dumps(self.body, allow_float=True)


class HttpError(Exception):
    def __init__(self, status: int, text: str | None = None) -> None:
        super().__init__(f"{status} {text or ''}")
        self.reply = Reply({"errorText": text} if text else None, status)


def not_found(what: str) -> HttpError:
    return HttpError(404, f"{what} not found")


@dataclass(slots=True)
class Ctx:
    state: TradovateState
    method: str
    path: str  # relative to /v1, lower case
    query: dict[str, str]  # parameter names in lower case
    body: dict[str, Any] = field(default_factory=dict)
    token: Token | None = None

    @property
    def book(self) -> Book:
        return self.state.book

    @property
    def catalog(self) -> Catalog:
        return self.state.catalog

    def query_text(self, name: str) -> str:
        value = self.query.get(name)
        if value is None or not value.strip():
            raise HttpError(400, f"Missing query parameter {name}")
        return value.strip()

    def query_int(self, name: str) -> int:
        text = self.query_text(name)
        if not text.isdigit():
            raise HttpError(400, f"Query parameter {name} should be an integer")
        return int(text)

    def query_ints(self, name: str) -> list[int]:
        parts = [part.strip() for part in self.query_text(name).split(",") if part.strip()]
        if not parts or not all(part.isdigit() for part in parts):
            raise HttpError(400, f"Query parameter {name} should be integers separated by commas")
        return [int(part) for part in parts]


Handler = Callable[[Ctx], Reply]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str  # relative to /v1, lower case
    handler: Handler
    auth: bool = True
    market_data_ok: bool = False  # an mdAccessToken is accepted too
    rest_quote: bool = False  # simulator-only (real Tradovate has none): see state.rest_quotes

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def _bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class Pipeline:
    def __init__(self, state: TradovateState, endpoints: list[Endpoint]) -> None:
        self.state = state
        self.endpoints = {(e.method, e.path): e for e in endpoints}
        self.paths = {e.path for e in endpoints}
        self.rest_quote_paths = {e.path for e in endpoints if e.rest_quote}

    def process(self, method: str, raw_path: str, query: Mapping[str, str],
                headers: Mapping[str, str], raw_body: bytes) -> Reply:
        state = self.state
        method = "GET" if method == "HEAD" else method
        path = state.relative(raw_path)
        route = f"{method} {path}"
        with state.lock:
            limiter = state.limiter
            if limiter.locked():
                reply = Reply(None, 429)
            elif (forced := limiter.take_forced(path)) is not None:
                reply = Reply(None, forced)
            elif (status := limiter.general()) is not None:
                reply = Reply(None, status)
            else:
                try:
                    reply = self._dispatch(method, path, route, query, headers, raw_body)
                except HttpError as err:
                    reply = err.reply
                except Violations as err:
                    reply = Reply(err.body())
        state.count(route, reply.status)
        return reply

    def _dispatch(self, method: str, path: str, route: str, query: Mapping[str, str],
                  headers: Mapping[str, str], raw_body: bytes) -> Reply:
        state = self.state
        if path not in self.paths or (path in self.rest_quote_paths and not state.rest_quotes):
            raise HttpError(404, f"Unknown path {path}")
        endpoint = self.endpoints.get((method, path))
        if endpoint is None:
            raise HttpError(405, f"{method} is not allowed on {path}")
        params = {key.lower(): value for key, value in query.items()}
        body: dict[str, Any] = {}
        if method == "POST":
            try:
                body = parse_body(raw_body)
            except BadRequest as exc:
                raise HttpError(400, str(exc)) from exc
            ticket = body.pop("p-ticket", None)
            identity = body
        else:
            ticket = params.pop("p-ticket", None)
            identity = dict(params)
        penalty = self._penalty(path, route, ticket, identity)
        if penalty is not None:
            return penalty
        ctx = Ctx(state, method, path, params, body)
        if endpoint.auth:
            ctx.token = state.find_token(_bearer(headers),
                                         market_data_ok=endpoint.market_data_ok)
            if ctx.token is None:
                raise HttpError(401, "Access is denied")
        state.book.sync()
        return endpoint.handler(ctx)

    def _penalty(self, path: str, route: str, ticket: Any,
                 identity: dict[str, Any]) -> Reply | None:
        """A penalty (or refused ticket) reply; None lets the request through."""
        limiter = self.state.limiter
        if ticket is not None:
            verdict = limiter.redeem(ticket, route, identity)
            if isinstance(verdict, str):
                return Reply({"errorText": verdict, "ok": False})
        else:
            verdict = limiter.penalty_for(path, route, identity)
        if isinstance(verdict, Penalty):
            self.state.bump("penalties", route)
            return Reply(verdict.body())
        return None
