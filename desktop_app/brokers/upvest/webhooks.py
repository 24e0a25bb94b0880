"""A local receiver for Upvest's webhooks: verify, deduplicate, answer 200, hand over.

Upvest POSTs bundles of events (oldest first) to the webhook's URL and resends the whole
request with growing pauses until it gets HTTP 200 (UP-DOCS "Implementing a webhook
handler"); events are to be deduplicated by their ``id``. Each delivery is signed with a
key whose public half ``GET /auth/verify_keys`` publishes as a JWK (EC P-521); the
receiver asks for the keys again when a delivery names a ``kid`` it does not know
(rotation).

Signature: webhooks use the draft's version 6 (UP-DOCS): component names unquoted in the
base (Upvest's compatibility bug) and a ``digest`` header; which headers are covered is
UNCONFIRMED, so the receiver reads the list from ``signature-input``, rebuilds the base
from the request (v6 first, then v15's quoted form), and requires that a body digest
(``digest`` SHA-256/SHA-512 or ``content-digest``) is covered and matches the body.
``expires`` may lie up to ``max_skew`` seconds in the past (clock skew; a replay of an
old delivery is harmless anyway: its events are deduplicated).

Replies: 200 when every event is handled (or already was), 401 for a missing or wrong
signature, 400 for an unreadable body, 500 when the callback fails (Upvest then sends
the bundle again; nothing was marked seen).

Which events reach the callback: ``ACCOUNT.*``, ``ORDER.*``, ``POSITION.UPDATED``,
``CASH_BALANCE.UPDATED`` and the sandbox's ``VIRTUAL_CASH_INCREASE.*`` /
``VIRTUAL_CASH_DECREASE.*``; others are acknowledged and counted.

Serving: uvicorn on the running event loop (the app's qasync loop), not in a thread: the
callback then runs on the loop where the service and its panels live, with no hand-over
between threads; parsing is small, and the signature check (about 1-2 ms of ECDSA
P-521) runs in ``asyncio.to_thread``. Signal handlers are left to the app.

A real Upvest account needs a public HTTPS URL: a desktop behind NAT is not reachable
from Upvest, so the trader runs a tunnel or relay (e.g. a reverse proxy on a server, or
a tunnel service) to this receiver's loopback port and registers that public URL with
``create_webhook``. In the Sandbox the simulator delivers straight to loopback.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import inspect
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import http_sf
import uvicorn
import uvicorn.protocols.http.h11_impl
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from desktop_app.domain import exact_json

log = logging.getLogger(__name__)

HANDED_OVER = ("ACCOUNT.", "ORDER.", "POSITION.UPDATED", "CASH_BALANCE.UPDATED",
               "VIRTUAL_CASH_INCREASE.", "VIRTUAL_CASH_DECREASE.")
DEFAULT_PATH = "/upvest/webhooks"
MAX_SKEW = 300.0
SEEN_KEPT = 50_000
P521_SIZE = 66


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    id: str
    created_at: str
    type: str
    object: dict[str, Any]
    webhook_id: str

    @property
    def family(self) -> str:
        return self.type.split(".", 1)[0]


EventCallback = Callable[[list[WebhookEvent]], Awaitable[None] | None]
KeySource = Callable[[], Awaitable[list[dict[str, Any]]]]


class DeliveryRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def public_key(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """A JWK of ``/auth/verify_keys`` (kty EC, crv P-521) as a key."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-521":
        raise ValueError("not an EC P-521 key")

    def number(name: str) -> int:
        text = str(jwk.get(name) or "")
        return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")

    return ec.EllipticCurvePublicNumbers(number("x"), number("y"), ec.SECP521R1()).public_key()


def _der(signature: bytes) -> bytes:
    if len(signature) == 2 * P521_SIZE and signature[0] != 0x30:
        r = int.from_bytes(signature[:P521_SIZE], "big")
        s = int.from_bytes(signature[P521_SIZE:], "big")
        return encode_dss_signature(r, s)
    return signature


