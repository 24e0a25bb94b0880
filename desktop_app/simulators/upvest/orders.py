"""The simulator's order book: placing, processing, filling, settling, cancelling.

Cash: a BUY locks its amount (by quantity: quantity x price + 5 %) in the group's
``locked_for_trading``; the fill charges the real amount and releases the lock. A SELL
locks its shares (by amount: the shares the amount buys now + 5 %, at most what is
held); the fill credits the proceeds, which stay ``pending_settlement`` (not
withdrawable) until the execution settles. Bought shares are ``pending_settlement`` on
the position until then (they can be sold meanwhile: UNCONFIRMED).

Refusals (UNCONFIRMED wording): 404 unknown account; 422 the account is not the user's,
the instrument is unknown or INACTIVE, whole shares only where fractional trading is
off (an amount needs fractional trading), a buy without the acknowledgement
(``require_fit_acknowledgement``: it says the user was told the instrument may not fit
them, which concerns buying; a sale out of a holding does not ask it), not enough cash or
shares; 409 the account is not
ACTIVE (CLOSING takes SELL orders only).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop_app.simulators.upvest.model import (
    ZERO,
    Execution,
    Order,
    cents,
    shares,
)
from desktop_app.simulators.upvest.problems import Problem, conflict, not_found, unprocessable

if TYPE_CHECKING:
    from desktop_app.simulators.upvest.state import UpvestState

BUFFER = Decimal("1.05")


def place(state: UpvestState, body: dict[str, Any], *, side: str, isin: str,
          cash: Decimal, quantity: Decimal, limit: Decimal | None, stop: Decimal | None
          ) -> Order:
    account = state.accounts.get(str(body.get("account_id")))
    if account is None:
        raise not_found("Account not found")
    if account.user_id != body.get("user_id"):
        raise unprocessable("The account does not belong to the user")
    if account.status == "CLOSING" and side != "SELL":
        raise conflict("The account is closing: only sell orders are possible")
    if account.status not in ("ACTIVE", "CLOSING"):
        raise conflict(f"The account is {account.status}")
    instrument = state.instruments.get(isin)
    if instrument is None:
        raise unprocessable("Instrument not found")
    if instrument.trading_status != "ACTIVE":
        raise unprocessable("The instrument is not tradable (trading status INACTIVE)")
    if not instrument.fractional and (cash > 0 or quantity != quantity.to_integral()):
        raise unprocessable("The instrument is traded in whole shares only")
    if state.require_fit_acknowledgement and side == "BUY" and body.get(
            "user_instrument_fit_acknowledgement") is not True:
        raise unprocessable("user_instrument_fit_acknowledgement is required")
    group = state.groups[account.group_id]
    price = state.price(isin)
    now = state.now()
    order = Order(state.new_id(), now, now, account.user_id, account.id, group.id, side, isin,
                  str(body.get("order_type") or "MARKET"), cash, quantity,
                  bool(body.get("user_instrument_fit_acknowledgement")), limit, stop,
                  str(body.get("expiry_date") or ""), str(body.get("client_reference") or ""))
    if side == "BUY":
        needed = cash if cash > 0 else cents(quantity * (limit or price) * BUFFER)
        if group.available_for_trading < needed:
            raise unprocessable("Insufficient cash balance available for trading")
        order.locked_cash = needed
        group.locked_for_trading += needed
        state.emit("CASH_BALANCE.UPDATED", group.cash_payload())
    else:
        position = state.positions.get((account.id, isin))
        held = position.available if position is not None else ZERO
        wanted = quantity if quantity > 0 else shares(cash / price * BUFFER)
        if position is None or held <= 0 or (quantity > 0 and quantity > held) or (
                cash > 0 and cash > held * price):
            raise unprocessable("Insufficient position available for trading")
        order.locked_shares = min(wanted, held)
        position.locked_for_trading += order.locked_shares
        state.emit("POSITION.UPDATED", position.payload())
    state.orders[order.id] = order
    state.emit("ORDER.NEW", order.payload())
    if order.order_type == "MARKET" and not state.hold_orders:
        state.schedule(state.processing_delay, lambda: process(state, order))
    return order


def _set(state: UpvestState, order: Order, status: str) -> None:
    order.status = status
    order.updated = state.now()
    state.emit(f"ORDER.{status}", order.payload())


def process(state: UpvestState, order: Order) -> None:
    if order.status != "NEW":
        return
    _set(state, order, "PROCESSING")
    state.schedule(state.fill_delay, lambda: fill(state, order))


def crossed(order: Order, price: Decimal) -> bool:
    if order.order_type == "LIMIT" and order.limit_price is not None:
        return price <= order.limit_price if order.side == "BUY" else price >= order.limit_price
    if order.order_type == "STOP" and order.stop_price is not None:
        return price >= order.stop_price if order.side == "BUY" else price <= order.stop_price
    return False


def match_resting(state: UpvestState) -> None:
    if state.hold_orders:
        return
    for order in list(state.orders.values()):
        if order.status == "NEW" and order.order_type != "MARKET" and crossed(
                order, state.price(order.isin)):
            process(state, order)


def _release(state: UpvestState, order: Order) -> None:
    group = state.groups[order.group_id]
    if order.locked_cash:
        group.locked_for_trading -= order.locked_cash
        order.locked_cash = ZERO
        state.emit("CASH_BALANCE.UPDATED", group.cash_payload())
    if order.locked_shares:
        position = state.position(order.account_id, order.isin)
        position.locked_for_trading -= order.locked_shares
        order.locked_shares = ZERO
        state.emit("POSITION.UPDATED", position.payload())


def fill(state: UpvestState, order: Order) -> None:
    if order.status != "PROCESSING":
        return
    price = state.price(order.isin)
    group = state.groups[order.group_id]
    position = state.position(order.account_id, order.isin)
    if order.side == "BUY":
        qty = order.quantity if order.quantity > 0 else shares(order.cash_amount / price)
        amount = order.cash_amount if order.cash_amount > 0 else cents(qty * price)
        amount = min(amount, group.available_for_trading + order.locked_cash)
    else:
        held = position.quantity
        qty = order.quantity if order.quantity > 0 else min(shares(order.cash_amount / price),
                                                             held)
        amount = cents(qty * price)
    locked_cash, locked_shares = order.locked_cash, order.locked_shares
    order.locked_cash = order.locked_shares = ZERO
    group.locked_for_trading -= locked_cash
    position.locked_for_trading -= locked_shares
    if order.side == "BUY":
        group.balance -= amount
        position.quantity += qty
        position.pending_settlement += qty
    else:
        group.balance += amount
        group.pending_settlement += amount
        position.quantity -= qty
    execution = Execution(state.new_id(), order.id, order.side, amount, qty, price, state.now())
    order.executions.append(execution)
    _set(state, order, "FILLED")
    state.emit("EXECUTION.FILLED", execution.payload())
    state.emit("POSITION.UPDATED", position.payload())
    state.emit("CASH_BALANCE.UPDATED", group.cash_payload())
    state.schedule(state.settlement_delay, lambda: settle(state, order, execution))


def settle(state: UpvestState, order: Order, execution: Execution) -> None:
    group = state.groups[order.group_id]
    position = state.position(order.account_id, order.isin)
    execution.status = "SETTLED"
    execution.settlement_date = state_date(state)
    if order.side == "BUY":
        position.pending_settlement = max(ZERO, position.pending_settlement
                                          - execution.share_quantity)
        state.emit("POSITION.UPDATED", position.payload())
    else:
        group.pending_settlement = max(ZERO, group.pending_settlement - execution.cash_amount)
        state.emit("CASH_BALANCE.UPDATED", group.cash_payload())
    state.emit("EXECUTION.SETTLED", execution.payload())


def state_date(state: UpvestState) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(state.now(), tz=UTC).date().isoformat()


def cancel(state: UpvestState, order: Order) -> None:
    if order.status != "NEW":
        raise conflict(f"Only NEW orders can be cancelled; this one is {order.status}")
    _release(state, order)
    order.cancellation_reason = "CANCELLED_BY_CLIENT"
    _set(state, order, "CANCELLED")


__all__ = ["Problem", "cancel", "match_resting", "place"]
