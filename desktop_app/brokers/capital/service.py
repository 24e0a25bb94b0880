"""Capital.com as a BrokerService: domain values in, domain values out.

Capital.com trades, lists positions and sets preferences on the session's *active*
account, so every account-scoped call first switches the session (``PUT /session``)
under one lock: polling and trading never interleave a switch.

Orders are never resent blindly. The dealReference is handed to the caller as soon as
the broker gives it, before the confirm is read. When a reply is lost or unreadable
(``MaybeSent``) the service reconciles: with a dealReference it asks ``GET /confirms``;
without one only a deal created after the send (on the broker's clock) may match. Once
the broker may have taken a write, a failure to read its outcome is ``UNKNOWN`` (or
``OutcomeUnknown``), never ``REJECTED``: a retry could duplicate it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from desktop_app.brokers.capital import mapping
from desktop_app.brokers.capital.client import KEEPALIVE_AFTER, CapitalClient
from desktop_app.brokers.capital.errors import BROKER, level_hint
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import (
    BrokerError,
    NotFound,
    NotSupported,
    OutcomeUnknown,
    PermissionDenied,
    Rejected,
    ValidationError,
)
from desktop_app.domain.money import optional_decimal, to_decimal, utc_now
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    Environment,
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

# After a lost reply, how long to look for the order's effect before giving up.
RECONCILE_ATTEMPTS = 4
RECONCILE_INTERVAL = 0.5
# "Created after the send" is judged on the broker's clock, known to about a second
# (the Date header); this margin covers that and the network delay.
CLOCK_MARGIN = timedelta(seconds=2)

TOPUP_NOTES = (
    "Capital.com documents only the request: POST /accounts/topUp with {\"amount\"}, on "
    "demo accounts (added 2023-11-28); the amount is added to the chosen demo account's "
    "cash in its currency. Minimum, maximum and negative amounts are not documented: "
    "this app allows 0.01 to 40,000 per top-up (the cap a third-party client applies) "
    "and shows the broker's answer if it refuses."
)
TOPUP_MIN = Decimal("0.01")
TOPUP_MAX = Decimal("40000")

NO_LIVE_FUNDING = (
    "Capital.com's API tops up demo accounts only. Live accounts are funded on "
    "capital.com itself; deposits, withdrawals and transfers are not part of the API."
)
NO_ACCOUNT_CREATION = "Capital.com's API cannot open accounts; open them on capital.com."
NO_STOP_LIMIT = "Capital.com's working orders are LIMIT or STOP only."
NO_HISTORY = "The account history of Capital.com is not offered in this version."


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


class CapitalService:
    broker = mapping.BROKER_ID

    def __init__(
        self,
        profile: ConnectionProfile,
        credentials: Credentials,
        request_log: RequestLog | None = None,
        *,
        keepalive_after: float = KEEPALIVE_AFTER,
        confirm_interval: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.profile = profile
        self.connection_id = profile.connection_id
        fields = {**profile.fields, **credentials}
        missing = [n for n in ("identifier", "api_key", "password") if not fields.get(n)]
        if missing:
            raise ValidationError(
                f"Missing {', '.join(missing)} for Capital.com.",
                field=missing[0], broker=BROKER,
            )
        self.client = CapitalClient(
            api_key=fields["api_key"],
            identifier=fields["identifier"],
            password=fields["password"],
            environment=profile.environment,
            base_url=profile.base_url,
            encrypted_login=_truthy(fields.get("encrypted_login")),
            connection_id=profile.connection_id,
            request_log=request_log,
            keepalive_after=keepalive_after,
            confirm_interval=confirm_interval,
            transport=transport,
        )
        self.limiter: RateLimiter = self.client.limiter
        self._account_lock = asyncio.Lock()
        self._currencies: dict[str, str] = {}
        # Deal ids last listed per (account, is-position): reconciliation ignores them.
        self._seen: defaultdict[tuple[str, bool], set[str]] = defaultdict(set)
        # GET /markets/{epic} answers both quote() and instrument_details(): a request in
        # flight is shared, so choosing a market in the ticket costs one request, not two.
        self._market_calls: dict[str, asyncio.Future[dict[str, Any]]] = {}
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

    def _make_capabilities(self) -> Capabilities:
        reasons = {
            "modify_orders": "Changing a working order is not offered for Capital.com yet; "
            "cancel it and place a new one.",
            "close_all": "Capital.com has no close-all call; close positions one by one.",
            "history": NO_HISTORY,
            "account_creation": NO_ACCOUNT_CREATION,
            "stop_limit": NO_STOP_LIMIT,
            OrderType.STOP_LIMIT.value: NO_STOP_LIMIT,
            FundingKind.DEPOSIT.value: NO_LIVE_FUNDING,
            FundingKind.WITHDRAW.value: NO_LIVE_FUNDING,
            FundingKind.TRANSFER.value: NO_LIVE_FUNDING,
        }
        if not self.is_demo:
            reasons["funding"] = NO_LIVE_FUNDING
            reasons[FundingKind.DEMO_TOPUP.value] = NO_LIVE_FUNDING
        return Capabilities(
            order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP}),
            stops_and_limits=True,
            close_positions=True,
            working_orders=True,
            funding=frozenset({FundingKind.DEMO_TOPUP}) if self.is_demo else frozenset(),
            account_creation=False,
            instrument_search=True,
            market_navigation=True,
            watchlists=True,
            quotes=True,
            account_switching=True,
            preferences=True,
            instrument_details=True,
            quote_history=True,
            reasons=reasons,
        )

    async def connect(self) -> None:
        await self.client.login()

    async def close(self) -> None:
        await self.client.close()

    def _check_account(self, account: AccountRef) -> None:
        if account.connection != self.connection_id or account.broker != self.broker:
            raise ValidationError(
                f"Account {account} does not belong to this Capital.com connection.",
                broker=BROKER,
            )

    def _require_live_opt_in(self, what: str) -> None:
        if self.profile.is_live and not self.profile.live_opt_in:
            raise PermissionDenied(
                f"{what} on a live Capital.com account is switched off for this connection.",
                hint=(
                    "To trade with real money, edit the connection and tick "
                    "'Allow live trading', then try again."
                ),
                broker=BROKER,
            )

    async def _on_account(
        self,
        account: AccountRef,
        action: Callable[[], Awaitable[T]],
        priority: Priority = Priority.VISIBLE,
    ) -> T:
        """Run ``action`` with ``account`` active; the lock keeps switches from interleaving."""
        self._check_account(account)
        async with self._account_lock:
            await self.client.switch_account(account.account_id, priority=priority)
            return await action()

    # ------------------------------------------------------------------ accounts

    async def accounts(self) -> list[Account]:
        raw = await self.client.accounts()
        result = [
            mapping.account(
                item, connection=self.connection_id, environment=self.environment,
                active_id=self.client.account_id,
            )
            for item in raw
        ]
        self._currencies = {a.ref.account_id: a.currency for a in result}
        return result

    async def switch_account(self, account: AccountRef) -> None:
        self._check_account(account)
        async with self._account_lock:
            await self.client.switch_account(account.account_id, priority=Priority.INTERACTIVE)

    async def preferences(self, account: AccountRef) -> AccountPreferences:
        data = await self._on_account(
            account, self.client.preferences, priority=Priority.INTERACTIVE
        )
        return mapping.preferences(data)

    async def set_preferences(
        self, account: AccountRef, preferences: AccountPreferences
    ) -> AccountPreferences:
        self._require_live_opt_in("Changing leverage or hedging mode")

        async def change() -> dict[str, Any]:
            await self.client.set_preferences(
                leverages={k: v.current for k, v in preferences.leverages.items()},
                hedging_mode=preferences.hedging_mode,
            )
            return await self.client.preferences()

        return mapping.preferences(
            await self._on_account(account, change, priority=Priority.INTERACTIVE)
        )

    async def positions(self, account: AccountRef) -> list[Position]:
        raw = await self._on_account(account, self.client.positions)
        result = [mapping.position(item, account) for item in raw]
        self._seen[(account.account_id, True)] = {p.position_id for p in result}
        return result

    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]:
        raw = await self._on_account(account, self.client.working_orders)
        result = [mapping.working_order(item, account) for item in raw]
        self._seen[(account.account_id, False)] = {o.order_id for o in result}
        return result

    # ------------------------------------------------------------------ markets

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        self._check_account(account)
        return mapping.quote(await self._market(symbol))

    async def _market(
        self, epic: str, priority: Priority = Priority.VISIBLE
    ) -> dict[str, Any]:
        shared = self._market_calls.get(epic)
        if shared is None:
            shared = asyncio.ensure_future(self.client.market(epic, priority=priority))
            self._market_calls[epic] = shared
            shared.add_done_callback(lambda _f: self._market_calls.pop(epic, None))
            # Every caller may have gone (cancelled): the outcome is still taken here.
            shared.add_done_callback(lambda f: f.cancelled() or f.exception())
        return await asyncio.shield(shared)

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]:
        self._check_account(account)
        term = text.strip()
        if not term:
            return []
        markets = await self.client.search_markets(term)
        details = await self._details([m.get("epic") for m in markets])
        return [mapping.instrument(m, details.get(str(m.get("epic")))) for m in markets]

    async def _details(self, epics: list[object]) -> dict[str, dict[str, Any]]:
        """Dealing rules (minimum size, step) for up to one call's worth of markets."""
        wanted = [str(e) for e in epics if e][:50]
        if not wanted:
            return {}
        try:
            found = await self.client.markets(wanted, priority=Priority.INTERACTIVE)
        except (Rejected, NotFound) as exc:
            log.info("Capital.com market details unavailable: %s", exc)
            return {}
        return {str((d.get("instrument") or {}).get("epic")): d for d in found}

    async def market_navigation(
        self, account: AccountRef, node_id: str | None
    ) -> tuple[list[MarketNode], list[Instrument]]:
        self._check_account(account)
        data = await self.client.navigation(node_id)
        nodes = [mapping.node(n) for n in data.get("nodes") or []]
        markets = [mapping.instrument(m) for m in data.get("markets") or []]
        return nodes, markets

    async def watchlists(self, account: AccountRef) -> list[Watchlist]:
        self._check_account(account)
        return [mapping.watchlist(w) for w in await self.client.watchlists()]

    async def watchlist_instruments(
        self, account: AccountRef, watchlist_id: str
    ) -> list[Instrument]:
        self._check_account(account)
        return [mapping.instrument(m) for m in await self.client.watchlist(watchlist_id)]

    # ------------------------------------------------------------------ orders

    def _validate(self, request: OrderRequest) -> None:
        self._check_account(request.account)
        if request.order_type is OrderType.STOP_LIMIT:
            raise NotSupported(NO_STOP_LIMIT, broker=BROKER)
        if request.size <= 0:
            raise ValidationError("The size must be above zero.", field="size", broker=BROKER)
        if request.order_type is not OrderType.MARKET and (
            request.level is None or request.level <= 0
        ):
            raise ValidationError(
                f"A {request.order_type.value.lower()} order needs a level.",
                field="level", broker=BROKER,
            )

    def _order_body(self, request: OrderRequest) -> dict[str, Any]:
        # Decimals go on the wire as their exact digits (see domain/exact_json.py), never as floats.
        body: dict[str, Any] = {
            "epic": request.symbol,
            "direction": request.side.value,
            "size": request.size,
        }
        if request.order_type is not OrderType.MARKET:
            assert request.level is not None
            body["level"] = request.level
            body["type"] = request.order_type.value
            if request.good_till is not None:
                body["goodTillDate"] = mapping.wire_time(request.good_till)
        if request.stop_level is not None:
            body["stopLevel"] = request.stop_level
        if request.profit_level is not None:
            body["profitLevel"] = request.profit_level
        return body

    async def place_order(
        self, request: OrderRequest, on_reference: Callable[[str], None] | None = None
    ) -> OrderResult:
        self._validate(request)
        self._require_live_opt_in("Trading")
        market = request.order_type is OrderType.MARKET
        body = self._order_body(request)

        async def send() -> OrderResult:
            # Deals listed before are never taken for this order's; no extra call is spent.
            before = set(self._seen[(request.account.account_id, market)])
            sent_at = self.client.broker_time(utc_now()) - CLOCK_MARGIN
            try:
                if market:
                    ref = await self.client.open_position(body)
                else:
                    ref = await self.client.create_working_order(body)
            except MaybeSent as exc:
                log.warning("Capital.com order reply lost or unreadable; reconciling")
                return await self._find_new(request, before, sent_at, exc.message)
            except (Rejected, NotFound) as exc:
                hint = level_hint(exc.code, request.side is Side.BUY)
                reason = f"{exc.message} ({hint})" if hint else exc.message
                return OrderResult(OrderStatus.REJECTED, reason=reason)
            _hand_over(on_reference, ref)
            result = await self._confirmed(ref)
            self._seen[(request.account.account_id, market)].update(result.deal_ids)
            return result

        return await self._on_account(request.account, send, priority=Priority.INTERACTIVE)

    async def reconcile_order(
        self, request: OrderRequest, broker_ref: str, *, since: datetime | None = None
    ) -> OrderResult:
        """The true outcome of a journalled order whose reply never arrived (e.g. a crash).

        With a dealReference the broker's confirm says it. Without one only a deal created
        at or after ``since`` (our clock, when the order was journalled) may match: an
        older identical position is somebody else's. Without either nothing can be told.
        """
        self._check_account(request.account)
        market = request.order_type is OrderType.MARKET
        if not broker_ref and since is None:
            return OrderResult(
                OrderStatus.UNKNOWN,
                reason=(
                    "Capital.com gave no deal reference and the time the order was sent is "
                    "not known, so an open deal cannot be told apart from an older identical "
                    "one. Check the positions and working orders."
                ),
            )

        async def check() -> OrderResult:
            if broker_ref:
                return await self._confirmed(broker_ref)
            assert since is not None
            earliest = self.client.broker_time(since) - CLOCK_MARGIN
            matches = await self._matching(request, market, exclude=set(), since=earliest)
            if len(matches) == 1:
                return OrderResult(
                    OrderStatus.ACCEPTED, deal_ids=(matches[0],),
                    reason="Found at Capital.com by reconciliation.",
                )
            what = "position" if market else "working order"
            if not matches:
                raise OutcomeUnknown(
                    f"No {request.side.value} {request.size} {request.symbol} {what} opened "
                    "since the order was sent is open at Capital.com; the order was probably "
                    "not executed (or has been closed since).",
                    broker=BROKER,
                )
            raise OutcomeUnknown(
                f"Several {request.symbol} {what}s opened since the order was sent match it; "
                "Capital.com cannot tell which one it created.",
                broker=BROKER,
            )

        try:
            return await self._on_account(
                request.account, check, priority=Priority.INTERACTIVE
            )
        except (OutcomeUnknown, ValidationError):
            raise
        except BrokerError as exc:
            return OrderResult(
                OrderStatus.UNKNOWN, broker_ref=broker_ref,
                reason=f"Capital.com could not be asked about this order: {exc.message}",
            )

    async def _confirmed(self, ref: str) -> OrderResult:
        """The confirm of a request the broker took; any failure to read it is UNKNOWN."""
        try:
            data = await self.client.confirm(ref)
            return self._result(data, ref)
        except (NotFound, Rejected):
            # The broker took the request (it gave a reference) but has no confirm yet.
            reason = (
                "Capital.com accepted the request but has not confirmed it yet; "
                "check the positions and working orders before trying again."
            )
        except BrokerError as exc:
            log.warning("Capital.com confirm of %s unreadable: %s", ref, exc.message)
            reason = (
                "Capital.com accepted the request, but its confirmation could not be read "
                f"({exc.message}). Nothing was resent; check the positions and working "
                "orders before trying again."
            )
        return OrderResult(OrderStatus.UNKNOWN, broker_ref=ref, reason=reason)

    @staticmethod
    def _result(data: dict[str, Any], ref: str) -> OrderResult:
        status = str(data.get("dealStatus") or "").upper()
        # Without hedging one deal can close opposite positions too; list the opened first.
        affected = sorted(
            (d for d in data.get("affectedDeals") or [] if d.get("dealId")),
            key=lambda d: d.get("status") != "OPENED",
        )
        deals = tuple(str(d["dealId"]) for d in affected)
        if not deals and data.get("dealId"):
            deals = (str(data["dealId"]),)
        level = optional_decimal(data.get("level"), field="level")
        size = optional_decimal(data.get("size"), field="size")
        if status == "ACCEPTED":
            return OrderResult(
                OrderStatus.ACCEPTED, broker_ref=ref, deal_ids=deals, level=level, size=size,
                reason=str(data.get("reason") or ""),
            )
        if status == "REJECTED":
            return OrderResult(
                OrderStatus.REJECTED, broker_ref=ref, deal_ids=deals,
                reason=mapping.reason_text(data.get("reason")),
            )
        return OrderResult(
            OrderStatus.PENDING, broker_ref=ref, deal_ids=deals, level=level, size=size,
            reason=f"Capital.com reports the deal as {status or 'pending'}.",
        )

    async def _existing_ids(self, market: bool) -> set[str]:
        if market:
            items = await self.client.positions(priority=Priority.INTERACTIVE)
            return {str((i.get("position") or {}).get("dealId")) for i in items}
        items = await self.client.working_orders(priority=Priority.INTERACTIVE)
        return {str((i.get("workingOrderData") or {}).get("dealId")) for i in items}

    async def _matching(
        self, request: OrderRequest, market: bool, *, exclude: set[str], since: datetime,
    ) -> list[str]:
        """Deal ids of open positions / working orders that look like this request and
        were created at or after ``since`` (on the broker's clock)."""
        found: list[str] = []
        if market:
            for item in await self.client.positions(priority=Priority.INTERACTIVE):
                pos, mkt = item.get("position") or {}, item.get("market") or {}
                candidate = (
                    str(pos.get("dealId")), mkt.get("epic"), pos.get("direction"),
                    pos.get("size"), mapping.parse_time(pos.get("createdDateUTC")),
                )
                if self._same(request, candidate, exclude, since):
                    found.append(candidate[0])
        else:
            for item in await self.client.working_orders(priority=Priority.INTERACTIVE):
                data = item.get("workingOrderData") or {}
                candidate = (
                    str(data.get("dealId")), data.get("epic"), data.get("direction"),
                    data.get("orderSize"), mapping.parse_time(data.get("createdDateUTC")),
                )
                level = optional_decimal(data.get("orderLevel"))
                if self._same(request, candidate, exclude, since) and level == request.level:
                    found.append(candidate[0])
        return found

    @staticmethod
    def _same(
        request: OrderRequest, candidate: tuple[str, Any, Any, Any, datetime | None],
        exclude: set[str], since: datetime,
    ) -> bool:
        deal_id, epic, direction, size, created = candidate
        if deal_id in exclude or epic != request.symbol:
            return False
        if str(direction).upper() != request.side.value:
            return False
        if size is None or to_decimal(size) != request.size:
            return False
        # A deal without a creation time cannot be shown to be new, so it never matches.
        return created is not None and created >= since

    async def _find_new(
        self, request: OrderRequest, before: set[str], sent_at: datetime, lost: str
    ) -> OrderResult:
        """After a lost or unreadable reply: the one new deal that looks like the order."""
        market = request.order_type is OrderType.MARKET
        for attempt in range(RECONCILE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(RECONCILE_INTERVAL)
            try:
                matches = await self._matching(request, market, exclude=before, since=sent_at)
            except BrokerError as exc:
                what = "positions" if market else "working orders"
                return OrderResult(
                    OrderStatus.UNKNOWN,
                    reason=(
                        f"{lost} The {what} could not be read to find out whether the order "
                        f"was executed ({exc.message}). Nothing was resent; check them "
                        "before trying again."
                    ),
                )
            if len(matches) == 1:
                return OrderResult(
                    OrderStatus.ACCEPTED, deal_ids=(matches[0],),
                    reason="The reply was lost; the deal was found at Capital.com.",
                )
            if len(matches) > 1:
                raise OutcomeUnknown(
                    f"The reply was lost and {len(matches)} new {request.symbol} deals "
                    "appeared; check them on the positions panel.",
                    broker=BROKER,
                )
        raise OutcomeUnknown(
            "The reply was lost and no new deal appeared at Capital.com.", broker=BROKER
        )

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        self._require_live_opt_in("Closing positions")
        return await self._remove(account, position_id, self.client.close_position, market=True)

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        self._require_live_opt_in("Cancelling orders")
        return await self._remove(
            account, order_id, self.client.delete_working_order, market=False
        )

    async def modify_order(self, amendment: OrderAmendment) -> OrderResult:
        raise NotSupported("Changing working orders is not offered for Capital.com yet.",
                           broker=BROKER)

    async def close_all_positions(self, account: AccountRef) -> OrderResult:
        raise NotSupported("Capital.com has no close-all call; close positions one by one.",
                           broker=BROKER)

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        """``GET /markets/{epic}``: dealing rules, margin factor and today's prices."""
        self._check_account(account)
        details = await self._market(symbol, Priority.INTERACTIVE)
        snap = details.get("snapshot") or {}
        info = details.get("instrument") or {}
        summary = {
            "epic": info.get("epic") or symbol, "instrumentName": info.get("name"),
            "instrumentType": info.get("type"), "marketStatus": snap.get("marketStatus"),
            "bid": snap.get("bid"), "offer": snap.get("offer"),
        }
        base = mapping.instrument(summary, details)
        return replace(base, facts=mapping.instrument_facts(details))

    async def quote_history(
        self, account: AccountRef, symbol: str, since: datetime
    ) -> list[PricePoint]:
        """Daily closes (mid) from ``GET /prices/{epic}``, at most 1000 bars."""
        self._check_account(account)
        days = max(1, (utc_now() - since).days + 1)
        bars = await self.client.prices(
            symbol, resolution="DAY", count=days, priority=Priority.INTERACTIVE
        )
        points = [p for bar in bars if (p := mapping.price_point(bar)) is not None]
        return [p for p in points if p.at >= since - timedelta(days=1)]

    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        raise NotSupported(NO_HISTORY, broker=BROKER)

    async def screen_instruments(
        self, account: AccountRef, screen: InstrumentScreen, text: str = ""
    ) -> list[Instrument]:
        raise NotSupported("Capital.com offers no product screens.", broker=BROKER)

    async def _remove(
        self,
        account: AccountRef,
        deal_id: str,
        delete: Callable[[str], Awaitable[str]],
        *,
        market: bool,
    ) -> OrderResult:
        """Close a position (``market``) or cancel a working order; an outcome that
        could not be read is settled from the broker's list, never resent."""

        async def remove() -> OrderResult:
            try:
                ref = await delete(deal_id)
            except MaybeSent:
                return await self._gone(deal_id, market=market)
            except (Rejected, NotFound) as exc:
                return OrderResult(OrderStatus.REJECTED, reason=exc.message)
            result = await self._confirmed(ref)
            if result.status is OrderStatus.UNKNOWN:
                return await self._gone(deal_id, market=market, ref=ref)
            return result

        return await self._on_account(account, remove, priority=Priority.INTERACTIVE)

    async def _gone(self, deal_id: str, *, market: bool, ref: str = "") -> OrderResult:
        """After a close/cancel whose outcome was not read: is the deal still listed?

        Gone means done. Still listed proves nothing (the broker may act later, or the
        listing may lag), so that, like an unreadable list, is UNKNOWN, never REJECTED.
        """
        what = "position" if market else "working order"
        for attempt in range(RECONCILE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(RECONCILE_INTERVAL)
            try:
                listed = await self._existing_ids(market)
            except BrokerError as exc:
                return OrderResult(
                    OrderStatus.UNKNOWN, broker_ref=ref, deal_ids=(deal_id,),
                    reason=(
                        f"The outcome was not confirmed and the {what}s could not be read "
                        f"({exc.message}). Nothing was resent; check the {what} before "
                        "trying again."
                    ),
                )
            if deal_id not in listed:
                return OrderResult(
                    OrderStatus.ACCEPTED, broker_ref=ref, deal_ids=(deal_id,),
                    reason="Confirmed by the broker's list.",
                )
        state = "still open" if market else "still working"
        return OrderResult(
            OrderStatus.UNKNOWN, broker_ref=ref, deal_ids=(deal_id,),
            reason=(
                f"Capital.com did not confirm the request and the {what} is {state} for "
                "now. Nothing was resent; check it before trying again."
            ),
        )

    # ------------------------------------------------------------------ funding

    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        if kind is not FundingKind.DEMO_TOPUP or not self.is_demo:
            return None
        currency = self._currencies.get(account.account_id, "")
        if not currency and account.account_id == self.client.account_id:
            currency = str(self.client.session.get("currencyIsoCode") or "")
        return FundingRules(
            kind=FundingKind.DEMO_TOPUP,
            currency=currency,
            min_amount=TOPUP_MIN,
            max_amount=TOPUP_MAX,
            allow_negative=False,
            demo_only=True,
            notes=TOPUP_NOTES,
        )

    async def fund(self, request: FundingRequest) -> FundingResult:
        self._check_account(request.account)
        if request.kind is not FundingKind.DEMO_TOPUP:
            raise NotSupported(NO_LIVE_FUNDING, broker=BROKER)
        if not self.is_demo:
            raise NotSupported(NO_LIVE_FUNDING, broker=BROKER)
        if request.amount <= 0:
            raise ValidationError(
                "The top-up amount must be above zero.", field="amount", broker=BROKER
            )

        async def top_up() -> FundingResult:
            # Read before sending: a failure here leaves nothing sent.
            before = await self._cash(request.account.account_id)
            try:
                reply = await self.client.top_up(request.amount)
            except MaybeSent as exc:
                return await self._topup_outcome(request, before, exc.message)
            except (Rejected, NotFound) as exc:
                return FundingResult(OrderStatus.REJECTED, message=exc.message)
            if isinstance(reply, dict) and reply.get("successful") is False:
                return FundingResult(
                    OrderStatus.REJECTED, message="Capital.com refused the top-up."
                )
            try:
                after = await self._cash(request.account.account_id)
            except BrokerError as exc:
                # The top-up is done; only the new balance is not known yet.
                log.warning("Capital.com balance after a top-up unreadable: %s", exc.message)
                return FundingResult(
                    OrderStatus.ACCEPTED,
                    message=(
                        "Demo account topped up; the new balance could not be read yet "
                        f"({exc.message})."
                    ),
                )
            return FundingResult(
                OrderStatus.ACCEPTED, message="Demo account topped up.", new_balance=after
            )

        return await self._on_account(request.account, top_up, priority=Priority.INTERACTIVE)

    async def _cash(self, account_id: str) -> Decimal | None:
        for item in await self.client.accounts(priority=Priority.INTERACTIVE):
            if str(item.get("accountId")) == account_id:
                found = mapping.balance(item.get("balance"), "")
                return found.balance if found is not None else None
        return None

    async def _topup_outcome(
        self, request: FundingRequest, before: Decimal | None, lost: str
    ) -> FundingResult:
        try:
            after = await self._cash(request.account.account_id)
        except BrokerError as exc:
            raise OutcomeUnknown(
                f"{lost} The balance could not be read to find out whether the top-up "
                f"was made ({exc.message}).",
                broker=BROKER,
            ) from exc
        if before is not None and after is not None:
            if after - before == request.amount:
                return FundingResult(
                    OrderStatus.ACCEPTED, new_balance=after,
                    message="The reply was lost; the balance shows the top-up.",
                )
            if after == before:
                raise OutcomeUnknown(
                    f"{lost} The balance has not changed (yet).", broker=BROKER
                )
        raise OutcomeUnknown(
            f"{lost} The balance does not show whether the top-up was made.", broker=BROKER
        )


def _hand_over(on_reference: Callable[[str], None] | None, ref: str) -> None:
    """Give the caller the reference before confirming, so a crash cannot lose it."""
    if on_reference is None:
        return
    try:
        on_reference(ref)
    except Exception:
        # The order is at the broker already; losing the note must not lose the outcome.
        log.exception("recording the Capital.com deal reference %s failed", ref)


def create(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> CapitalService:
    return CapitalService(profile, credentials, request_log)

