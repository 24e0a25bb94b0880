"""Upvest orders, positions and history.

An order is ``POST /orders`` by an EUR amount (two decimals) or by a quantity, MARKET,
LIMIT or STOP, with the user-instrument fit acknowledgement on buys. Upvest accepts it
with 202 as NEW and settles it asynchronously (NEW -> PROCESSING -> FILLED or CANCELLED,
with executions), so a placement answers PENDING and the fill arrives by webhook or the
next poll. A NEW order can be cancelled (``DELETE /orders/{id}``).

Nothing is created twice: the journal's reference is the idempotency key (and the
order's ``client_reference``). A reply lost on the way back is asked again under the
same key by the client, and Upvest answers with the one order it made. When every
answer was lost the session reconciles once (``reconcile_order``): the account's orders
are searched for the reference; when none is listed and the request was journalled
moments ago (``KEY_WINDOW``, well inside the time Upvest keeps a key), Upvest is asked
once more under the same key, which by Upvest's design answers with the first request's
result or makes the one order now, never a second one.

Positions: ``GET /accounts/{id}/positions`` (quantities, available for trading, pending
settlement), valued with ``/valuations/current``, at the average cost of the account's
executions (read again only when the quantities no longer match them).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from desktop_app.brokers.common.reconcile import Candidate, Lookup
from desktop_app.brokers.upvest import mapping
from desktop_app.brokers.upvest.core import NO_STOP_LIMIT, idempotency_key
from desktop_app.brokers.upvest.errors import BROKER
from desktop_app.brokers.upvest.markets import UpvestMarkets
from desktop_app.domain.errors import (
    BrokerError,
    NotFound,
    NotSupported,
    Rejected,
    ValidationError,
)
from desktop_app.domain.money import parse_utc, to_decimal, utc_now
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    AccountRef,
    HistoryEntry,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Position,
    Side,
    SizeUnit,
    WorkingOrder,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority

# Upvest keeps an idempotency key for a while (its duration is not published:
# UNCONFIRMED); asking again under it is only done this soon after journalling.
KEY_WINDOW = timedelta(seconds=60)
PRICE_STEP = Decimal("0.0001")


def result_of(data: dict[str, Any], note: str = "") -> OrderResult:
    """The order as an OrderResult: PENDING while NEW/PROCESSING, ACCEPTED once FILLED,
    REJECTED when Upvest cancelled it; the order id is its deal until it has executions."""
    found = mapping.order_result(data)
    status = str(data.get("status") or "")
    reasons = {
        "NEW": "Upvest accepted the order (NEW); it is filled asynchronously.",
        "PROCESSING": "Upvest is executing the order (PROCESSING).",
        "FILLED": "Filled.",
    }
    reason = reasons.get(status, found.reason)
    if note:
        reason = f"{note} {reason}"
    return replace(found, reason=reason, deal_ids=found.deal_ids or (found.broker_ref,))


def created_at(data: dict[str, Any]) -> datetime:
    try:
        return parse_utc(str(data.get("created_at") or ""))
    except ValueError:
        return utc_now()


def quantities(positions: list[dict[str, Any]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for p in positions:
        instrument = p.get("instrument")
        isin = instrument.get("isin") if isinstance(instrument, dict) else None
        if isin:
            out[str(isin)] = to_decimal(p.get("quantity"), field="quantity")
    return out


class _Lookup:
    """How Upvest finds the order a request made: by its id, else by the request's
    reference, which the order carries as ``client_reference``."""

    what = "orders"
    # The account's order list holds every order, filled, cancelled or open alike.
    complete = True

    def __init__(self, service: UpvestOrders) -> None:
        self.service = service

    async def by_reference(self, request: OrderRequest, ref: str) -> OrderResult:
        return result_of(await self.service.client.order(ref, priority=Priority.INTERACTIVE))

    async def candidates(self, request: OrderRequest, since: datetime) -> list[Candidate]:
        found = await self.service._by_reference(request)
        if found is None:
            return []
        return [Candidate(str(found.get("id") or ""), created_at(found),
                          result_of(found, "Found by its reference."))]


class UpvestOrders(UpvestMarkets):
    # ------------------------------------------------------------------ placing

    def _validate(self, request: OrderRequest) -> None:
        self.check_account(request.account)
        if request.order_type is OrderType.STOP_LIMIT:
            raise NotSupported(NO_STOP_LIMIT, broker=BROKER)
        if request.size <= 0:
            raise ValidationError("The size must be above zero.", field="size", broker=BROKER)
        if request.size_unit is SizeUnit.CONTRACTS:
            raise ValidationError("Upvest orders are an amount of EUR or a quantity of "
                                  "shares.", field="size", broker=BROKER)
        if request.size_unit is SizeUnit.CASH and request.currency not in ("", "EUR"):
            raise ValidationError("Upvest orders by amount are in EUR.", field="size",
                                  broker=BROKER)
        if request.stop_level is not None or request.profit_level is not None:
            raise NotSupported(self.capabilities.why_not("stops_and_limits"), broker=BROKER)
        if request.order_type is not OrderType.MARKET and (
                request.level is None or request.level <= 0):
            raise ValidationError(
                f"A {request.order_type.value.lower()} order needs a price.", field="level",
                broker=BROKER,
            )

    async def _send(self, request: OrderRequest, user_id: str) -> dict[str, Any]:
        cash = request.size if request.size_unit is SizeUnit.CASH else None
        return await self.client.place_order(
            user_id=user_id, account_id=request.account.account_id,
            side=request.side.value, isin=request.symbol,
            idempotency_key=idempotency_key(request.client_ref),
            cash=cash, quantity=None if cash is not None else request.size,
            order_type=request.order_type.value,
            limit_price=request.level if request.order_type is OrderType.LIMIT else None,
            stop_price=request.level if request.order_type is OrderType.STOP else None,
            user_instrument_fit_acknowledgement=request.acknowledged,
            client_reference=request.client_ref,
        )

    async def place_order(
        self, request: OrderRequest, on_reference: OnReference | None = None
    ) -> OrderResult:
        self._validate(request)
        self.require_live_opt_in("Trading")
        user_id = await self.owner_of(request.account)  # read before anything is sent
        try:
            data = await self._send(request, user_id)
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, reason=exc.message)
        # MaybeSent goes up: the client asked again under the same key and still lost
        # the answer; the session reconciles it once (reconcile_order).
        self.hand_over(on_reference, str(data.get("id") or ""))
        self.note_order(data)
        return result_of(data)

    def note_order(self, data: dict[str, Any]) -> None:
        account_id = str(data.get("account_id") or "")
        if account_id:
            self.notify_changed(self.ref(account_id), "working_orders", "positions")

    # ------------------------------------------------------------------ reconciling

    async def _by_reference(self, request: OrderRequest) -> dict[str, Any] | None:
        for order in await self.client.account_orders(
                request.account.account_id, priority=Priority.INTERACTIVE):
            if order.get("client_reference") == request.client_ref:
                return order
        return None

    def order_lookup(self, request: OrderRequest) -> Lookup:
        return _Lookup(self)

    async def reconcile_order(
        self,
        request: OrderRequest,
        broker_ref: str,
        *,
        since: datetime | None = None,
        exclude: frozenset[str] = frozenset(),
        final: bool = False,
        peers: tuple[datetime, ...] = (),
        rank: int = 0,
    ) -> OrderResult:
        """The common rule (by the order id, else the order carrying the request's
        reference); when none is listed and the request was journalled moments ago,
        Upvest is asked once more under the same idempotency key (see the module doc)."""
        found = await super().reconcile_order(request, broker_ref, since=since,
                                              exclude=exclude, final=final, peers=peers,
                                              rank=rank)
        if (found.status is not OrderStatus.UNKNOWN or broker_ref or since is None
                or final or utc_now() - since > KEY_WINDOW):
            return found
        try:
            data = await self._send(request, await self.owner_of(request.account))
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, reason=exc.message)
        except BrokerError as exc:
            return OrderResult(OrderStatus.UNKNOWN,
                               reason=f"{found.reason} Asked again under the same "
                               f"idempotency key, Upvest did not answer either "
                               f"({exc.message}).")
        self.note_order(data)
        return result_of(data, "Asked again under the same idempotency key: Upvest "
                               "answered with the one order.")

    # ------------------------------------------------------------------ cancel, close

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        self.check_account(account)
        self.require_live_opt_in("Cancelling orders")
        lost = ""
        try:
            await self.client.cancel_order(order_id)
        except MaybeSent as exc:
            lost = exc.message  # the order's status tells
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, broker_ref=order_id, reason=exc.message)
        self.notify_changed(account, "working_orders")
        try:
            data = await self.client.order(order_id, priority=Priority.INTERACTIVE)
        except BrokerError as exc:
            if lost:
                return OrderResult(OrderStatus.UNKNOWN, broker_ref=order_id,
                                   reason=f"{lost} The order could not be read ({exc.message}).")
            return OrderResult(OrderStatus.PENDING, broker_ref=order_id,
                               reason="Upvest took the cancellation.")
        status = data.get("status")
        if status == "CANCELLED":
            return OrderResult(OrderStatus.ACCEPTED, broker_ref=order_id,
                               deal_ids=(order_id,), reason="Cancelled.")
        if status in ("FILLED", "PROCESSING"):
            return OrderResult(OrderStatus.REJECTED, broker_ref=order_id,
                               reason=f"The order is {status}: only a NEW order can be "
                               "cancelled.")
        return OrderResult(OrderStatus.UNKNOWN if lost else OrderStatus.PENDING,
                           broker_ref=order_id,
                           reason=f"{lost} The order is still {status} for now.".strip())

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        """Sell every share available for trading (a market order by quantity)."""
        self.check_account(account)
        self.require_live_opt_in("Closing positions")
        account_id, _, isin = position_id.partition(":")
        if account_id != account.account_id or not isin:
            raise ValidationError(f"{position_id} is not a position of this account.",
                                  broker=BROKER)
        try:
            data = await self.client.position(account_id, isin, priority=Priority.INTERACTIVE)
        except NotFound:
            return OrderResult(OrderStatus.REJECTED, reason="Upvest lists no such position.")
        available = to_decimal(data.get("available_for_trading"), field="available")
        if available <= 0:
            return OrderResult(
                OrderStatus.REJECTED,
                reason="No shares are available for trading: open sell orders hold them.",
            )
        request = OrderRequest(account, isin, Side.SELL, available)
        user_id = await self.owner_of(account)
        try:
            order = await self._send(request, user_id)
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, reason=exc.message)
        except MaybeSent:
            found = await self._by_reference(request)
            if found is None:
                return OrderResult(OrderStatus.UNKNOWN,
                                   reason="Upvest's answer to the sale was lost and no sale "
                                   "with its reference is listed yet; nothing was resent.")
            order = found
        self.note_order(order)
        return result_of(order, f"Selling all {available} shares available.")

    # ------------------------------------------------------------------ reads

    async def read_orders(self, account_id: str) -> list[dict[str, Any]]:
        orders = await self.client.account_orders(account_id)
        self._orders[account_id] = orders
        return orders

    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]:
        self.check_account(account)
        orders = await self.read_orders(account.account_id)
        if orders:
            await self.know_names()
        return [
            mapping.working_order(o, connection=self.connection_id,
                                  name=self.instrument_name(str(o.get("instrument_id"))))
            for o in orders if o.get("status") == "NEW"
        ]

    async def positions(self, account: AccountRef) -> list[Position]:
        self.check_account(account)
        account_id = account.account_id
        raw = [p for p in await self.client.positions(account_id)
               if to_decimal(p.get("quantity"), field="quantity") > 0]
        if not raw:
            self._hold_value(account, Decimal(0))
            return []
        await self.know_names()
        valuation = await self.client.valuation(account_id)
        prices = mapping.valuation_prices(valuation)
        orders = self._orders.get(account_id)
        held = mapping.holdings(orders) if orders is not None else {}
        if orders is None or {i: h.quantity for i, h in held.items()} != quantities(raw):
            held = mapping.holdings(await self.read_orders(account_id))
        opened = created_at(await self.account_data(account_id))
        out = []
        for data in raw:
            isin = str((data.get("instrument") or {}).get("isin") or "")
            holding = held.get(isin)
            # Prices to a hundredth of a cent: value / shares and cost / shares divide out.
            cost = holding.average_cost.quantize(PRICE_STEP) if holding is not None else None
            valued = prices.get(isin)
            price = (valued.quantize(PRICE_STEP) if valued is not None else None) or cost \
                or Decimal(0)
            out.append(mapping.position(
                data, connection=self.connection_id, price=price,
                average_cost=cost if cost is not None else price,
                opened_at=holding.opened_at if holding is not None else opened,
                name=self.instrument_name(isin),
            ))
        self._hold_value(account, sum((p.size * p.current_level for p in out), Decimal(0)))
        return out

    def _hold_value(self, account: AccountRef, value: Decimal) -> None:
        """The account's shares' value for its equity; a change shows at once."""
        value = value.quantize(Decimal("0.01"))
        if self._securities.get(account.account_id) != value:
            self._securities[account.account_id] = value
            self.notify_changed(None, "balances")

    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        self.check_account(account)
        entries: list[HistoryEntry] = []
        await self.know_names()
        for order in await self.read_orders(account.account_id):
            name = self.instrument_name(str(order.get("instrument_id")))
            entries += mapping.history(order, connection=self.connection_id, name=name)
        return sorted((e for e in entries if e.at >= since), key=lambda e: e.at, reverse=True)
