"""What every part of the LWork service shares: the client, what it has read (the user's
accounts, each account's info, the deposit settings) and the capabilities.

LWork's TW API reads a user's MT4/MT5 accounts and moves money; it places no trades.
Choices (see also client.py, budgets.py and forms.py):

- Account info (3.1) is one request per account and LWork publishes no limits, so it is
  read for the focused account only (the one whose positions the session reads; the
  poller reads positions for the focused account only, ``poll_all_accounts=False``),
  for an account never read, and for one a write here changed. The others keep the
  figures last read, with that time (the panel shows their age).
- The account list (2.8) is read again at most every ``LIST_TTL`` seconds, and at once
  after an account was opened; the deposit settings (1.3) per platform every
  ``SETTINGS_TTL`` seconds. ``funding_rules`` (not a coroutine) answers from these.
- A Demo connection moves money only on accounts LWork lists as Demo; a Live one needs
  the profile's live opt-in (the hub checks that) for every account.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from desktop_app.brokers.common.base import BrokerBase
from desktop_app.brokers.lwork import mapping
from desktop_app.brokers.lwork.client import DEFAULT_PAGE_SIZE, LWorkClient, parse_server_ids
from desktop_app.brokers.lwork.errors import BROKER
from desktop_app.brokers.lwork.headers import LANGUAGES
from desktop_app.brokers.lwork.wire import TradingAccount, UserDetail
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import BrokerError, PermissionDenied, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    AccountAction,
    AccountRef,
    FundingKind,
)
from desktop_app.net.limiter import Priority
from desktop_app.net.request_log import RequestLog

log = logging.getLogger(__name__)

LIST_TTL = 30.0
SETTINGS_TTL = 600.0

NO_TRADING = (
    "LWork's API reads MT4/MT5 accounts and moves money; trades are placed in the "
    "MT4/MT5 terminal."
)


def capabilities() -> Capabilities:
    reasons = {
        "trading": NO_TRADING,
        "order_types": NO_TRADING,
        "close_positions": NO_TRADING,
        # Pending orders are listed, read-only.
        "working_orders": NO_TRADING,
        "close_all": NO_TRADING,
        "modify_orders": NO_TRADING,
        "stops_and_limits": NO_TRADING,
        "instrument_search": NO_TRADING,
        "market_navigation": NO_TRADING,
        "watchlists": NO_TRADING,
        "quotes": "LWork gives no prices: positions show the MT server's profit.",
        "quote_history": "LWork gives no prices.",
        "instrument_details": NO_TRADING,
        "instrument_screens": NO_TRADING,
        "preferences": "Leverage is set by the broker in the MT group.",
        "account_switching": "Every LWork request names its account: nothing to switch.",
        "account_rename": "LWork renames the account holder (the connection's owner "
        "name), not single MT accounts.",
        "account_close": "LWork's API does not close MT accounts; ask the broker.",
        FundingKind.DEMO_TOPUP.value: "LWork funds accounts by deposit, withdrawal and "
        "transfer.",
    }
    return Capabilities(
        order_types=frozenset(),
        trading=False,
        # Pending orders are listed (read-only): ``trading=False`` keeps them so.
        working_orders=True,
        funding=frozenset({FundingKind.DEPOSIT, FundingKind.WITHDRAW, FundingKind.TRANSFER}),
        account_creation=True,
        account_actions=frozenset({AccountAction.OPEN}),
        poll_all_accounts=False,
        mixed_environments=True,
        owner_rename=True,
        history=True,
        reasons=reasons,
    )


class LWorkCore(BrokerBase):
    broker = mapping.BROKER_ID
    display_name = BROKER
    required_fields = ("tenant_id", "api_token", "login_name", "password", "private_key")

    def __init__(
        self,
        profile: ConnectionProfile,
        credentials: Credentials,
        request_log: RequestLog | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(profile, credentials)
        fields = self.fields
        language = (fields.get("language") or "en-US").strip()
        if language not in LANGUAGES:
            raise ValidationError(
                f"LWork speaks {' or '.join(LANGUAGES)}, not {language!r}.",
                field="language", broker=BROKER,
            )
        self.client = LWorkClient(
            tenant_id=fields["tenant_id"].strip(),
            api_token=fields["api_token"].strip(),
            login_name=fields["login_name"].strip(),
            password=fields["password"],
            private_key_pem=fields["private_key"],
            base_url=profile.base_url,
            server_ids=parse_server_ids(fields.get("server_ids", "")),
            language=language,
            page_size=page_size,
            connection_id=profile.connection_id,
            request_log=request_log,
            transport=transport,
        )
        # The key is the client's now (read once, then dropped there too).
        self.fields.pop("private_key", None)
        self._limiter = self.client.limiter
        self._clock = clock
        self._capabilities = capabilities()
        self._detail: UserDetail | None = None
        self._detail_read_at = -float("inf")
        self._detail_lock = asyncio.Lock()
        # Account info (3.1) last read per login, with when.
        self._info: dict[str, tuple[dict[str, Any], datetime]] = {}
        # Logins whose info is read at the next listing whatever the focus.
        self._stale: set[str] = set()
        self._focused: str | None = None
        # When an account's info last could not be read (monotonic): tried again later.
        self._info_failed: dict[str, float] = {}
        # Cash-flow entries this run attributed to a funding request (never to another).
        self._claimed: set[str] = set()
        # Deposit settings (1.3) per platform, with when (monotonic).
        self._deposit_settings: dict[str, tuple[dict[str, Any], float]] = {}

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    async def connect(self) -> None:
        await self.client.login()
        detail = await self._user_detail(Priority.INTERACTIVE, fresh=True)
        await self._read_deposit_settings({a.vendor for a in detail.accounts})

    async def close(self) -> None:
        await self.client.close()

    # Trading: not through this API; BrokerBase refuses it with the broker's reason.

    # ------------------------------------------------------------------ what was read

    async def _user_detail(self, priority: Priority = Priority.VISIBLE, *,
                           fresh: bool = False) -> UserDetail:
        """The user and their accounts (2.8), read again after ``LIST_TTL``."""
        async with self._detail_lock:
            due = self._clock() - self._detail_read_at >= LIST_TTL
            if self._detail is None or fresh or due:
                self._detail = await self.client.user_detail(priority=priority)
                self._detail_read_at = self._clock()
            return self._detail

    def _forget_list(self) -> None:
        self._detail_read_at = -float("inf")

    def _listed(self, login: str) -> TradingAccount | None:
        detail = self._detail
        return next((a for a in detail.accounts if a.login == login), None) if detail else None

    async def _trading_account(self, ref: AccountRef) -> TradingAccount:
        self.check_account(ref)
        found = self._listed(ref.account_id)
        if found is not None:
            return found
        return await self.client.trading_account(ref.account_id)

    async def _read_deposit_settings(self, vendors: set[str]) -> None:
        for vendor in sorted(vendors):
            read = self._deposit_settings.get(vendor)
            if read is not None and self._clock() - read[1] < SETTINGS_TTL:
                continue
            try:
                settings = await self.client.deposit_settings(vendor,
                                                              priority=Priority.VISIBLE)
            except BrokerError as exc:
                # Deposits wait for them; nothing else does.
                log.warning("LWork deposit settings for %s unreadable: %s", vendor,
                            exc.message)
                continue
            self._deposit_settings[vendor] = (settings, self._clock())

    def _note_info(self, login: str, info: dict[str, Any]) -> None:
        self._info[login] = (info, utc_now())
        self._stale.discard(login)
        self._info_failed.pop(login, None)

    def _may_retry(self, login: str) -> bool:
        failed = self._info_failed.get(login)
        return failed is None or self._clock() - failed >= LIST_TTL

    def _info_of(self, login: str) -> dict[str, Any] | None:
        found = self._info.get(login)
        return found[0] if found else None

    def _changed(self, *logins: str) -> None:
        """A write here changed these accounts: their info is read at the next listing."""
        self._stale.update(logins)

    def check_money_allowed(self, account: TradingAccount) -> None:
        """A Demo connection moves no money on an account LWork lists as Live."""
        if account.live and not self.profile.is_live:
            raise PermissionDenied(
                f"LWork lists {account.name or account.login} ({account.login}) as a live "
                "account, and this connection is labelled Demo: nothing was sent.",
                hint="To move real money, edit the connection, choose Live and tick "
                "'Allow live trading'.",
                broker=BROKER,
            )
