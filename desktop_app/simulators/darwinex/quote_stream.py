"""Darwinex's DARWIN quote streams ([DX] QuotesAPI and WebSocketAPI; research notes 2.7).

- ``POST /quotes/1.0/quotes`` with ``{"productNames": [...]}`` and the Bearer token (checked
  and throttled like every API): HTTP 200, then a chunked stream of lines, one JSON object
  each, ``{"productName", "quote", "timestamp"}`` (ms): every product's quote at once, then
  whenever it changes. darwinexapis ``eval``s each line, so lines hold numbers and strings
  only. The stream ends (an orderly end of the chunked body) after
  ``timing.stream_max_seconds`` (about an hour, community announcement 4729).
- ``ws://.../quotewebsocket/1.0.0``: the Bearer token on the handshake (a bad one gets
  the gateway's 401 fault and no upgrade), then ``{"op": "subscribe", "productNames":
  [...]}`` (and ``"unsubscribe"``); heartbeats ``{"op": "hb", "timestamp": <ms>}``.

UNCONFIRMED (knobs or choices): the WebSocket's quote messages have the HTTP stream's
shape (Darwinex never showed them); the heartbeat interval (``timing.heartbeat_seconds``);
the WebSocket closes (1008) once its token expires or is revoked; an unknown product on
the WebSocket answers ``{"op": "error", "message": ...}`` and the rest are subscribed; on
the HTTP stream an unknown product is 404 and an empty list 400 before any line.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop_app.domain.exact_json import dumps
from desktop_app.simulators.darwinex import errors
from desktop_app.simulators.darwinex.pipeline import Api, Ctx, Endpoint, Reply
from desktop_app.simulators.streams import LineStream, WsConnection, deny

if TYPE_CHECKING:
    from desktop_app.simulators.darwinex.state import DarwinexState

WS_PATH = "/quotewebsocket/1.0.0"
HTTP_PATH = Api.QUOTES.value + "/quotes"


def _line(name: str, quote: Decimal, now: float) -> dict[str, Any]:
    return {"productName": name, "quote": quote, "timestamp": int(now * 1000)}


def _changed(state: DarwinexState, names: list[str], sent: dict[str, Decimal]
             ) -> list[dict[str, Any]]:
    now = state.clock()
    out = []
    for name in names:
        quote = state.quote(name)
        if sent.get(name) != quote:
            sent[name] = quote
            out.append(_line(name, quote, now))
    return out


def _names(body: Any) -> list[str]:
    names = body.get("productNames") if isinstance(body, dict) else None
    if not isinstance(names, list) or not names:
        raise errors.bad_request("productNames must be a non-empty list.")
    return list(dict.fromkeys(str(n).strip() for n in names))


async def _lines(state: DarwinexState, names: list[str]) -> AsyncIterator[bytes]:
    sent: dict[str, Decimal] = {}
    started = time.monotonic()
    while True:
        for item in _changed(state, names, sent):
            state.streams.count("quote lines")
            yield dumps(item, allow_float=True) + b"\n"
        if time.monotonic() - started >= state.quote_stream.stream_max_seconds:
            return
        await asyncio.sleep(state.quote_stream.quote_seconds)


def post_quotes(ctx: Ctx) -> Reply:
    state = ctx.state
    names = _names(ctx.body)
    for name in names:
        if state.catalogue.get(name) is None:
            raise errors.not_found(f"Product {name} not found.")
    if state.streams.refusing():
        state.streams.count("refused")
        raise errors.fault(503, 101503, "Runtime Error", "Error connecting to the back end")
    stream = LineStream(_lines(state, names), state.streams,
                        {"content-type": "application/json"})
    return Reply(stream=stream)


class QuoteSocket:
    """One quote WebSocket: its token and subscribed DARWINs."""

    def __init__(self, state: DarwinexState, token: str) -> None:
        self.state = state
        self.token = token
        self.names: list[str] = []
        self.sent: dict[str, Decimal] = {}
        now = time.monotonic()
        self.last_heartbeat = self.last_quotes = now

    async def opened(self, conn: WsConnection) -> None:
        return None

    async def closing(self, conn: WsConnection) -> None:
        return None

    async def received(self, conn: WsConnection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        op = message.get("op") if isinstance(message, dict) else None
        self.state.streams.count(f"op {op}")
        if op not in ("subscribe", "unsubscribe"):
            await self._send(conn, {"op": "error", "message": "Unknown message."})
            return
        try:
            names = _names(message)
        except errors.DarwinexError as exc:
            await self._send(conn, {"op": "error", "message": exc.body["status"]})
            return
        if op == "unsubscribe":
            self.names = [n for n in self.names if n not in names]
            return
        for name in names:
            if self.state.catalogue.get(name) is None:
                await self._send(conn, {"op": "error", "message": f"Product {name} not found."})
            elif name not in self.names:
                self.names.append(name)
                self.sent.pop(name, None)
        await self._push(conn)

    async def _send(self, conn: WsConnection, body: dict[str, Any]) -> None:
        await conn.send_text(dumps(body, allow_float=True).decode())

    async def _push(self, conn: WsConnection) -> None:
        for item in _changed(self.state, self.names, self.sent):
            self.state.streams.count("quote messages")
            await self._send(conn, item)

    async def tick(self, conn: WsConnection, now: float) -> None:
        timing = self.state.quote_stream
        if self.state.tokens.find(self.token) is None:
            conn.stop(code=1008, reason="Invalid Credentials")
            return
        if now - self.last_heartbeat >= timing.heartbeat_seconds:
            self.last_heartbeat = now
            await self._send(conn, {"op": "hb", "timestamp": int(self.state.clock() * 1000)})
        if self.names and now - self.last_quotes >= timing.quote_seconds:
            self.last_quotes = now
            await self._push(conn)


class QuoteSocketEndpoint:
    """The ASGI app behind ``/quotewebsocket/1.0.0``."""

    def __init__(self, state: DarwinexState) -> None:
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        state = self.state
        conn = WsConnection(scope, receive, send, state.streams, state.quote_stream.tick_seconds)
        if await conn.refuse_if_asked():
            return
        scheme, _, token = (conn.headers.get("authorization") or "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if state.tokens.find(token) is None:
            state.streams.count("unauthorised")
            error = errors.invalid_credentials()
            await deny(conn.websocket, error.status, dumps(error.body))
            return
        await conn.run(QuoteSocket(state, token))


ENDPOINTS = [Endpoint("POST", "/quotes", post_quotes, Api.QUOTES, json_body=True)]
