"""The Tradovate REST dialect as an ASGI app, under /v1 (paths in any letter case), and
the market-data WebSocket at /v1/websocket (the md host's path)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from desktop_app.simulators.asgi import SimulatorASGI
from desktop_app.simulators.tradovate import (
    account_routes,
    auth_routes,
    contract_routes,
    order_routes,
    reference_routes,
    session_routes,
)
from desktop_app.simulators.tradovate.md_stream import PATH as MD_PATH
from desktop_app.simulators.tradovate.md_stream import MdEndpoint
from desktop_app.simulators.tradovate.pipeline import Endpoint, Pipeline
from desktop_app.simulators.tradovate.state import TradovateState

ENDPOINTS: list[Endpoint] = [
    *auth_routes.ENDPOINTS,
    *account_routes.ENDPOINTS,
    *contract_routes.ENDPOINTS,
    *order_routes.ENDPOINTS,
    *session_routes.ENDPOINTS,
    *reference_routes.ENDPOINTS,
]
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


def create_app(state: TradovateState) -> SimulatorASGI:
    pipeline = Pipeline(state, ENDPOINTS)

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        reply = pipeline.process(request.method, request.url.path, dict(request.query_params),
                                 request.headers, body)
        media_type = "application/json" if reply.body is not None else None
        return Response(reply.content(), reply.status, media_type=media_type)

    app = Starlette(routes=[
        WebSocketRoute(MD_PATH, MdEndpoint(state)),
        Route("/{path:path}", endpoint, methods=_METHODS),
    ])
    return SimulatorASGI(app, state)
