"""Darwinex as a BrokerService: DARWIN investments on investor accounts.

Accounts and positions. Every investor account the token sees is an ``Account`` (only the
profile's ``investor_account_id`` when one is set). Darwinex gives ``equity`` (with the
open result) and ``openPnL``, so ``Balance.balance`` is ``equity - openPnL``. A position
is one DARWIN, always long; its id is the product name and its size the amount invested.

Orders. ``OrderRequest.size`` is an amount of account currency (at least 200 per
operation: a rule third-party clients apply, UNCONFIRMED as a server rule, checked here
with that text). MARKET BUY / SELL go to ``orders/buy`` / ``orders/sell`` (a buy may carry
``quoteStopLoss`` / ``quoteTakeProfit``); LIMIT and STOP become conditional orders:
buy at or below a quote (LESS_THAN_EQUAL) or sell at or above one (GREATER_THAN_EQUAL)
is a LIMIT, the two others a STOP. A position's stop loss / take profit are conditional
orders too; they show on the position, not among the working orders. Before an order
goes out, the market status (``productmarket/status``, cached until its
``epochTimestampNextUpdate``) and the product's own flags are checked: a buy Darwinex
would refuse is refused here, with the reason, and nothing is sent; ``quote()`` carries
the same flags so the ticket greys the button.

Outcomes. The success bodies are UNCONFIRMED; ``{"orderId": n}`` is read when present and
``orderId`` goes to ``on_reference`` at once (``OrderResult.deal_ids`` holds it too: a
DARWIN position is shared by every buy, so the order is what identifies the deal). A
lost or unreadable reply to a buy or sell is reconciled from ``orders/executed``: only
an order executed after the send, same product, side and amount, may match; otherwise
the outcome is UNKNOWN. Nothing is ever resent, except once after a 401 (see client.py).

Demo reset (community thread 8504). Resetting a demo account creates a NEW investor
account id; tokens stay bound to the old one for a while and Darwinex answers 403
"Investor account provided does not belong to the user.". The service re-reads the
account list: exactly one account listed under a new id means the account was replaced:
the profile moves to it (``credentials_changed``) and ``AccountMoved`` says so; otherwise
it is a plain ``PermissionDenied`` saying that access to a new account can take up to an
hour. The request that met the 403 is never resent.

Scores. ``/dxscore``, ``/scores`` and ``/history/*`` are throttled hard (a 429 after about
10 a minute, seed 000): they have a budget of their own, are cached for an hour and are
fetched only on demand: ``instrument_details`` (the ticket's or the products view's
selected product) and, for positions, at BACKGROUND priority a few at a time. D-Leverage
is ``averageDLeverage`` of the product status (``/products/{p}/status``, on the info
budget, read for the details anyway); the ``/history/<attribute>`` rows are not read for
it: their element 1 is one value shared by every attribute on a date (recorded replies).

Unconfirmed reply fields (positions, executed orders, trades, the buy/sell reply) are
read through ``fields``: a reply without what the app needs is shown as unreadable (a
position row that says so), never as zeros, and is never matched in a reconciliation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import httpx

from desktop_app.brokers.common.base import BrokerBase
from desktop_app.brokers.common.reconcile import INTERVAL
from desktop_app.brokers.darwinex import mapping
from desktop_app.brokers.darwinex.client import DarwinexClient
from desktop_app.brokers.darwinex.errors import BROKER, NOT_YOUR_ACCOUNT, AccountNotOwned
from desktop_app.brokers.darwinex.stream import DarwinexQuoteStream, quote_socket_url
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import AccountMoved, BrokerError, PermissionDenied
from desktop_app.domain.money import utc_now
from desktop_app.domain.streaming import QuoteStream
from desktop_app.domain.types import (
    Account,
    AccountRef,
    FundingKind,
    InstrumentScreen,
    OrderType,
    PricePoint,
)
from desktop_app.net.limiter import Priority
from desktop_app.net.request_log import RequestLog

log = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")

# UNCONFIRMED as a server rule (a third-party client's constant): checked here, locally.
MIN_AMOUNT = Decimal(200)
MIN_AMOUNT_TEXT = (
    "Darwinex takes at least 200 (account currency) per investment (the minimum "
    "third-party clients apply; not confirmed by Darwinex)."
)

SCORE_TTL = 3600.0  # scores change once a day
PRODUCTS_TTL = 600.0  # the product list and the screens
HISTORY_TTL = 600.0
SCORE_RETRY = 300.0  # after a failed background score fetch
STATUS_REUSE = 1.0  # a product status this fresh serves another caller too
MARKET_MIN_TTL = 1.0
MARKET_MAX_TTL = 300.0
# instrument_details waits this long at most for the scores budget, else shows the
# scores it has and says when the rest can be fetched.
DETAILS_SCORE_WAIT = 5.0
# Positions' products whose D-Score is fetched in the background per positions() call,
# and only while the scores budget keeps this much for clicks.
PREFETCH_BATCH = 2
PREFETCH_RESERVE = 4
SEARCH_LIMIT = 50


SCREENS: dict[str, tuple[str, dict[str, Any]]] = {
    "return_12m": ("Best return 12 m", {
        "filter": [{"name": "return", "options": [{"min": 0, "max": 100000, "period": "12m"}]}],
        "order": "DESC", "orderField": "return", "page": 0, "perPage": 50, "period": "12m",
    }),
    "drawdown_6m": ("Drawdown under 10 % (6 m)", {
        "filter": [{"name": "drawdown", "options": [{"min": -10, "max": 0, "period": "6m"}]}],
        "order": "DESC", "orderField": "return", "page": 0, "perPage": 50, "period": "6m",
    }),
    "dscore": ("Highest D-Score", {
        "filter": [{"name": "dscore", "options": [{"min": 0, "max": 100, "period": "12m"}]}],
        "order": "DESC", "orderField": "dscore", "page": 0, "perPage": 50, "period": "12m",
    }),
    "investors": ("Most investors", {
        "filter": [{"name": "investors", "options": [{"min": 1, "period": "12m"}]}],
        "order": "DESC", "orderField": "investors", "page": 0, "perPage": 50, "period": "12m",
    }),
}

D_LEVERAGE_HINT = (
    "The leverage Darwinex applies to the trader's strategy to keep the DARWIN's risk "
    "at its target (averageDLeverage of the product status)."
)
D_SCORE_HINT = "Darwinex's overall score of the DARWIN (0 to 100), updated daily."

NO_FUNDING = (
    "Darwinex's API has no funding calls: deposits and withdrawals are made on "
    "darwinex.com."
)
NO_ACCOUNT_CREATION = "Darwinex's API cannot open investor accounts; open them on darwinex.com."
NO_STOP_LIMIT = "Darwinex's conditional orders trigger at one quote: LIMIT or STOP only."
NO_NAVIGATION = "Darwinex has no market tree; search the products or use a product screen."
NO_WATCHLISTS = "Darwinex's API offers no watchlists; use the product screens."
NO_SWITCHING = "Every Darwinex request names its investor account; there is nothing to switch."


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _when(at: datetime) -> str:
    """"13:30 UTC" today, "Mon 20 Jul 13:30 UTC" on another day."""
    at = at.astimezone(UTC)
    if at.date() == utc_now().date():
        return at.strftime("%H:%M UTC")
    return at.strftime("%a %d %b %H:%M UTC")


class _Cached(Generic[V]):
    __slots__ = ("at", "value")

    def __init__(self, value: V) -> None:
        self.value = value
        self.at = time.monotonic()

    def fresh(self, ttl: float) -> bool:
        return time.monotonic() - self.at < ttl


def capabilities() -> Capabilities:
    reasons = {
        "funding": NO_FUNDING,
        "account_creation": NO_ACCOUNT_CREATION,
        "market_navigation": NO_NAVIGATION,
        "watchlists": NO_WATCHLISTS,
        "account_switching": NO_SWITCHING,
        OrderType.STOP_LIMIT.value: NO_STOP_LIMIT,
        **{kind.value: NO_FUNDING for kind in FundingKind},
    }
    return Capabilities(
        order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP}),
        stops_and_limits=True,
        close_positions=True,
        working_orders=True,
        funding=frozenset(),
        account_creation=False,
        instrument_search=True,
        market_navigation=False,
        watchlists=False,
        quotes=True,
        streaming_quotes=True,
        account_switching=False,
        preferences=True,
        modify_orders=True,
        close_all=True,
        instrument_details=True,
        quote_history=True,
        history=True,
        instrument_screens=tuple(
            InstrumentScreen(key, label) for key, (label, _) in SCREENS.items()
        ),
        reasons=reasons,
    )


class DarwinexCore(BrokerBase):
    broker = mapping.BROKER_ID
    display_name = BROKER
    required_fields = ("consumer_key", "consumer_secret", "access_token")

    def __init__(
        self,
        profile: ConnectionProfile,
        credentials: Credentials,
        request_log: RequestLog | None = None,
        *,
        time_scale: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
        reconcile_interval: float = INTERVAL,
    ) -> None:
        super().__init__(profile, credentials)
        fields = self.fields
        self.time_scale = time_scale if time_scale > 0 else 1.0
        self.reconcile_interval = reconcile_interval
        self.client = DarwinexClient(
            consumer_key=fields["consumer_key"],
            consumer_secret=fields["consumer_secret"],
            access_token=fields["access_token"],
            refresh_token=fields.get("refresh_token", ""),
            environment=profile.environment,
            base_url=profile.base_url,
            connection_id=profile.connection_id,
            request_log=request_log,
            time_scale=self.time_scale,
            on_tokens=self._tokens_rotated,
            transport=transport,
        )
        self.rate_limiter = self.client.limiter
        self._limiter = self.rate_limiter
        self._pinned = (fields.get("investor_account_id") or "").strip() or None
        self._currencies: dict[str, str] = {}
        self._market: tuple[dict[str, Any], float] | None = None  # (status, valid until)
        self._status: dict[str, _Cached[dict[str, Any]]] = {}
        self._scores: dict[str, _Cached[Decimal]] = {}  # product -> D-Score
        self._score_failed: dict[str, float] = {}  # product -> monotonic retry time
        self._products: _Cached[list[dict[str, Any]]] | None = None
        self._screens: dict[str, _Cached[list[dict[str, Any]]]] = {}
        self._histories: dict[tuple[str, str], _Cached[list[PricePoint]]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._prefetching: set[str] = set()
        # When each order id was first seen here (given to our own placements): an
        # order seen before a request was sent is never taken for it.
        self._first_seen: dict[str, datetime] = {}
        self._capabilities = capabilities()

    # ------------------------------------------------------------------ basics

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def quote_stream(self) -> QuoteStream:
        """The DARWIN quote WebSocket on the REST host (see ``stream``)."""
        return DarwinexQuoteStream(
            quote_socket_url(str(self.client.http.client.base_url)),
            token=self.client.stream_token, renew=self.client.refresh,
        )

    @property
    def investor_account_id(self) -> str | None:
        """The account the profile is pinned to, if any (moves with a demo reset)."""
        return self._pinned

    def _tokens_rotated(self, access: str, refresh: str) -> None:
        self.notify_credentials({"access_token": access, "refresh_token": refresh})

    async def connect(self) -> None:
        """Check the token by listing the investor accounts (renewing it if it expired)."""
        await self._list_accounts(Priority.INTERACTIVE)

    async def close(self) -> None:
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._background.clear()
        await self.client.close()

    def _currency(self, account: AccountRef) -> str:
        return self._currencies.get(account.account_id, "")

    # ------------------------------------------------------------------ accounts

    async def _list_accounts(self, priority: Priority = Priority.VISIBLE) -> list[Account]:
        raw = await self.client.investor_accounts(priority=priority)
        if not raw:
            raise PermissionDenied(
                "This Darwinex token sees no investor account.",
                hint=(
                    f"The connection is set to {self.client.environment_name.upper()}: "
                    "demo and live tokens differ; generate the token for this environment."
                ),
                broker=BROKER,
            )
        ids = [_text(item.get("id")) for item in raw]
        if self._pinned is not None and self._pinned not in ids:
            if len(ids) == 1:
                # The pinned account is gone and one other is listed: a demo reset.
                log.warning("Darwinex investor account %s replaced by %s", self._pinned, ids[0])
                self._move_to(ids[0])
            else:
                raise PermissionDenied(
                    f"Investor account {self._pinned} is not among this token's accounts "
                    f"({', '.join(ids)}).",
                    hint="Choose one of them in the connection, or leave the field empty.",
                    broker=BROKER,
                )
        accounts = [
            mapping.account(item, connection=self.connection_id)
            for item in raw
            if self._pinned is None or _text(item.get("id")) == self._pinned
        ]
        for acc in accounts:
            self._currencies[acc.ref.account_id] = acc.currency
        return accounts

    def _move_to(self, new_id: str) -> None:
        if self._pinned is not None and self._pinned != new_id:
            self._pinned = new_id
            self.notify_credentials({"investor_account_id": new_id})

    async def _on_account(self, account: AccountRef, action: Callable[[], Awaitable[T]]) -> T:
        """Run an account-scoped call; a 403 "does not belong to the user" is explained."""
        self.check_account(account)
        try:
            return await action()
        except AccountNotOwned as exc:
            raise await self._not_owned(account.account_id, exc) from None

    async def _not_owned(self, old_id: str, exc: AccountNotOwned) -> BrokerError:
        """After a 403 on ``old_id``: a replaced account (``AccountMoved``) or access not
        granted yet (``PermissionDenied``). Nothing is resent."""
        plain = PermissionDenied(
            f"Darwinex refused investor account {old_id} for this token (\"{NOT_YOUR_ACCOUNT}\"). "
            "After a demo reset or a new account, it can take up to an hour before "
            "existing tokens cover the new investor account.",
            hint="Nothing was sent. Try again later or generate a new token for this "
                 "environment.",
            code=exc.code, broker=BROKER,
        )
        try:
            raw = await self.client.investor_accounts(priority=Priority.INTERACTIVE)
        except BrokerError as again:
            log.info("Darwinex account list after a 403 unreadable: %s", again.message)
            return plain
        ids = [_text(item.get("id")) for item in raw if item.get("id") is not None]
        if len(ids) != 1 or ids[0] == old_id:
            return plain
        new_id = ids[0]
        self._move_to(new_id)
        for item in raw:
            self._currencies[new_id] = _text(item.get("currency"))
        kind = "demo" if self.is_demo else "investor"
        return AccountMoved(
            f"Darwinex replaced {kind} account {old_id} with {new_id} (a demo reset gives a "
            "new investor account id). Nothing was sent.",
            old_id=old_id, new_id=new_id, code=exc.code, broker=BROKER,
            hint="Check the new account, then place the order again.",
        )

