"""Darwinex's DARWIN quote WebSocket (the WebSocket API of api.darwinex.com).

From [DX] (DWX_WebSocket_API.py) and the research notes (shared/brokers
capital_darwinex.md 2.7): ``/quotewebsocket/1.0.0`` with the Bearer token on the
handshake (the gateway refuses a bad one before the upgrade), then ``{"op":
"subscribe", "productNames": [...]}`` (and ``"unsubscribe"``); the server sends heartbeats
``{"op": "hb", "timestamp": <ms>}``. Subscriptions get no answer.

Chosen over the Quotes API's chunked ``POST /quotes/1.0/quotes`` because the set of
DARWINs on screen changes without a new request (each POST spends the 50 a minute every
API shares) and heartbeats show a dead connection. UNCONFIRMED: the quote messages' shape
(Darwinex never showed them; read as the HTTP stream's lines ``{"productName", "quote",
"timestamp"}``), the scheme (``ws://`` in [DX]; the app uses ``wss://`` for the real host:
the Bearer token must not travel in clear), the close when the token expires or is
replaced (1008: reopened at once with the renewed token), and ``{"op": "error",
"message"}`` for an unknown product (logged; the others stream).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from desktop_app.brokers.common.stream import WsQuoteStream
from desktop_app.brokers.darwinex.errors import BROKER
from desktop_app.domain.errors import AuthError, BrokerError, ProtocolError
from desktop_app.domain.money import to_decimal, utc_now
from desktop_app.domain.streaming import QuoteSink, StreamClosed
from desktop_app.domain.types import Quote

log = logging.getLogger(__name__)

WS_PATH = "/quotewebsocket/1.0.0"
POLICY_VIOLATION = 1008  # the gateway's close for a token that no longer holds


def quote_socket_url(rest_base: str) -> str:
    """The quote WebSocket on the host of the REST APIs (``https`` -> ``wss``)."""
    parts = urlsplit(rest_base.rstrip("/"))
    scheme = "ws" if parts.scheme == "http" else "wss"
    return urlunsplit((scheme, parts.netloc, WS_PATH, "", ""))


class DarwinexQuoteStream(WsQuoteStream):
    broker = BROKER

    def __init__(
        self,
        url: str,
        *,
        token: Callable[[], Awaitable[tuple[str, int]]],
        renew: Callable[[int], Awaitable[None]],
        tap: QuoteSink | None = None,
    ) -> None:
        super().__init__(url, tap=tap)
        self._token = token
        self._renew = renew
        self._credential = ""
        self._generation = 0
        self._names: set[str] = set()
        self.heartbeats = 0
        self.errors: list[str] = []

    async def handshake_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._credential}"}

    async def open(self, sink: QuoteSink) -> None:
        self._credential, self._generation = await self._token()
        try:
            await super().open(sink)
        except AuthError:
            # A pasted token's expiry is unknown: renew it once, as the REST calls do.
            await self._renew(self._generation)
            self._credential, self._generation = await self._token()
            self._ended.clear()
            self._reason = None
            await super().open(sink)

    async def subscribe(self, symbols: Sequence[str]) -> dict[str, str]:
        names = [s for s in dict.fromkeys(symbols) if s not in self._names]
        if names:
            self._names.update(names)
            await self.send(json.dumps({"op": "subscribe", "productNames": names}))
        return {}

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        names = [s for s in dict.fromkeys(symbols) if s in self._names]
        if names:
            self._names.difference_update(names)
            await self.send(json.dumps({"op": "unsubscribe", "productNames": names}))

    def received(self, text: str) -> None:
        message = json.loads(text, parse_float=Decimal)
        if not isinstance(message, dict):
            return
        op = message.get("op")
        if op == "hb":
            self.heartbeats += 1
        elif op == "error":
            self.errors.append(str(message.get("message") or ""))
            log.info("Darwinex quote stream: %s", message.get("message"))
        elif "productName" in message:
            self._quote(message)

    def _quote(self, message: dict[str, Any]) -> None:
        name = str(message.get("productName") or "")
        if name not in self._names:
            return  # unsubscribed meanwhile
        try:
            value = to_decimal(message.get("quote"), field="quote")
        except ProtocolError as exc:
            log.info("Darwinex quote for %s unreadable: %s", name, exc.message)
            return
        stamp = message.get("timestamp")
        as_of = (datetime.fromtimestamp(float(stamp) / 1000, UTC)
                 if isinstance(stamp, int | Decimal) and not isinstance(stamp, bool)
                 else utc_now())
        # A DARWIN is bought and sold at its one quote.
        self.push(Quote(symbol=name, bid=value, offer=value, as_of=as_of))

    def lost(self, code: int | None, reason: str) -> BrokerError:
        if code == POLICY_VIOLATION:
            return StreamClosed(
                f"The quote stream was closed: the access token no longer holds "
                f"({reason or 'policy'}); reopening with the renewed token.",
                at_once=True, code=str(code), broker=BROKER)
        return super().lost(code, reason)
