"""Async client of LWork's TW API (Trader Work: a broker's CRM over MT4/MT5 servers).

The tenant's id and API token go on every request (``headers.TenantHeaders``); the end
user logs in with ``POST /v1/api/user/login`` (2.6) and every call after that names
their ``userId`` in its path. There is no session to keep alive: the tenant token does
not expire by itself. Replies are ``{result, mcode, data}`` envelopes (``errors``);
a refusal is raised as the domain's typed error in LWork's words, read once from its
error-code list. Deposits, their payment callbacks and transfers are signed with the
tenant's RSA key (``signing``). Lists are paged and read to the end (``_read_all``).

Server ids: the account list (2.8) names a server (``"MT4-Live"``) but not its id,
which account info (3.1, header ``x-api-serverid``) and the money calls need. The
client takes a ``server_ids`` map from the profile (server name or platform -> id, as
in Support Center) and uses a ``serverId`` the reply carries where there is one.

Writes are sent once (``BrokerHttp``); when a reply is lost the caller gets
``MaybeSent`` and reconciles from the cash flow (``find_cash_records``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx

from desktop_app.brokers.lwork import bodies, wire
from desktop_app.brokers.lwork.budgets import (
    GENERAL,
    MONEY,
    STEADY,
    Backoff,
    for_priority,
    lwork_budgets,
)
from desktop_app.brokers.lwork.errors import (
    BROKER,
    ERROR_CODES_PATH,
    Refusal,
    explain,
    map_error,
    throttle_policy,
    unreadable,
)
from desktop_app.brokers.lwork.headers import (
    SERVER_HEADER,
    VENDOR_HEADER,
    TenantHeaders,
    lwork_redactor,
)
from desktop_app.brokers.lwork.signing import (
    Signer,
    callback_data,
    deposit_data,
    load_signer,
    transfer_data,
    two_decimals,
)
from desktop_app.brokers.lwork.wire import (
    CASHFLOW_TYPES,
    LWORK_TIME_ZONE,
    CashRecord,
    DepositReceipt,
    LoginInfo,
    TradingAccount,
    UserDetail,
)
from desktop_app.domain.errors import (
    AuthError,
    BrokerError,
    NotFound,
    ProtocolError,
    RateLimited,
    Unavailable,
    ValidationError,
)
from desktop_app.domain.money import utc_now
from desktop_app.net.http import BrokerHttp, reply_body
from desktop_app.net.limiter import Priority, RateLimiter
from desktop_app.net.request_log import RequestLog

DEFAULT_URL = "https://account.api.lwork.com"
LOGIN_PATH = "/v1/api/user/login"
# Open positions and pending orders are listed by opening time: from long before any
# MT4 account existed to tomorrow.
OPEN_SINCE = date(2000, 1, 1)
DEFAULT_PAGE_SIZE = 50
MAX_PAGES = 1000
# A failed read of the error-code list is tried again after this, not on every error.
CODES_RETRY = 60.0
# How far before the request's own time a matching cash-flow entry may be stamped
# (LWork's clock against ours).
CLOCK_MARGIN = timedelta(seconds=5)
CALLBACK_SUCCESS = "1"


def parse_server_ids(text: str) -> dict[str, str]:
    """``"MT4-Live=428, MT5-Demo=431"`` (or ``MT4=428``) -> a server-id map."""
    found: dict[str, str] = {}
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        name, sep, value = part.partition("=")
        if sep and name.strip() and value.strip():
            found[name.strip()] = value.strip()
    return found


class LWorkClient:
    def __init__(
        self,
        *,
        tenant_id: str,
        api_token: str,
        login_name: str,
        password: str,
        private_key_pem: str = "",
        base_url: str | None = None,
        server_ids: Mapping[str, str] | None = None,
        language: str = "en-US",
        time_zone: timezone = LWORK_TIME_ZONE,
        page_size: int = DEFAULT_PAGE_SIZE,
        connection_id: str = "lwork",
        request_log: RequestLog | None = None,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.language = language
        self.time_zone = time_zone
        self.page_size = page_size
        self.server_ids = dict(server_ids or {})
        self._login_name = login_name
        self._password = password
        self._private_key_pem = private_key_pem
        self._clock = clock
        self.redactor = lwork_redactor(api_token, password)
        self.limiter = limiter or RateLimiter(lwork_budgets(), default=STEADY)
        self.http = BrokerHttp(
            broker=BROKER,
            connection_id=connection_id,
            base_url=(base_url or DEFAULT_URL).rstrip("/"),
            limiter=self.limiter,
            error_mapper=map_error,
            request_log=request_log,
            redactor=self.redactor,
            transport=transport,
            throttle=throttle_policy,
            auth=TenantHeaders(tenant_id, api_token, language),
        )
        self.backoff = Backoff()
        self.login_info: LoginInfo | None = None
        self._login_lock = asyncio.Lock()
        self._login_failed: AuthError | None = None
        self._signer: Signer | None = None
        self._signer_lock = asyncio.Lock()
        self._codes: dict[str, str] | None = None
        self._codes_failed_at: float | None = None
        self._codes_lock = asyncio.Lock()
        self._accounts: dict[str, TradingAccount] = {}
        self.error_code_reads = 0

    # ------------------------------------------------------------------ plumbing

    async def close(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
        priority: Priority = Priority.VISIBLE,
        budgets: Iterable[str] = GENERAL,
        explained: bool = True,
    ) -> Any:
        """One request; returns the envelope's ``data`` (None when there is none)."""
        if self.http.client.is_closed:
            raise Unavailable("The LWork connection is closed.", broker=BROKER)
        try:
            response = await self.http.request(
                method, path, budgets=for_priority(tuple(budgets), priority),
                json=dict(json) if json is not None else None, params=params,
                headers=headers, write=write, priority=priority,
            )
        except Refusal as refusal:
            if refusal.mcode == "-1":
                self._back_off()
            if not explained:
                raise
            raise await self._explain(refusal, write) from None
        except (Unavailable, RateLimited):
            self._back_off()
            raise
        body = reply_body(response, BROKER, write=write, allow_empty=False)
        if not isinstance(body, dict) or "result" not in body:
            raise unreadable("no result envelope", write=write)
        if explained:
            # Not the error-code list read while an error is handled: that is no sign
            # that LWork recovered.
            self.backoff.succeeded()
        return body.get("data")

    def _back_off(self) -> None:
        # Polling's pace only: a click (and the error-code list a refusal needs) is not
        # held up behind a back-off of up to half a minute.
        self.limiter.pause(self.backoff.failed(), STEADY)

    async def _explain(self, refusal: Refusal, write: bool) -> BrokerError:
        try:
            codes = await self.error_codes()
        except BrokerError:
            codes = {}
        return explain(refusal, codes, write=write)

    async def error_codes(self) -> dict[str, str]:
        """LWork's words for its error codes (1.5), read once per client and cached."""
        if self._codes is not None:
            return self._codes
        async with self._codes_lock:
            if self._codes is not None:
                return self._codes
            failed = self._codes_failed_at
            if failed is not None and self._clock() - failed < CODES_RETRY:
                return {}
            self.error_code_reads += 1
            try:
                data = await self.call("GET", ERROR_CODES_PATH, params={"lang": self.language},
                                       priority=Priority.INTERACTIVE, explained=False)
                codes: dict[str, str] = {}
                for row in wire.items(data, "error-code list"):
                    entry = wire.obj(row, "error code")
                    codes[wire.text(entry, "code")] = wire.text(entry, "value", required=False)
            except BrokerError:
                self._codes_failed_at = self._clock()
                raise
            self._codes = codes
            return codes

    async def signer(self) -> Signer:
        """The tenant's key, read once (off the event loop); a bad key is ``AuthError``."""
        if self._signer is None:
            async with self._signer_lock:
                if self._signer is None:
                    self._signer = await load_signer(self._private_key_pem)
                    self._private_key_pem = ""
        return self._signer

    async def _sign(self, data: str) -> str:
        return await (await self.signer()).sign_async(data)

    # ------------------------------------------------------------------ user

    async def login(self) -> LoginInfo:
        """Logs in as the end user (2.6): their ``userId`` names them in every call."""
        async with self._login_lock:
            self._login_failed = None
            try:
                data = await self.call(
                    "POST", LOGIN_PATH,
                    json={"loginName": self._login_name, "password": self._password},
                    priority=Priority.INTERACTIVE,
                )
            except AuthError as exc:
                self._login_failed = exc
                raise
            except BrokerError as exc:
                if exc.code.startswith("PUB_AUTH"):
                    failed = AuthError(exc.message, code=exc.code, broker=BROKER)
                    self._login_failed = failed
                    raise failed from None
                raise
            self.login_info = wire.read_login(data)
            return self.login_info

    @property
    def user_id(self) -> str:
        if self.login_info is None:
            raise AuthError("Not logged in to LWork yet.", broker=BROKER)
        return self.login_info.user_id

    async def _user(self) -> str:
        if self.login_info is None:
            if self._login_failed is not None:
                failed = self._login_failed
                raise AuthError(failed.message, code=failed.code, broker=BROKER,
                                hint=failed.hint)
            await self.login()
        return self.user_id

    async def user_detail(self, *, priority: Priority = Priority.VISIBLE) -> UserDetail:
        """The user and their trading accounts, live and demo (2.8)."""
        user = await self._user()
        data = await self.call("GET", f"/v1/api/user/{user}/detail", priority=priority)
        detail = wire.read_user_detail(data, self.server_ids)
        self._accounts = {a.login: a for a in detail.accounts}
        return detail

    async def trading_accounts(
        self, *, priority: Priority = Priority.VISIBLE
    ) -> tuple[TradingAccount, ...]:
        return (await self.user_detail(priority=priority)).accounts

    async def trading_account(self, login: str) -> TradingAccount:
        """One of the user's accounts by login (the list is read again when unknown)."""
        if login not in self._accounts:
            await self.user_detail(priority=Priority.INTERACTIVE)
        try:
            return self._accounts[login]
        except KeyError:
            raise NotFound(f"LWork lists no account {login} for this user.",
                           broker=BROKER) from None

    async def owner_info(self) -> dict[str, Any]:
        """The account owner's base, ID and finance info (2.11)."""
        user = await self._user()
        return wire.obj(await self.call("GET", f"/v1/api/account/{user}/info",
                                        priority=Priority.INTERACTIVE), "owner info")

    async def update_owner_base_info(self, *, account_name: str) -> None:
        """Changes the owner's name (3.12 ``update/diff/base``)."""
        user = await self._user()
        name = bodies.required(account_name, "The account name", "accountName")
        await self.call("POST", f"/v1/api/account/{user}/update/diff/base",
                        json={"accountName": name}, write=True,
                        priority=Priority.INTERACTIVE)

    # ------------------------------------------------------------------ reads

    @staticmethod
    def _server_id(account: TradingAccount) -> str:
        if not account.server_id:
            raise ValidationError(
                f"The server id of {account.server_name or account.vendor} is not known. "
                f"Add it to the profile's server ids (e.g. {account.server_name or 'MT4'}"
                "=428, as Support Center shows it).", field="server_ids", broker=BROKER,
            )
        return account.server_id

    async def account_info(
        self, account: TradingAccount, *, priority: Priority = Priority.VISIBLE
    ) -> dict[str, Any]:
        """Balance, credit, currency, floating P/L, group, leverage, free margin (3.1)."""
        headers = {VENDOR_HEADER: account.vendor, SERVER_HEADER: self._server_id(account)}
        return wire.obj(await self.call("GET", f"/v1/api/account/{account.login}",
                                        headers=headers, priority=priority), "account info")

    def _range(self, since: date | datetime, until: date | datetime | None) -> dict[str, str]:
        end = until if until is not None else (
            utc_now().astimezone(self.time_zone).date() + timedelta(days=1))
        return {"from": wire.lwork_date(since, self.time_zone),
                "to": wire.lwork_date(end, self.time_zone)}

    async def _read_all(self, path: str, params: Mapping[str, str],
                        priority: Priority) -> list[Any]:
        """Every row of a paged list (``page`` from 1, ``size``), for the range asked."""
        rows: list[Any] = []
        seen: set[str] = set()
        page = 1
        while True:
            data = await self.call(
                "GET", path, params={**params, "page": page, "size": self.page_size},
                priority=priority,
            )
            found = wire.read_page(data)
            for row in found.rows:
                # A row that moved to the next page while we read (a new entry at the
                # top) would come twice.
                key = str(row.get("id", "")) if isinstance(row, dict) else ""
                if not key or key not in seen:
                    seen.add(key)
                    rows.append(row)
            if not found.rows or page >= found.pages:
                return rows
            if page >= MAX_PAGES:
                raise ProtocolError(f"LWork's list at {path} did not end after "
                                    f"{MAX_PAGES} pages.", broker=BROKER)
            page += 1

    async def _account_list(self, account: TradingAccount, what: str,
                            since: date | datetime, until: date | datetime | None,
                            priority: Priority, **extra: str) -> list[Any]:
        user = await self._user()
        return await self._read_all(f"/v1/api/account/{user}/{account.login}/{what}",
                                    {**self._range(since, until), **extra}, priority)

    async def positions(
        self, account: TradingAccount, *, since: date | datetime = OPEN_SINCE,
        until: date | datetime | None = None, priority: Priority = Priority.VISIBLE,
    ) -> list[Any]:
        """Open positions (3.10), opened between ``since`` and ``until`` (tomorrow)."""
        return await self._account_list(account, "position", since, until, priority)

    async def pending_orders(
        self, account: TradingAccount, *, since: date | datetime = OPEN_SINCE,
        until: date | datetime | None = None, priority: Priority = Priority.VISIBLE,
    ) -> list[Any]:
        """Pending orders (3.9)."""
        return await self._account_list(account, "pending", since, until, priority)

    async def trade_history(
        self, account: TradingAccount, *, since: date | datetime,
        until: date | datetime | None = None, priority: Priority = Priority.INTERACTIVE,
    ) -> list[Any]:
        """Closed trades (3.8) between two days."""
        return await self._account_list(account, "history", since, until, priority)

    async def cash_flow(
        self, account: TradingAccount, *, kinds: Iterable[str] = CASHFLOW_TYPES,
        since: date | datetime, until: date | datetime | None = None,
        priority: Priority = Priority.INTERACTIVE,
    ) -> list[CashRecord]:
        """Deposits, withdrawals and transfers (3.7, one ``type`` per request), oldest
        first."""
        records: list[CashRecord] = []
        for kind in kinds:
            if kind not in CASHFLOW_TYPES:
                raise ValueError(f"unknown cash-flow type {kind!r}")
            rows = await self._account_list(account, "cashflow", since, until, priority,
                                            type=kind)
            records += [wire.read_cash_record(row, account.login) for row in rows]
        return sorted(records, key=lambda r: r.created_at)

    async def deposit_settings(
        self, vendor: str, *, priority: Priority = Priority.INTERACTIVE
    ) -> dict[str, Any]:
        """Min/max deposit, pay currencies and exchange rates, channels (1.3)."""
        return wire.obj(await self.call(
            "GET", "/v1/api/sys/config/deposit",
            params={"platform": bodies.wire_vendor(vendor)}, priority=priority,
        ), "deposit settings")

    async def demo_account_types(
        self, vendor: str, *, priority: Priority = Priority.INTERACTIVE
    ) -> list[Any]:
        """The demo account types a user may open (1.7): group, amount, leverage."""
        return wire.items(await self.call(
            "GET", "/v1/api/sys/conf/demo/account/type",
            params={"platform": bodies.wire_vendor(vendor)}, priority=priority,
        ), "demo account types")

    # ------------------------------------------------------------------ money

    async def deposit(self, account: TradingAccount, amount: Decimal, pay_currency: str,
                      comment: str = "") -> DepositReceipt:
        """A signed deposit application (3.2); LWork answers what to pay (``payAmount``
        in ``pay_currency``) and the application's ``jobId``."""
        user = await self._user()
        wire_amount = two_decimals(amount)
        currency = bodies.required(pay_currency, "The pay currency", "payCurrency").upper()
        server = self._server_id(account)
        signature = await self._sign(deposit_data(user, account.login, currency, wire_amount))
        data = await self.call(
            "POST", f"/v2/api/account/{user}/{server}/{account.login}/deposit",
            json=bodies.deposit_body(wire_amount, currency, comment.strip(), signature),
            write=True, priority=Priority.INTERACTIVE, budgets=MONEY,
        )
        try:
            return wire.read_deposit_receipt(data, pay_currency=currency,
                                             deposit_amount=Decimal(wire_amount))
        except ProtocolError:
            raise unreadable("no jobId or payAmount", write=True) from None

    async def deposit_callback(self, *, job_id: str, order_id: str, pay_amount: Decimal,
                               pay_currency: str, platform: str,
                               status: str = CALLBACK_SUCCESS) -> bool:
        """Tells LWork a deposit was paid (3.3, signed); True when it was updated."""
        wire_amount = two_decimals(pay_amount, field="payAmount")
        currency = bodies.required(pay_currency, "The pay currency", "payCurrency").upper()
        signature = await self._sign(
            callback_data(job_id, order_id, status, currency, wire_amount))
        data = await self.call(
            "POST", "/v1/api/account/deposit/callback",
            json=bodies.callback_body(job_id, order_id, status, platform, wire_amount,
                                      currency, signature),
            write=True, priority=Priority.INTERACTIVE, budgets=MONEY,
        )
        return str(data) == "1"

    async def withdraw(self, account: TradingAccount, request: bodies.Withdrawal) -> None:
        """A withdrawal application (3.4; not signed). LWork answers no id: the
        application is found in the cash flow."""
        user = await self._user()
        server = self._server_id(account)
        await self.call(
            "POST", f"/v2/api/account/{user}/{server}/{account.login}/withdraw",
            json=bodies.withdraw_body(account, request), write=True,
            priority=Priority.INTERACTIVE, budgets=MONEY,
        )

    async def transfer(self, source: TradingAccount, destination: TradingAccount,
                       amount: Decimal, comment: str = "") -> None:
        """A signed transfer (3.11) between two accounts of this user on one platform."""
        user = await self._user()
        if source.vendor != destination.vendor:
            raise ValidationError(
                f"LWork transfers only between accounts on one platform ({source.vendor} "
                f"to {destination.vendor} is not allowed).", field="destination",
                broker=BROKER)
        if source.login == destination.login:
            raise ValidationError("Choose another account to transfer to.",
                                  field="destination", broker=BROKER)
        wire_amount = two_decimals(amount)
        self._server_id(destination)
        signature = await self._sign(transfer_data(
            source.login, source.currency, user, destination.login, destination.name,
            destination.server_id, destination.vendor, wire_amount))
        await self.call(
            "POST", f"/v1/api/account/{user}/{source.login}/transfer",
            json=bodies.transfer_body(user, destination, source.currency, wire_amount,
                                      comment.strip(), signature),
            write=True, priority=Priority.INTERACTIVE, budgets=MONEY,
        )

    async def find_cash_records(
        self, account: TradingAccount, kind: str, *, amount: Decimal, since: datetime,
        pay_currency: str = "", counterpart: str = "", margin: timedelta = CLOCK_MARGIN,
    ) -> list[CashRecord]:
        """Cash-flow entries that may be a request whose reply was lost: of ``kind``,
        for ``amount`` (either sign), stamped no earlier than ``since - margin``, with
        the pay currency (deposits) or the other account (transfers) given. The caller
        decides what none or several matches mean."""
        earliest = since - margin
        found = await self.cash_flow(account, kinds=(kind,), since=earliest)
        return [
            r for r in found
            if r.created_at >= earliest and abs(r.amount) == abs(amount)
            and (not pay_currency or r.pay_currency.upper() == pay_currency.upper())
            and (not counterpart or r.counterpart == counterpart)
        ]

    # ------------------------------------------------------------------ accounts

    async def open_demo_account(self, *, vendor: str, demo_account_type: str,
                                account_name: str, phone: str) -> None:
        """Opens a demo account of a type from ``demo_account_types`` (3.6); LWork
        answers no login: the account appears in ``trading_accounts``."""
        user = await self._user()
        await self.call(
            "POST", f"/v1/api/account/{user}/sms/open/demo",
            json=bodies.demo_account_body(vendor, demo_account_type, account_name, phone),
            write=True, priority=Priority.INTERACTIVE, budgets=MONEY,
        )

    async def open_real_account(
        self, application: bodies.RealAccountApplication
    ) -> dict[str, Any]:
        """Opens a real account (3.5); the reply has its ``login``, group, leverage."""
        user = await self._user()
        data = await self.call(
            "POST", f"/v1/api/account/{user}/open",
            json=bodies.real_account_body(application), write=True,
            priority=Priority.INTERACTIVE, budgets=MONEY,
        )
        if not isinstance(data, dict) or data.get("login") in (None, ""):
            raise unreadable("no login of the new account", write=True)
        return data
