"""Outermost ASGI layer of a simulator: tolerant paths, reply delays, dropped connections."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from desktop_app.simulators.faults import SimulatorKnobs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SLASHES = re.compile(r"/{2,}")
# The server's own ``send`` rides in the scope, so a stream deep inside starlette (whose
# middleware wraps ``send``) can still reset its connection for the drop knobs.
RAW_SEND = "simulator.raw_send"


def normalise_path(path: str) -> str:
    """Some clients send ``//api/v1/...`` or a trailing slash; serve them like the plain path."""
    path = _SLASHES.sub("/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


class ConnectionDropped(Exception):
    """Raised when the server gives no way to close the connection silently."""


def _abort_connection(send: Send) -> bool:
    """Close the TCP connection under uvicorn's ``send`` without writing a byte.

    uvicorn hands the app a bound method of its request cycle, which holds the transport.
    Marking the cycle disconnected keeps uvicorn from writing a 500 afterwards.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(cycle, "disconnected"):
        return False
    cycle.disconnected = True
    transport.abort()
    return True


class SimulatorASGI:
    def __init__(self, app: ASGIApp, knobs: SimulatorKnobs) -> None:
        self.app = app
        self.knobs = knobs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(dict(scope, **{RAW_SEND: send}), receive, send)
            return
        path = normalise_path(scope["path"])
        scope = dict(scope, path=path, raw_path=path.encode(), **{RAW_SEND: send})
        drop = self.knobs.take_drop(path)
        delay = self.knobs.delay_seconds
        if not drop and delay <= 0:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        if drop:
            if _abort_connection(send):
                return
            raise ConnectionDropped("drop_reply_next: reply withheld")
        await asyncio.sleep(delay)
        for message in held:
            await send(message)
