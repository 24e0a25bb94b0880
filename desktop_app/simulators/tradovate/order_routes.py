"""/order (place, cancel, modify, liquidate, reads), /orderVersion, /fill, /executionReport.

Commands answer ``{"orderId"}`` / ``{"commandId"}`` or ``{"failureReason", "failureText"}``,
always with HTTP 200.
"""

from __future__ import annotations

from typing import Any

from desktop_app.simulators.tradovate import payloads
from desktop_app.simulators.tradovate.families import family
from desktop_app.simulators.tradovate.parsing import Reader
from desktop_app.simulators.tradovate.pipeline import Ctx, Endpoint, HttpError, Reply
from desktop_app.simulators.tradovate.state import TvAccount
from desktop_app.simulators.tradovate.trading import (
    ACTIONS,
    ORDER_TYPES,
    TIME_IN_FORCE,
    Failure,
    Order,
    OrderRequest,
)

ACCESS_DENIED = Failure("Unauthorized", "Access is denied")
ACCOUNT_CLOSED = Failure("AccountClosed", "Account is closed")
# UNCONFIRMED: no replay clock is ever started here, so replay orders have no session.
REPLAY_NOT_RUNNING = Failure("SessionClosed", "No replay session is running")


def _failure(failure: Failure) -> Reply:
    return Reply({"failureReason": failure.reason, "failureText": failure.text})


def _account(ctx: Ctx, account_id: int | None, spec: str | None) -> TvAccount | Failure:
    """The account named by id and/or accountSpec (they must agree)."""
    accounts = ctx.state.accounts
    found = accounts.get(account_id) if account_id is not None else None
    if spec is not None:
        by_spec = next((a for a in accounts.values() if a.name.lower() == spec.lower()), None)
        if by_spec is None or (account_id is not None and by_spec is not found):
            return ACCESS_DENIED
        found = by_spec
    if found is None:
        return ACCESS_DENIED
    return found if found.active else ACCOUNT_CLOSED


def place_order(ctx: Ctx) -> Reply:
    state = ctx.state
    reader = Reader(ctx.body)
    account_id = reader.integer("accountId", positive=True)
    account_spec = reader.text("accountSpec", max_length=64)
    cl_ord_id = reader.text("clOrdId", max_length=64)
    action = reader.choice("action", ACTIONS, required=True)
    symbol = reader.text("symbol", required=True, max_length=64)
    qty = reader.integer("orderQty", required=True, positive=True)
    order_type = reader.choice("orderType", ORDER_TYPES, required=True)
    price = reader.decimal("price")
    stop_price = reader.decimal("stopPrice")
    time_in_force = reader.choice("timeInForce", TIME_IN_FORCE)
    expire_time = reader.timestamp("expireTime")
    text = reader.text("text", max_length=64)
    is_automated = reader.boolean("isAutomated")
    if "accountId" not in ctx.body and "accountSpec" not in ctx.body:
        reader.violation("accountId", "accountId or accountSpec should be specified")
    reader.done()
    assert action is not None and symbol is not None and qty is not None
    assert order_type is not None and ctx.token is not None
    if state.environment == "live" and not ctx.token.session.device_id:
        raise HttpError(401, "Access is denied")  # live checks the device id (TV-FAQ)
    if state.environment == "replay":
        return _failure(REPLAY_NOT_RUNNING)
    account = _account(ctx, account_id, account_spec)
    if isinstance(account, Failure):
        return _failure(account)
    rejection = state.take_order_rejection()
    if rejection is not None:
        return _failure(rejection)
    contract = ctx.catalog.contract(symbol) if not symbol.strip().isdigit() else None
    if contract is None:
        return _failure(Failure("InvalidContract", f"Unknown symbol {symbol}"))
    placed = ctx.book.place(OrderRequest(
        account.account_id, contract, action, qty, order_type, price, stop_price,
        time_in_force or "Day", expire_time, text, cl_ord_id, is_automated,
    ))
    if isinstance(placed, Failure):
        return _failure(placed)
    state.orders_placed.append(dict(ctx.body))
    return Reply({"orderId": placed.order_id})


def cancel_order(ctx: Ctx) -> Reply:
    reader = Reader(ctx.body)
    order_id = reader.integer("orderId", required=True, positive=True)
    reader.text("clOrdId", max_length=64)
    reader.boolean("isAutomated")
    reader.done()
    assert order_id is not None
    result = ctx.book.cancel(order_id)
    return _failure(result) if isinstance(result, Failure) else Reply({"commandId": result})


def modify_order(ctx: Ctx) -> Reply:
    reader = Reader(ctx.body)
    order_id = reader.integer("orderId", required=True, positive=True)
    qty = reader.integer("orderQty", required=True, positive=True)
    order_type = reader.choice("orderType", ORDER_TYPES, required=True)
    price = reader.decimal("price")
    stop_price = reader.decimal("stopPrice")
    time_in_force = reader.choice("timeInForce", TIME_IN_FORCE)
    expire_time = reader.timestamp("expireTime")
    text = reader.text("text", max_length=64)
    reader.text("clOrdId", max_length=64)
    reader.boolean("isAutomated")
    reader.done()
    assert order_id is not None and qty is not None and order_type is not None
    result = ctx.book.modify(order_id, qty, order_type, price, stop_price, time_in_force,
                             expire_time, text)
    return _failure(result) if isinstance(result, Failure) else Reply({"commandId": result})


def liquidate_position(ctx: Ctx) -> Reply:
    reader = Reader(ctx.body)
    account_id = reader.integer("accountId", required=True, positive=True)
    contract_id = reader.integer("contractId", required=True, positive=True)
    # TV-SPEC's LiquidatePosition lists admin as required; leniency is a knob.
    admin = reader.boolean("admin", required=ctx.state.liquidate_requires_admin)
    reader.text("customTag50", max_length=64)
    reader.done()
    assert account_id is not None and contract_id is not None
    account = _account(ctx, account_id, None)
    if isinstance(account, Failure):
        return _failure(account)
    contract = ctx.catalog.contract(contract_id)
    if contract is None:
        return _failure(Failure("InvalidContract", f"Unknown contract {contract_id}"))
    result = ctx.book.liquidate(account.account_id, contract, admin)
    return _failure(result) if isinstance(result, Failure) else Reply({"orderId": result.order_id})


def _orders(ctx: Ctx) -> list[Order]:
    return list(ctx.book.orders.values())


def _versions(ctx: Ctx) -> list[Any]:
    return [version for order in ctx.book.orders.values() for version in order.versions]


ENDPOINTS = [
    Endpoint("POST", "/order/placeorder", place_order),
    Endpoint("POST", "/order/cancelorder", cancel_order),
    Endpoint("POST", "/order/modifyorder", modify_order),
    Endpoint("POST", "/order/liquidateposition", liquidate_position),
    *family("order", _orders, lambda o: o.order_id, lambda ctx, o: payloads.order(o),
            master=lambda o: o.account_id),
    *family("orderversion", _versions, lambda v: v.version_id,
            lambda ctx, v: payloads.order_version(v), master=lambda v: v.order_id),
    *family("fill", lambda ctx: list(ctx.book.fills), lambda f: f.fill_id,
            lambda ctx, f: payloads.fill(f), master=lambda f: f.order_id),
    *family("executionreport", lambda ctx: list(ctx.book.reports), lambda r: r.report_id,
            lambda ctx, r: payloads.execution_report(r), master=lambda r: r.order_id),
]
