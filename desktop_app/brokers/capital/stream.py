"""Capital.com's streaming API: prices of up to 40 epics over one WebSocket per session.

From the [PM] collection's description, the official Java sample [JS] (``WsClient``) and
the MCP client (shared/brokers/capital_darwinex.md 1.6): the URL is the session's
``streamingHost`` (from ``POST /session``) + ``connect``; every client frame is
``{"destination", "correlationId", "cst", "securityToken", "payload"}`` with the REST
session's tokens, and every answer ``{"status": "OK"|"ERROR", "destination",
"correlationId", "payload"}`` (errors: ``payload.errorCode``, the field third-party
clients read). ``marketData.subscribe`` / ``marketData.unsubscribe`` ``{"epics": [...]}``
answer ``{"subscriptions": {"<epic>": "PROCESSED"}}``; at most 40 epics on a connection.
Prices come as ``{"destination": "quote", "payload": {"epic", "bid", "ofr", "timestamp"
(ms), ...}}`` whenever they move. ``ping`` at least every 10 minutes keeps it open. An
account switch (``PUT /session``) drops the stream ([PM] FAQ): the stream notes the
client's switch count when it opens, and a close after a switch is reported as one to
reopen at once.

UNCONFIRMED (the simulator's choices, read tolerantly): the codes of a 41st epic
(``error.too-many.epics``) and of an unknown epic (``error.not-found.epic``, nothing of
that request subscribed: the epics are then asked one by one to find it).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from desktop_app.brokers.capital.errors import BROKER
from desktop_app.brokers.common.stream import WsQuoteStream
from desktop_app.domain.errors import BrokerError, ProtocolError
from desktop_app.domain.money import to_decimal, utc_now
from desktop_app.domain.streaming import StreamClosed
from desktop_app.domain.types import Environment, Quote

log = logging.getLogger(__name__)

STREAM_URL = "wss://api-streaming-capital.backend-capital.com/connect"
MAX_EPICS = 40
# [PM]: the stream's session lasts 10 minutes; a ping at least that often keeps it.
PING_SECONDS = 300.0
LIMIT_TEXT = "Capital.com streams at most 40 epics per connection."
TOO_MANY = "error.too-many.epics"
NOT_FOUND = "error.not-found.epic"
TOKEN_CODES = ("error.invalid.session.token", "error.security.account.token.invalid")


def stream_url(session: dict[str, Any], environment: Environment,
               rest_override: str | None = None) -> str:
    """``streamingHost`` + ``connect`` ([JS] WsClient); without one, the REST override's
    host (the Sandbox serves both on one port), else the documented host."""
    host = session.get("streamingHost")
    if isinstance(host, str) and host.strip():
        return host.strip().rstrip("/") + "/connect"
    if rest_override:
        parts = urlsplit(rest_override)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, "/connect", "", ""))
    del environment  # demo and live share the streaming host ([PM], [MCP])
    return STREAM_URL


def _error_code(reply: dict[str, Any]) -> str:
    payload = reply.get("payload")
    code = payload.get("errorCode") if isinstance(payload, dict) else None
    return str(code or "unknown error")


class CapitalQuoteStream(WsQuoteStream):
    broker = BROKER
    max_symbols: int | None = MAX_EPICS
    limit_text = LIMIT_TEXT

    def __init__(
        self,
        url: str,
        *,
        tokens: Callable[[], tuple[str, str]],
        switches: Callable[[], int],
        ping_seconds: float = PING_SECONDS,
        max_epics: int = MAX_EPICS,
    ) -> None:
        super().__init__(url, heartbeat_seconds=ping_seconds)
        self._tokens = tokens
        self._switches = switches
        self._switches_at_open = 0
        self.max_symbols = max_epics
        self._ids = itertools.count(1)
        self._epics: set[str] = set()
        self.pings = 0

    async def _request(self, destination: str, payload: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
        correlation = str(next(self._ids))
        cst, security = self._tokens()
        frame = {"destination": destination, "correlationId": correlation, "cst": cst,
                 "securityToken": security, "payload": payload or {}}
        reply = await self.ask(correlation, json.dumps(frame), destination)
        if not isinstance(reply, dict):
            raise ProtocolError(f"Capital.com answered {destination} unreadably.",
                                broker=BROKER)
        return reply

    def _refused_tokens(self, code: str) -> StreamClosed:
        return StreamClosed(
            f"The stream's session tokens were refused ({code}); it opens again once the "
            "session is renewed.", code=code, broker=BROKER)

    async def authorise(self) -> None:
        # Nothing is asked on connecting: a ping checks the tokens at once.
        self._switches_at_open = self._switches()
        reply = await self._request("ping")
        if reply.get("status") != "OK":
            raise self._refused_tokens(_error_code(reply))

    async def heartbeat(self) -> None:
        reply = await self._request("ping")
        if reply.get("status") != "OK":
            raise self._refused_tokens(_error_code(reply))
        self.pings += 1

    async def subscribe(self, symbols: Sequence[str]) -> dict[str, str]:
        epics = [s for s in dict.fromkeys(symbols) if s not in self._epics]
        room = (self.max_symbols or len(epics)) - len(self._epics)
        refused = {epic: LIMIT_TEXT for epic in epics[max(0, room):]}
        epics = epics[:max(0, room)]
        if not epics:
            return refused
        reply = await self._request("marketData.subscribe", {"epics": epics})
        if reply.get("status") == "OK":
            payload = reply.get("payload")
            subs = payload.get("subscriptions") if isinstance(payload, dict) else None
            for epic in epics:
                state = subs.get(epic) if isinstance(subs, dict) else "PROCESSED"
                if state == "PROCESSED":
                    self._epics.add(epic)
                else:
                    refused[epic] = f"Capital.com did not stream it ({state})."
            return refused
        code = _error_code(reply)
        if code in TOKEN_CODES:
            error = self._refused_tokens(code)
            self.end(error)
            raise error
        if code == NOT_FOUND and len(epics) > 1:
            for epic in epics:  # one unknown epic refuses the whole request: find it
                refused.update(await self.subscribe([epic]))
            return refused
        if code == NOT_FOUND:
            refused[epics[0]] = f"Capital.com knows no market {epics[0]} ({code})."
        elif code == TOO_MANY:
            refused.update(dict.fromkeys(epics, f"{LIMIT_TEXT} ({code})"))
        else:
            refused.update(dict.fromkeys(epics, f"Capital.com refused its prices ({code})."))
        return refused

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        epics = [s for s in dict.fromkeys(symbols) if s in self._epics]
        self._epics.difference_update(epics)
        if not epics:
            return
        reply = await self._request("marketData.unsubscribe", {"epics": epics})
        if reply.get("status") != "OK":
            log.info("Capital.com kept streaming %s: %s", epics, _error_code(reply))

    def received(self, text: str) -> None:
        message = json.loads(text, parse_float=Decimal)
        if not isinstance(message, dict):
            return
        if message.get("destination") == "quote":
            self._quote(message.get("payload"))
            return
        correlation = message.get("correlationId")
        if correlation is not None:
            self.answer(str(correlation), message)

    def _quote(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            return
        epic = str(payload.get("epic") or "")
        if epic not in self._epics:
            return  # unsubscribed meanwhile
        try:
            bid = to_decimal(payload.get("bid"), field="bid")
            offer = to_decimal(payload.get("ofr"), field="ofr")
        except (ProtocolError, ValueError, TypeError) as exc:
            log.info("Capital.com quote for %s unreadable: %s", epic, exc)
            return
        stamp = payload.get("timestamp")
        as_of = (datetime.fromtimestamp(stamp / 1000, UTC)
                 if isinstance(stamp, int | float) and not isinstance(stamp, bool)
                 else utc_now())
        self.push(Quote(symbol=epic, bid=bid, offer=offer, as_of=as_of))

    def lost(self, code: int | None, reason: str) -> BrokerError:
        if self._switches() != self._switches_at_open:
            return StreamClosed(
                "The account switch ended the stream; subscribing again.",
                at_once=True, broker=BROKER)
        return super().lost(code, reason)


