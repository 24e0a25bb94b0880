"""Async Tradovate REST client: access token, renewal, penalties, lock-outs.

One login (``POST /auth/accesstokenrequest``) opens a session; every later call sends
``Authorization: Bearer <accessToken>``. The token is renewed with
``GET /auth/renewaccesstoken`` (same session) before its ``expirationTime``: about 15
minutes before, or at 85 % of a shorter lifetime, checked before each request (the
poller calls every few seconds). A second ``accesstokenrequest`` would open a second
session, so it is sent only when the session is gone: a call answered with HTTP 401
logs in once more and is repeated (a 401 means nothing was executed, so this holds for
writes too); a second 401 in a row is ``AuthError``. Refused credentials are not sent
again until ``login()`` is called anew.

Rate limits (see budgets.py and errors.py): a penalty ticket pauses the request's
budgets for ``p-time`` and the identical body is resent with ``"p-ticket"`` (a
penalised request had no effect, so an order is still placed once), at most
``MAX_TICKETS`` times; a ticket with ``p-captcha`` is never resent, and that endpoint
is not called again for ``p-time`` (about an hour). HTTP 423 pauses a few seconds and
repeats reads only. HTTP 429 locks the login out for about an hour:
every budget is paused and every call fails at once with ``RateLimited`` until then,
so nothing hammers the broker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

import httpx

from desktop_app.brokers.tradovate.budgets import (
    CHANGE_DEMO_BALANCE,
    GENERAL,
    LOGIN,
    RENEWAL,
    SUSTAINED,
    effective_priority,
    for_priority,
    tradovate_budgets,
)
from desktop_app.brokers.tradovate.errors import (
    BROKER,
    CAPTCHA_HINT,
    CAPTCHA_TEXT,
    LOCKOUT_SECONDS,
    LOCKOUT_TEXT,
    LOGIN_PATH,
    RENEW_PATH,
    SLOW_DOWN_SECONDS,
    Penalty,
    SessionExpired,
    map_error,
    throttle_policy,
)
from desktop_app.domain.errors import (
    AuthError,
    BrokerError,
    ProtocolError,
    RateLimited,
    Unavailable,
)
from desktop_app.domain.money import parse_utc, utc_now
from desktop_app.domain.types import Environment
from desktop_app.net.http import BrokerHttp, MaybeSent, json_body, reply_body
from desktop_app.net.limiter import Priority, RateLimiter
from desktop_app.net.redact import Redactor
from desktop_app.net.request_log import RequestLog

log = logging.getLogger(__name__)

DEMO_URL = "https://demo.tradovateapi.com/v1"
LIVE_URL = "https://live.tradovateapi.com/v1"
# Replay sessions: their REST calls are served by the demo host (UNCONFIRMED; the
# replay host is documented for the WebSocket only).
REPLAY_URL = DEMO_URL

RENEW_LEAD = timedelta(minutes=15)
RENEW_FRACTION = 0.85  # of a lifetime too short for a 15-minute lead
# A renewal that failed while the token is still good is tried again after this.
RENEW_RETRY = 60.0
MAX_TICKETS = 3


def base_url_for(environment: Environment, override: str | None = None) -> str:
    if override:
        return override.rstrip("/")
    if environment is Environment.LIVE:
        return LIVE_URL
    return REPLAY_URL if environment is Environment.REPLAY else DEMO_URL


def wire_cid(cid: str) -> int | str:
    """The docs' examples send ``cid`` as a number; a non-numeric one goes as given."""
    text = cid.strip()
    return int(text) if text.isdigit() else text


