"""A quote stream over one WebSocket (the ``websockets`` library), shared by the brokers.

A broker's stream subclasses ``WsQuoteStream`` and writes only its dialect: the handshake
headers, what to send once connected (``authorise``), what a text frame means
(``received``), its heartbeat and its subscribe / unsubscribe requests. This base owns
the connection, the reader and heartbeat tasks, replies matched to their requests, and
the one reason the stream ended (``closed()``). It never reconnects: the session opens a
new stream (see ``domain.streaming``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from desktop_app.domain.errors import AuthError, BrokerError, RateLimited
from desktop_app.domain.streaming import QuoteSink, StreamClosed
from desktop_app.domain.types import Quote

log = logging.getLogger(__name__)

OPEN_TIMEOUT = 10.0
REPLY_TIMEOUT = 10.0
CLOSE_TIMEOUT = 2.0
MAX_MESSAGE = 4 * 1024 * 1024
# websockets' own ping frames: a connection that went silent (no TCP reset) is noticed.
PING_INTERVAL = 20.0
PING_TIMEOUT = 20.0


class WsQuoteStream:
    """The shared part of a broker's WebSocket quote stream (see the module docstring)."""

    broker = ""  # the name traders read ("Tradovate"), for messages
    max_symbols: int | None = None
    limit_text = ""

    def __init__(
        self,
        url: str,
        *,
        heartbeat_seconds: float | None = None,
        open_timeout: float = OPEN_TIMEOUT,
        reply_timeout: float = REPLY_TIMEOUT,
        tap: QuoteSink | None = None,
        on_live: Callable[[bool], None] | None = None,
    ) -> None:
        self.url = url
        self.heartbeat_seconds = heartbeat_seconds
        self.open_timeout = open_timeout
        self.reply_timeout = reply_timeout
        # The service's own look at every price (a cache of its own), before the sink.
        self._tap = tap
        self._on_live = on_live
        self._sink: QuoteSink | None = None
        self._ws: ClientConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._replies: dict[Hashable, asyncio.Future[Any]] = {}
        self._ended = asyncio.Event()
        self._reason: BrokerError | None = None
        self.received_frames = 0

    # ------------------------------------------------------------------ the contract

    async def open(self, sink: QuoteSink) -> None:
        self._sink = sink
        try:
            await self._connect()
            await self.authorise()
        except BaseException:
            await self.close()
            raise
        if self.heartbeat_seconds:
            self._tasks.append(asyncio.get_running_loop().create_task(
                self._beat(self.heartbeat_seconds), name=f"{self.broker}-stream-heartbeat"))
        self._live(True)

    async def subscribe(self, symbols: Sequence[str]) -> dict[str, str]:
        raise NotImplementedError

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        raise NotImplementedError

    async def closed(self) -> BrokerError:
        await self._ended.wait()
        assert self._reason is not None
        return self._reason

    async def close(self) -> None:
        self.end(StreamClosed("The price stream was closed by the app.",
                              broker=self.broker))
        tasks, self._tasks = self._tasks, []
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                task.cancel()
        await asyncio.gather(*(t for t in tasks if t is not current), return_exceptions=True)
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), CLOSE_TIMEOUT)

    # ------------------------------------------------------------------ for the dialects

    async def handshake_headers(self) -> dict[str, str]:
        """Headers of the upgrade request (a Bearer token, ...)."""
        return {}

    async def authorise(self) -> None:
        """What the broker wants once connected, before anything is subscribed."""

    def received(self, text: str) -> None:
        """One text frame from the broker."""
        raise NotImplementedError

    async def heartbeat(self) -> None:
        """Sent every ``heartbeat_seconds`` while the stream is up."""

    def lost(self, code: int | None, reason: str) -> BrokerError:
        """Why the stream ended, from the close frame (``code`` None: there was none)."""
        if code is None:
            what = "the connection was lost"
        else:
            what = f"the server closed it ({code}{': ' + reason if reason else ''})"
        return StreamClosed(f"The price stream ended: {what}.", broker=self.broker)

    def refused(self, status: int) -> BrokerError:
        """The upgrade was answered with HTTP ``status`` instead of a WebSocket."""
        if status in (401, 403):
            return AuthError(
                f"The price stream's credentials were refused (HTTP {status}).",
                code=f"HTTP {status}", broker=self.broker)
        if status == 429:
            return RateLimited("The price stream was refused: too many connections "
                               "(HTTP 429).", code="HTTP 429", broker=self.broker)
        return StreamClosed(f"The price stream was refused for now (HTTP {status}).",
                            code=f"HTTP {status}", broker=self.broker)

    def push(self, quote: Quote) -> None:
        """Hand one price on, as soon as it is read."""
        if self._ended.is_set():
            return
        for sink in (self._tap, self._sink):
            if sink is not None:
                try:
                    sink(quote)
                except Exception:  # a broken listener must not stop the stream
                    log.exception("a %s price listener failed", self.broker)

    async def send(self, text: str) -> None:
        ws = self._ws
        if ws is None or self._ended.is_set():
            raise self._reason or StreamClosed(
                "The price stream is not open.", broker=self.broker)
        try:
            await ws.send(text)
        except ConnectionClosed as exc:
            error = self.lost(_code(exc), _why(exc))
            self.end(error)
            raise error from None

    async def ask(self, key: Hashable, text: str, what: str) -> Any:
        """Send a request and wait for the reply ``answer(key, ...)`` gives it."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._replies[key] = future
        try:
            await self.send(text)
            async with asyncio.timeout(self.reply_timeout):
                return await future
        except TimeoutError:
            error = StreamClosed(
                f"No answer to {what} came within {self.reply_timeout:g} s.",
                broker=self.broker)
            self.end(error)
            raise error from None
        finally:
            self._replies.pop(key, None)

    async def until(self, event: asyncio.Event, what: str) -> None:
        """Wait for ``event`` (set by ``received``); fails when the stream ends first or
        after ``open_timeout``."""
        waits = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._ended.wait())]
        try:
            await asyncio.wait(waits, timeout=self.open_timeout,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        if event.is_set():
            return
        if self._reason is not None:
            raise self._reason
        error = StreamClosed(f"No {what} came within {self.open_timeout:g} s.",
                             broker=self.broker)
        self.end(error)
        raise error

    def answer(self, key: Hashable, value: Any) -> bool:
        """The reply to request ``key``; False when nothing waits for it."""
        future = self._replies.get(key)
        if future is None or future.done():
            return False
        future.set_result(value)
        return True

    def end(self, reason: BrokerError) -> None:
        """The stream is over (the first reason counts); requests waiting fail with it."""
        if self._ended.is_set():
            return
        self._reason = reason
        self._ended.set()
        for future in self._replies.values():
            if not future.done():
                future.set_exception(reason)
        self._live(False)

    # ------------------------------------------------------------------ internals

    def _live(self, up: bool) -> None:
        if self._on_live is not None:
            try:
                self._on_live(up)
            except Exception:
                log.exception("a %s stream state listener failed", self.broker)

    async def _connect(self) -> None:
        headers = await self.handshake_headers()
        try:
            self._ws = await connect(
                self.url, additional_headers=headers or None, open_timeout=self.open_timeout,
                close_timeout=CLOSE_TIMEOUT, ping_interval=PING_INTERVAL,
                ping_timeout=PING_TIMEOUT, max_size=MAX_MESSAGE,
            )
        except InvalidStatus as exc:
            raise self.refused(exc.response.status_code) from None
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise StreamClosed(
                f"The price stream could not be reached ({type(exc).__name__}).",
                broker=self.broker) from None
        self._tasks.append(asyncio.get_running_loop().create_task(
            self._read(self._ws), name=f"{self.broker}-stream-reader"))

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                self.received_frames += 1
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                try:
                    self.received(text)
                except Exception:  # one unreadable frame is logged, the stream goes on
                    log.exception("an unreadable %s stream frame", self.broker)
            self.end(self.lost(ws.close_code, ws.close_reason or ""))
        except ConnectionClosed as exc:
            self.end(self.lost(_code(exc), _why(exc)))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("the %s stream reader failed", self.broker)
            self.end(StreamClosed(f"The price stream failed ({type(exc).__name__}).",
                                  broker=self.broker))

    async def _beat(self, seconds: float) -> None:
        while not self._ended.is_set():
            await asyncio.sleep(seconds)
            try:
                await self.heartbeat()
            except BrokerError as exc:
                self.end(exc)  # the session sees it in closed() and closes the stream
                return


def _code(exc: ConnectionClosed) -> int | None:
    return exc.rcvd.code if exc.rcvd is not None else None


def _why(exc: ConnectionClosed) -> str:
    return exc.rcvd.reason if exc.rcvd is not None else ""
