"""What every request to the Upvest simulator goes through, in this order.

Injected faults; the rate limit (429 ``too_many_requests``, no ``Retry-After``:
UNCONFIRMED); ``upvest-client-id`` (400 ``missing_client_id``; another tenant's id 401);
the v15 signature (``verify``: 401); the bearer token (all but ``/auth/token``: 401
"Access token is missing or invalid" / "Access token has expired") and its scopes (403);
on creating POSTs the ``idempotency-key`` (400 ``missing_idempotency_key``; the same key
with the same body answers the first reply again without doing anything; with another
body 422: UNCONFIRMED); the JSON body (400); then the handler, after ``sync``.
Every reply carries ``upvest-request-id``; errors are ``application/problem+json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from desktop_app.domain.exact_json import dumps
from desktop_app.simulators.upvest.problems import (
    Problem,
    bad_request,
    forbidden,
    unauthorised,
    unprocessable,
)
from desktop_app.simulators.upvest.state import Token, UpvestState
from desktop_app.simulators.upvest.verify import Message, SignatureRefused

UUID_PATTERN = (
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-5][0-9a-fA-F]{3}-?[089abAB][0-9a-fA-F]{3}-?"
    r"[0-9a-fA-F]{12}$"
)
SORTS = ("created_at", "updated_at")


@dataclass(slots=True)
class Reply:
    body: Any = None
    status: int = 200


@dataclass(slots=True)
class Ctx:
    request: Request
    state: UpvestState
    params: dict[str, str]
    query: QueryParams
    raw: bytes = b""
    body: dict[str, Any] = field(default_factory=dict)
    token: Token | None = None
    form: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Ctx], Reply]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    scopes: tuple[str, ...] = ()  # any one of them grants it; () for /auth/token
    creating: bool = False  # needs an idempotency-key
    json_body: bool = False

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def paging(ctx: Ctx, sorts: tuple[str, ...] = SORTS) -> tuple[int, int, str, str]:
    """(offset, limit, sort, order) after UP-SPEC's rules; a 400 otherwise."""
    q = ctx.query
    try:
        offset = int(q.get("offset") or 0)
        limit = int(q["limit"]) if q.get("limit") not in (None, "") else 100
    except ValueError:
        raise bad_request("offset and limit must be integers") from None
    if offset < 0:
        raise bad_request("offset must be greater than or equal to 0")
    if not 0 <= limit <= 1000:
        raise bad_request("limit must be between 0 and 1000")
    sort = q.get("sort") or "created_at"
    if sort not in sorts:
        raise bad_request(f"sort must be one of {', '.join(sorts)}")
    order = q.get("order") or "ASC"
    if order not in ("ASC", "DESC"):
        raise bad_request("order must be ASC or DESC")
    return offset, limit, sort, order


def listing(ctx: Ctx, items: list[Any], sorts: tuple[str, ...] = SORTS) -> Reply:
    """One page of ``items`` (each with ``created``/``updated``/``id`` and ``payload()``)."""
    offset, limit, sort, order = paging(ctx, sorts)
    attr = "created" if sort == "created_at" else "updated"
    ordered = sorted(items, key=lambda i: (getattr(i, attr, 0.0), getattr(i, "id", "")),
                     reverse=order == "DESC")
    chosen = ordered[offset:offset + limit]
    return Reply({
        "meta": {"offset": offset, "limit": limit, "count": len(chosen),
                 "total_count": len(items), "sort": sort, "order": order},
        "data": [i.payload() for i in chosen],
    })


def _reply(status: int, body: Any, request_id: str, *, problem: bool = False) -> Response:
    headers = {"upvest-request-id": request_id}
    if body is None:
        return Response(b"", status, headers=headers)
    media = "application/problem+json" if problem else "application/json"
    return Response(dumps(body, allow_float=True), status, headers=headers, media_type=media)


def problem_response(p: Problem, request_id: str) -> Response:
    return _reply(p.status, p.body(request_id), request_id, problem=True)


def _bearer(request: Request) -> str:
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _message(request: Request) -> Message:
    scope = request.scope
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string") or b""
    url = f"http://{request.headers.get('host', 'localhost')}{path.decode('latin-1')}"
    if query:
        url += "?" + query.decode("latin-1")
    return Message(request.method, url, request.headers)


def _authenticate(ctx: Ctx, endpoint: Endpoint) -> None:
    state, request = ctx.state, ctx.request
    client_id = request.headers.get("upvest-client-id")
    if not client_id:
        raise Problem(400, "missing_client_id", "The upvest-client-id header is missing")
    if client_id != state.client_id:
        raise unauthorised("Unknown client")
    try:
        state.verifier.verify(_message(request), request.url.path,
                              bool(request.scope.get("query_string")), ctx.raw)
    except SignatureRefused as refused:
        state.refusals.append(refused.detail)
        raise unauthorised(refused.detail) from None
    if not endpoint.scopes:
        return
    token = state.tokens.get(_bearer(request))
    if token is None:
        state.refusals.append("token")
        raise unauthorised("Access token is missing or invalid")
    if token.expires_at <= state.monotonic():
        state.refusals.append("stale token")
        raise unauthorised("Access token has expired")
    if not token.scopes.intersection(endpoint.scopes):
        raise forbidden(f"The access token lacks the scope {endpoint.scopes[-1]}")
    ctx.token = token


def _parse_json(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Malformed request body") from None
    if not isinstance(body, dict):
        raise bad_request("Malformed request body")
    return body


def _process(ctx: Ctx, endpoint: Endpoint, request_id: str) -> Response:
    state = ctx.state
    _authenticate(ctx, endpoint)
    key_entry: tuple[str, str] | None = None
    digest = hashlib.sha256(ctx.raw).hexdigest()
    if endpoint.creating:
        key = ctx.request.headers.get("idempotency-key", "")
        if not key:
            raise Problem(400, "missing_idempotency_key",
                          "The request requires an idempotency-key header")
        if not re.match(UUID_PATTERN, key):
            raise bad_request("idempotency-key must be a UUID")
        key_entry = (state.client_id, key)
        state.keys_seen.setdefault(endpoint.route, set()).add(key)
        stored = state.idempotency.get(key_entry)
        if stored is not None:
            route, body_digest, status, content = stored
            if route != endpoint.route or body_digest != digest:
                raise unprocessable(
                    "The idempotency key was already used with a different request")
            state.idempotent_replays += 1
            return Response(content, status, headers={"upvest-request-id": request_id},
                            media_type="application/json")
    if endpoint.json_body:
        ctx.body = _parse_json(ctx.raw)
    state.sync()
    reply = endpoint.handler(ctx)
    response = _reply(reply.status, reply.body, request_id)
    if key_entry is not None and 200 <= reply.status < 300:
        state.idempotency[key_entry] = (endpoint.route, digest, reply.status, response.body)
        state.created[endpoint.route] += 1
    return response


async def run(request: Request, endpoint: Endpoint, state: UpvestState) -> Response:
    request_id = str(uuid.uuid4())
    fault = state.take_fault(request.url.path)
    if fault is not None:
        response = problem_response(Problem(fault[0], fault[1]), request_id)
    elif not state.limit_ok(request.headers.get("upvest-client-id") or "anonymous"):
        response = problem_response(Problem(429, "too_many_requests"), request_id)
    else:
        raw = await request.body()
        ctx = Ctx(request, state, dict(request.path_params), request.query_params, raw)
        try:
            with state.lock:
                response = _process(ctx, endpoint, request_id)
        except Problem as p:
            response = problem_response(p, request_id)
    state.count(endpoint.route, response.status_code)
    return response
