"""Investor Account Info API 2.0: accounts, positions, conditional orders, orders, trades."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from desktop_app.simulators.darwinex import errors
from desktop_app.simulators.darwinex.book import CONDITIONAL_STATUSES
from desktop_app.simulators.darwinex.parsing import paging, product_filter
from desktop_app.simulators.darwinex.payloads import (
    account_entry,
    conditional_entry,
    executed_entry,
    position_entry,
    renamed,
    spring_page,
    trade_entry,
)
from desktop_app.simulators.darwinex.pipeline import Api, Ctx, Endpoint, Reply

T = TypeVar("T")


def _paged(ctx: Ctx, items: Iterable[T], name_of: Callable[[T], str],
           entry: Callable[[T], dict[str, Any]]) -> Reply:
    page, per_page = paging(ctx.query)
    wanted = product_filter(ctx.query)
    chosen = [entry(item) for item in items if wanted is None or name_of(item) == wanted]
    return Reply(spring_page(chosen, page, per_page))


def _id(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise errors.bad_request(f"Invalid {what} {text}.") from None


def get_accounts(ctx: Ctx) -> Reply:
    assert ctx.token is not None
    accounts = ctx.state.accounts(ctx.token.env)
    return Reply([account_entry(ctx.book, a, listing=True) for a in accounts])


def get_account(ctx: Ctx) -> Reply:
    return Reply(account_entry(ctx.book, ctx.account, listing=False))


def get_positions(ctx: Ctx) -> Reply:
    wanted = product_filter(ctx.query)
    trades = [t for t in ctx.account.open_trades.values() if wanted in (None, t.product)]
    names = ctx.state.field_names.get("position", {})
    return Reply([renamed(names, position_entry(ctx.book, ctx.account, t)) for t in trades])


def get_conditional(ctx: Ctx) -> Reply:
    which = ctx.params["which"]
    account = ctx.account
    if which.lower() in CONDITIONAL_STATUSES:
        status = which.upper()
        orders = sorted((o for o in account.conditional.values() if o.status == status),
                        key=lambda o: -o.order_id)
        return _paged(ctx, orders, lambda o: o.product, lambda o: _conditional(ctx, o))
    order = ctx.book.conditional_order(account, _id(which, "conditional order id"))
    return Reply(_conditional(ctx, order))


def _conditional(ctx: Ctx, order: Any) -> dict[str, Any]:
    return renamed(ctx.state.field_names.get("conditional", {}), conditional_entry(order))


def get_orders(ctx: Ctx) -> Reply:
    which = ctx.params["which"]
    account = ctx.account
    if which.lower() == "executed":
        orders = sorted(account.executed, key=lambda o: -o.order_id)
        return _paged(ctx, orders, lambda o: o.product, lambda o: _executed(ctx, o))
    order_id = _id(which, "order id")
    for order in account.executed:
        if order.order_id == order_id:
            return Reply(_executed(ctx, order))
    raise errors.not_found(f"Order {order_id} not found.")


def _executed(ctx: Ctx, order: Any) -> dict[str, Any]:
    return renamed(ctx.state.field_names.get("executed", {}), executed_entry(order))


def _trade(ctx: Ctx, trade: Any) -> dict[str, Any]:
    return renamed(ctx.state.field_names.get("trade", {}), trade_entry(ctx.book, trade))


def get_trades(ctx: Ctx) -> Reply:
    which = ctx.params["which"].lower()
    account = ctx.account
    if which == "open":
        trades = sorted(account.open_trades.values(), key=lambda t: -t.trade_id)
        return _paged(ctx, trades, lambda t: t.product, lambda t: _trade(ctx, t))
    if which == "closed":
        trades = sorted(account.closed_trades, key=lambda t: -t.trade_id)
        return _paged(ctx, trades, lambda t: t.product, lambda t: _trade(ctx, t))
    trade_id = _id(which, "trade id")
    for trade in [*account.open_trades.values(), *account.closed_trades]:
        if trade.trade_id == trade_id:
            return Reply(_trade(ctx, trade))
    raise errors.not_found(f"Trade {trade_id} not found.")


def get_performance_fees(ctx: Ctx) -> Reply:
    # Recorded as [] ([RB] cassette); nothing here charges performance fees.
    return Reply([])


_ACCOUNT = "/investoraccounts/{accountId}"
ENDPOINTS = [
    Endpoint("GET", "/investoraccounts", get_accounts, Api.ACCOUNTS),
    Endpoint("GET", _ACCOUNT, get_account, Api.ACCOUNTS),
    Endpoint("GET", _ACCOUNT + "/currentpositions", get_positions, Api.ACCOUNTS),
    Endpoint("GET", _ACCOUNT + "/conditionalorders/{which}", get_conditional, Api.ACCOUNTS),
    Endpoint("GET", _ACCOUNT + "/orders/{which}", get_orders, Api.ACCOUNTS),
    Endpoint("GET", _ACCOUNT + "/trades/{which}", get_trades, Api.ACCOUNTS),
    Endpoint("GET", _ACCOUNT + "/performancefees", get_performance_fees, Api.ACCOUNTS),
    Endpoint("GET", _ACCOUNT + "/performancefees/{productName}", get_performance_fees,
             Api.ACCOUNTS),
]
