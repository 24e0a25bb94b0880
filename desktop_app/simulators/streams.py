"""What every simulator's price stream shares: the connection, the knobs, the endpoints.

Each broker supplies a ``StreamProtocol`` (what a client frame means, what to push on each
tick); ``WsConnection`` runs one WebSocket for it: accept (or refuse), a reader task and a
ticker task, sends serialised by a lock. ``LineStream`` does the same for a chunked HTTP
response of JSON lines (Darwinex's Quotes API).

``StreamKnobs`` are the test knobs of one simulator's streams; they are thread-safe (tests
call them from their own thread while the streams run on the simulator's loop):
``drop()`` cuts every live stream (by default abruptly: the TCP connection is reset with
no close frame, as a network fault would), ``refuse(seconds)`` answers new connections
with HTTP 503 for a while, ``stats`` counts opened / refused / dropped streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from desktop_app.simulators.asgi import RAW_SEND

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class StreamEndpoint:
    """A stream a simulator serves, for its bundle and the command line."""

    label: str  # e.g. "market data WebSocket"
    scheme: str  # "ws" or "http"
    path: str  # e.g. "/v1/websocket"


def abort_transport(send: Send | None) -> bool:
    """Reset the TCP connection under uvicorn's ``send`` without another byte."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is None:
        return False
    if hasattr(owner, "disconnected"):
        owner.disconnected = True  # an HTTP cycle: uvicorn must not write a 500 afterwards
    transport.abort()
    return True


class StreamKnobs:
    """Drop and refusal knobs of one simulator's streams, and what they counted."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._live: dict[int, tuple[asyncio.AbstractEventLoop, Callable[[bool], None]]] = {}
        self._refuse_until = 0.0
        self.stats: Counter[str] = Counter()

    def drop(self, *, abrupt: bool = True) -> int:
        """Cut every live stream now; returns how many. ``abrupt=False`` closes them the
        protocol's orderly way (a close frame; Tradovate's ``c`` first)."""
        with self._lock:
            live = list(self._live.values())
        for loop, stop in live:
            with contextlib.suppress(RuntimeError):  # that loop closed meanwhile
                loop.call_soon_threadsafe(stop, abrupt)
        return len(live)

    def refuse(self, seconds: float) -> None:
        """New connections get HTTP 503 for ``seconds`` (0 ends it)."""
        with self._lock:
            self._refuse_until = self._clock() + seconds

    def refusing(self) -> bool:
        with self._lock:
            return self._clock() < self._refuse_until

    def end_all(self) -> None:
        """End every live stream in order (the simulator is stopping)."""
        self.drop(abrupt=False)

    @property
    def live(self) -> int:
        with self._lock:
            return len(self._live)

    def count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def register(self, stop: Callable[[bool], None]) -> int:
        key = next(_ids)
        with self._lock:
            self._live[key] = (asyncio.get_running_loop(), stop)
            self.stats["opened"] += 1
        return key

    def unregister(self, key: int) -> None:
        with self._lock:
            self._live.pop(key, None)


class StreamProtocol(Protocol):
    """One broker's dialect on one connection."""

    async def opened(self, conn: WsConnection) -> None: ...

    async def received(self, conn: WsConnection, text: str) -> None: ...

    async def tick(self, conn: WsConnection, now: float) -> None: ...

    async def closing(self, conn: WsConnection) -> None:
        """Last words before an orderly close (e.g. Tradovate's ``c`` frame)."""


