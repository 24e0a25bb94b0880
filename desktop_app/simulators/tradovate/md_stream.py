"""Tradovate's market-data WebSocket (wss://md.tradovateapi.com/v1/websocket), at /v1/websocket.

Frames as TV-JS (tutorial/WebSockets, EX-05..EX-08) and the partner docs show them:

- server: ``o`` on open, ``h`` heartbeat every 2.5 s, ``a[<json>,...]`` data, ``c`` close;
- client: ``op\\nid\\nquery\\nbody`` (empty lines kept), and ``[]`` as its heartbeat;
- ``authorize`` with an access token or an ``mdAccessToken`` as the body answers
  ``{"i":0,"s":200}``; a bad one ``{"s":401,"i":0,"d":"\\"Access is denied\\""}``;
- ``md/subscribeQuote`` / ``md/unsubscribeQuote`` with ``{"symbol": "ESZ6"}`` (or a
  contract id) answer ``{"s":200,"i":id,"d":{}}``; then quote events
  ``{"e":"md","d":{"quotes":[{"timestamp","contractId","entries":{...}}]}}`` come whenever
  the quote changes, the first one at once.

UNCONFIRMED and so knobs (``MdStreamTiming`` on ``state.md_stream``): how long the server
waits for a client frame before it closes (``client_timeout``, 10 s), how often quotes are
looked at (``quote_seconds``). Also unconfirmed: a request before ``authorize`` gets the
same 401 as a bad token; an unknown symbol ``{"s":404,"d":"\\"Symbol is inaccessible\\""}``;
an operation this simulator does not serve ``{"s":404,"d":"\\"Unknown operation <op>\\""}``;
an orderly close (drop knob with ``abrupt=False``, heartbeat timeout) sends
``c[1000,"<reason>"]`` and then the WebSocket close.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop_app.domain.exact_json import dumps
from desktop_app.simulators.streams import WsConnection
from desktop_app.simulators.tradovate import payloads
from desktop_app.simulators.tradovate.catalog import Contract

if TYPE_CHECKING:
    from desktop_app.simulators.tradovate.state import TradovateState

PATH = "/v1/websocket"
ACCESS_DENIED = json.dumps("Access is denied")


@dataclass(slots=True)
class MdStreamTiming:
    heartbeat_seconds: float = 2.5  # TV-JS: "about every 2.5s"
    client_timeout: float = 10.0  # UNCONFIRMED: the docs only say the server drops you
    quote_seconds: float = 0.25
    tick_seconds: float = 0.05


def frame(*items: Any) -> str:
    return "a" + dumps(list(items), allow_float=True).decode()


class MdSession:
    """One market-data connection: its authorisation and quote subscriptions."""

    def __init__(self, state: TradovateState) -> None:
        self.state = state
        self.timing = state.md_stream
        self.authorized = False
        self.quotes: dict[int, Contract] = {}
        self.sent: dict[int, Any] = {}  # contract id -> entries last sent
        now = time.monotonic()
        self.last_client = self.last_heartbeat = self.last_quotes = now

    async def opened(self, conn: WsConnection) -> None:
        await conn.send_text("o")

    async def closing(self, conn: WsConnection) -> None:
        await conn.send_text("c" + json.dumps([conn.close_code, conn.close_reason]))

    async def received(self, conn: WsConnection, text: str) -> None:
        self.last_client = time.monotonic()
        if text.strip() in ("[]", ""):
            return  # the client's heartbeat
        op, request_id, _query, body = [*text.split("\n", 3), "", "", ""][:4]
        op = op.strip().lower()
        self.state.streams.count(f"op {op}")
        try:
            rid: Any = int(request_id.strip())
        except ValueError:
            rid = request_id.strip() or None
        if op == "authorize":
            await self._authorize(conn, rid, body.strip())
        elif not self.authorized:
            await conn.send_text(frame({"s": 401, "i": rid, "d": ACCESS_DENIED}))
        elif op in ("md/subscribequote", "md/unsubscribequote"):
            await self._quote_request(conn, op, rid, body)
        else:
            await conn.send_text(frame(
                {"s": 404, "i": rid, "d": json.dumps(f"Unknown operation {op}")}))

    async def _authorize(self, conn: WsConnection, rid: Any, token: str) -> None:
        with self.state.lock:
            found = self.state.find_token(token, market_data_ok=True)
        self.authorized = found is not None
        if self.authorized:
            await conn.send_text(frame({"i": rid, "s": 200}))
        else:
            await conn.send_text(frame({"s": 401, "i": rid, "d": ACCESS_DENIED}))

    async def _quote_request(self, conn: WsConnection, op: str, rid: Any, body: str) -> None:
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            data = None
        symbol = data.get("symbol") if isinstance(data, dict) else None
        if symbol is None or isinstance(symbol, bool) or str(symbol).strip() == "":
            await conn.send_text(frame({"s": 400, "i": rid, "d": json.dumps(
                "symbol should be specified")}))
            return
        contract = self.state.catalog.contract(str(symbol).strip())
        if contract is None:
            await conn.send_text(frame(
                {"s": 404, "i": rid, "d": json.dumps("Symbol is inaccessible")}))
            return
        if op == "md/unsubscribequote":
            self.quotes.pop(contract.contract_id, None)
            self.sent.pop(contract.contract_id, None)
            await conn.send_text(frame({"s": 200, "i": rid, "d": {}}))
            return
        self.quotes[contract.contract_id] = contract
        self.sent.pop(contract.contract_id, None)
        await conn.send_text(frame({"s": 200, "i": rid, "d": {}}))
        await self._push(conn)

    async def tick(self, conn: WsConnection, now: float) -> None:
        timing = self.timing
        if now - self.last_client >= timing.client_timeout:
            conn.stop(code=1000, reason="Heartbeat timeout")
            return
        if now - self.last_heartbeat >= timing.heartbeat_seconds:
            self.last_heartbeat = now
            await conn.send_text("h")
        if self.quotes and now - self.last_quotes >= timing.quote_seconds:
            self.last_quotes = now
            await self._push(conn)

    async def _push(self, conn: WsConnection) -> None:
        changed = []
        for contract_id, contract in list(self.quotes.items()):
            quote = payloads.quote(self.state.market, contract)
            quote.pop("id", None)
            if self.sent.get(contract_id) != quote["entries"]:
                self.sent[contract_id] = quote["entries"]
                changed.append(quote)
        if changed:
            self.state.streams.count("quote events")
            await conn.send_text(frame({"e": "md", "d": {"quotes": changed}}))


class MdEndpoint:
    """The ASGI app behind ``/v1/websocket``."""

    def __init__(self, state: TradovateState) -> None:
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        conn = WsConnection(scope, receive, send, self.state.streams,
                            self.state.md_stream.tick_seconds)
        if await conn.refuse_if_asked():
            return
        await conn.run(MdSession(self.state))
