"""Async Darwinex REST client: OAuth2 bearer tokens, refresh and rotation, the three APIs.

One host serves every API and both environments (https://api.darwinex.com): the token
decides whether a call sees the DEMO or the LIVE investor accounts.

Tokens. Every call carries ``Authorization: Bearer <access token>``. The access token
lives about an hour; ``POST /token`` (Basic consumer key:secret, form
``grant_type=refresh_token``) trades the refresh token for a new pair, and the refresh
token ROTATES: the old one is dead from then on, so the new pair is handed to
``on_tokens`` (which persists it) before anything else happens. The client refreshes
about 300 s before the expiry when it knows the expiry (after its first refresh; a
pasted token's age is unknown) and whenever the gateway answers 401 "Invalid
Credentials". The refused request is then sent once more, a write too: the WSO2
gateway checks the token before it forwards anything to the trading backend, so an
order refused with 401 never reached it. A second 401 right after a refresh is an
``AuthError``.

A lost reply to ``POST /token`` is asked again with the same refresh token (if the
server never got it, that works; if it did rotate, the answer is ``invalid_grant`` and
the trader has to generate a new token: said so in the error).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from desktop_app.brokers.darwinex.budgets import (
    ACCOUNT_INFO,
    ACCOUNT_LIST,
    ALL,
    INFO,
    SCORES,
    TRADING,
    DarwinexLimiter,
)
from desktop_app.brokers.darwinex.errors import (
    BROKER,
    TOKEN_HINT,
    TokenExpired,
    map_error,
    throttle_policy,
)
from desktop_app.domain.errors import AuthError, ProtocolError, RateLimited, Unavailable
from desktop_app.domain.types import Environment
from desktop_app.net.http import BrokerHttp, reply_body
from desktop_app.net.limiter import Priority
from desktop_app.net.redact import SECRET_FIELDS, Redactor
from desktop_app.net.request_log import RequestLog

log = logging.getLogger(__name__)

BASE_URL = "https://api.darwinex.com"
TOKEN_PATH = "/token"
ACCOUNT_INFO_API = "/investoraccountinfo/2.0"
INFO_API = "/darwininfo/2.0"
TRADING_API = "/trading/1.1"

# Refresh this long before the access token expires (as darwinexapis does) ...
REFRESH_BEFORE = 300.0
# ... but never more than this share of its lifetime (short-lived tokens in tests).
REFRESH_SHARE = 0.25
# BrokerHttp waits out three throttled replies per call; a read gets this many more rounds.
READ_RATE_LIMIT_ROUNDS = 3
PER_PAGE = 50
MAX_PAGES = 40
# GET /products: the list is long (6,445 products in 2020); large pages (UNCONFIRMED
# maximum: a server that gives fewer per page is simply asked for more pages).
PRODUCTS_PER_PAGE = 1000

OnTokens = Callable[[str, str], None]


def segment(value: str) -> str:
    """An id or product name as one URL path segment."""
    return quote(str(value), safe="")


def page_items(data: Any) -> tuple[list[dict[str, Any]], bool]:
    """(items, last page?) of a Spring page, or of a bare list (taken as complete)."""
    if isinstance(data, list):
        return [d for d in data if isinstance(d, dict)], True
    if isinstance(data, dict):
        content = data.get("content")
        items = [d for d in content if isinstance(d, dict)] if isinstance(content, list) else []
        last = data.get("last")
        if last is None:
            total = data.get("totalPages")
            number = data.get("number")
            last = not (isinstance(total, int) and isinstance(number, int)
                        and number + 1 < total)
        return items, bool(last) or not items
    if data is None:
        return [], True
    raise ProtocolError("Darwinex sent a list in an unknown shape.", broker=BROKER)


class DarwinexClient:
    def __init__(
        self,
        *,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        refresh_token: str,
        environment: Environment = Environment.DEMO,
        base_url: str | None = None,
        connection_id: str = "darwinex",
        request_log: RequestLog | None = None,
        time_scale: float = 1.0,
        on_tokens: OnTokens | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.environment = environment
        self.time_scale = time_scale if time_scale > 0 else 1.0
        self._consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self._access = access_token
        self._refresh = refresh_token
        self.on_tokens = on_tokens
        self.redactor = Redactor(fields=SECRET_FIELDS | {"id_token"})
        for secret in (consumer_secret, access_token, refresh_token, self._basic()):
            self.redactor.add_secret(secret)
        self.limiter = DarwinexLimiter(self.time_scale)
        self.http = BrokerHttp(
            broker=BROKER,
            connection_id=connection_id,
            base_url=(base_url or BASE_URL).rstrip("/"),
            limiter=self.limiter,
            error_mapper=map_error,
            request_log=request_log,
            redactor=self.redactor,
            transport=transport,
            throttle=throttle_policy(self.time_scale),
        )
        self._lock = asyncio.Lock()
        self._generation = 0
        self._expires_at: float | None = None  # monotonic; None: unknown (a pasted token)
        self._refresh_margin = REFRESH_BEFORE
        self._auth_failed: AuthError | None = None
        self.refreshes = 0

    # ------------------------------------------------------------------ tokens

    def _basic(self) -> str:
        raw = f"{self._consumer_key}:{self._consumer_secret}".encode()
        return base64.b64encode(raw).decode()

    @property
    def environment_name(self) -> str:
        return "live" if self.environment is Environment.LIVE else "demo"

    def _due(self) -> bool:
        if self._expires_at is None:
            return False
        return time.monotonic() >= self._expires_at - self._refresh_margin

    async def refresh(self, generation: int | None = None) -> None:
        """Trade the refresh token for a new pair, once, however many calls ask at once."""
        async with self._lock:
            if generation is not None and generation != self._generation:
                return  # another call refreshed meanwhile
            if self._auth_failed is not None:
                raise self._repeat(self._auth_failed)
            try:
                await self._refresh_locked()
            except AuthError as exc:
                self._auth_failed = exc
                raise

    async def _refresh_locked(self) -> None:
        if not self._refresh:
            raise AuthError(
                "The Darwinex access token has expired and the connection has no refresh "
                "token to renew it.",
                hint=TOKEN_HINT, broker=BROKER,
            )
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh}
        headers = {"Authorization": f"Basic {self._basic()}"}
        # Sent as a read: a lost reply is asked again with the same refresh token, which
        # either works (it never arrived) or says invalid_grant (it did rotate).
        response = await self.http.request(
            "POST", TOKEN_PATH, form=form, headers=headers, priority=Priority.INTERACTIVE,
            budgets=(ALL,),
        )
        data = reply_body(response, BROKER)
        if not isinstance(data, dict) or not data.get("access_token"):
            raise AuthError(
                "Darwinex renewed the token but its answer could not be read.",
                hint=TOKEN_HINT, broker=BROKER,
            )
        access = str(data["access_token"])
        refresh = str(data.get("refresh_token") or self._refresh)
        for secret in (access, refresh, str(data.get("id_token") or "")):
            self.redactor.add_secret(secret)
        self._access, self._refresh = access, refresh
        self._generation += 1
        self.refreshes += 1
        lifetime = data.get("expires_in")
        if isinstance(lifetime, int | float | Decimal) and lifetime > 0:
            seconds = float(lifetime)
            self._refresh_margin = min(REFRESH_BEFORE, seconds * REFRESH_SHARE)
            self._expires_at = time.monotonic() + seconds
        else:
            self._expires_at = None
        if self.on_tokens is not None:
            # At once: the old refresh token is dead, the new one must outlive a crash.
            try:
                self.on_tokens(access, refresh)
            except Exception:
                log.exception("persisting the rotated Darwinex tokens failed")

    async def stream_token(self) -> tuple[str, int]:
        """The access token for a stream's handshake (renewed first when due) and its
        generation (for ``refresh`` after the stream's handshake was refused)."""
        if self._auth_failed is not None:
            raise self._repeat(self._auth_failed)
        if self._due():
            await self.refresh(self._generation)
        return self._access, self._generation

    @staticmethod
    def _repeat(failed: AuthError) -> AuthError:
        return AuthError(failed.message, code=failed.code, broker=BROKER, hint=failed.hint)

    # ------------------------------------------------------------------ requests

    async def send(
        self,
        method: str,
        path: str,
        *,
        budgets: Iterable[str],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
    ) -> httpx.Response:
        budget_names = tuple(budgets)
        refreshed = False
        limited = 0
        while True:
            if self.http.client.is_closed:
                raise Unavailable("The Darwinex connection is closed.", broker=BROKER)
            if self._auth_failed is not None:
                raise self._repeat(self._auth_failed)
            if self._due():
                await self.refresh(self._generation)
                refreshed = True
            generation = self._generation
            try:
                return await self.http.request(
                    method, path, budgets=budget_names, json=json, params=params,
                    headers={"Authorization": f"Bearer {self._access}"}, write=write,
                    priority=priority,
                )
            except TokenExpired as exc:
                if refreshed:
                    raise AuthError(
                        "Darwinex refused the access token right after renewing it.",
                        code=exc.code, broker=BROKER,
                        hint=(
                            f"This connection is set to {self.environment_name.upper()}: "
                            "demo and live tokens differ. " + TOKEN_HINT
                        ),
                    ) from None
                refreshed = True
                await self.refresh(generation)
            except RateLimited:
                # The limiter has paused the budgets; a read waits its turn once more.
                if write or limited >= READ_RATE_LIMIT_ROUNDS:
                    raise
                limited += 1

    async def call(
        self,
        method: str,
        path: str,
        *,
        budgets: Iterable[str],
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
    ) -> Any:
        response = await self.send(
            method, path, budgets=budgets, json=json, params=params, write=write,
            priority=priority,
        )
        return reply_body(response, BROKER, write=write)

    async def close(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ budgets

    def _account_budgets(self, account_id: str) -> tuple[str, ...]:
        return (ALL, ACCOUNT_INFO, self.limiter.account(account_id))

    @staticmethod
    def _trading() -> tuple[str, ...]:
        return (ALL, TRADING)

    @staticmethod
    def _info() -> tuple[str, ...]:
        return (ALL, INFO)

    @staticmethod
    def _scores() -> tuple[str, ...]:
        return (ALL, INFO, SCORES)

    # ------------------------------------------------------------------ paging

    async def _pages(
        self, path: str, *, budgets: tuple[str, ...], params: Mapping[str, Any] | None = None,
        per_page: int = PER_PAGE, priority: Priority = Priority.VISIBLE,
        max_pages: int = MAX_PAGES,
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(max_pages):
            data = await self.call(
                "GET", path, budgets=budgets, priority=priority,
                params={**(params or {}), "page": page, "per_page": per_page},
            )
            found, last = page_items(data)
            items.extend(found)
            if last:
                break
        return items

    # ------------------------------------------------------------------ Investor Account Info

    async def investor_accounts(
        self, *, priority: Priority = Priority.VISIBLE
    ) -> list[dict[str, Any]]:
        data = await self.call(
            "GET", f"{ACCOUNT_INFO_API}/investoraccounts", priority=priority,
            budgets=(ALL, ACCOUNT_INFO, ACCOUNT_LIST),
        )
        if not isinstance(data, list):
            raise ProtocolError("Darwinex sent no list of investor accounts.", broker=BROKER)
        return [d for d in data if isinstance(d, dict)]

    async def investor_account(
        self, account_id: str, *, priority: Priority = Priority.VISIBLE
    ) -> dict[str, Any]:
        data = await self.call(
            "GET", f"{ACCOUNT_INFO_API}/investoraccounts/{segment(account_id)}",
            budgets=self._account_budgets(account_id), priority=priority,
        )
        return data if isinstance(data, dict) else {}

    async def current_positions(
        self, account_id: str, *, priority: Priority = Priority.VISIBLE
    ) -> list[dict[str, Any]]:
        data = await self.call(
            "GET", f"{ACCOUNT_INFO_API}/investoraccounts/{segment(account_id)}/currentpositions",
            budgets=self._account_budgets(account_id), priority=priority,
        )
        return page_items(data)[0]

    async def conditional_orders(
        self, account_id: str, state: str = "pending", *, product: str | None = None,
        priority: Priority = Priority.VISIBLE,
    ) -> list[dict[str, Any]]:
        return await self._pages(
            f"{ACCOUNT_INFO_API}/investoraccounts/{segment(account_id)}/conditionalorders/"
            f"{segment(state)}",
            budgets=self._account_budgets(account_id), priority=priority,
            params={"productName": product} if product else None,
        )

    async def conditional_order(
        self, account_id: str, order_id: str, *, priority: Priority = Priority.INTERACTIVE
    ) -> dict[str, Any]:
        data = await self.call(
            "GET",
            f"{ACCOUNT_INFO_API}/investoraccounts/{segment(account_id)}/conditionalorders/"
            f"{segment(order_id)}",
            budgets=self._account_budgets(account_id), priority=priority,
        )
        return data if isinstance(data, dict) else {}

    async def executed_orders(
        self, account_id: str, *, product: str | None = None, page: int = 0,
        per_page: int = PER_PAGE, priority: Priority = Priority.INTERACTIVE,
    ) -> dict[str, Any] | list[Any]:
        """One page of ``orders/executed`` as sent (the caller decides how far to read)."""
        params: dict[str, Any] = {"page": page, "per_page": per_page}
        if product:
            params["productName"] = product
        data = await self.call(
            "GET", f"{ACCOUNT_INFO_API}/investoraccounts/{segment(account_id)}/orders/executed",
            budgets=self._account_budgets(account_id), priority=priority, params=params,
        )
        return data if isinstance(data, dict | list) else []

    async def executed_order(
        self, account_id: str, order_id: str, *, priority: Priority = Priority.INTERACTIVE
    ) -> dict[str, Any]:
        data = await self.call(
            "GET",
            f"{ACCOUNT_INFO_API}/investoraccounts/{segment(account_id)}/orders/"
            f"{segment(order_id)}",
            budgets=self._account_budgets(account_id), priority=priority,
        )
        return data if isinstance(data, dict) else {}

    async def trades(
        self, account_id: str, state: str = "open", *, product: str | None = None,
        priority: Priority = Priority.INTERACTIVE,
    ) -> list[dict[str, Any]]:
        return await self._pages(
            f"{ACCOUNT_INFO_API}/investoraccounts/{segment(account_id)}/trades/"
            f"{segment(state)}",
            budgets=self._account_budgets(account_id), priority=priority,
            params={"productName": product} if product else None,
        )

    # ------------------------------------------------------------------ Trading

    async def market_status(self, *, priority: Priority = Priority.VISIBLE) -> dict[str, Any]:
        data = await self.call(
            "GET", f"{TRADING_API}/productmarket/status", budgets=self._trading(),
            priority=priority,
        )
        return data if isinstance(data, dict) else {}

    def _account_path(self, account_id: str, rest: str) -> str:
        return f"{TRADING_API}/investoraccounts/{segment(account_id)}/{rest}"

    async def leverage(self, account_id: str) -> dict[str, Any]:
        data = await self.call(
            "GET", self._account_path(account_id, "leverage"), budgets=self._trading(),
            priority=Priority.INTERACTIVE,
        )
        return data if isinstance(data, dict) else {}

    async def set_leverage(self, account_id: str, leverage: Decimal) -> dict[str, Any]:
        data = await self.call(
            "PUT", self._account_path(account_id, "leverage"), json={"leverage": leverage},
            budgets=self._trading(), write=True, priority=Priority.INTERACTIVE,
        )
        return data if isinstance(data, dict) else {}

    async def _write(self, method: str, path: str, body: Any = None) -> Any:
        return await self.call(
            method, path, json=body, budgets=self._trading(), write=True,
            priority=Priority.INTERACTIVE,
        )

    async def buy(self, account_id: str, body: Mapping[str, Any]) -> Any:
        return await self._write("POST", self._account_path(account_id, "orders/buy"), dict(body))

    async def sell(self, account_id: str, body: Mapping[str, Any]) -> Any:
        return await self._write(
            "POST", self._account_path(account_id, "orders/sell"), dict(body)
        )

    async def create_conditional(self, account_id: str, body: Mapping[str, Any]) -> Any:
        return await self._write(
            "POST", self._account_path(account_id, "conditionalorders"), dict(body)
        )

    async def amend_conditional(
        self, account_id: str, order_id: str, body: Mapping[str, Any]
    ) -> Any:
        return await self._write(
            "PUT", self._account_path(account_id, f"conditionalorders/{segment(order_id)}"),
            dict(body),
        )

    async def delete_conditional(self, account_id: str, order_id: str) -> Any:
        return await self._write(
            "DELETE", self._account_path(account_id, f"conditionalorders/{segment(order_id)}")
        )

    async def stopout(self, account_id: str, product: str | None = None) -> Any:
        rest = "stopout" if product is None else f"stopout/{segment(product)}"
        return await self._write("POST", self._account_path(account_id, rest))

    # ------------------------------------------------------------------ DARWIN Info

    async def products(self, status: str = "ACTIVE") -> list[dict[str, Any]]:
        """Every product of ``status`` (several pages; the caller caches the list)."""
        items: list[dict[str, Any]] = []
        for page in range(MAX_PAGES):
            data = await self.call(
                "GET", f"{INFO_API}/products", budgets=self._info(),
                priority=Priority.INTERACTIVE,
                params={"status": status, "page": page, "per_page": PRODUCTS_PER_PAGE},
            )
            found, last = page_items(data)
            items.extend(found)
            if last:
                break
        return items

    async def filter_products(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        data = await self.call(
            "POST", f"{INFO_API}/products", json=dict(body), budgets=self._info(),
            priority=Priority.INTERACTIVE,
        )
        return page_items(data)[0]

    def _product_path(self, product: str, rest: str = "") -> str:
        tail = f"/{rest}" if rest else ""
        return f"{INFO_API}/products/{segment(product)}{tail}"

    async def product_status(
        self, product: str, *, priority: Priority = Priority.VISIBLE
    ) -> dict[str, Any]:
        data = await self.call(
            "GET", self._product_path(product, "status"), budgets=self._info(),
            priority=priority,
        )
        if not isinstance(data, dict):
            raise ProtocolError(f"Darwinex sent no status for {product}.", broker=BROKER)
        return data

    async def dxscore(self, product: str, *, priority: Priority = Priority.INTERACTIVE) -> Any:
        return await self.call(
            "GET", self._product_path(product, "dxscore"), budgets=self._scores(),
            priority=priority,
        )

    async def history(
        self, product: str, kind: str, *, params: Mapping[str, Any] | None = None,
        priority: Priority = Priority.INTERACTIVE,
    ) -> list[Any]:
        data = await self.call(
            "GET", self._product_path(product, f"history/{segment(kind)}"),
            budgets=self._scores(), params=params, priority=priority,
        )
        return data if isinstance(data, list) else []

    def scores_wait(self) -> float:
        """Seconds until the scores budget lets one more request go."""
        return self.limiter.wait_time(*self._scores())