class WsConnection:
    """One WebSocket: ``run`` returns when the client leaves or the stream is stopped."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, knobs: StreamKnobs,
                 tick_seconds: float) -> None:
        self.websocket = WebSocket(scope, receive, send)
        self.knobs = knobs
        self.tick_seconds = tick_seconds
        self._raw_send: Send | None = scope.get(RAW_SEND)
        self._send_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._abrupt = False
        self.close_code = 1000
        self.close_reason = ""
        self.headers = self.websocket.headers

    async def refuse_if_asked(self) -> bool:
        """Answer 503 instead of upgrading while the refusal knob is on."""
        if not self.knobs.refusing():
            return False
        self.knobs.count("refused")
        await deny(self.websocket, 503, b'{"error":"Service Unavailable"}')
        return True

    async def send_text(self, text: str) -> None:
        async with self._send_lock:
            await self.websocket.send_text(text)

    def stop(self, abrupt: bool = False, code: int = 1000, reason: str = "") -> None:
        """Ask ``run`` to end the connection (loop thread only; knobs use ``StreamKnobs``)."""
        if not self._stop.is_set():
            self._abrupt, self.close_code, self.close_reason = abrupt, code, reason
            self._stop.set()

    def _dropped(self, abrupt: bool) -> None:
        self.knobs.count("dropped")
        self.stop(abrupt, 1001, "Dropped by the simulator")

    async def run(self, protocol: StreamProtocol) -> None:
        await self.websocket.accept()
        key = self.knobs.register(self._dropped)
        tasks: list[asyncio.Task[Any]] = []
        try:
            await protocol.opened(self)
            tasks = [
                asyncio.create_task(self._read(protocol)),
                asyncio.create_task(self._tick(protocol)),
                asyncio.create_task(self._stop.wait()),
            ]
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            reader_ended = tasks[0] in done and not self._stop.is_set()
            await _cancel(tasks)
            if reader_ended:
                return  # the client went away
            if self._abrupt and abort_transport(self._raw_send):
                return
            with contextlib.suppress(Exception):
                await protocol.closing(self)
                await self.websocket.close(self.close_code, self.close_reason)
        except (WebSocketDisconnect, OSError, RuntimeError):
            pass  # the client left while we were writing to it
        except Exception:
            log.exception("simulator stream failed")
            with contextlib.suppress(Exception):
                await self.websocket.close(1011, "Internal error")
        finally:
            await _cancel(tasks)
            self.knobs.unregister(key)


    async def _read(self, protocol: StreamProtocol) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode("utf-8", "replace")
            if text is not None:
                await protocol.received(self, text)

    async def _tick(self, protocol: StreamProtocol) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)
            await protocol.tick(self, time.monotonic())


async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(BaseException):
            await task


async def deny(websocket: WebSocket, status: int, body: bytes,
               media_type: str = "application/json") -> None:
    """Refuse the upgrade with an HTTP answer (or a plain close if the server cannot)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(Response(body, status, media_type=media_type))
    else:  # pragma: no cover - uvicorn's WebSocket implementations all offer it
        await websocket.close(1008)


class LineStream:
    """A chunked HTTP 200 of JSON lines from ``lines`` until the client leaves, the
    iterator ends (an orderly end of stream) or the drop knob cuts it."""

    def __init__(self, lines: AsyncIterator[bytes], knobs: StreamKnobs,
                 headers: dict[str, str] | None = None) -> None:
        self.lines = lines
        self.knobs = knobs
        self.headers = headers or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stop = asyncio.Event()
        how = {"abrupt": False}

        def dropped(abrupt: bool) -> None:
            self.knobs.count("dropped")
            how["abrupt"] = abrupt
            stop.set()

        key = self.knobs.register(dropped)
        headers = [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        tasks: list[asyncio.Task[Any]] = []
        try:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            writer = asyncio.create_task(self._write(send))
            gone = asyncio.create_task(_client_gone(receive))
            tasks = [writer, gone, asyncio.create_task(stop.wait())]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            await _cancel(tasks)
            if stop.is_set() and how["abrupt"] and abort_transport(scope.get(RAW_SEND)):
                return
            if not gone.done() or gone.cancelled():
                with contextlib.suppress(Exception):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await _cancel(tasks)  # also when the server cancels us
            self.knobs.unregister(key)
            with contextlib.suppress(Exception):
                await self.lines.aclose()  # type: ignore[attr-defined]

    async def _write(self, send: Send) -> None:
        async for line in self.lines:
            await send({"type": "http.response.body", "body": line, "more_body": True})


async def _client_gone(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
