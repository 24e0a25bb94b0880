"""The Upvest Investment API as one ASGI app (starlette), like https://sandbox.upvest.co."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from desktop_app.simulators.asgi import SimulatorASGI
from desktop_app.simulators.upvest import account_routes, trading_routes, webhook_routes
from desktop_app.simulators.upvest.pipeline import Endpoint, problem_response, run
from desktop_app.simulators.upvest.problems import Problem
from desktop_app.simulators.upvest.state import UpvestState

ENDPOINTS: list[Endpoint] = [
    *account_routes.ENDPOINTS,
    *trading_routes.ENDPOINTS,
    *webhook_routes.ENDPOINTS,
]
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def _route(path: str, by_method: dict[str, Endpoint], state: UpvestState) -> Route:
    async def endpoint(request: Request) -> Response:
        found = by_method.get(request.method)
        if found is None:
            state.count(f"{request.method} {path}", 405)
            return problem_response(Problem(405, "method_not_allowed"), "")
        return await run(request, found, state)

    return Route(path, endpoint, methods=_METHODS)


def _not_found(state: UpvestState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state.count(f"{request.method} {request.url.path}", 404)
        return problem_response(Problem(404, "not_found", "No such path"), "")

    return endpoint


def create_app(state: UpvestState) -> SimulatorASGI:
    grouped: dict[str, dict[str, Endpoint]] = {}
    for endpoint in ENDPOINTS:
        grouped.setdefault(endpoint.path, {})[endpoint.method] = endpoint
    routes = [_route(path, methods, state) for path, methods in grouped.items()]
    routes.append(Route("/{path:path}", _not_found(state), methods=_METHODS))
    return SimulatorASGI(Starlette(routes=routes), state)
