"""The Capital.com REST dialect as an ASGI app (starlette), under /api/v1."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from desktop_app.simulators.asgi import SimulatorASGI
from desktop_app.simulators.capital import (
    account_routes,
    errors,
    history_routes,
    market_routes,
    session_routes,
    trading_routes,
)
from desktop_app.simulators.capital.pipeline import Endpoint, Reply, json_response, run
from desktop_app.simulators.capital.state import API_ROOT, CapitalState
from desktop_app.simulators.capital.stream import PATH as STREAM_PATH
from desktop_app.simulators.capital.stream import StreamEndpoint

ENDPOINTS: list[Endpoint] = [
    *session_routes.ENDPOINTS,
    *account_routes.ENDPOINTS,
    *history_routes.ENDPOINTS,
    *market_routes.ENDPOINTS,
    *trading_routes.ENDPOINTS,
]
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def _route(template: str, by_method: dict[str, Endpoint], state: CapitalState) -> Route:
    async def endpoint(request: Request) -> Response:
        found = by_method.get("GET" if request.method == "HEAD" else request.method)
        if found is None:
            state.count(f"{request.method} {template}", 405)
            return json_response(Reply({"errorCode": errors.METHOD_NOT_ALLOWED}, 405))
        return await run(request, found, state)

    return Route(API_ROOT + template, endpoint, methods=_METHODS)


def _not_found(state: CapitalState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state.count(f"{request.method} {state.relative(request.url.path)}", 404)
        return json_response(Reply({"errorCode": errors.NOT_FOUND}, 404))

    return endpoint


def create_app(state: CapitalState) -> SimulatorASGI:
    grouped: dict[str, dict[str, Endpoint]] = {}
    for endpoint in ENDPOINTS:
        grouped.setdefault(endpoint.template, {})[endpoint.method] = endpoint
    routes: list[Route | WebSocketRoute] = [WebSocketRoute(STREAM_PATH, StreamEndpoint(state))]
    routes += [_route(template, methods, state) for template, methods in grouped.items()]
    routes.append(Route("/{path:path}", _not_found(state), methods=_METHODS))
    return SimulatorASGI(Starlette(routes=routes), state)