def _digest_ok(name: str, value: str, body: bytes) -> bool:
    if name == "content-digest":
        try:
            parsed: Any = http_sf.parse(value.encode(), tltype="dictionary")
        except Exception:
            return False
        if not isinstance(parsed, dict):
            return False
        for algorithm, (raw, _) in parsed.items():
            hasher = {"sha-512": hashlib.sha512, "sha-256": hashlib.sha256}.get(algorithm)
            if hasher is not None and isinstance(raw, bytes):
                return hmac.compare_digest(raw, hasher(body).digest())
        return False
    algorithm, _, encoded = value.partition("=")
    hasher = {"SHA-512": hashlib.sha512, "SHA-256": hashlib.sha256}.get(algorithm.upper())
    if hasher is None:
        return False
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        return False
    return hmac.compare_digest(raw, hasher(body).digest())


def verify_delivery(method: str, path: str, headers: dict[str, str], body: bytes,
                    keys: dict[str, ec.EllipticCurvePublicKey], *, now: float,
                    max_skew: float = MAX_SKEW) -> None:
    """Raise ``DeliveryRefused`` unless the delivery is signed by one of ``keys``;
    ``KeyError`` (the kid) when its key is not known."""
    sig_input, signature = headers.get("signature-input"), headers.get("signature")
    if not sig_input or not signature:
        raise DeliveryRefused(401, "the delivery is not signed")
    try:
        inputs: Any = http_sf.parse(sig_input.encode(), tltype="dictionary")
        signatures: Any = http_sf.parse(signature.encode(), tltype="dictionary")
        assert isinstance(inputs, dict) and isinstance(signatures, dict)
        label = next(iter(inputs))
        members, params = inputs[label]
        raw_signature = signatures[label][0]
        names = [str(member[0]) for member in members]
        assert isinstance(raw_signature, bytes)
    except Exception:
        raise DeliveryRefused(401, "the signature headers cannot be read") from None
    kid = params.get("keyid")
    if not isinstance(kid, str):
        raise DeliveryRefused(401, "the signature names no key")
    expires = params.get("expires")
    if isinstance(expires, int) and expires < now - max_skew:
        raise DeliveryRefused(401, "the signature has expired")
    digests = [n for n in names if n in ("digest", "content-digest")]
    if not digests:
        raise DeliveryRefused(401, "the signature does not cover the body")
    values: list[tuple[str, str]] = []
    for name in names:
        if name == "@method":
            value = method.upper()
        elif name == "@path":
            value = path
        elif name.startswith("@"):
            raise DeliveryRefused(401, f"the signature covers {name}, which is not supported")
        elif name in headers:
            value = headers[name]
        else:
            raise DeliveryRefused(401, f"the signed header {name} is missing")
        values.append((name, value))
    for name in digests:
        if not _digest_ok(name, headers[name], body):
            raise DeliveryRefused(401, "the body does not match its digest")
    key = keys[kid]  # KeyError: the caller fetches the keys again
    params_text = sig_input.split("=", 1)[1].strip()
    der = _der(raw_signature)
    for quoted in (False, True):  # v6 (Upvest's webhooks), then v15
        lines = [f'"{n}": {v}' if quoted else f"{n}: {v}" for n, v in values]
        lines.append(('"@signature-params"' if quoted else "@signature-params")
                     + f": {params_text}")
        with contextlib.suppress(InvalidSignature):
            key.verify(der, "\n".join(lines).encode(), ec.ECDSA(hashes.SHA512()))
            return
    raise DeliveryRefused(401, "the signature is not Upvest's")


def parse_events(body: bytes) -> list[WebhookEvent]:
    """``{"payload": [...]}``, a list, or one event (the envelope is UNCONFIRMED)."""
    data = exact_json.loads(body)
    items: Any = data.get("payload", data) if isinstance(data, dict) else data
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise ValueError("no events")
    events = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("an event is not an object")
        obj = item.get("object")
        fields = [item.get(k) for k in ("id", "created_at", "type", "webhook_id")]
        if not all(isinstance(f, str) and f for f in fields[:3]) or not isinstance(obj, dict):
            raise ValueError("an event lacks id, created_at, type or object")
        events.append(WebhookEvent(str(fields[0]), str(fields[1]), str(fields[2]), obj,
                                   str(fields[3] or "")))
    return events