class TradovateClient:
    def __init__(
        self,
        *,
        name: str,
        password: str,
        app_id: str,
        app_version: str,
        cid: str,
        sec: str,
        device_id: str,
        environment: Environment = Environment.DEMO,
        base_url: str | None = None,
        connection_id: str = "tradovate",
        request_log: RequestLog | None = None,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        slow_down_pause: float = SLOW_DOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.environment = environment
        self._credentials = {
            "name": name,
            "password": password,
            "appId": app_id,
            "appVersion": app_version,
            "cid": wire_cid(cid),
            "sec": sec,
            "deviceId": device_id,
        }
        self.redactor = Redactor()
        self.redactor.add_secret(password)
        self.redactor.add_secret(sec)
        self.limiter = limiter or RateLimiter(tradovate_budgets(), default=SUSTAINED)
        self.slow_down_pause = slow_down_pause
        self._clock = clock
        self.http = BrokerHttp(
            broker=BROKER,
            connection_id=connection_id,
            base_url=base_url_for(environment, base_url),
            limiter=self.limiter,
            error_mapper=map_error,
            request_log=request_log,
            redactor=self.redactor,
            transport=transport,
            throttle=throttle_policy(
                on_lockout=self._lockout, slow_down=lambda: self.slow_down_pause
            ),
        )
        self._token: str | None = None
        self._md_token = ""
        self._renew_at = 0.0
        self._expires_at = 0.0
        self._generation = 0
        self._login_lock = asyncio.Lock()
        self._auth_failed: AuthError | None = None
        self._locked_until = 0.0
        # Paths (lower case) under a captcha penalty, until when: not sent meanwhile.
        self._captcha_until: dict[str, float] = {}
        # What the last token reply said about the user (no secrets): userId, name, ...
        self.user: dict[str, Any] = {}
        self.logins = 0
        self.renewals = 0
        self.penalties = 0

    # ------------------------------------------------------------------ session

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    async def login(self) -> dict[str, Any]:
        self._auth_failed = None
        async with self._login_lock:
            await self._login_locked()
        return self.user

    async def close(self) -> None:
        # Tradovate has no logout call; the token simply expires.
        self._token = None
        await self.http.aclose()

    async def _login_locked(self) -> None:
        try:
            response = await self._with_tickets(
                "POST", LOGIN_PATH, body=dict(self._credentials), params=None,
                budgets=LOGIN, write=False, priority=Priority.INTERACTIVE, auth=False,
            )
        except AuthError as exc:
            self._token = None
            self._auth_failed = exc
            raise
        data = json_body(response, BROKER)
        if not isinstance(data, dict) or not data.get("accessToken"):
            raise ProtocolError("Tradovate sent no access token.", broker=BROKER)
        status = str(data.get("userStatus") or "Active")
        if status != "Active":
            failed = AuthError(
                f"Tradovate reports this user as {status}.", code=status, broker=BROKER,
                hint="Log in on tradovate.com to see why, then reconnect.",
            )
            self._auth_failed = failed
            raise failed
        self._take_token(data)
        self._auth_failed = None
        self.logins += 1

    def _take_token(self, data: dict[str, Any]) -> None:
        token = str(data["accessToken"])
        self.redactor.add_secret(token)
        self.redactor.add_secret(str(data.get("mdAccessToken") or ""))
        now = self._clock()
        try:
            remaining = (parse_utc(str(data["expirationTime"])) - utc_now()).total_seconds()
        except (KeyError, ValueError):
            remaining = 80 * 60.0  # the shortest documented lifetime
        remaining = max(0.0, remaining)
        # 15 minutes ahead of a normal (80-90 min) lifetime; at 85 % of a short one.
        lead = RENEW_LEAD.total_seconds()
        if remaining < 2 * lead:
            lead = (1 - RENEW_FRACTION) * remaining
        self._token = token
        self._md_token = str(data.get("mdAccessToken") or "")
        self._expires_at = now + remaining
        self._renew_at = now + remaining - lead
        self._generation += 1
        self.user = {k: data.get(k) for k in ("userId", "name", "userStatus", "hasLive")}

    async def _relogin(self, generation: int) -> None:
        async with self._login_lock:
            if self._generation != generation and self._token is not None:
                return  # another call logged in or renewed meanwhile
            log.info("Tradovate access token refused; logging in again")
            await self._login_locked()

    async def _renew(self, generation: int) -> None:
        async with self._login_lock:
            if self._generation != generation or self._token is None:
                return
            try:
                response = await self._with_tickets(
                    "GET", RENEW_PATH, body=None, params=None, budgets=RENEWAL,
                    write=False, priority=Priority.INTERACTIVE,
                )
                data = json_body(response, BROKER)
                if not isinstance(data, dict) or not data.get("accessToken"):
                    raise ProtocolError("Tradovate renewed without a token.", broker=BROKER)
            except SessionExpired:
                self._token = None  # the session is gone: only a new login helps
                await self._login_locked()
                return
            except BrokerError as exc:
                if self._clock() >= self._expires_at:
                    raise
                # Still valid: carry on with it and try again a little later.
                log.warning("Tradovate token renewal failed: %s", exc.message)
                self._renew_at = min(self._expires_at, self._clock() + RENEW_RETRY)
                return
            self._take_token(data)
            self.renewals += 1

    async def _ensure_token(self) -> None:
        if self._token is None:
            failed = self._auth_failed
            if failed is not None:
                # Do not send credentials that were refused again and again.
                raise AuthError(failed.message, code=failed.code, broker=BROKER,
                                hint=failed.hint)
            await self._relogin(self._generation)
        elif self._clock() >= self._renew_at:
            await self._renew(self._generation)

    async def market_data_token(self) -> str:
        """The ``mdAccessToken`` of the current session, renewed first when due (the
        market-data WebSocket's ``authorize``); the access token if the login gave none."""
        self._check_lockout()
        await self._ensure_token()
        token = self._md_token or self._token
        if not token:
            raise AuthError("Tradovate gave no market-data token.", broker=BROKER)
        return token

    # ------------------------------------------------------------------ limits

    def _lockout(self) -> None:
        self._locked_until = self._clock() + LOCKOUT_SECONDS
        self.limiter.pause(LOCKOUT_SECONDS)  # every budget: nothing goes out

    def _check_lockout(self) -> None:
        left = self._locked_until - self._clock()
        if left > 0:
            minutes = max(1, int(left + 59) // 60)
            raise RateLimited(
                f"{LOCKOUT_TEXT} About {minutes} min left.", retry_after=left,
                code="HTTP 429", broker=BROKER, hint="Nothing was sent.",
            )

    def _check_captcha(self, path: str) -> None:
        left = self._captcha_until.get(path.lower(), 0.0) - self._clock()
        if left > 0:
            minutes = max(1, int(left + 59) // 60)
            raise RateLimited(
                f"{CAPTCHA_TEXT} About {minutes} min left.", retry_after=left,
                code="p-captcha", broker=BROKER, hint=CAPTCHA_HINT,
            )

    @property
    def locked_out_for(self) -> float:
        return max(0.0, self._locked_until - self._clock())

    # ------------------------------------------------------------------ requests

    def _headers(self, auth: bool) -> dict[str, str] | None:
        if not auth:
            return None
        return {"Authorization": f"Bearer {self._token or ''}"}

    async def _with_tickets(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None,
        params: Mapping[str, Any] | None,
        budgets: tuple[str, ...],
        write: bool,
        priority: Priority,
        auth: bool = True,
    ) -> httpx.Response:
        """One request; a penalty ticket is waited out and the identical request resent
        with the ticket (a penalised request had no effect)."""
        budgets = for_priority(budgets, effective_priority(priority))
        tickets = 0
        while True:
            self._check_lockout()
            self._check_captcha(path)
            try:
                return await self.http.request(
                    method, path, budgets=budgets, json=body, params=params,
                    headers=self._headers(auth), write=write, priority=priority,
                )
            except Penalty as penalty:
                self.penalties += 1
                if penalty.captcha:
                    # Only this endpoint is barred; pausing the budgets would stall the rest.
                    self._captcha_until[path.lower()] = self._clock() + penalty.p_time
                    raise
                if tickets >= MAX_TICKETS:
                    raise RateLimited(
                        f"Tradovate imposed {tickets + 1} penalties in a row on this "
                        "request; it had no effect and was not sent again.",
                        retry_after=penalty.p_time, code="p-ticket", broker=BROKER,
                    ) from None
                if write and penalty.p_time > self.http.max_write_wait:
                    self.limiter.pause(penalty.p_time, *budgets)
                    raise RateLimited(
                        f"Tradovate imposed a penalty of {penalty.p_time:g} s on this "
                        "request; it had no effect and was not resent. Try again after "
                        "that.",
                        retry_after=penalty.p_time, code="p-ticket", broker=BROKER,
                        hint="Nothing was placed.",
                    ) from None
                tickets += 1
                # Others wait too: the limiter holds these budgets for p-time.
                self.limiter.pause(penalty.p_time, *budgets)
                if body is not None:
                    body = {**body, "p-ticket": penalty.ticket}
                else:
                    params = {**(params or {}), "p-ticket": penalty.ticket}

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
        budgets: Iterable[str] = GENERAL,
    ) -> httpx.Response:
        budget_names = tuple(budgets)
        body = dict(json) if json is not None else None
        renewed = False
        while True:
            if self.http.client.is_closed:
                raise Unavailable("The Tradovate connection is closed.", broker=BROKER)
            self._check_lockout()
            await self._ensure_token()
            generation = self._generation
            try:
                return await self._with_tickets(
                    method, path, body=body, params=params, budgets=budget_names,
                    write=write, priority=priority,
                )
            except SessionExpired as exc:
                if renewed:
                    raise AuthError(
                        "Tradovate refused the access token again right after a new login.",
                        code=exc.code, broker=BROKER,
                        hint=(
                            "Check that the device id, app id and API key are allowed for "
                            "this environment, then reconnect."
                        ),
                    ) from None
                renewed = True
                await self._relogin(generation)

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
        budgets: Iterable[str] = GENERAL,
    ) -> Any:
        response = await self.send(
            method, path, json=json, params=params, write=write, priority=priority,
            budgets=budgets,
        )
        # Tradovate answers every call with a JSON body, errors included.
        return reply_body(response, BROKER, write=write, allow_empty=False)

    async def get(
        self, path: str, *, params: Mapping[str, Any] | None = None,
        priority: Priority = Priority.VISIBLE,
    ) -> Any:
        return await self.call("GET", path, params=params, priority=priority)

    async def post_read(
        self, path: str, body: Mapping[str, Any], *, priority: Priority = Priority.VISIBLE
    ) -> Any:
        """A POST that only reads (e.g. the cash balance snapshot)."""
        return await self.call("POST", path, json=body, priority=priority)

    async def write(self, path: str, body: Mapping[str, Any], *,
                    budgets: Iterable[str] = GENERAL) -> Any:
        return await self.call(
            "POST", path, json=body, write=True, priority=Priority.INTERACTIVE,
            budgets=budgets,
        )

    # ------------------------------------------------------------------ endpoints

    async def account_list(self, *, priority: Priority = Priority.VISIBLE) -> list[Any]:
        return _list(await self.get("/account/list", priority=priority))

    async def cash_snapshot(
        self, account_id: int, *, priority: Priority = Priority.VISIBLE
    ) -> dict[str, Any]:
        return _obj(await self.post_read(
            "/cashBalance/getcashbalancesnapshot", {"accountId": account_id},
            priority=priority,
        ))

    async def change_demo_balance(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return _obj(await self.write(
            "/cashBalance/changedemobalance", body, budgets=CHANGE_DEMO_BALANCE
        ))

    async def position_list(self, *, priority: Priority = Priority.VISIBLE) -> list[Any]:
        return _list(await self.get("/position/list", priority=priority))

    async def contract_items(
        self, ids: Iterable[int], *, priority: Priority = Priority.VISIBLE
    ) -> list[Any]:
        wanted = ",".join(str(i) for i in dict.fromkeys(ids))
        return _list(await self.get("/contract/items", params={"ids": wanted},
                                    priority=priority))

    async def contract_find(
        self, name: str, *, priority: Priority = Priority.INTERACTIVE
    ) -> dict[str, Any]:
        return _obj(await self.get("/contract/find", params={"name": name},
                                   priority=priority))

    async def contract_suggest(self, text: str, limit: int = 10) -> list[Any]:
        return _list(await self.get("/contract/suggest", params={"t": text, "l": limit},
                                    priority=Priority.INTERACTIVE))

    async def product_find(
        self, name: str, *, priority: Priority = Priority.VISIBLE
    ) -> dict[str, Any]:
        return _obj(await self.get("/product/find", params={"name": name}, priority=priority))

    async def product_sessions(
        self, product_id: int, *, priority: Priority = Priority.VISIBLE
    ) -> list[Any]:
        """``/productSession/deps``: the product's session times."""
        return _list(await self.get("/productSession/deps", params={"masterid": product_id},
                                    priority=priority))

    async def quote(
        self, symbol: str, *, priority: Priority = Priority.VISIBLE
    ) -> dict[str, Any]:
        return _obj(await self.get("/md/getquote", params={"symbol": symbol},
                                   priority=priority))

    async def order_list(self, *, priority: Priority = Priority.VISIBLE) -> list[Any]:
        return _list(await self.get("/order/list", priority=priority))

    async def fill_list(self, *, priority: Priority = Priority.INTERACTIVE) -> list[Any]:
        return _list(await self.get("/fill/list", priority=priority))

    async def order_item(
        self, order_id: int, *, priority: Priority = Priority.INTERACTIVE
    ) -> dict[str, Any]:
        return _obj(await self.get("/order/item", params={"id": order_id}, priority=priority))

    async def order_versions(
        self, order_id: int, *, priority: Priority = Priority.VISIBLE
    ) -> list[Any]:
        return _list(await self.get("/orderVersion/deps", params={"masterid": order_id},
                                    priority=priority))

    async def order_versions_of(
        self, order_ids: Iterable[int], *, priority: Priority = Priority.VISIBLE
    ) -> list[Any]:
        """The versions of several orders in one call (``/orderVersion/ldeps``)."""
        wanted = ",".join(str(i) for i in dict.fromkeys(order_ids))
        return _list(await self.get("/orderVersion/ldeps", params={"masterids": wanted},
                                    priority=priority))

    async def place_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return _write_reply(await self.write("/order/placeorder", body))

    async def cancel_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return _write_reply(await self.write("/order/cancelorder", body))

    async def modify_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return _write_reply(await self.write("/order/modifyorder", body))

    async def liquidate_position(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return _write_reply(await self.write("/order/liquidateposition", body))


def _obj(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError("Tradovate sent an unexpected reply (not an object).",
                            broker=BROKER)
    return data


def _list(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ProtocolError("Tradovate sent an unexpected reply (not a list).", broker=BROKER)
    return data


def _write_reply(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        # Taken (HTTP 200, no error) but unreadable: only reconciliation can tell.
        raise MaybeSent("Tradovate answered the request with an unexpected reply.",
                        broker=BROKER)
    return data
