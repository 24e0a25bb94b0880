"""What every part of the Upvest service shares: the signed client, the desk's caches and
the capabilities.

An Upvest connection is an operator's desk: every account of every user the client
manages. The client is built in ``connect()`` off the loop (it reads the private key;
an encrypted one costs a key derivation). What the desk reads often is cached here and
kept current by the webhook events (``live``) and by the poller:

- users and account groups (owner names, the opening form's choices): read at connect
  and again when an account names an owner or group not seen yet (at most once a
  minute);
- the account list: read page after page; while the webhook delivers, at most every
  ``LIST_MAX_AGE`` seconds (ACCOUNT.* events keep it current in between; a balance the
  events keep is shown as of that reading, the latest proof that the desk is current);
- each group's cash balance: at most ``CASH_PER_CALL`` groups are read per account
  listing, the oldest first (an operator may run thousands of groups); while the
  webhook delivers, CASH_BALANCE.UPDATED events carry the new balance itself.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx

from desktop_app.brokers.common.base import BrokerBase
from desktop_app.brokers.upvest import mapping
from desktop_app.brokers.upvest.client import LIVE_URL, SANDBOX_URL, UpvestClient
from desktop_app.brokers.upvest.connection import UpvestCredentials
from desktop_app.brokers.upvest.errors import BROKER
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import NotFound, ProtocolError, Unavailable
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    Account,
    AccountAction,
    AccountRef,
    Balance,
    Environment,
    FundingKind,
    Instrument,
    OrderType,
)
from desktop_app.net.limiter import Priority
from desktop_app.net.request_log import RequestLog

# While the webhook delivers, the list is still read again this often: it confirms the
# desk's figures (their "as of") and catches anything a lost event missed.
LIST_MAX_AGE = 15.0
CASH_MAX_AGE = 60.0
CASH_PER_CALL = 20
PEOPLE_MAX_AGE = 60.0

NO_LIVE_FUNDING = (
    "Upvest's virtual cash exists in its sandbox only. On live accounts cash comes in by "
    "SEPA direct debit from the user's mandate (POST /payments/direct_debits, settled in "
    "about two business days) and goes out by withdrawal to the user's reference account "
    "(POST /payments/withdrawals); this version does not send them."
)
NO_QUOTES = (
    "Upvest's prices need its Market Data Package (a contract with Infront) and are per "
    "venue; the desk values positions with Upvest's valuations instead."
)
NO_STOP_LIMIT = "Upvest takes MARKET, LIMIT and STOP orders."
NOT_A_SESSION = "Every Upvest request names its account: there is nothing to switch."
BUY_ACKNOWLEDGEMENT = (
    "The user was told that this instrument may not fit their knowledge, experience or "
    "investment goals, and wants to buy it anyway (Upvest's user-instrument fit "
    "acknowledgement)."
)


def capabilities(is_demo: bool) -> Capabilities:
    reasons = {
        "quotes": NO_QUOTES,
        "quote_history": NO_QUOTES,
        "stop_limit": NO_STOP_LIMIT,
        OrderType.STOP_LIMIT.value: NO_STOP_LIMIT,
        "stops_and_limits": "Upvest orders carry no stop loss or take profit; place a STOP "
        "sell order instead.",
        "modify_orders": "Upvest cannot change an order: cancel it while it is NEW and "
        "place a new one.",
        "close_all": "Upvest has no close-all; sell each position.",
        "account_switching": NOT_A_SESSION,
        "preferences": "Upvest accounts have no leverage or hedging settings.",
        "market_navigation": "Upvest lists instruments without a market tree; search by "
        "name, ISIN or WKN.",
        "watchlists": "Upvest keeps no watchlists.",
        "instrument_screens": "Upvest offers no product screens.",
        FundingKind.DEPOSIT.value: NO_LIVE_FUNDING,
        FundingKind.WITHDRAW.value: NO_LIVE_FUNDING,
        FundingKind.TRANSFER.value: "Upvest moves positions between accounts by security "
        "transfers, not cash; this version does not send them.",
    }
    if not is_demo:
        reasons["funding"] = NO_LIVE_FUNDING
        reasons[FundingKind.DEMO_TOPUP.value] = NO_LIVE_FUNDING
    return Capabilities(
        order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP}),
        stops_and_limits=False,
        close_positions=True,
        working_orders=True,
        funding=frozenset({FundingKind.DEMO_TOPUP}) if is_demo else frozenset(),
        account_creation=True,
        account_actions=frozenset(AccountAction),
        instrument_search=True,
        instrument_details=True,
        history=True,
        webhooks=True,
        reasons=reasons,
    )


def idempotency_key(client_ref: str) -> str:
    """Upvest wants a UUID: the journal's reference (a uuid4's hex) written as one, or a
    UUID derived from it, the same every time it is asked."""
    try:
        return str(uuid.UUID(hex=client_ref))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"trading-dashboard:{client_ref}"))


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("127.0.0.1", "localhost", "::1")


@dataclass(slots=True)
class CashEntry:
    data: dict[str, Any]
    as_of: datetime
    read_at: float  # monotonic


class UpvestCore(BrokerBase):
    broker = mapping.BROKER_ID
    display_name = BROKER
    required_fields = ("client_id", "client_secret", "key_id", "private_key")

    def __init__(
        self,
        profile: ConnectionProfile,
        credentials: Credentials,
        request_log: RequestLog | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        time_scale: float = 1.0,
    ) -> None:
        super().__init__(profile, credentials)
        self.request_log = request_log
        self._transport = transport
        self._time_scale = time_scale
        self._client: UpvestClient | None = None
        self._capabilities = capabilities(self.is_demo)
        self.base_url = profile.base_url or (
            LIVE_URL if profile.environment is Environment.LIVE else SANDBOX_URL
        )
        # ---- the desk's caches (see the module doc)
        self._accounts: dict[str, dict[str, Any]] = {}
        self._listed_at: float | None = None
        self.listed_wall: datetime | None = None  # when the list was last read (UTC)
        self._users: dict[str, dict[str, Any]] = {}
        self._groups: dict[str, dict[str, Any]] = {}
        self._people_at = -1e9
        self._cash: dict[str, CashEntry] = {}
        self._list_lock = asyncio.Lock()
        self._universe: dict[str, Instrument] = {}
        self._universe_at = -1e9
        self._universe_lock = asyncio.Lock()
        # Per account: its orders as last read (executions give the average cost).
        self._orders: dict[str, list[dict[str, Any]]] = {}
        # Per account: (Upvest's data, its Balance, the people's read time, the Account
        # made of them): unchanged inputs give the same Account (``desk``).
        self._mapped: dict[str, tuple[dict[str, Any], Balance | None,
                                      tuple[float, Decimal | None], Account]] = {}
        # Per account: its shares' value as its positions were last read (valuations).
        self._securities: dict[str, Decimal] = {}
        self._balances: dict[str, tuple[CashEntry, tuple[float, datetime], Balance]] = {}
        # Virtual cash requests Upvest said were settled (webhook events): id -> status.
        self._virtual_settled: dict[str, str] = {}
        self._names: dict[str, str] = {}  # user id -> name, for the people read last

    # ------------------------------------------------------------------ basics

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    @property
    def client(self) -> UpvestClient:
        if self._client is None:
            raise Unavailable("The Upvest connection is not open yet.", broker=BROKER)
        return self._client

    @property
    def webhooks_live(self) -> bool:
        """Whether Upvest's deliveries are reaching this app (``live`` says)."""
        return False

    def _credentials(self) -> UpvestCredentials:
        f = self.fields
        return UpvestCredentials(
            client_id=f["client_id"].strip(), client_secret=f["client_secret"].strip(),
            key_id=f["key_id"].strip(), private_key_pem=f["private_key"],
            key_passphrase=f.get("key_passphrase", ""),
        )

    async def open_client(self) -> None:
        if self._client is not None:
            return
        credentials = self._credentials()
        # Reading the key (and deriving a passphrase's key) is CPU work: off the loop.
        client = await asyncio.to_thread(
            UpvestClient, credentials, base_url=self.base_url,
            connection_id=self.connection_id, request_log=self.request_log,
            time_scale=self._time_scale, transport=self._transport,
        )
        self._client = client
        self._limiter = client.limiter

    async def close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def ref(self, account_id: str) -> AccountRef:
        return AccountRef(self.connection_id, self.broker, account_id)

    # ------------------------------------------------------------------ people

    async def load_people(self, *, force: bool = False) -> None:
        """Users and account groups (names and choices); at most once a minute unless
        ``force``."""
        now = time.monotonic()
        if not force and now - self._people_at < PEOPLE_MAX_AGE / self._time_scale:
            return
        self._people_at = now
        users, groups = await asyncio.gather(self.client.users(), self.client.account_groups())
        self._users = {str(u["id"]): u for u in users if u.get("id")}
        self._groups = {str(g["id"]): g for g in groups if g.get("id")}
        self._names = {uid: mapping.user_name(u) for uid, u in self._users.items()}

    def user_label(self, user_id: str) -> str:
        return self._names.get(user_id, user_id)

    def group_label(self, group_id: str) -> str:
        group = self._groups.get(group_id)
        number = str(group.get("securities_account_number") or "") if group else ""
        return f"Securities account {number}" if number else group_id

    def group_owner(self, group_id: str) -> str:
        group = self._groups.get(group_id)
        if group is None:
            return ""
        try:
            return mapping.owner_of(group, "an account group")
        except ProtocolError:
            return ""

    # ------------------------------------------------------------------ accounts

    def remember_account(self, data: dict[str, Any]) -> None:
        account_id = data.get("id")
        if isinstance(account_id, str) and account_id:
            self._accounts[account_id] = data

    async def account_data(self, account_id: str) -> dict[str, Any]:
        """The account as Upvest last said (read once when this run has not seen it)."""
        found = self._accounts.get(account_id)
        if found is None:
            found = await self.client.account(account_id, priority=Priority.INTERACTIVE)
            self.remember_account(found)
        return found

    async def owner_of(self, account: AccountRef) -> str:
        self.check_account(account)
        return mapping.owner_of(await self.account_data(account.account_id))

    async def list_accounts(self) -> list[dict[str, Any]]:
        """Every account, re-read unless the webhook keeps the cached list current."""
        async with self._list_lock:
            now = time.monotonic()
            fresh = (
                self._listed_at is not None and self.webhooks_live
                and now - self._listed_at < LIST_MAX_AGE / self._time_scale
            )
            if not fresh:
                listed = await self.client.accounts()
                # The last page was decoded in this turn of the loop; thousands of
                # accounts are indexed in the next.
                await asyncio.sleep(0)
                self._accounts = {str(a["id"]): a for a in listed if a.get("id")}
                self._listed_at = now
                self.listed_wall = utc_now()
            accounts = list(self._accounts.values())
        unknown_people = any(
            a.get("account_group_id") not in self._groups for a in accounts
        )
        if unknown_people:
            await self.load_people()
        return accounts

    # ------------------------------------------------------------------ cash

    def remember_cash(self, data: dict[str, Any]) -> None:
        group_id = data.get("account_group_id")
        if isinstance(group_id, str) and group_id:
            self._cash[group_id] = CashEntry(data, utc_now(), time.monotonic())

    async def refresh_cash(self, group_ids: list[str]) -> None:
        """Read the oldest (or never read) groups' cash, ``CASH_PER_CALL`` at most."""
        now = time.monotonic()
        max_age = (CASH_MAX_AGE if self.webhooks_live else 0.0) / self._time_scale

        def age(group_id: str) -> float:
            entry = self._cash.get(group_id)
            return now - entry.read_at if entry is not None else float("inf")

        due = sorted((g for g in set(group_ids) if age(g) > max_age),
                     key=age, reverse=True)[:CASH_PER_CALL]
        if not due:
            return
        results = await asyncio.gather(
            *(self.client.cash_balance(g) for g in due), return_exceptions=True
        )
        for group_id, result in zip(due, results, strict=True):
            if isinstance(result, NotFound):
                self._cash.pop(group_id, None)
            elif isinstance(result, BaseException):
                raise result
            else:
                result.setdefault("account_group_id", group_id)
                self.remember_cash(result)

    def cash_of(self, group_id: str) -> CashEntry | None:
        return self._cash.get(group_id)
