"""Capital.com's streaming API (wss://api-streaming-capital.backend-capital.com/connect), at
/connect on the simulator's port ([PM] "WebSocket API"; [JS] WsClient; [MCP]).

Client frames are ``{"destination", "correlationId", "cst", "securityToken", "payload"}``;
every answer is ``{"status": "OK"|"ERROR", "destination", "correlationId", "payload"}``:

- ``marketData.subscribe`` / ``marketData.unsubscribe`` ``{"epics": [...]}``: payload
  ``{"subscriptions": {"<epic>": "PROCESSED"}}``; at most 40 epics on a connection, a
  request that would make it 41 is refused whole; then ``quote`` events
  ``{"epic", "product": "CFD", "bid", "bidQty", "ofr", "ofrQty", "timestamp"}`` whenever
  the price moves while the market is open, the first at once (a closed market does not
  tick: the stream carries no market status);
- ``OHLCMarketData.subscribe`` ``{"epics", "resolutions"=["MINUTE"], "type"="classic"}``
  (keys ``"<epic>:<resolution>:<type>"``) and ``OHLCMarketData.unsubscribe`` ``{"epics",
  "resolutions"?, "types"?}``; bars come as ``ohlc.event`` ``{"resolution", "epic",
  "type", "priceType": "bid", "t", "h", "l", "o", "c"}`` while the current bar changes;
- ``ping`` answers ``payload {}``; a connection with no (valid) ping for
  ``timing.ping_timeout`` (10 minutes, [PM]) is closed;
- ``PUT /session`` (an account switch) closes the login's streams ([PM] FAQ).

Errors carry ``payload.errorCode`` (the shape third-party clients read): a CST that is no
live session ``error.invalid.session.token`` ([3P]); a securityToken that is neither the
session's X-SECURITY-TOKEN nor its active account id (the [PM] table allows both)
``error.security.account.token.invalid``. UNCONFIRMED codes: too many epics
``error.too-many.epics`` (checked first: a request of 41 names is refused whatever they
are; this simulator lists fewer than 40 epics, so ``timing.max_epics`` lowers the limit
for tests that fill it with real ones), an unknown epic ``error.not-found.epic``
(nothing of that request is subscribed), no epics ``error.null.epics``, a bad resolution or type
``error.invalid.resolution`` / ``error.invalid.type``, an unknown destination
``error.invalid.destination``, a frame that is not a JSON object ``error.malformed.request``.
The connection stays open after an error. A stream keeps running when the REST session
idles out; its next frame is refused. How an account switch closes the stream (an orderly
close, code 1000) is UNCONFIRMED.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop_app.domain.exact_json import dumps
from desktop_app.simulators.capital import errors
from desktop_app.simulators.capital.market_routes import RESOLUTIONS
from desktop_app.simulators.capital.state import StreamTiming
from desktop_app.simulators.pricepath import stable_key, unit_noise
from desktop_app.simulators.streams import WsConnection

if TYPE_CHECKING:
    from desktop_app.simulators.capital.state import CapitalState, Session

PATH = "/connect"
TOO_MANY_EPICS = "error.too-many.epics"
NULL_EPICS = "error.null.epics"
INVALID_TYPE = "error.invalid.type"
INVALID_DESTINATION = "error.invalid.destination"
OHLC_TYPES = ("classic", "heikin-ashi")
_HA_BARS = 30  # heikin-ashi bars settle within a few bars of their seed


class StreamError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _epics(payload: Any, key: str = "epics") -> list[str]:
    values = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(values, list) or not values:
        raise StreamError(NULL_EPICS)
    return list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def _choices(payload: dict[str, Any], key: str, allowed: tuple[str, ...] | list[str],
             default: list[str], code: str) -> list[str]:
    values = payload.get(key)
    if values is None:
        return default
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(str(v) in allowed for v in values):
        raise StreamError(code)
    return [str(v) for v in values]


class CapitalStream:
    """One streaming connection: its session, quote and OHLC subscriptions."""

    def __init__(self, state: CapitalState) -> None:
        self.state = state
        self.cst: str | None = None
        self.quotes: dict[str, tuple[Decimal, Decimal] | None] = {}  # epic -> last sent
        self.bars: dict[tuple[str, str, str], tuple[Any, ...] | None] = {}
        now = time.monotonic()
        self.last_ping = self.last_quotes = self.last_bars = now

    @property
    def timing(self) -> StreamTiming:
        return self.state.stream_timing

    async def opened(self, conn: WsConnection) -> None:
        self.conn = conn

    async def closing(self, conn: WsConnection) -> None:
        return None

    def on_account_switch(self) -> None:
        self.conn.stop(code=1000, reason="Account switched")

    async def received(self, conn: WsConnection, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self._answer(None, None, error=errors.MALFORMED_BODY)
            return
        destination = frame.get("destination")
        correlation = frame.get("correlationId")
        self.state.streams.count(f"destination {destination}")
        try:
            self._authenticate(frame)
            payload = await self._handle(str(destination), frame.get("payload") or {})
        except StreamError as exc:
            await self._answer(destination, correlation, error=exc.code)
            return
        await self._answer(destination, correlation, payload)
        if destination == "marketData.subscribe":
            await self._push_quotes(force=False)
        elif destination == "OHLCMarketData.subscribe":
            await self._push_bars()

    def _authenticate(self, frame: dict[str, Any]) -> Session:
        session = self.state.find_session(str(frame.get("cst") or ""))
        if session is None:
            raise StreamError(errors.INVALID_SESSION_TOKEN)
        token = str(frame.get("securityToken") or "")
        if token not in (session.security_token, session.active_account):
            raise StreamError(errors.INVALID_ACCOUNT_TOKEN)
        if self.cst != session.cst:
            if self.cst is not None:
                self.state.unwatch_switch(self.cst, self)
            self.cst = session.cst
            self.state.watch_switch(session.cst, self)
        return session

    async def _handle(self, destination: str, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict):
            payload = {}
        if destination == "ping":
            self.last_ping = time.monotonic()
            return {}
        if destination == "marketData.subscribe":
            epics = _epics(payload)
            if len(set(self.quotes) | set(epics)) > self.timing.max_epics:
                raise StreamError(TOO_MANY_EPICS)
            self._known(epics)
            for epic in epics:
                self.quotes.setdefault(epic, None)
            return {"subscriptions": dict.fromkeys(epics, "PROCESSED")}
        if destination == "marketData.unsubscribe":
            epics = _epics(payload)
            for epic in epics:
                self.quotes.pop(epic, None)
            return {"subscriptions": dict.fromkeys(epics, "PROCESSED")}
        if destination == "OHLCMarketData.subscribe":
            return self._ohlc_subscribe(payload)
        if destination == "OHLCMarketData.unsubscribe":
            return self._ohlc_unsubscribe(payload)
        raise StreamError(INVALID_DESTINATION)

    def _known(self, epics: list[str]) -> list[str]:
        if any(epic not in self.state.market.instruments for epic in epics):
            raise StreamError(errors.NOT_FOUND_EPIC)
        return epics

    def _ohlc_subscribe(self, payload: dict[str, Any]) -> dict[str, Any]:
        epics = _epics(payload)
        held = {key[0] for key in self.bars}
        if len(held | set(epics)) > self.timing.max_epics:
            raise StreamError(TOO_MANY_EPICS)
        self._known(epics)
        resolutions = _choices(payload, "resolutions", list(RESOLUTIONS), ["MINUTE"],
                               errors.INVALID_RESOLUTION)
        kinds = _choices(payload, "type", OHLC_TYPES, ["classic"], INVALID_TYPE)
        keys = [(e, r, kinds[0]) for e in epics for r in resolutions]
        for key in keys:
            self.bars.setdefault(key, None)
        return {"subscriptions": dict.fromkeys((":".join(k) for k in keys), "PROCESSED")}

    def _ohlc_unsubscribe(self, payload: dict[str, Any]) -> dict[str, Any]:
        epics = _epics(payload)
        resolutions = _choices(payload, "resolutions", list(RESOLUTIONS), list(RESOLUTIONS),
                               errors.INVALID_RESOLUTION)
        kinds = _choices(payload, "types", OHLC_TYPES, list(OHLC_TYPES), INVALID_TYPE)
        gone = [k for k in self.bars if k[0] in epics and k[1] in resolutions and k[2] in kinds]
        for key in gone:
            del self.bars[key]
        return {"subscriptions": dict.fromkeys((":".join(k) for k in gone), "PROCESSED")}

    async def _answer(self, destination: Any, correlation: Any,
                      payload: dict[str, Any] | None = None, *, error: str = "") -> None:
        body = {
            "status": "ERROR" if error else "OK",
            "destination": destination,
            "correlationId": correlation,
            "payload": {"errorCode": error} if error else payload,
        }
        await self.conn.send_text(dumps(body, allow_float=True).decode())

    async def tick(self, conn: WsConnection, now: float) -> None:
        if now - self.last_ping >= self.timing.ping_timeout:
            conn.stop(code=1000, reason="No ping within the session time")
            return
        if self.quotes and now - self.last_quotes >= self.timing.quote_seconds:
            self.last_quotes = now
            await self._push_quotes(force=False)
        if self.bars and now - self.last_bars >= self.timing.ohlc_seconds:
            self.last_bars = now
            await self._push_bars()

    async def _push_quotes(self, *, force: bool) -> None:
        market = self.state.market
        for epic, last in list(self.quotes.items()):
            quote = market.quote(epic)
            if not force and last == (quote.bid, quote.offer):
                continue
            if last is not None and quote.status != "TRADEABLE":
                continue  # a closed market does not tick; its last price stands
            self.quotes[epic] = (quote.bid, quote.offer)
            second = int(quote.at.timestamp())
            key = stable_key(market.seed, epic, "depth")
            payload = {
                "epic": epic,
                "product": "CFD",
                "bid": quote.bid,
                "bidQty": Decimal(int(500 + 4500 * unit_noise(key, second))).quantize(
                    Decimal("0.1")),
                "ofr": quote.offer,
                "ofrQty": Decimal(int(500 + 4500 * unit_noise(key + 1, second))).quantize(
                    Decimal("0.1")),
                "timestamp": int(quote.at.timestamp() * 1000),
            }
            self.state.streams.count("quote events")
            await self.conn.send_text(dumps(
                {"status": "OK", "destination": "quote", "payload": payload},
                allow_float=True).decode())

    async def _push_bars(self) -> None:
        for key, last in list(self.bars.items()):
            bar = self._bar(*key)
            if bar == last:
                continue
            self.bars[key] = bar
            epic, resolution, kind = key
            t, o, h, low, c = bar
            payload = {"resolution": resolution, "epic": epic, "type": kind,
                       "priceType": "bid", "t": t, "h": h, "l": low, "o": o, "c": c}
            self.state.streams.count("ohlc events")
            await self.conn.send_text(dumps(
                {"status": "OK", "destination": "ohlc.event", "payload": payload},
                allow_float=True).decode())

    def _bar(self, epic: str, resolution: str, kind: str) -> tuple[Any, ...]:
        market = self.state.market
        count = _HA_BARS if kind == "heikin-ashi" else 1
        bars = market.bars(epic, RESOLUTIONS[resolution], count=count)
        last = bars[-1]
        t = int(last.start.timestamp() * 1000)
        if kind == "classic":
            return t, last.open, last.high, last.low, last.close
        spec = market.spec(epic)
        ha_open = (bars[0].open + bars[0].close) / 2
        ha_close = (bars[0].open + bars[0].high + bars[0].low + bars[0].close) / 4
        for bar in bars[1:]:
            ha_open = (ha_open + ha_close) / 2
            ha_close = (bar.open + bar.high + bar.low + bar.close) / 4
        high = max(last.high, ha_open, ha_close)
        low = min(last.low, ha_open, ha_close)
        return (t, *(spec.on_grid(v) for v in (ha_open, high, low, ha_close)))


class StreamEndpoint:
    """The ASGI app behind ``/connect``."""

    def __init__(self, state: CapitalState) -> None:
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        conn = WsConnection(scope, receive, send, self.state.streams,
                            self.state.stream_timing.tick_seconds)
        if await conn.refuse_if_asked():
            return
        stream = CapitalStream(self.state)
        try:
            await conn.run(stream)
        finally:
            if stream.cst is not None:
                self.state.unwatch_switch(stream.cst, stream)


__all__ = ["PATH", "StreamEndpoint"]
