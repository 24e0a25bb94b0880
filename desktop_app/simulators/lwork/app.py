"""The LWork TW API as an ASGI app at the server root (``/v1/api/...``, ``/v2/api/...``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from desktop_app.simulators.asgi import SimulatorASGI
from desktop_app.simulators.lwork import info_routes, money_routes
from desktop_app.simulators.lwork.pipeline import Endpoint, Pipeline
from desktop_app.simulators.lwork.state import LWorkState

ENDPOINTS: list[Endpoint] = [*info_routes.ENDPOINTS, *money_routes.ENDPOINTS]
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


def create_app(state: LWorkState) -> SimulatorASGI:
    pipeline = Pipeline(state, ENDPOINTS)

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        reply = pipeline.process(request.method, request.url.path,
                                 dict(request.query_params), request.headers, body)
        return Response(reply.content(), reply.status, media_type="application/json")

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=_METHODS)])
    return SimulatorASGI(app, state)
