"""Tradovate's market-data WebSocket: the only way real Tradovate sends prices.

Frames (TV-JS tutorial/WebSockets EX-05..EX-08, TV-PARTNER stage-2-websocket-management;
shared/brokers tradovate 1.6): the server sends ``o`` once open, ``h`` heartbeats about
every 2.5 s, ``a[<json>, ...]`` data and ``c[<code>, "<reason>"]`` before it closes; the
client sends requests ``op\\nid\\nquery\\nbody`` (empty lines kept) and ``[]`` as its own
heartbeat every 2.5 s (a silent client is dropped). ``authorize`` (id 0) takes the
login's ``mdAccessToken`` (renewed with the access token) and answers ``{"i": 0, "s":
200}``; anything else (``{"s": 401, "d": "\\"Access is denied\\""}``) is a refusal.
``md/subscribeQuote`` / ``md/unsubscribeQuote`` ``{"symbol": "ESZ6"}`` answer ``{"s": 200,
"i": <id>}``; quotes then come as ``{"e": "md", "d": {"quotes": [{"timestamp",
"contractId", "entries": {"Bid": {"price", "size"}, "Offer", "Trade", ...}}]}}``, named by
contract id only: each symbol's contract id is looked up (and cached by the service)
before it is subscribed, and mapped before the request goes out (the first quote follows
the answer at once).

Hosts: ``wss://md.tradovateapi.com/v1/websocket`` for demo and live market data,
``wss://replay.tradovateapi.com/v1/websocket`` for replay; a profile with its own REST
root (the Sandbox's ``http://127.0.0.1:PORT/v1``) has the stream at that root's
``/websocket`` (the simulator serves both on one port).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from desktop_app.brokers.common.stream import WsQuoteStream
from desktop_app.brokers.tradovate import mapping
from desktop_app.brokers.tradovate.errors import BROKER
from desktop_app.domain.errors import AuthError, NotFound, ProtocolError, Rejected
from desktop_app.domain.streaming import QuoteSink, StreamClosed
from desktop_app.domain.types import Environment

log = logging.getLogger(__name__)

MD_URL = "wss://md.tradovateapi.com/v1/websocket"
REPLAY_MD_URL = "wss://replay.tradovateapi.com/v1/websocket"
HEARTBEAT_SECONDS = 2.5  # TV-JS: the client sends "[]" about every 2.5 s


def md_url_for(environment: Environment, rest_override: str | None = None) -> str:
    """The market-data WebSocket for a profile (see the module docstring)."""
    if rest_override:
        parts = urlsplit(rest_override.rstrip("/"))
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, parts.path + "/websocket", "", ""))
    return REPLAY_MD_URL if environment is Environment.REPLAY else MD_URL


def request(op: str, request_id: int, body: str = "") -> str:
    return f"{op}\n{request_id}\n\n{body}"


def _reply_text(reply: Any) -> str:
    detail = reply.get("d") if isinstance(reply, dict) else None
    if isinstance(detail, str):
        with contextlib.suppress(ValueError):
            detail = json.loads(detail)  # Tradovate quotes its error texts once more
    status = reply.get("s") if isinstance(reply, dict) else None
    text = detail if isinstance(detail, str) and detail else "no reason given"
    return f"{text} (status {status})"


class TradovateQuoteStream(WsQuoteStream):
    broker = BROKER

    def __init__(
        self,
        url: str,
        *,
        token: Callable[[], Awaitable[str]],
        contract_id: Callable[[str], Awaitable[int]],
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        tap: QuoteSink | None = None,
        on_live: Callable[[bool], None] | None = None,
        on_forget: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(url, heartbeat_seconds=heartbeat_seconds, tap=tap, on_live=on_live)
        self._token = token
        self._contract_id = contract_id
        self._on_forget = on_forget
        self._symbols: dict[int, str] = {}  # contract id -> the name it was asked by
        self._entries: dict[int, dict[str, Any]] = {}  # the latest of each entry
        self._next_id = 1
        self._opened = asyncio.Event()
        self._credential = ""
        self.heartbeats_sent = 0
        self.server_heartbeats = 0

    async def open(self, sink: QuoteSink) -> None:
        # Renewed first if due, so the connection starts with a token that lives on.
        self._credential = await self._token()
        await super().open(sink)

    async def authorise(self) -> None:
        await self.until(self._opened, "open frame")
        reply = await self.ask(0, request("authorize", 0, self._credential), "the authorisation")
        if not isinstance(reply, dict) or reply.get("s") != 200:
            raise AuthError(
                f"The market-data token was refused: {_reply_text(reply)}.",
                code=str(reply.get("s") if isinstance(reply, dict) else ""), broker=BROKER,
                hint="The app logs in again at the next attempt; if this goes on, reconnect.",
            )

    async def heartbeat(self) -> None:
        await self.send("[]")
        self.heartbeats_sent += 1

    def _request_id(self) -> int:
        rid, self._next_id = self._next_id, self._next_id + 1
        return rid

    async def subscribe(self, symbols: Sequence[str]) -> dict[str, str]:
        refused: dict[str, str] = {}
        for symbol in symbols:
            try:
                contract_id = await self._contract_id(symbol)
            except (NotFound, Rejected) as exc:
                refused[symbol] = exc.message
                continue
            # Mapped before the request: the first quote follows its answer at once.
            self._symbols[contract_id] = symbol
            rid = self._request_id()
            body = json.dumps({"symbol": symbol})
            reply = await self.ask(rid, request("md/subscribeQuote", rid, body),
                                   f"the subscription to {symbol}")
            if not isinstance(reply, dict) or reply.get("s") != 200:
                self._symbols.pop(contract_id, None)
                refused[symbol] = f"Tradovate refused its prices: {_reply_text(reply)}."
        return refused

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        for symbol in symbols:
            ids = [cid for cid, name in self._symbols.items() if name == symbol]
            for contract_id in ids:
                self._symbols.pop(contract_id, None)
                self._entries.pop(contract_id, None)
            if self._on_forget is not None:
                self._on_forget(symbol)
            if not ids:
                continue
            rid = self._request_id()
            reply = await self.ask(rid, request("md/unsubscribeQuote", rid,
                                                json.dumps({"symbol": symbol})),
                                   f"the end of {symbol}'s prices")
            if not isinstance(reply, dict) or reply.get("s") != 200:
                log.info("Tradovate kept streaming %s: %s", symbol, _reply_text(reply))

    def received(self, text: str) -> None:
        if not text:
            return
        kind = text[0]
        if kind == "o":
            self._opened.set()
        elif kind == "h":
            self.server_heartbeats += 1
        elif kind == "a":
            items = json.loads(text[1:], parse_float=Decimal)
            for item in items if isinstance(items, list) else ():
                self._item(item)
        elif kind == "c":
            self.end(self._closing(text[1:]))

    def _closing(self, body: str) -> StreamClosed:
        try:
            code, reason = json.loads(body)[:2]
        except (ValueError, TypeError):
            code, reason = "?", ""
        why = f"{code}: {reason}" if reason else str(code)
        return StreamClosed(f"The server closed the market-data stream ({why}).",
                            code=str(code), broker=BROKER)

    def _item(self, item: Any) -> None:
        if not isinstance(item, dict):
            return
        if item.get("e") == "md":
            data = item.get("d")
            quotes = data.get("quotes") if isinstance(data, dict) else None
            for raw in quotes if isinstance(quotes, list) else ():
                self._quote(raw)
        elif "i" in item and not self.answer(item["i"], item):
            log.debug("Tradovate answered request %s, which nothing waits for", item["i"])

    def _quote(self, raw: Any) -> None:
        if not isinstance(raw, dict):
            return
        try:
            contract_id = mapping.wire_id(raw.get("contractId"))
        except ProtocolError:
            return
        symbol = self._symbols.get(contract_id)
        if symbol is None:
            return  # unsubscribed meanwhile
        entries = self._entries.setdefault(contract_id, {})
        new = raw.get("entries")
        if isinstance(new, dict):
            entries.update(new)  # an event may carry only the entries that changed
        try:
            quote = mapping.quote(symbol, {"timestamp": raw.get("timestamp"), "entries": entries})
        except ProtocolError as exc:
            log.info("Tradovate quote for %s unreadable: %s", symbol, exc.message)
            return
        self.push(quote)

    def lost(self, code: int | None, reason: str) -> StreamClosed:
        if code is None:
            what = "the connection was lost"
        else:
            what = f"the server closed it ({code}{': ' + reason if reason else ''})"
        return StreamClosed(f"The market-data stream ended: {what}.", broker=BROKER)
