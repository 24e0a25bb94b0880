"""An outer ASGI layer that makes a simulator fail the way networks and brokers fail.

Every kind of failure an order can meet, at a chosen request:

- ``RESET_BEFORE``: the connection is reset before the request is processed;
- ``RESET_AFTER``: processed, then the connection is reset (the reply is lost);
- ``ERROR_BEFORE`` / ``ERROR_AFTER``: a 5xx without processing / after processing;
- ``LATE``: the client's wait runs out first; the request is processed afterwards;
- ``TRUNCATED`` / ``HTML`` / ``EMPTY``: processed, the reply body is cut, a proxy's page,
  or nothing;
- ``REPLY_BEFORE``: the broker's own refusal without processing (its rate-limit answer,
  an expired session), given as status, headers and body by the broker's contract hooks.

``decide(method, path) -> Fault | None`` chooses; ``FaultLayer.log`` records what was
done, so a test can compare the truth at the simulator with what the app concluded.
Wrap a simulator with ``start_simulator(..., wrap=lambda app: FaultLayer(app, decide))``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from desktop_app.simulators.asgi import (
    ASGIApp,
    ConnectionDropped,
    Message,
    Receive,
    Scope,
    Send,
    _abort_connection,
)


class FaultKind(StrEnum):
    RESET_BEFORE = "reset before"
    RESET_AFTER = "reset after"
    ERROR_BEFORE = "5xx before"
    ERROR_AFTER = "5xx after"
    LATE = "late execution"
    TRUNCATED = "truncated body"
    HTML = "html body"
    EMPTY = "empty body"
    REPLY_BEFORE = "broker refusal"

    @property
    def processed(self) -> bool:
        """Whether the request reaches the broker's logic."""
        return self not in (FaultKind.RESET_BEFORE, FaultKind.ERROR_BEFORE,
                            FaultKind.REPLY_BEFORE)


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    status: int = 503
    body: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass
class FaultLayer:
    app: ASGIApp
    decide: Callable[[str, str], Fault | None]
    late: float = 1.5  # seconds a LATE request waits before it is processed
    log: list[tuple[str, str, FaultKind]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fault = self.decide(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        self.log.append((scope["method"], scope["path"], fault.kind))
        kind = fault.kind
        if kind is FaultKind.RESET_BEFORE:
            await _drain(receive)
            _reset(send)
            return
        if kind in (FaultKind.ERROR_BEFORE, FaultKind.REPLY_BEFORE):
            await _drain(receive)
            await _reply(send, fault.status, fault.body, fault.headers)
            return
        if kind is FaultKind.LATE:
            body = await _drain(receive)
            await asyncio.sleep(self.late)
            held: list[Message] = []
            await self.app(scope, _replay(body), _collect(held))
            await _reply_held(send, held)  # the client has given up by now
            return
        held = []
        await self.app(scope, receive, _collect(held))
        if kind is FaultKind.RESET_AFTER:
            _reset(send)
        elif kind is FaultKind.ERROR_AFTER:
            await _reply(send, 500, b'{"errorCode":"error.internal"}',
                         ((b"content-type", b"application/json"),))
        else:
            original = b"".join(m.get("body", b"") for m in held
                                if m["type"] == "http.response.body")
            status = next((m["status"] for m in held if m["type"] == "http.response.start"),
                          200)
            if kind is FaultKind.TRUNCATED:
                body, ctype = original[: max(1, len(original) // 2)], b"application/json"
            elif kind is FaultKind.HTML:
                body, ctype = b"<html><body>502 Bad Gateway</body></html>", b"text/html"
            else:
                body, ctype = b"", b"application/json"
            await _reply(send, status, body, ((b"content-type", ctype),))


def _reset(send: Send) -> None:
    if not _abort_connection(send):
        raise ConnectionDropped("fault layer: connection reset")


async def _drain(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect to report: wait forever
        return {"type": "http.disconnect"}

    return receive


def _collect(held: list[Message]) -> Send:
    async def send(message: Message) -> None:
        held.append(message)

    return send


async def _reply(send: Send, status: int, body: bytes,
                 headers: tuple[tuple[bytes, bytes], ...]) -> None:
    head: list[tuple[bytes, bytes]] = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


async def _reply_held(send: Send, held: list[Message]) -> None:
    try:
        for message in held:
            await send(message)
    except Exception:  # the client hung up long ago: nothing to tell
        return

