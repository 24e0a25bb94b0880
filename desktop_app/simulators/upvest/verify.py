"""What the simulator checks of each request's v15 signature, in Upvest's words.

Each refusal is HTTP 401 ``https://docs.upvest.co/errors/unauthorised`` "Unauthorised"
with a ``detail`` (UP-DOCS "API Errors": "Signature is incorrect"); the other details
are ours (UNCONFIRMED wording). In order:

1. ``signature`` or ``signature-input`` missing: "Signature is missing";
2. not Structured Fields, no ``keyid``/``created``/``expires``, or the two labels differ:
   "Signature is malformed";
3. an unknown ``keyid``: "Signature key is unknown";
4. ``expires`` passed (5 s of clock skew allowed) or ``created`` in the future:
   "Signature has expired" / "Signature is not valid yet";
5. a required component not covered (UP-DOCS v15 list: ``@method``, ``@path``,
   ``@query`` when there is a query, ``authorization`` except on ``/auth/token``,
   ``upvest-client-id``, and with a body ``content-digest``, ``content-length`` and
   ``content-type``): "Signature does not cover <name>";
6. ``content-digest`` not the body's SHA-512: "Content digest does not match the body";
7. the signature itself (``http-message-signatures`` rebuilds the base from the
   request): "Signature is incorrect";
8. a nonce seen before within its validity: "Signature nonce was used before".
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import http_sf
from http_message_signatures import HTTPMessageVerifier
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from http_message_signatures.resolvers import MappingKeyResolver

from desktop_app.simulators.upvest.keys import PublicKey, algorithm_for

SKEW = 5


class SignatureRefused(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Message:
    """What the verifier reads: method, the URL as sent, the header lines."""

    method: str
    url: str
    headers: Any


def _params(sig_input: str, signature: str) -> tuple[list[str], dict[str, Any], bytes]:
    try:
        inputs = http_sf.parse(sig_input.encode(), tltype="dictionary")
        signatures = http_sf.parse(signature.encode(), tltype="dictionary")
    except Exception as exc:  # http_sf raises ValueError and friends
        raise SignatureRefused("Signature is malformed") from exc
    if not isinstance(inputs, dict) or not isinstance(signatures, dict):
        raise SignatureRefused("Signature is malformed")
    if len(inputs) != 1 or inputs.keys() != signatures.keys():
        raise SignatureRefused("Signature is malformed")
    label = next(iter(inputs))
    members, params = inputs[label]
    raw = signatures[label][0]
    if not isinstance(members, list) or not isinstance(raw, bytes):
        raise SignatureRefused("Signature is malformed")
    names = [m[0] for m in members if isinstance(m, tuple) and isinstance(m[0], str)]
    if len(names) != len(members):
        raise SignatureRefused("Signature is malformed")
    for name, kind in (("keyid", str), ("created", int), ("expires", int)):
        if not isinstance(params.get(name), kind) or isinstance(params.get(name), bool):
            raise SignatureRefused("Signature is malformed")
    return names, dict(params), raw


def required_components(path: str, has_query: bool, has_body: bool) -> list[str]:
    needed = ["@method", "@path", "upvest-client-id"]
    if has_query:
        needed.append("@query")
    if not path.rstrip("/").endswith("/auth/token"):
        needed.append("authorization")
    if has_body:
        needed += ["content-digest", "content-length", "content-type"]
    return needed


def digest_matches(header: str, body: bytes) -> bool:
    try:
        parsed = http_sf.parse(header.encode(), tltype="dictionary")
    except Exception:
        return False
    if not isinstance(parsed, dict) or "sha-512" not in parsed:
        return False
    value = parsed["sha-512"][0]
    return isinstance(value, bytes) and hmac.compare_digest(
        value, hashlib.sha512(body).digest()
    )


class RequestVerifier:
    def __init__(self, keys: dict[str, PublicKey], clock: Callable[[], float] = time.time
                 ) -> None:
        self.keys = keys
        self.clock = clock
        self._nonces: dict[str, float] = {}

    def verify(self, message: Message, path: str, has_query: bool, body: bytes) -> None:
        headers = message.headers
        sig_input, signature = headers.get("signature-input"), headers.get("signature")
        if not sig_input or not signature:
            raise SignatureRefused("Signature is missing")
        names, params, _ = _params(sig_input, signature)
        key = self.keys.get(params["keyid"])
        if key is None:
            raise SignatureRefused("Signature key is unknown")
        now = self.clock()
        if params["expires"] < now - SKEW:
            raise SignatureRefused("Signature has expired")
        if params["created"] > now + SKEW:
            raise SignatureRefused("Signature is not valid yet")
        for name in required_components(path, has_query, bool(body)):
            if name not in names:
                raise SignatureRefused(f"Signature does not cover {name}")
        if body and not digest_matches(headers.get("content-digest", ""), body):
            raise SignatureRefused("Content digest does not match the body")
        verifier = HTTPMessageVerifier(
            signature_algorithm=algorithm_for(key),
            key_resolver=MappingKeyResolver(public_keys=dict(self.keys), private_keys={}),
        )
        verifier.max_clock_skew = timedelta(seconds=SKEW)
        try:
            verifier.verify(message, max_age=None)
        except (HTTPMessageSignaturesException, ValueError) as exc:
            raise SignatureRefused("Signature is incorrect") from exc
        nonce = params.get("nonce")
        if isinstance(nonce, str):
            self._forget(now)
            if nonce in self._nonces:
                raise SignatureRefused("Signature nonce was used before")
            self._nonces[nonce] = params["expires"] + SKEW

    def _forget(self, now: float) -> None:
        if len(self._nonces) < 10_000:
            return
        for nonce, until in list(self._nonces.items()):
            if until < now:
                del self._nonces[nonce]

