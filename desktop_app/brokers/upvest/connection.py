"""One signed, authenticated connection to the Upvest Investment API.

Tokens: OAuth2 client credentials at ``POST /auth/token`` (form body ``client_id``,
``client_secret``, ``grant_type=client_credentials``, ``scope`` space-separated; signed,
with ``upvest-client-id`` and no ``authorization``). The reply's ``expires_in`` (1799 s in
the sandbox, per UP-PY) sets when it is renewed: a minute before it runs out (a tenth of
its life for short-lived tokens, never under 5 s: UP-PY's margin). Calls that arrive
together share one token request. A 401 on a call with a token is answered by one new
token and one resend (Upvest refused it before doing anything); a second 401 is an
``AuthError`` with Upvest's words.

Creating calls carry the caller's ``idempotency-key`` (journalled before sending). A
reply lost on the way back (``MaybeSent``) is asked again with the same key up to
``resend_lost`` times: Upvest answers a repeated key with the first request's result,
so the outcome is the one resource, never a second one.

Lists: ``sort`` (``created_at``/``updated_at``), ``order`` (``ASC``/``DESC``), ``offset``
and ``limit`` (default 100, at most 1000); the reply is ``{"meta": {offset, limit, count,
total_count, sort, order}, "data": [...]}``. ``pages`` reads every page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from desktop_app.brokers.upvest.auth import UpvestAuth
from desktop_app.brokers.upvest.budgets import (
    Backoff,
    UpvestLimiter,
    read_budgets,
    token_budgets,
    write_budgets,
)
from desktop_app.brokers.upvest.errors import BROKER, CREDENTIALS_HINT, TokenRejected, map_error
from desktop_app.brokers.upvest.signing import RequestSigner, load_private_key
from desktop_app.domain.errors import AuthError, ProtocolError, Unavailable, ValidationError
from desktop_app.net.http import BrokerHttp, MaybeSent, reply_body
from desktop_app.net.limiter import Priority
from desktop_app.net.redact import PARTIAL_FIELDS, SECRET_FIELDS, SECRET_HEADERS, Redactor
from desktop_app.net.request_log import RequestLog

SANDBOX_URL = "https://sandbox.upvest.co"
LIVE_URL = "https://api.upvest.co"

# What the desk reads and changes; UP-SPEC: "You should always scope your access tokens".
DEFAULT_SCOPES = (
    "users:read",
    "accounts:read",
    "accounts:admin",
    "orders:read",
    "orders:admin",
    "positions:read",
    "valuations:read",
    "instruments:read",
    "payments:read",
    "webhooks:read",
    "webhooks:admin",
    "virtual_cash_balances:admin",
)
RENEW_BEFORE = 60.0
RENEW_SHARE = 0.1
MIN_RENEW_MARGIN = 5.0
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
SORTS = ("created_at", "updated_at")
ORDERS = ("ASC", "DESC")
RESEND_LOST = 2
MAX_PAGES = 10_000  # 10 million items at 1000 a page: a runaway guard, not a limit

SECRET_UPVEST_HEADERS = SECRET_HEADERS | {"signature", "signature-input"}
SECRET_UPVEST_FIELDS = SECRET_FIELDS | {"client_secret", "private_key_pem", "key_passphrase"}
PARTIAL_UPVEST_FIELDS = PARTIAL_FIELDS | {
    "user_id", "account_group_id", "client_id", "securities_account_number", "first_name",
    "last_name",
}


@dataclass(frozen=True, slots=True)
class UpvestCredentials:
    """What Upvest issues when it registers the public key (delivered PGP-encrypted)."""

    client_id: str
    client_secret: str = field(repr=False)
    key_id: str
    private_key_pem: str = field(repr=False)
    key_passphrase: str = field(default="", repr=False)
    scopes: tuple[str, ...] = DEFAULT_SCOPES


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    offset: int
    limit: int
    count: int
    total_count: int


def _int(meta: Mapping[str, Any], name: str) -> int:
    value = meta.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"Upvest sent a list without meta.{name}.", broker=BROKER)
    return value


def read_page(data: Any) -> Page:
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ProtocolError("Upvest sent a list in an unknown shape.", broker=BROKER)
    meta = data.get("meta")
    if not isinstance(meta, dict):
        raise ProtocolError("Upvest sent a list without its meta.", broker=BROKER)
    items = [d for d in data["data"] if isinstance(d, dict)]
    if len(items) != len(data["data"]):
        raise ProtocolError("Upvest sent a list with unreadable items.", broker=BROKER)
    return Page(items, _int(meta, "offset"), _int(meta, "limit"), _int(meta, "count"),
                _int(meta, "total_count"))


def check_paging(sort: str | None, order: str | None, limit: int, offset: int) -> None:
    if sort is not None and sort not in SORTS:
        raise ValidationError(f"Upvest sorts by {' or '.join(SORTS)}, not {sort!r}.",
                              field="sort", broker=BROKER)
    if order is not None and order not in ORDERS:
        raise ValidationError("The order is ASC or DESC.", field="order", broker=BROKER)
    if not 0 <= limit <= MAX_LIMIT:
        raise ValidationError(f"A page holds 0 to {MAX_LIMIT} items.", field="limit",
                              broker=BROKER)
    if offset < 0:
        raise ValidationError("The offset cannot be negative.", field="offset", broker=BROKER)


class UpvestConnection:
    """Token, signing, budgets and paging; ``UpvestClient`` adds the endpoints.

    Constructing it reads the private key (PEM, an optional passphrase): a service
    should build it in ``asyncio.to_thread`` (an encrypted key costs a key derivation).
    """

    def __init__(
        self,
        credentials: UpvestCredentials,
        *,
        base_url: str = SANDBOX_URL,
        connection_id: str = "upvest",
        request_log: RequestLog | None = None,
        time_scale: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
        resend_lost: int = RESEND_LOST,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not credentials.client_id or not credentials.client_secret or not credentials.key_id:
            raise AuthError("The Upvest client id, client secret and key id are all needed.",
                            broker=BROKER, hint=CREDENTIALS_HINT)
        key = load_private_key(credentials.private_key_pem, credentials.key_passphrase)
        self.credentials = credentials
        self.time_scale = time_scale if time_scale > 0 else 1.0
        self.resend_lost = resend_lost
        self.redactor = Redactor(headers=SECRET_UPVEST_HEADERS, fields=SECRET_UPVEST_FIELDS,
                                 partial=PARTIAL_UPVEST_FIELDS)
        self.redactor.add_secret(credentials.client_secret)
        self.limiter = UpvestLimiter(self.time_scale)
        self.backoff = Backoff(self.time_scale)
        self.auth = UpvestAuth(RequestSigner(key, credentials.key_id), credentials.client_id,
                               clock=clock)
        self.http = BrokerHttp(
            broker=BROKER,
            connection_id=connection_id,
            base_url=base_url.rstrip("/"),
            limiter=self.limiter,
            error_mapper=map_error,
            request_log=request_log,
            redactor=self.redactor,
            transport=transport,
            throttle=self.backoff,
            auth=self.auth,
        )
        self._token = ""
        self._expires_at = 0.0  # monotonic
        self._generation = 0
        self._lock = asyncio.Lock()
        self.token_requests = 0
        self.granted_scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"UpvestConnection(client_id={self.credentials.client_id!r})"

    async def close(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ tokens

    def _due(self) -> bool:
        return not self._token or time.monotonic() >= self._expires_at

    async def access_token(self, *, stale_generation: int | None = None) -> tuple[str, int]:
        """(token, generation): the current token, renewed when due or when the caller
        saw ``stale_generation`` refused (once, however many calls ask together)."""
        async with self._lock:
            refused = stale_generation is not None and stale_generation == self._generation
            if refused or self._due():
                await self._request_token()
            return self._token, self._generation

    async def _request_token(self) -> None:
        c = self.credentials
        form = {
            "client_id": c.client_id,
            "client_secret": c.client_secret,
            "grant_type": "client_credentials",
            "scope": " ".join(c.scopes),
        }
        response = await self.http.request(
            "POST", "/auth/token", form=form, budgets=token_budgets(),
            priority=Priority.INTERACTIVE,
        )
        data = reply_body(response, BROKER)
        token = data.get("access_token") if isinstance(data, dict) else None
        lifetime = data.get("expires_in") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError("Upvest answered the token request without a token.",
                            broker=BROKER, hint=CREDENTIALS_HINT)
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | Decimal) or lifetime <= 0:
            raise ProtocolError("Upvest's token came without a lifetime.", broker=BROKER)
        self.redactor.add_secret(token)
        seconds = float(lifetime)
        margin = max(MIN_RENEW_MARGIN / self.time_scale, min(RENEW_BEFORE, seconds * RENEW_SHARE))
        self._token = token
        self._expires_at = time.monotonic() + max(0.0, seconds - margin)
        self._generation += 1
        self.token_requests += 1
        scope = data.get("scope") if isinstance(data, dict) else None
        self.granted_scopes = tuple(str(scope).split()) if scope else ()

    # ------------------------------------------------------------------ requests

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
    ) -> httpx.Response:
        """One call with a valid token; a 401 gets one new token and one resend."""
        if self.http.client.is_closed:
            raise Unavailable("The Upvest connection is closed.", broker=BROKER)
        budgets = write_budgets() if write else read_budgets()
        stale: int | None = None
        while True:
            token, generation = await self.access_token(stale_generation=stale)
            headers = {"authorization": f"Bearer {token}"}
            if idempotency_key is not None:
                headers["idempotency-key"] = idempotency_key
            try:
                return await self.http.request(
                    method, path, json=json, params=params, headers=headers, budgets=budgets,
                    write=write, priority=priority,
                )
            except TokenRejected as exc:
                if stale is not None:
                    raise AuthError(exc.message, code=exc.code, broker=BROKER,
                                    hint=CREDENTIALS_HINT) from None
                stale = generation

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
    ) -> Any:
        response = await self.send(method, path, json=json, params=params,
                                   idempotency_key=idempotency_key, write=write,
                                   priority=priority)
        return reply_body(response, BROKER, write=write)

    async def create(self, path: str, body: Mapping[str, Any], *, idempotency_key: str,
                     priority: Priority = Priority.INTERACTIVE) -> dict[str, Any]:
        """A creating POST under the caller's idempotency key; a lost reply is asked again
        with the same key (see the module doc), then ``MaybeSent`` if still unknown."""
        if not idempotency_key:
            raise ValidationError("A creating call needs an idempotency key.", broker=BROKER)
        attempt = 0
        while True:
            try:
                data = await self.call("POST", path, json=dict(body),
                                       idempotency_key=idempotency_key, write=True,
                                       priority=priority)
            except MaybeSent:
                if attempt >= self.resend_lost:
                    raise
                attempt += 1
                await asyncio.sleep(0.05 * attempt / self.time_scale)
                continue
            if not isinstance(data, dict):
                raise MaybeSent(f"Upvest accepted POST {path} but sent no resource back.",
                                broker=BROKER)
            return data

    async def resource(self, path: str, *, priority: Priority = Priority.VISIBLE,
                       params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = await self.call("GET", path, priority=priority, params=params)
        if not isinstance(data, dict):
            raise ProtocolError(f"Upvest sent no object for {path}.", broker=BROKER)
        return data

    # ------------------------------------------------------------------ lists

    async def page(
        self, path: str, *, offset: int = 0, limit: int = DEFAULT_LIMIT,
        sort: str | None = None, order: str | None = None,
        params: Mapping[str, Any] | None = None, priority: Priority = Priority.VISIBLE,
    ) -> Page:
        check_paging(sort, order, limit, offset)
        query: dict[str, Any] = {**(params or {}), "offset": offset, "limit": limit}
        if sort is not None:
            query["sort"] = sort
        if order is not None:
            query["order"] = order
        return read_page(await self.call("GET", path, params=query, priority=priority))

    async def pages(
        self, path: str, *, sort: str | None = None, order: str | None = None,
        page_size: int = MAX_LIMIT, params: Mapping[str, Any] | None = None,
        priority: Priority = Priority.VISIBLE,
    ) -> list[dict[str, Any]]:
        """Every item of a list, page after page until ``total_count`` is reached."""
        if page_size < 1:
            raise ValidationError("A page must hold at least one item.", broker=BROKER)
        items: list[dict[str, Any]] = []
        offset = 0
        for _ in range(MAX_PAGES):
            found = await self.page(path, offset=offset, limit=page_size, sort=sort,
                                    order=order, params=params, priority=priority)
            items.extend(found.items)
            offset += len(found.items)
            if not found.items or offset >= found.total_count:
                return items
            # A reply already there is read without the loop turning: a page of 1,000
            # accounts each, and the loop gets its turn between them.
            await asyncio.sleep(0)
        raise ProtocolError(f"Upvest's list {path} did not end.", broker=BROKER)


def plain(value: Decimal) -> str:
    """A Decimal as Upvest's decimal strings write it (no exponent)."""
    return format(value, "f")