class WebhookReceiver:
    """``await start()`` serves on ``host:port`` (0: a free port) and returns the URL."""

    def __init__(self, key_source: KeySource, on_events: EventCallback, *,
                 host: str = "127.0.0.1", port: int = 0, path: str = DEFAULT_PATH,
                 max_skew: float = MAX_SKEW, clock: Callable[[], float] = time.time) -> None:
        self.key_source = key_source
        self.on_events = on_events
        self.host = host
        self.port = port
        self.path = path
        self.max_skew = max_skew
        self.clock = clock
        self._keys: dict[str, ec.EllipticCurvePublicKey] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.accepted = 0  # events handed over
        self.duplicates = 0
        self.ignored = 0  # other event types, acknowledged
        self.refused: list[str] = []
        self.deliveries = 0  # signed deliveries answered 200 (tests, the settings dialog)
        self.last_delivery = 0.0  # monotonic time of the latest one

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    # ------------------------------------------------------------------ ASGI

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, text = await self.handle(scope["method"], scope["path"],
                                         {k.decode("latin-1").lower(): v.decode("latin-1")
                                          for k, v in scope["headers"]}, body)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": text.encode()})

    async def handle(self, method: str, path: str, headers: dict[str, str], body: bytes
                     ) -> tuple[int, str]:
        if method != "POST" or path.rstrip("/") != self.path.rstrip("/"):
            return 404, "not found"
        try:
            await self._verify(method, path, headers, body)
            events = parse_events(body)
        except DeliveryRefused as refused:
            self.refused.append(refused.reason)
            log.warning("Upvest webhook refused: %s", refused.reason)
            return refused.status, refused.reason
        except ValueError:
            self.refused.append("unreadable body")
            return 400, "unreadable body"
        fresh = [e for e in events if e.id not in self._seen]
        self.duplicates += len(events) - len(fresh)
        wanted = [e for e in fresh if e.type.startswith(HANDED_OVER)]
        self.ignored += len(fresh) - len(wanted)
        if wanted:
            try:
                result = self.on_events(wanted)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("handling Upvest webhook events failed")
                return 500, "not handled"
        for event in fresh:
            self._seen[event.id] = None
        while len(self._seen) > SEEN_KEPT:
            self._seen.popitem(last=False)
        self.accepted += len(wanted)
        self.deliveries += 1
        self.last_delivery = time.monotonic()
        return 200, "ok"

    async def _verify(self, method: str, path: str, headers: dict[str, str], body: bytes
                      ) -> None:
        for attempt in range(2):
            try:
                await asyncio.to_thread(verify_delivery, method, path, headers, body,
                                        dict(self._keys), now=self.clock(),
                                        max_skew=self.max_skew)
                return
            except KeyError:
                if attempt:
                    raise DeliveryRefused(401, "the signing key is not Upvest's") from None
                await self.refresh_keys()

    async def refresh_keys(self) -> None:
        found: dict[str, ec.EllipticCurvePublicKey] = {}
        for jwk in await self.key_source():
            with contextlib.suppress(ValueError, TypeError):
                found[str(jwk.get("kid"))] = public_key(jwk)
        self._keys = found

    # ------------------------------------------------------------------ serving

    async def start(self) -> str:
        if self._task is not None:
            return self.url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        # Plain HTTP over h11, imported with this module (off the loop, as the adapter is
        # preloaded; uvicorn importing its protocols as it started serving held the loop
        # 12-33 ms), no WebSocket protocol; uvicorn's records go to the app's own logging
        # (masked) instead of a logging setup of its own.
        config = uvicorn.Config(self, log_level="warning", access_log=False, lifespan="off",
                                server_header=False, timeout_graceful_shutdown=1,
                                http="h11", ws="none", log_config=None)
        server = _LoopServer(config)
        self._server = server
        self._task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the webhook receiver stopped at once")
            await asyncio.sleep(0.01)
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._server = self._task = None


class _LoopServer(uvicorn.Server):
    """uvicorn on the caller's loop, leaving the app's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def handed_over(events: Sequence[WebhookEvent]) -> list[WebhookEvent]:
    return [e for e in events if e.type.startswith(HANDED_OVER)]
