"""Async Capital.com REST client: session tokens, transparent renewal, keep-alive.

Every call carries ``CST`` + ``X-SECURITY-TOKEN`` (taken from ``POST /session`` and
refreshed whenever a reply carries new ones). A session dies 10 minutes after its last
use; a background task pings before that. When a call finds the session gone (401) the
client logs in once more, puts back the account that was active, and repeats the call:
a 401 means the broker did not execute it, so even a write may be repeated. A second
401 in a row surfaces as ``AuthError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from desktop_app.brokers.capital.budgets import ALL, SESSION, capital_budgets, trading_budgets
from desktop_app.brokers.capital.crypto import encrypt_password
from desktop_app.brokers.capital.errors import (
    BROKER,
    INVALID_DEAL_REFERENCE,
    NOT_DIFFERENT_ACCOUNT,
    SessionExpired,
    map_error,
    split_code,
)
from desktop_app.brokers.capital.reads import CapitalReads, segment
from desktop_app.brokers.common.replies import as_object
from desktop_app.domain.errors import (
    AuthError,
    BrokerError,
    NotFound,
    ProtocolError,
    RateLimited,
    Rejected,
    Unavailable,
)
from desktop_app.domain.types import Environment
from desktop_app.net.http import BrokerHttp, MaybeSent, json_body, reply_body
from desktop_app.net.limiter import Priority, RateLimiter
from desktop_app.net.redact import Redactor
from desktop_app.net.request_log import RequestLog

log = logging.getLogger(__name__)

DEMO_URL = "https://demo-api-capital.backend-capital.com/api/v1"
LIVE_URL = "https://api-capital.backend-capital.com/api/v1"

# The session expires 10 minutes after its last use; ping after 8 idle minutes.
KEEPALIVE_AFTER = 480.0
# BrokerHttp already waits out three 429s per call; a read gets this many more rounds.
READ_RATE_LIMIT_ROUNDS = 3
CLOSE_TIMEOUT = 3.0


def base_url_for(environment: Environment, override: str | None = None) -> str:
    if override:
        return override.rstrip("/")
    return LIVE_URL if environment is Environment.LIVE else DEMO_URL


class CapitalClient(CapitalReads):
    def __init__(
        self,
        *,
        api_key: str,
        identifier: str,
        password: str,
        environment: Environment = Environment.DEMO,
        base_url: str | None = None,
        encrypted_login: bool = False,
        connection_id: str = "capital",
        request_log: RequestLog | None = None,
        redactor: Redactor | None = None,
        limiter: RateLimiter | None = None,
        keepalive_after: float = KEEPALIVE_AFTER,
        confirm_attempts: int = 15,
        confirm_interval: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.environment = environment
        self.encrypted_login = encrypted_login
        self.keepalive_after = keepalive_after
        self.confirm_attempts = confirm_attempts
        self.confirm_interval = confirm_interval
        self._api_key = api_key
        self._identifier = identifier
        self._password = password
        self.redactor = redactor or Redactor()
        self.redactor.add_secret(api_key)
        self.redactor.add_secret(password)
        self.limiter = limiter or RateLimiter(capital_budgets(environment), default=ALL)
        self.http = BrokerHttp(
            broker=BROKER,
            connection_id=connection_id,
            base_url=base_url_for(environment, base_url),
            limiter=self.limiter,
            error_mapper=map_error,
            request_log=request_log,
            redactor=self.redactor,
            transport=transport,
        )
        self._cst: str | None = None
        self._xst: str | None = None
        self._generation = 0
        self._login_lock = asyncio.Lock()
        self._auth_failed: AuthError | None = None
        self._wanted_account: str | None = None
        self._last_used = time.monotonic()
        self._keepalive_task: asyncio.Task[None] | None = None
        self._closed = False
        # What the last POST /session answered (accounts, currency, ...); no secrets.
        self.session: dict[str, Any] = {}
        self.account_id: str | None = None
        self.logins = 0
        self.pings = 0
        # Account switches sent (PUT /session): each one drops the streaming connection.
        self.switches = 0
        # Broker clock minus ours, from the replies' Date header (one-second resolution).
        self.clock_offset = timedelta(0)

    # ------------------------------------------------------------------ session

    @property
    def logged_in(self) -> bool:
        return self._cst is not None

    async def login(self) -> dict[str, Any]:
        """Start a session (plain or encrypted password) and the keep-alive task."""
        self._closed = False
        self._auth_failed = None
        async with self._login_lock:
            await self._login_locked()
        self.start_keepalive()
        return self.session

    async def close(self) -> None:
        """Stop the keep-alive, log out (best effort, briefly), close the connection."""
        if self._closed and self.http.client.is_closed:
            return
        self._closed = True
        task, self._keepalive_task = self._keepalive_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._cst is not None:
            with contextlib.suppress(BrokerError, TimeoutError):
                await asyncio.wait_for(
                    self.http.request(
                        "DELETE", "/session", headers=self._auth_headers(),
                        priority=Priority.INTERACTIVE,
                    ),
                    CLOSE_TIMEOUT,
                )
        self._cst = self._xst = None
        await self.http.aclose()

    async def _login_locked(self) -> None:
        try:
            response = await self._create_session()
        except AuthError as exc:
            self._cst = self._xst = None
            self._auth_failed = exc
            raise
        body = json_body(response, BROKER)
        cst = response.headers.get("CST")
        xst = response.headers.get("X-SECURITY-TOKEN")
        if not cst or not xst or not isinstance(body, dict):
            raise ProtocolError("Capital.com started a session without tokens.", broker=BROKER)
        self._set_tokens(cst, xst)
        self._auth_failed = None
        self.session = body
        self.account_id = str(body.get("currentAccountId") or "") or None
        self._generation += 1
        self.logins += 1
        self._touch()
        if self._wanted_account and self._wanted_account != self.account_id:
            # A new session starts on the preferred account; go back to the chosen one.
            await self._put_session(self._wanted_account, Priority.INTERACTIVE)

    async def _create_session(self) -> httpx.Response:
        headers = {"X-CAP-API-KEY": self._api_key}
        password = self._password
        if self.encrypted_login:
            reply = await self.http.request(
                "GET", "/session/encryptionKey", headers=headers, priority=Priority.INTERACTIVE
            )
            data = json_body(reply, BROKER)
            try:
                key, stamp = data["encryptionKey"], data["timeStamp"]
            except (KeyError, TypeError) as exc:
                raise ProtocolError(
                    "Capital.com sent no encryption key.", broker=BROKER
                ) from exc
            password = await encrypt_password(self._password, stamp, key)
            self.redactor.add_secret(password)
        body = {
            "identifier": self._identifier,
            "password": password,
            "encryptedPassword": self.encrypted_login,
        }
        return await self.http.request(
            "POST", "/session", json=body, headers=headers, budgets=(ALL, SESSION),
            priority=Priority.INTERACTIVE,
        )

    async def _renew(self, generation: int) -> None:
        async with self._login_lock:
            if self._generation != generation and self._cst is not None:
                return  # another call already logged in again meanwhile
            log.info("Capital.com session expired; logging in again")
            await self._login_locked()

    def _set_tokens(self, cst: str, xst: str) -> None:
        self.redactor.add_secret(cst)
        self.redactor.add_secret(xst)
        self._cst, self._xst = cst, xst

    def _capture(self, response: httpx.Response, sent: tuple[str | None, str | None]) -> None:
        """Take new tokens from a reply, but only if ours are still the ones it answers.

        A reply to a call sent before an account switch carries the old account's
        token; taking it would silently move later trades back to the old account.
        """
        cst = response.headers.get("CST")
        xst = response.headers.get("X-SECURITY-TOKEN")
        current = (self._cst, self._xst)
        if cst and xst and (cst, xst) != current and current == sent:
            self._set_tokens(cst, xst)
        self._touch()
        self._note_clock(response.headers.get("Date"))

    def _note_clock(self, date_header: str | None) -> None:
        if not date_header:
            return
        try:
            server = parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            return
        if server.tzinfo is not None:
            self.clock_offset = server - datetime.now(server.tzinfo)

    def broker_time(self, local: datetime) -> datetime:
        """A local instant on the broker's clock (to compare with its ``...UTC`` stamps)."""
        return local + self.clock_offset

    def stream_tokens(self) -> tuple[str, str]:
        """The session's (CST, X-SECURITY-TOKEN), which every streaming frame carries."""
        return self._cst or "", self._xst or ""

    def _auth_headers(self) -> dict[str, str]:
        return {"CST": self._cst or "", "X-SECURITY-TOKEN": self._xst or ""}

    def _touch(self) -> None:
        self._last_used = time.monotonic()

    @property
    def idle_for(self) -> float:
        return time.monotonic() - self._last_used

    # ------------------------------------------------------------------ requests

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
        budgets: Iterable[str] = (ALL,),
    ) -> httpx.Response:
        budget_names = tuple(budgets)
        renewed = False
        limited = 0
        while True:
            if self.http.client.is_closed:
                raise Unavailable("The Capital.com connection is closed.", broker=BROKER)
            if self._cst is None:
                failed = self._auth_failed
                if failed is not None:
                    # Do not hammer POST /session with credentials already refused.
                    raise AuthError(failed.message, code=failed.code, broker=BROKER,
                                    hint=failed.hint)
                await self._renew(self._generation)
            generation = self._generation
            sent = (self._cst, self._xst)
            try:
                response = await self.http.request(
                    method, path, budgets=budget_names, json=json, params=params,
                    headers=self._auth_headers(), write=write, priority=priority,
                )
            except SessionExpired as exc:
                if renewed:
                    raise AuthError(
                        "Capital.com ended the session again right after a new login.",
                        code=exc.code, broker=BROKER,
                    ) from None
                renewed = True
                await self._renew(generation)
                continue
            except RateLimited:
                # The limiter has paused the budget; a read simply waits its turn again.
                if write or limited >= READ_RATE_LIMIT_ROUNDS:
                    raise
                limited += 1
                continue
            self._capture(response, sent)
            return response

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
        budgets: Iterable[str] = (ALL,),
    ) -> Any:
        response = await self.send(
            method, path, json=json, params=params, write=write, priority=priority,
            budgets=budgets,
        )
        return reply_body(response, BROKER, write=write, empty={})

    async def get(
        self, path: str, *, params: Mapping[str, Any] | None = None,
        priority: Priority = Priority.VISIBLE,
    ) -> Any:
        return await self.call("GET", path, params=params, priority=priority)

    async def get_object(
        self, path: str, *, params: Mapping[str, Any] | None = None,
        priority: Priority = Priority.VISIBLE,
    ) -> dict[str, Any]:
        """A GET whose answer must be a JSON object (else ProtocolError)."""
        return as_object(await self.get(path, params=params, priority=priority),
                         f"the answer to GET {path}", broker=BROKER)

    # ------------------------------------------------------------------ keep-alive

    def start_keepalive(self) -> None:
        if self._keepalive_task is None or self._keepalive_task.done():
            self._keepalive_task = asyncio.get_running_loop().create_task(
                self._keepalive(), name="capital-keepalive"
            )

    async def _keepalive(self) -> None:
        while not self._closed:
            due = self._last_used + self.keepalive_after - time.monotonic()
            if due > 0:
                await asyncio.sleep(due)
                continue
            if self._cst is None:
                await asyncio.sleep(self.keepalive_after)
                continue
            try:
                await self.ping()
            except BrokerError as exc:
                log.warning("Capital.com keep-alive ping failed: %s", exc)
                await asyncio.sleep(min(self.keepalive_after, 30.0))
            except Exception:
                log.exception("Capital.com keep-alive ping crashed")
                await asyncio.sleep(min(self.keepalive_after, 30.0))

    async def ping(self) -> dict[str, Any]:
        result = await self.get_object("/ping", priority=Priority.BACKGROUND)
        self.pings += 1
        return result

    # ------------------------------------------------------------------ accounts

    async def get_session(self) -> dict[str, Any]:
        return await self.get_object("/session")

    async def switch_account(
        self, account_id: str, *, priority: Priority = Priority.INTERACTIVE
    ) -> None:
        """``PUT /session``; an already active account (400 not-different) is success."""
        if self._cst is not None and account_id == self.account_id:
            self._wanted_account = account_id
            return
        try:
            self.switches += 1
            await self.send("PUT", "/session", json={"accountId": account_id}, priority=priority)
        except Rejected as exc:
            if split_code(exc.code)[0] != NOT_DIFFERENT_ACCOUNT:
                raise
        self.account_id = account_id
        self._wanted_account = account_id

    async def _put_session(self, account_id: str, priority: Priority) -> None:
        # Used inside a (re-)login: no renewal loop here, the tokens are brand new.
        sent = (self._cst, self._xst)
        self.switches += 1
        try:
            response = await self.http.request(
                "PUT", "/session", json={"accountId": account_id},
                headers=self._auth_headers(), priority=priority,
            )
            self._capture(response, sent)
        except Rejected as exc:
            if split_code(exc.code)[0] != NOT_DIFFERENT_ACCOUNT:
                self._wanted_account = None
                raise
        self.account_id = account_id

    async def accounts(self, *, priority: Priority = Priority.VISIBLE) -> list[dict[str, Any]]:
        data = await self.get("/accounts", priority=priority)
        return list(data.get("accounts") or [])

    async def preferences(
        self, *, priority: Priority = Priority.INTERACTIVE
    ) -> dict[str, Any]:
        return await self.get_object("/accounts/preferences", priority=priority)

    async def set_preferences(
        self, *, leverages: Mapping[str, int] | None = None, hedging_mode: bool | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if leverages:
            body["leverages"] = dict(leverages)
        if hedging_mode is not None:
            body["hedgingMode"] = hedging_mode
        return as_object(await self.call(
            "PUT", "/accounts/preferences", json=body, priority=Priority.INTERACTIVE
        ), "the answer to a preferences change", broker=BROKER)

    async def top_up(self, amount: Decimal) -> Any:
        """The reply as sent (an empty or odd success body is the service's to judge)."""
        return await self.call(
            "POST", "/accounts/topUp", json={"amount": amount}, write=True,
            priority=Priority.INTERACTIVE,
        )

    # ------------------------------------------------------------------ trading

    async def positions(self, *, priority: Priority = Priority.VISIBLE) -> list[dict[str, Any]]:
        data = await self.get("/positions", priority=priority)
        return list(data.get("positions") or [])

    async def working_orders(
        self, *, priority: Priority = Priority.VISIBLE
    ) -> list[dict[str, Any]]:
        data = await self.get("/workingorders", priority=priority)
        return list(data.get("workingOrders") or [])

    async def open_position(self, body: Mapping[str, Any]) -> str:
        """``POST /positions``; returns the dealReference (confirm it before trusting it)."""
        data = await self.call(
            "POST", "/positions", json=dict(body), write=True, priority=Priority.INTERACTIVE,
            budgets=trading_budgets(self.environment),
        )
        return self._deal_reference(data)

    async def close_position(self, deal_id: str) -> str:
        data = await self.call(
            "DELETE", f"/positions/{segment(deal_id)}", write=True,
            priority=Priority.INTERACTIVE,
        )
        return self._deal_reference(data)

    async def create_working_order(self, body: Mapping[str, Any]) -> str:
        data = await self.call(
            "POST", "/workingorders", json=dict(body), write=True,
            priority=Priority.INTERACTIVE, budgets=trading_budgets(self.environment),
        )
        return self._deal_reference(data)

    async def delete_working_order(self, deal_id: str) -> str:
        data = await self.call(
            "DELETE", f"/workingorders/{segment(deal_id)}", write=True,
            priority=Priority.INTERACTIVE,
        )
        return self._deal_reference(data)

    async def confirm(
        self, deal_reference: str, *, attempts: int | None = None
    ) -> dict[str, Any]:
        """``GET /confirms/{ref}``, polled while the broker says it is not ready yet."""
        tries = max(1, attempts or self.confirm_attempts)
        for attempt in range(tries):
            try:
                return await self.get_object(
                    f"/confirms/{segment(deal_reference)}", priority=Priority.INTERACTIVE
                )
            except (NotFound, Rejected) as exc:
                not_ready = isinstance(exc, NotFound) or (
                    split_code(exc.code)[0] == INVALID_DEAL_REFERENCE
                )
                if not not_ready or attempt == tries - 1:
                    raise
            await asyncio.sleep(self.confirm_interval)
        raise AssertionError("unreachable")

    @staticmethod
    def _deal_reference(data: Any) -> str:
        ref = data.get("dealReference") if isinstance(data, dict) else None
        if not isinstance(ref, str) or not ref:
            # A success without a reference: taken, but the outcome must be reconciled.
            raise MaybeSent(
                "Capital.com accepted the request but sent no deal reference.", broker=BROKER
            )
        return ref
