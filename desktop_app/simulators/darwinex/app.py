"""The Darwinex APIs as one ASGI app (starlette): one host, like https://api.darwinex.com."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from desktop_app.simulators.asgi import SimulatorASGI
from desktop_app.simulators.darwinex import (
    account_routes,
    errors,
    info_routes,
    quote_stream,
    token_routes,
    trading_routes,
)
from desktop_app.simulators.darwinex.pipeline import Endpoint, Reply, respond, run
from desktop_app.simulators.darwinex.state import DarwinexState

ENDPOINTS: list[Endpoint] = [
    *token_routes.ENDPOINTS,
    *account_routes.ENDPOINTS,
    *trading_routes.ENDPOINTS,
    *info_routes.ENDPOINTS,
    *quote_stream.ENDPOINTS,
]
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def _gateway_error(error: errors.DarwinexError) -> Response:
    return respond(Reply(error.body, error.status), None)


def _route(path: str, by_method: dict[str, Endpoint], state: DarwinexState) -> Route:
    async def endpoint(request: Request) -> Response:
        found = by_method.get("GET" if request.method == "HEAD" else request.method)
        if found is None:
            state.count(f"{request.method} {path}", 405)
            return _gateway_error(errors.method_not_allowed())
        return await run(request, found, state)

    return Route(path, endpoint, methods=_METHODS)


def _not_found(state: DarwinexState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state.count(f"{request.method} {request.url.path}", 404)
        return _gateway_error(errors.no_matching_resource())

    return endpoint


def create_app(state: DarwinexState) -> SimulatorASGI:
    grouped: dict[str, dict[str, Endpoint]] = {}
    for endpoint in ENDPOINTS:
        grouped.setdefault(endpoint.path, {})[endpoint.method] = endpoint
    routes: list[Route | WebSocketRoute] = [
        WebSocketRoute(quote_stream.WS_PATH, quote_stream.QuoteSocketEndpoint(state))]
    routes += [_route(path, methods, state) for path, methods in grouped.items()]
    routes.append(Route("/{path:path}", _not_found(state), methods=_METHODS))
    return SimulatorASGI(Starlette(routes=routes), state)
