"""Instruments, orders, executions, positions, cash, virtual cash and valuations.

Bodies are checked against UP-SPEC's patterns (400): ``cash_amount``
``^[0-9]{1,9}(\\.[0-9]{2})?$``, decimal strings for ``quantity`` and prices, exactly one
of ``cash_amount``/``quantity``, ``instrument_id_type`` ISIN, currency EUR. Instrument
path ids are ``isin:<ISIN>`` or ``uuid:<id>`` (``urn:`` may precede them). Virtual cash:
an increase is ISSUED, then CONFIRMED (credited) after ``processing_delay``; a decrease
beyond what is available for withdrawal is 422.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop_app.simulators.upvest import lifecycle, orders
from desktop_app.simulators.upvest.model import Account, Instrument, cents, stamp, text
from desktop_app.simulators.upvest.pipeline import Ctx, Endpoint, Reply, listing, paging
from desktop_app.simulators.upvest.problems import (
    bad_request,
    not_found,
    unprocessable,
)

CASH_PATTERN = re.compile(r"[0-9]{1,9}(\.[0-9]{2})?")
DECIMAL_PATTERN = re.compile(r"[0-9]{0,63}(\.[0-9]{1,27})?")
ISIN_PATTERN = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]")
INSTRUMENT_ID = re.compile(r"(?:urn:)?(isin|uuid):(.+)")
ORDERS_READ = ("orders:read", "orders:admin")


def _instrument(ctx: Ctx) -> Instrument:
    found = INSTRUMENT_ID.fullmatch(ctx.params["instrument_id"])
    if found is None:
        raise bad_request("instrument_id must be isin:<ISIN> or uuid:<UUID>")
    kind, value = found.groups()
    state = ctx.state
    if kind == "isin":
        instrument = state.instruments.get(value)
    else:
        instrument = next((i for i in state.instruments.values() if i.id == value), None)
    if instrument is None:
        raise not_found("Instrument not found")
    return instrument


def list_instruments(ctx: Ctx) -> Reply:
    wanted = ctx.query.get("trading_status")
    if wanted not in (None, "", "ACTIVE", "INACTIVE"):
        raise bad_request("trading_status must be ACTIVE or INACTIVE")
    items = [i for i in ctx.state.instruments.values()
             if not wanted or i.trading_status == wanted]
    return listing(ctx, items)


def get_instrument(ctx: Ctx) -> Reply:
    return Reply(_instrument(ctx).payload())


def _decimal(body: dict[str, Any], name: str, pattern: re.Pattern[str]) -> Decimal | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise bad_request(f"{name} is not a valid decimal string")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise bad_request(f"{name} is not a valid decimal string") from None


def place_order(ctx: Ctx) -> Reply:
    body = ctx.body
    for name in ("user_id", "account_id", "side", "instrument_id", "instrument_id_type"):
        if not body.get(name):
            raise bad_request(f"{name} is required")
    side = body["side"]
    if side not in ("BUY", "SELL"):
        raise bad_request("side must be BUY or SELL")
    if body["instrument_id_type"] != "ISIN" or not ISIN_PATTERN.fullmatch(
            str(body["instrument_id"])):
        raise bad_request("instrument_id must be an ISIN")
    if body.get("currency", "EUR") != "EUR":
        raise bad_request("currency must be EUR")
    order_type = body.get("order_type", "MARKET")
    if order_type not in ("MARKET", "LIMIT", "STOP"):
        raise bad_request("order_type must be MARKET, LIMIT or STOP")
    cash = _decimal(body, "cash_amount", CASH_PATTERN)
    quantity = _decimal(body, "quantity", DECIMAL_PATTERN)
    if (cash is None) == (quantity is None):
        raise bad_request("either cash_amount or quantity is required")
    if (cash is not None and cash <= 0) or (quantity is not None and quantity <= 0):
        raise bad_request("the order size must be above 0")
    limit = _decimal(body, "limit_price", DECIMAL_PATTERN)
    stop = _decimal(body, "stop_price", DECIMAL_PATTERN)
    if order_type == "LIMIT" and limit is None:
        raise bad_request("limit_price is required for LIMIT orders")
    if order_type == "STOP" and stop is None:
        raise bad_request("stop_price is required for STOP orders")
    order = orders.place(ctx.state, body, side=side, isin=body["instrument_id"],
                         cash=cash or Decimal(0), quantity=quantity or Decimal(0),
                         limit=limit if order_type == "LIMIT" else None,
                         stop=stop if order_type == "STOP" else None)
    return Reply(order.payload(), 202)


def _order(ctx: Ctx) -> orders.Order:
    order = ctx.state.orders.get(ctx.params["order_id"])
    if order is None:
        raise not_found("Order not found")
    return order


def get_order(ctx: Ctx) -> Reply:
    return Reply(_order(ctx).payload())


def cancel_order(ctx: Ctx) -> Reply:
    order = _order(ctx)
    orders.cancel(ctx.state, order)
    return Reply({"id": order.id}, 202)


def get_execution(ctx: Ctx) -> Reply:
    order = _order(ctx)
    for execution in order.executions:
        if execution.id == ctx.params["execution_id"]:
            return Reply(execution.payload())
    raise not_found("Execution not found")


def _account(ctx: Ctx) -> Account:
    account = ctx.state.accounts.get(ctx.params["account_id"])
    if account is None:
        raise not_found("Account not found")
    return account


def account_orders(ctx: Ctx) -> Reply:
    account = _account(ctx)
    return listing(ctx, [o for o in ctx.state.orders.values() if o.account_id == account.id],
                   ("created_at",))


def list_positions(ctx: Ctx) -> Reply:
    account = _account(ctx)
    held = [p for (a, _), p in ctx.state.positions.items()
            if a == account.id and (p.quantity > 0 or p.locked_for_trading > 0)]
    offset, limit, sort, order = paging(ctx)
    chosen = held[offset:offset + limit]
    return Reply({"data": [p.payload() for p in chosen],
                  "meta": {"offset": offset, "limit": limit, "count": len(chosen),
                           "total_count": len(held), "sort": sort, "order": order}})


def get_position(ctx: Ctx) -> Reply:
    account = _account(ctx)
    instrument = _instrument(ctx)
    position = ctx.state.positions.get((account.id, instrument.isin))
    if position is None or position.quantity <= 0:
        raise not_found("Position not found")
    return Reply(position.payload())


def cash_balance(ctx: Ctx) -> Reply:
    group = ctx.state.groups.get(ctx.params["account_group_id"])
    if group is None:
        raise not_found("Account group not found")
    return Reply(group.cash_payload())


def valuation(ctx: Ctx) -> Reply:
    """``/accounts/{id}/valuations/current``: here the current price, not end of day."""
    state = ctx.state
    account = _account(ctx)
    lines, total = [], Decimal(0)
    for (a, isin), position in state.positions.items():
        if a != account.id or position.quantity <= 0:
            continue
        value = cents(position.quantity * state.price(isin))
        total += value
        lines.append({"instrument": {"uuid": position.instrument.id, "isin": isin},
                      "quantity": text(position.quantity),
                      "value": {"amount": text(value), "currency": "EUR",
                                "price_time": stamp(state.now())}})
    for line in lines:
        amount = Decimal(line["value"]["amount"])
        line["weight"] = text((amount / total).quantize(Decimal("0.000001"))) if total else "0"
    now = stamp(state.now())
    return Reply({"id": state.new_id(), "created_at": now, "updated_at": now,
                  "valuation_time": now, "account_id": account.id, "price_quality": "EOD",
                  "total_security_value": {"amount": text(total), "currency": "EUR"},
                  "security_positions": lines})


def _virtual(ctx: Ctx, kind: str) -> Reply:
    state, body = ctx.state, ctx.body
    group = state.groups.get(str(body.get("account_group_id")))
    if group is None:
        raise unprocessable("Account group not found")
    amount = _decimal(body, "amount", CASH_PATTERN)
    if amount is None or amount <= 0:
        raise bad_request("amount is required")
    if body.get("currency") != "EUR":
        raise bad_request("currency must be EUR")
    withdrawable = group.balance - group.locked_for_trading - group.pending_settlement
    if kind == "decrease" and amount > withdrawable:
        raise unprocessable("Insufficient cash balance available for withdrawal")
    item = state.new_virtual_cash(group, amount, kind)
    if kind == "decrease":
        group.balance -= amount  # reserved at once, confirmed later
        state.emit("CASH_BALANCE.UPDATED", group.cash_payload())
    lifecycle.schedule_confirmation(state, item)
    return Reply(item.payload())


def increase(ctx: Ctx) -> Reply:
    return _virtual(ctx, "increase")


def decrease(ctx: Ctx) -> Reply:
    return _virtual(ctx, "decrease")


ENDPOINTS = [
    Endpoint("GET", "/instruments", list_instruments, ("instruments:read",)),
    Endpoint("GET", "/instruments/{instrument_id}", get_instrument, ("instruments:read",)),
    Endpoint("POST", "/orders", place_order, ("orders:admin",), creating=True, json_body=True),
    Endpoint("GET", "/orders/{order_id}", get_order, ORDERS_READ),
    Endpoint("DELETE", "/orders/{order_id}", cancel_order, ("orders:admin",)),
    Endpoint("GET", "/orders/{order_id}/executions/{execution_id}", get_execution,
             ORDERS_READ),
    Endpoint("GET", "/accounts/{account_id}/orders", account_orders, ORDERS_READ),
    Endpoint("GET", "/accounts/{account_id}/positions", list_positions, ("positions:read",)),
    Endpoint("GET", "/accounts/{account_id}/positions/{instrument_id}", get_position,
             ("positions:read",)),
    Endpoint("GET", "/account_groups/{account_group_id}/payments/cash_balance", cash_balance,
             ("payments:read", "payments:admin")),
    Endpoint("GET", "/accounts/{account_id}/valuations/current", valuation,
             ("valuations:read",)),
    Endpoint("POST", "/virtual_cash_balances/increases", increase,
             ("virtual_cash_balances:admin",), creating=True, json_body=True),
    Endpoint("POST", "/virtual_cash_balances/decreases", decrease,
             ("virtual_cash_balances:admin",), creating=True, json_body=True),
]
