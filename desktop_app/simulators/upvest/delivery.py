"""Signed webhook deliveries, retried with back-off until the receiver answers 200.

As UP-DOCS describes delivery ("Implementing a webhook handler"): several events per
request, oldest first; anything but HTTP 200 and the whole request is sent again after
1, 2, 3, 5, 8 ... up to 600 s (divided by the state's ``time_scale``), and a webhook's
later events wait behind it. The body is ``{"payload": [events]}`` (the only published
envelope, UNCONFIRMED) and every attempt is signed afresh.

Signature: Upvest signs webhooks with the draft's version 6 (UP-DOCS "Choosing HTTP
message signature versions"): component names unquoted in the base (a bug Upvest keeps
for compatibility) and a ``digest`` header (``SHA-512=<base64>``) instead of
``content-digest``. Covered here: ``"@method" "@path" "content-type" "content-length"
"digest" "date"``; ``keyid`` is the ``kid`` published at ``/auth/verify_keys``;
``expires`` = created + 60 s (the covered list and lifetime are UNCONFIRMED).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from desktop_app.domain.exact_json import dumps

BACKOFF = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 600)
WEBHOOK_EXPIRES = 60
IDLE_EXIT = 2.0
TICK = 0.05


def backoff_seconds(attempts: int) -> float:
    return float(BACKOFF[min(attempts, len(BACKOFF)) - 1]) if attempts > 0 else 0.0


class WebhookSigner:
    def __init__(self, key: ec.EllipticCurvePrivateKey, key_id: str) -> None:
        self.key = key
        self.key_id = key_id

    def headers(self, url: str, body: bytes, *, now: float, nonce: str) -> dict[str, str]:
        created = int(now)
        path = urlsplit(url).path or "/"
        digest = "SHA-512=" + base64.b64encode(hashlib.sha512(body).digest()).decode()
        values = [
            ("@method", "POST"),
            ("@path", path),
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            ("digest", digest),
            ("date", formatdate(timeval=created, localtime=False, usegmt=True)),
        ]
        names = " ".join(f'"{name}"' for name, _ in values)
        params = (f'({names});keyid="{self.key_id}";created={created};'
                  f'expires={created + WEBHOOK_EXPIRES};nonce="{nonce}"')
        base = "\n".join(f"{name}: {value}" for name, value in values)
        base += f"\n@signature-params: {params}"
        signature = self.key.sign(base.encode(), ec.ECDSA(hashes.SHA512()))
        return {
            "content-type": "application/json",
            "digest": digest,
            "date": values[-1][1],
            "signature-input": f"sig1={params}",
            "signature": f"sig1=:{base64.b64encode(signature).decode()}:",
        }


class Deliveries:
    """A worker thread, started when there is something to do and gone when idle (the
    simulator has no stop hook): it advances the state's timers and sends webhooks."""

    def __init__(
        self,
        tick: Callable[[], None],
        due: Callable[[], list[tuple[Any, list[dict[str, Any]]]]],
        settle: Callable[[Any, list[dict[str, Any]], int], None],
        busy: Callable[[], bool],
        signer: WebhookSigner,
    ) -> None:
        self._tick = tick
        self._due = due
        self._settle = settle
        self._busy = busy
        self.signer = signer
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self.timeout = 5.0

    def wake(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="upvest-sim-webhooks",
                                                daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        idle_since = time.monotonic()
        with httpx.Client(timeout=self.timeout) as http:
            while True:
                self._wake.clear()
                self._tick()
                for hook, events in self._due():
                    self._settle(hook, events, self._post(http, hook.url, events))
                if self._busy():
                    idle_since = time.monotonic()
                else:
                    with self._lock:
                        if time.monotonic() - idle_since > IDLE_EXIT and not self._wake.is_set():
                            self._thread = None
                            return
                self._wake.wait(TICK)

    def _post(self, http: httpx.Client, url: str, events: list[dict[str, Any]]) -> int:
        body = dumps({"payload": events}, allow_float=True)
        headers = self.signer.headers(url, body, now=time.time(), nonce=str(uuid.uuid4()))
        try:
            return http.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            return 0
