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
is not in the API (Darwinex staff, thread 8504): the latest value of
``history/riskadjustment``, the nearest series, is shown under that name with a hint.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from desktop_app.brokers.darwinex import mapping
from desktop_app.brokers.darwinex.client import DarwinexClient, page_items
from desktop_app.brokers.darwinex.errors import BROKER, NOT_YOUR_ACCOUNT, AccountNotOwned
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import (
    AccountMoved,
    BrokerError,
    NotFound,
    NotSupported,
    OutcomeUnknown,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    Rejected,
    Unavailable,
    ValidationError,
)
from desktop_app.domain.money import format_money, optional_decimal, to_decimal, utc_now
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    Environment,
    Fact,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    HistoryEntry,
    Instrument,
    InstrumentScreen,
    MarketNode,
    OrderAmendment,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Position,
    PricePoint,
    Quote,
    Side,
    Watchlist,
    WorkingOrder,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority, RateLimiter
from desktop_app.net.request_log import RequestLog

log = logging.getLogger(__name__)

T = TypeVar("T")

# UNCONFIRMED as a server rule (a third-party client's constant): checked here, locally.
MIN_AMOUNT = Decimal(200)
MIN_AMOUNT_TEXT = (
    "Darwinex takes at least 200 (account currency) per operation (the minimum "
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

RECONCILE_ATTEMPTS = 4
RECONCILE_INTERVAL = 0.5
CLOCK_MARGIN = timedelta(seconds=3)

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
    "Darwinex does not publish D-Leverage in its API; this is the latest value of the "
    "DARWIN's risk-adjustment history, the nearest series it offers."
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


class _Cached:
    __slots__ = ("at", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.at = time.monotonic()

    def fresh(self, ttl: float) -> bool:
        return time.monotonic() - self.at < ttl


class DarwinexService:
    broker = mapping.BROKER_ID
    # Set by the session: persists what the service changes by itself (the rotated
    # refresh token and its access token, a moved investor account id).
    credentials_changed: Callable[[dict[str, str]], None] | None = None

    def __init__(
        self,
        profile: ConnectionProfile,
        credentials: Credentials,
        request_log: RequestLog | None = None,
        *,
        time_scale: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
        reconcile_interval: float = RECONCILE_INTERVAL,
    ) -> None:
        self.profile = profile
        self.connection_id = profile.connection_id
        fields = {**profile.fields, **credentials}
        missing = [n for n in ("consumer_key", "consumer_secret", "access_token")
                   if not fields.get(n)]
        if missing:
            raise ValidationError(
                f"Missing {', '.join(missing)} for Darwinex.", field=missing[0], broker=BROKER
            )
        self.credentials: dict[str, str] = dict(fields)
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
        self.limiter: RateLimiter = self.client.limiter
        self._pinned = (fields.get("investor_account_id") or "").strip() or None
        self._currencies: dict[str, str] = {}
        self._market: tuple[dict[str, Any], float] | None = None  # (status, valid until)
        self._status: dict[str, _Cached] = {}
        self._scores: dict[str, _Cached] = {}  # product -> D-Score
        self._dleverage: dict[str, _Cached] = {}
        self._score_failed: dict[str, float] = {}  # product -> monotonic retry time
        self._products: _Cached | None = None
        self._screens: dict[str, _Cached] = {}
        self._histories: dict[tuple[str, str], _Cached] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._prefetching: set[str] = set()
        # Order ids this service was given: reconciliation never takes them for another.
        self._own_orders: set[str] = set()
        self._capabilities = self._make_capabilities()

    # ------------------------------------------------------------------ basics

    @property
    def environment(self) -> Environment:
        return self.profile.environment

    @property
    def is_demo(self) -> bool:
        return self.environment is not Environment.LIVE

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    @property
    def investor_account_id(self) -> str | None:
        """The account the profile is pinned to, if any (moves with a demo reset)."""
        return self._pinned

    def _make_capabilities(self) -> Capabilities:
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

    def _notify(self, updates: dict[str, str]) -> None:
        self.credentials.update(updates)
        sink = self.credentials_changed
        if sink is None:
            return
        try:
            sink(dict(updates))
        except Exception:
            log.exception("persisting changed Darwinex credentials failed")

    def _tokens_rotated(self, access: str, refresh: str) -> None:
        self._notify({"access_token": access, "refresh_token": refresh})

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

    def _check_account(self, account: AccountRef) -> None:
        if account.connection != self.connection_id or account.broker != self.broker:
            raise ValidationError(
                f"Account {account} does not belong to this Darwinex connection.",
                broker=BROKER,
            )

    def _require_live_opt_in(self, what: str) -> None:
        if self.profile.is_live and not self.profile.live_opt_in:
            raise PermissionDenied(
                f"{what} on a live Darwinex account is switched off for this connection.",
                hint=(
                    "To invest real money, edit the connection and tick "
                    "'Allow live trading', then try again."
                ),
                broker=BROKER,
            )

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
            mapping.account(item, connection=self.connection_id, environment=self.environment)
            for item in raw
            if self._pinned is None or _text(item.get("id")) == self._pinned
        ]
        for acc in accounts:
            self._currencies[acc.ref.account_id] = acc.currency
        return accounts

    def _move_to(self, new_id: str) -> None:
        if self._pinned is not None and self._pinned != new_id:
            self._pinned = new_id
            self._notify({"investor_account_id": new_id})

    async def accounts(self) -> list[Account]:
        return await self._list_accounts()

    async def switch_account(self, account: AccountRef) -> None:
        self._check_account(account)  # every request names its account: nothing to do

    async def _on_account(self, account: AccountRef, action: Callable[[], Awaitable[T]]) -> T:
        """Run an account-scoped call; a 403 "does not belong to the user" is explained."""
        self._check_account(account)
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

    async def preferences(self, account: AccountRef) -> AccountPreferences:
        data = await self._on_account(account, lambda: self.client.leverage(account.account_id))
        return mapping.preferences(data)

    async def set_preferences(
        self, account: AccountRef, preferences: AccountPreferences
    ) -> AccountPreferences:
        self._require_live_opt_in("Changing the leverage")
        setting = preferences.leverages.get(mapping.LEVERAGE_KEY)
        if setting is None:
            raise ValidationError(
                "Darwinex has one leverage per investor account; choose it.",
                field="leverage", broker=BROKER,
            )
        data = await self._on_account(
            account,
            lambda: self.client.set_leverage(account.account_id, Decimal(setting.current)),
        )
        if data.get("leverage") is None:
            data = await self.client.leverage(account.account_id)
        return mapping.preferences(data)

    async def positions(self, account: AccountRef) -> list[Position]:
        raw = await self._on_account(
            account, lambda: self.client.current_positions(account.account_id)
        )
        currency = self._currency(account)
        result = [
            mapping.position(item, account, currency,
                             self._score_facts(_text(item.get("productName"))))
            for item in raw
        ]
        self._prefetch_scores([p.symbol for p in result])
        return result

    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]:
        raw = await self._on_account(
            account, lambda: self.client.conditional_orders(account.account_id, "pending")
        )
        currency = self._currency(account)
        return [
            mapping.working_order(item, account, currency)
            for item in raw
            if not mapping.is_threshold(item)
        ]

    async def executed_orders(
        self, account: AccountRef, product: str | None = None
    ) -> list[dict[str, Any]]:
        """The newest page of executed orders (for reconciliation and reports), as sent."""
        data = await self._on_account(
            account, lambda: self.client.executed_orders(account.account_id, product=product)
        )
        return page_items(data)[0]

    async def trades(self, account: AccountRef, state: str = "open") -> list[dict[str, Any]]:
        """Open or closed trades (``trades/open`` / ``trades/closed``), as sent."""
        return await self._on_account(
            account, lambda: self.client.trades(account.account_id, state)
        )

    async def conditional_orders(
        self, account: AccountRef, state: str = "pending"
    ) -> list[dict[str, Any]]:
        """Conditional orders by state (pending, executed, rejected, cancelled, deleted),
        thresholds included, as sent."""
        return await self._on_account(
            account, lambda: self.client.conditional_orders(account.account_id, state)
        )

    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        """Executed orders, closed trades and cancelled / rejected conditional orders
        (four reads on the account's 20-a-minute budget: asked for, never polled)."""
        self._check_account(account)
        currency = self._currency(account)
        entries = [mapping.executed_history(o, account, currency)
                   for o in await self.executed_orders(account)]
        entries += [mapping.closed_trade_history(t, account, currency)
                    for t in await self.trades(account, "closed")]
        for state in ("cancelled", "rejected"):
            entries += [mapping.ended_conditional_history(o, account, currency, state)
                        for o in await self.conditional_orders(account, state)]
        return sorted((e for e in entries if e.at >= since), key=lambda e: e.at, reverse=True)

    # ------------------------------------------------------------------ market and product

    async def _market_status(self, priority: Priority = Priority.VISIBLE) -> dict[str, Any]:
        """``productmarket/status``, cached until its ``epochTimestampNextUpdate``."""
        now = time.monotonic()
        if self._market is not None and now < self._market[1]:
            return self._market[0]
        data = await self.client.market_status(priority=priority)
        ttl = MARKET_MAX_TTL
        next_ms = optional_decimal(data.get("epochTimestampNextUpdate"))
        if next_ms is not None:
            ttl = float(next_ms) / 1000 - time.time()
        self._market = (data, now + min(MARKET_MAX_TTL, max(MARKET_MIN_TTL, ttl)))
        return data

    async def _product_status(
        self, product: str, priority: Priority = Priority.VISIBLE,
        reuse: float = STATUS_REUSE,
    ) -> dict[str, Any]:
        cached = self._status.get(product)
        if cached is not None and cached.fresh(reuse / self.time_scale):
            return cached.value
        data = await self.client.product_status(product, priority=priority)
        self._status[product] = _Cached(data)
        return data

    @staticmethod
    def _market_note(side: Side, status: dict[str, Any], market: dict[str, Any]) -> str:
        verb = "buy" if side is Side.BUY else "sell"
        stamp = status.get("estimatedOpenDate") or market.get("epochTimestampNextUpdate")
        at = mapping.ms_time(stamp) if stamp else None
        when = f" again at {_when(at)}" if at is not None else " again later"
        key = "allowConditionalBuy" if side is Side.BUY else "allowConditionalSell"
        conditional = " (limit and stop orders are taken now)" if market.get(key) else ""
        return f"Darwinex accepts {verb} orders{when}{conditional}."

    def _refusal(
        self, product: str, side: Side, order_type: OrderType,
        status: dict[str, Any], market: dict[str, Any],
    ) -> str:
        """Why Darwinex would refuse this order now ("" when it would not)."""
        state = _text(status.get("status")).upper()
        if state and state != "ACTIVE":
            return f"{product} is {state.lower()}: it takes no orders."
        conditional = order_type is not OrderType.MARKET
        buy = side is Side.BUY
        if conditional:
            market_key = "allowConditionalBuy" if buy else "allowConditionalSell"
            product_key = "conditionalBuyAllowed" if buy else "conditionalSellAllowed"
        else:
            market_key = "allowBuy" if buy else "allowSell"
            product_key = "buyAllowed" if buy else "sellAllowed"
        if market.get(market_key) is False:
            if conditional:
                kind = "conditional buy" if buy else "conditional sell"
                return f"Darwinex takes no {kind} orders at the moment."
            return self._market_note(side, status, market)
        if status.get(product_key) is False:
            if buy and not conditional:
                return f"{product} is closed to new investment."
            if buy:
                return f"{product} takes no conditional buy orders at the moment."
            return f"Selling {product} is not possible at the moment."
        return ""

    def _quote_of(self, symbol: str, status: dict[str, Any], market: dict[str, Any]) -> Quote:
        value = mapping.quote_value(status)
        buy = self._refusal(symbol, Side.BUY, OrderType.MARKET, status, market)
        sell = self._refusal(symbol, Side.SELL, OrderType.MARKET, status, market)
        state = _text(status.get("status")).upper() or "ACTIVE"
        conditional_ok = any(
            market.get(k) is not False and status.get(p) is not False
            for k, p in (("allowConditionalBuy", "conditionalBuyAllowed"),
                         ("allowConditionalSell", "conditionalSellAllowed"))
        )
        if state != "ACTIVE":
            market_status = state
        elif not buy or not sell or conditional_ok:
            market_status = "TRADEABLE"
        else:
            market_status = "CLOSED"
        notes = list(dict.fromkeys(n for n in (buy, sell) if n))
        return Quote(
            symbol=symbol,
            bid=value,
            offer=value,
            as_of=mapping.ms_time(status.get("quoteDate")) or utc_now(),
            market_status=market_status,
            buy_allowed=not buy,
            sell_allowed=not sell,
            note=" ".join(notes),
            conditional_buy_allowed=not self._refusal(
                symbol, Side.BUY, OrderType.LIMIT, status, market),
            conditional_sell_allowed=not self._refusal(
                symbol, Side.SELL, OrderType.LIMIT, status, market),
        )

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        """The DARWIN's quote (``bid`` = ``offer``) with what may be traded now."""
        self._check_account(account)
        status = await self._product_status(symbol)
        market = await self._market_status()
        return self._quote_of(symbol, status, market)

    # ------------------------------------------------------------------ products

    def _size_label(self, account: AccountRef) -> str:
        currency = self._currency(account)
        return f"Amount ({currency})" if currency else "Amount"

    def _instrument(
        self, account: AccountRef, data: dict[str, Any], facts: tuple[Fact, ...] = ()
    ) -> Instrument:
        inst = mapping.instrument(
            data, size_label=self._size_label(account), min_size=MIN_AMOUNT, facts=facts,
        )
        # Amounts are in the account's currency, whatever the DARWIN's own currency.
        return replace(inst, currency=self._currency(account) or inst.currency)

    async def _product_list(self) -> list[dict[str, Any]]:
        if self._products is not None and self._products.fresh(PRODUCTS_TTL):
            return self._products.value
        items = await self.client.products("ACTIVE")
        self._products = _Cached(items)
        return items

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]:
        self._check_account(account)
        term = text.strip().upper()
        if not term:
            return []
        found = [
            p for p in await self._product_list()
            if term in _text(p.get("productName")).upper()
            or term in _text(p.get("shortName")).upper()
        ]
        # The ticker itself first, then names starting with the text, then the rest.
        found.sort(key=lambda p: (
            _text(p.get("shortName")).upper() != term,
            not _text(p.get("productName")).upper().startswith(term),
            _text(p.get("productName")),
        ))
        return [self._instrument(account, p) for p in found[:SEARCH_LIMIT]]

    async def screen_instruments(
        self, account: AccountRef, screen: InstrumentScreen, text: str = ""
    ) -> list[Instrument]:
        self._check_account(account)
        preset = SCREENS.get(screen.key)
        if preset is None:
            raise NotSupported(f"Darwinex has no product screen {screen.label!r}.",
                               broker=BROKER)
        cached = self._screens.get(screen.key)
        if cached is None or not cached.fresh(PRODUCTS_TTL):
            cached = self._screens[screen.key] = _Cached(
                await self.client.filter_products(preset[1])
            )
        term = text.strip().upper()
        rows = [
            r for r in cached.value
            if not term or term in _text(r.get("productName")).upper()
            or term in _text(r.get("shortName")).upper()
        ]
        for row in rows:
            if row.get("dscore") is not None:
                self._scores.setdefault(
                    _text(row.get("productName")),
                    _Cached(to_decimal(row["dscore"], field="dscore")),
                )
        return [self._instrument(account, r) for r in rows]

    def _score_facts(self, product: str) -> tuple[Fact, ...]:
        cached = self._scores.get(product)
        if cached is None or not cached.fresh(SCORE_TTL):
            return ()
        return (Fact("D-Score", mapping.plain(cached.value), D_SCORE_HINT),)

    async def _fetch_score(self, product: str, priority: Priority) -> Decimal:
        value = await self.client.dxscore(product, priority=priority)
        score = to_decimal(value, field="dxscore")
        self._scores[product] = _Cached(score)
        return score

    async def _fetch_dleverage(self, product: str, priority: Priority) -> Decimal | None:
        rows = await self.client.history(product, "riskadjustment", priority=priority)
        value = mapping.latest_value(rows)
        self._dleverage[product] = _Cached(value)
        return value

    def _prefetch_scores(self, products: list[str]) -> None:
        """D-Scores of positions' products: a few per call, in the background, never
        again within the hour, and only while the scores budget has room for clicks."""
        now = time.monotonic()
        wanted = [
            p for p in dict.fromkeys(products)
            if not self._score_facts(p) and p not in self._prefetching
            and self._score_failed.get(p, 0.0) <= now
        ][:PREFETCH_BATCH]
        if not wanted or self.client.http.client.is_closed:
            return
        if self.limiter.headroom("scores") < PREFETCH_RESERVE + len(wanted):
            return
        self._prefetching.update(wanted)
        task = asyncio.get_running_loop().create_task(
            self._prefetch(wanted), name=f"darwinex-scores:{self.connection_id}"
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _prefetch(self, products: list[str]) -> None:
        try:
            for product in products:
                try:
                    await self._fetch_score(product, Priority.BACKGROUND)
                except BrokerError as exc:
                    log.info("Darwinex D-Score of %s not fetched: %s", product, exc.message)
                    self._score_failed[product] = time.monotonic() + SCORE_RETRY
        finally:
            self._prefetching.difference_update(products)

    async def _scores_within(self, product: str) -> tuple[Fact, Fact]:
        """D-Score and D-Leverage, from the cache or fetched if the budget allows soon;
        a score that cannot be had now is shown as "…" with the reason."""
        wait = self.client.scores_wait()
        later = (
            "Darwinex allows about 10 score requests a minute; try again in "
            f"{max(1, round(wait))} s."
        )

        async def get(
            cache: dict[str, _Cached], fetch: Callable[[str, Priority], Awaitable[Any]],
        ) -> tuple[Any, str]:
            cached = cache.get(product)
            if cached is not None and cached.fresh(SCORE_TTL):
                return cached.value, ""
            if wait > DETAILS_SCORE_WAIT:
                return None, later
            try:
                return await fetch(product, Priority.INTERACTIVE), ""
            except (RateLimited, Unavailable, ProtocolError, NotFound, Rejected) as exc:
                return None, f"Could not be read now: {exc.message}"

        score, why_score = await get(self._scores, self._fetch_score)
        dlev, why_dlev = await get(self._dleverage, self._fetch_dleverage)
        score_fact = (
            Fact("D-Score", mapping.plain(score), D_SCORE_HINT) if score is not None
            else Fact("D-Score", "…", why_score)
        )
        if dlev is not None:
            dlev_fact = Fact("D-Leverage", mapping.plain(dlev), D_LEVERAGE_HINT)
        elif why_dlev:
            dlev_fact = Fact("D-Leverage", "…", why_dlev)
        else:  # read, but the DARWIN has no risk-adjustment history yet
            dlev_fact = Fact("D-Leverage", "-", D_LEVERAGE_HINT)
        return score_fact, dlev_fact

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        """The product with its scores (cached an hour), figures and trading flags."""
        self._check_account(account)
        status = await self._product_status(symbol, Priority.INTERACTIVE)
        market = await self._market_status(Priority.INTERACTIVE)
        score, dlev = await self._scores_within(symbol)
        facts = [score, dlev]
        for key, label in (("productReturn", "Return"), ("drawdown", "Drawdown")):
            if status.get(key) is not None:
                facts.append(Fact(label, mapping.percent(status[key])))
        if status.get("numInvestors") is not None:
            facts.append(Fact("Investors", _text(status["numInvestors"])))
        invested = optional_decimal(status.get("invested"))
        darwin_currency = _text(status.get("currency"))
        if invested is not None:
            facts.append(Fact("Invested by all", format_money(invested, darwin_currency)))
        facts.append(Fact("Status", _text(status.get("status")) or "ACTIVE"))
        if darwin_currency and darwin_currency != self._currency(account):
            facts.append(Fact("DARWIN currency", darwin_currency))
        quote = self._quote_of(symbol, status, market)
        inst = self._instrument(account, status, tuple(facts))
        return replace(
            inst, bid=quote.bid, offer=quote.offer, buy_allowed=quote.buy_allowed,
            sell_allowed=quote.sell_allowed, note=quote.note,
            market_status=quote.market_status, tradeable=quote.market_status == "TRADEABLE",
        )

    async def quote_history(
        self, account: AccountRef, symbol: str, since: datetime
    ) -> list[PricePoint]:
        """Daily quotes since ``since`` (``history/quotes``, on the scores budget)."""
        self._check_account(account)
        end = utc_now()
        key = (symbol, since.astimezone(UTC).date().isoformat())
        cached = self._histories.get(key)
        if cached is not None and cached.fresh(HISTORY_TTL):
            return cached.value
        rows = await self.client.history(
            symbol, "quotes", params={"start": mapping.to_ms(since), "end": mapping.to_ms(end)},
        )
        points = [p for p in mapping.price_points(rows) if p.at >= since]
        self._histories[key] = _Cached(points)
        return points

    async def market_navigation(
        self, account: AccountRef, node_id: str | None
    ) -> tuple[list[MarketNode], list[Instrument]]:
        raise NotSupported(NO_NAVIGATION, broker=BROKER)

    async def watchlists(self, account: AccountRef) -> list[Watchlist]:
        raise NotSupported(NO_WATCHLISTS, broker=BROKER)

    async def watchlist_instruments(
        self, account: AccountRef, watchlist_id: str
    ) -> list[Instrument]:
        raise NotSupported(NO_WATCHLISTS, broker=BROKER)

    # ------------------------------------------------------------------ orders

    def _validate(self, request: OrderRequest) -> None:
        self._check_account(request.account)
        if request.order_type is OrderType.STOP_LIMIT:
            raise NotSupported(NO_STOP_LIMIT, broker=BROKER)
        if request.size <= 0:
            raise ValidationError("The amount must be above zero.", field="size",
                                  broker=BROKER)
        if request.size < MIN_AMOUNT:
            raise ValidationError(MIN_AMOUNT_TEXT, field="size", broker=BROKER)
        if request.order_type is not OrderType.MARKET and (
            request.level is None or request.level <= 0
        ):
            raise ValidationError(
                f"A {request.order_type.value.lower()} order needs a quote to trigger at.",
                field="level", broker=BROKER,
            )
        if request.side is Side.SELL and (
            request.stop_level is not None or request.profit_level is not None
        ):
            raise ValidationError(
                "Darwinex takes a stop loss and take profit with buys only.",
                field="stop_level", broker=BROKER,
            )

    async def _check_tradeable(self, request: OrderRequest) -> None:
        """Refuse locally what Darwinex would refuse now, with the reason; nothing is sent."""
        try:
            market = await self._market_status(Priority.INTERACTIVE)
            status = await self._product_status(
                request.symbol, Priority.INTERACTIVE, reuse=0.0
            )
        except NotFound as exc:
            raise Rejected(f"Darwinex does not know {request.symbol} ({exc.message}).",
                           code="unknown_product", broker=BROKER) from None
        except (Rejected, PermissionDenied, RateLimited, ValidationError):
            raise
        except BrokerError as exc:
            # Nothing has been sent yet: say so plainly rather than leave it unknown.
            raise Rejected(
                f"The order was not sent: Darwinex's market status could not be read "
                f"({exc.message}).", code="not_sent", broker=BROKER,
            ) from None
        why = self._refusal(request.symbol, request.side, request.order_type, status, market)
        if why:
            raise Rejected(why, code="not_allowed_now", broker=BROKER)

    @staticmethod
    def _thresholds(request: OrderRequest) -> dict[str, Decimal] | None:
        params: dict[str, Decimal] = {}
        if request.stop_level is not None:
            params["quoteStopLoss"] = request.stop_level
        if request.profit_level is not None:
            params["quoteTakeProfit"] = request.profit_level
        return params or None

    def _body(self, request: OrderRequest) -> dict[str, Any]:
        # Decimals go on the wire as their exact digits (domain/exact_json.py).
        body: dict[str, Any] = {"amount": request.size, "productName": request.symbol}
        if request.order_type is not OrderType.MARKET:
            assert request.level is not None
            body["quote"] = request.level
            body["side"] = request.side.value
            body["type"] = mapping.condition(request.side, request.order_type)
        thresholds = self._thresholds(request)
        if thresholds is not None:
            body["thresholdParameters"] = thresholds
        return body

    async def place_order(
        self, request: OrderRequest, on_reference: Callable[[str], None] | None = None
    ) -> OrderResult:
        self._validate(request)
        self._require_live_opt_in("Investing")
        await self._check_tradeable(request)
        account_id = request.account.account_id
        body = self._body(request)
        market = request.order_type is OrderType.MARKET
        sent_at = utc_now() - CLOCK_MARGIN
        try:
            if not market:
                reply = await self._on_account(
                    request.account, lambda: self.client.create_conditional(account_id, body)
                )
            elif request.side is Side.BUY:
                reply = await self._on_account(
                    request.account, lambda: self.client.buy(account_id, body)
                )
            else:
                reply = await self._on_account(
                    request.account, lambda: self.client.sell(account_id, body)
                )
        except MaybeSent as exc:
            log.warning("Darwinex order reply lost or unreadable; reconciling")
            return await self._find_new(request, sent_at, exc.message)
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, reason=exc.message)
        order_id = _text(reply.get("orderId")) if isinstance(reply, dict) else ""
        if not order_id:
            # A success without an id: taken, but which order it made is not known.
            return await self._find_new(
                request, sent_at, "Darwinex accepted the order but sent no order id."
            )
        self._own_orders.add(order_id)
        _hand_over(on_reference, order_id)
        what = "Invested" if request.side is Side.BUY else "Sold"
        reason = (f"{what} {format_money(request.size, self._currency(request.account))} "
                  f"in {request.symbol}.") if market else "Conditional order placed."
        return OrderResult(
            OrderStatus.ACCEPTED, broker_ref=order_id, deal_ids=(order_id,),
            size=request.size, level=request.level, reason=reason,
        )

    async def _matching(
        self, request: OrderRequest, since: datetime, priority: Priority = Priority.INTERACTIVE
    ) -> list[dict[str, Any]]:
        """Orders at Darwinex that look like ``request`` and were made at or after ``since``."""
        account_id = request.account.account_id
        if request.order_type is OrderType.MARKET:
            data = await self.client.executed_orders(
                account_id, product=request.symbol, priority=priority
            )
            items, stamp = page_items(data)[0], "executionDate"
        else:
            items = []
            # A new conditional order is pending, or executed if the quote was crossed.
            for state in ("pending", "executed"):
                items += await self.client.conditional_orders(
                    account_id, state, product=request.symbol, priority=priority
                )
            stamp = "creationDate"
        found = []
        for item in items:
            if _text(item.get("orderId")) in self._own_orders:
                continue
            if _text(item.get("productName")) != request.symbol:
                continue
            if _text(item.get("side")).upper() != request.side.value:
                continue
            if optional_decimal(item.get("amount")) != request.size:
                continue
            if request.order_type is not OrderType.MARKET and (
                optional_decimal(item.get("quote")) != request.level
                or _text(item.get("type")).upper()
                != mapping.condition(request.side, request.order_type)
            ):
                continue
            made = mapping.ms_time(item.get(stamp))
            # An order without a time cannot be shown to be new, so it never matches.
            if made is not None and made >= since:
                found.append(item)
        return found

    async def _find_new(self, request: OrderRequest, since: datetime, lost: str) -> OrderResult:
        """After a lost or unreadable reply: the one new order that looks like the request."""
        what = "executed orders" if request.order_type is OrderType.MARKET else (
            "conditional orders")
        for attempt in range(RECONCILE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(self.reconcile_interval)
            try:
                matches = await self._on_account(
                    request.account, lambda: self._matching(request, since)
                )
            except BrokerError as exc:
                return OrderResult(
                    OrderStatus.UNKNOWN,
                    reason=(
                        f"{lost} The {what} could not be read to find out whether the order "
                        f"was taken ({exc.message}). Nothing was resent; check the positions "
                        "and working orders before trying again."
                    ),
                )
            if len(matches) == 1:
                order_id = _text(matches[0].get("orderId"))
                self._own_orders.add(order_id)
                return OrderResult(
                    OrderStatus.ACCEPTED, broker_ref=order_id, deal_ids=(order_id,),
                    size=request.size, level=request.level,
                    reason=f"The reply was lost; Darwinex lists the order ({what}).",
                )
            if len(matches) > 1:
                raise OutcomeUnknown(
                    f"The reply was lost and {len(matches)} new {request.symbol} orders of "
                    "this amount appeared; check them before trying again.",
                    broker=BROKER,
                )
        return OrderResult(
            OrderStatus.UNKNOWN,
            reason=(
                f"{lost} No matching order appears among Darwinex's {what} (yet). Nothing "
                "was resent; check the positions and working orders before trying again."
            ),
        )

    async def reconcile_order(
        self, request: OrderRequest, broker_ref: str, *, since: datetime | None = None
    ) -> OrderResult:
        """The true outcome of an order sent earlier (e.g. before a crash).

        With Darwinex's orderId the order itself is looked up; without one only an order
        made at or after ``since`` (when the request was journalled) may match.
        """
        self._check_account(request.account)
        account_id = request.account.account_id
        market = request.order_type is OrderType.MARKET
        try:
            if broker_ref:
                if market:
                    data = await self._on_account(
                        request.account,
                        lambda: self.client.executed_order(account_id, broker_ref),
                    )
                else:
                    data = await self._on_account(
                        request.account,
                        lambda: self.client.conditional_order(account_id, broker_ref),
                    )
                return self._known(request, broker_ref, data)
            if since is None:
                return OrderResult(
                    OrderStatus.UNKNOWN,
                    reason=(
                        "Darwinex gave no order id and the time the order was sent is not "
                        "known, so it cannot be told apart from an older identical order."
                    ),
                )
            matches = await self._on_account(
                request.account, lambda: self._matching(request, since - CLOCK_MARGIN)
            )
        except NotFound:
            return OrderResult(
                OrderStatus.UNKNOWN, broker_ref=broker_ref,
                reason=f"Darwinex does not list order {broker_ref} (yet).",
            )
        except (OutcomeUnknown, ValidationError):
            raise
        except BrokerError as exc:
            return OrderResult(
                OrderStatus.UNKNOWN, broker_ref=broker_ref,
                reason=f"Darwinex could not be asked about this order: {exc.message}",
            )
        if len(matches) == 1:
            order_id = _text(matches[0].get("orderId"))
            return OrderResult(
                OrderStatus.ACCEPTED, broker_ref=order_id, deal_ids=(order_id,),
                size=request.size, reason="Found at Darwinex by reconciliation.",
            )
        if not matches:
            raise OutcomeUnknown(
                f"No {request.side.value} of {request.size} in {request.symbol} made since "
                "the order was sent is listed at Darwinex; it was probably not executed.",
                broker=BROKER,
            )
        raise OutcomeUnknown(
            f"Several {request.symbol} orders made since this one was sent match it; "
            "Darwinex cannot tell which one it was.",
            broker=BROKER,
        )

    @staticmethod
    def _known(request: OrderRequest, order_id: str, data: dict[str, Any]) -> OrderResult:
        status = _text(data.get("status")).upper()
        if status in ("REJECTED", "CANCELLED", "DELETED"):
            # The conditional order was placed; it has ended since.
            reason = f"Darwinex lists the conditional order as {status.lower()}."
        else:
            reason = "Darwinex lists the order."
        return OrderResult(
            OrderStatus.ACCEPTED, broker_ref=order_id, deal_ids=(order_id,),
            size=optional_decimal(data.get("amount")) or request.size,
            level=optional_decimal(data.get("quote")), reason=reason,
        )

    async def _sell_allowed(self, account: AccountRef, product: str | None) -> None:
        """A stop-out sells: refuse it locally while Darwinex takes no sells."""
        market = await self._market_status(Priority.INTERACTIVE)
        if market.get("allowSell") is False:
            raise Rejected(self._market_note(Side.SELL, {}, market), code="not_allowed_now",
                           broker=BROKER)
        if product is not None:
            try:
                status = await self._product_status(product, Priority.INTERACTIVE, reuse=0.0)
            except NotFound:
                return  # the stop-out itself will say so
            if status.get("sellAllowed") is False:
                raise Rejected(f"Selling {product} is not possible at the moment.",
                               code="not_allowed_now", broker=BROKER)

    async def _write(
        self, account: AccountRef, send: Callable[[], Awaitable[Any]], done: str,
        target: str,
    ) -> OrderResult:
        try:
            await self._on_account(account, send)
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, deal_ids=(target,) if target else (),
                               reason=exc.message)
        return OrderResult(OrderStatus.ACCEPTED, deal_ids=(target,) if target else (),
                           reason=done)

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        """Sell the whole investment in one DARWIN (``stopout/{productName}``)."""
        self._check_account(account)
        self._require_live_opt_in("Closing positions")
        await self._on_account(account, lambda: self._sell_allowed(account, position_id))
        return await self._write(
            account, lambda: self.client.stopout(account.account_id, position_id),
            f"Sold the whole investment in {position_id}.", position_id,
        )

    async def close_all_positions(self, account: AccountRef) -> OrderResult:
        """Sell every DARWIN of the account in one call (``stopout``)."""
        self._check_account(account)
        self._require_live_opt_in("Closing positions")
        await self._on_account(account, lambda: self._sell_allowed(account, None))
        return await self._write(
            account, lambda: self.client.stopout(account.account_id),
            "Sold every investment of the account.", "",
        )

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        self._check_account(account)
        self._require_live_opt_in("Cancelling orders")
        return await self._write(
            account, lambda: self.client.delete_conditional(account.account_id, order_id),
            "Conditional order cancelled.", order_id,
        )

    async def modify_order(self, amendment: OrderAmendment) -> OrderResult:
        """``PUT conditionalorders/{id}`` with the amount and quote (unchanged ones as they
        are) and, when a stop or profit is given, both thresholds."""
        account = amendment.account
        self._check_account(account)
        self._require_live_opt_in("Changing orders")
        if amendment.stop_price is not None:
            raise NotSupported(NO_STOP_LIMIT, broker=BROKER)
        if amendment.size is not None and amendment.size < MIN_AMOUNT:
            raise ValidationError(MIN_AMOUNT_TEXT, field="size", broker=BROKER)
        account_id = account.account_id
        try:
            current = await self._on_account(
                account, lambda: self.client.conditional_order(account_id, amendment.order_id)
            )
        except NotFound as exc:
            raise Rejected(exc.message, code=exc.code, broker=BROKER) from None
        status = _text(current.get("status")).upper()
        if status and status != "PENDING":
            raise Rejected(
                f"Conditional order {amendment.order_id} is {status.lower()}; it cannot be "
                "changed.", broker=BROKER,
            )
        body: dict[str, Any] = {
            "amount": amendment.size if amendment.size is not None
            else to_decimal(current.get("amount"), field="amount"),
            "quote": amendment.level if amendment.level is not None
            else to_decimal(current.get("quote"), field="quote"),
        }
        if amendment.stop_level is not None or amendment.profit_level is not None:
            params = current.get("thresholdParameters") or {}
            stop = amendment.stop_level if amendment.stop_level is not None else (
                optional_decimal(params.get("quoteStopLoss")))
            profit = amendment.profit_level if amendment.profit_level is not None else (
                optional_decimal(params.get("quoteTakeProfit")))
            body["thresholdParameters"] = {
                k: v for k, v in (("quoteStopLoss", stop), ("quoteTakeProfit", profit))
                if v is not None
            }
        return await self._write(
            account,
            lambda: self.client.amend_conditional(account_id, amendment.order_id, body),
            "Conditional order changed.", amendment.order_id,
        )

    # ------------------------------------------------------------------ funding

    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        return None

    async def fund(self, request: FundingRequest) -> FundingResult:
        raise NotSupported(NO_FUNDING, broker=BROKER)


def _hand_over(on_reference: Callable[[str], None] | None, ref: str) -> None:
    """Give the caller the order id at once, so a crash cannot lose it."""
    if on_reference is None:
        return
    try:
        on_reference(ref)
    except Exception:
        # The order is at the broker already; losing the note must not lose the outcome.
        log.exception("recording the Darwinex order id %s failed", ref)


def create(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> DarwinexService:
    return DarwinexService(profile, credentials, request_log)
