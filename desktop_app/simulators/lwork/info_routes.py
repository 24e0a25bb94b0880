"""Reads: settings (1.3, 1.5, 1.7), the user (2.6, 2.8, 2.11), account info (3.1) and
the paged lists (3.7-3.10)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from desktop_app.simulators.lwork.book import LWORK_ZONE, MtAccount, Trade, lwork_time
from desktop_app.simulators.lwork.codes import (
    ACCOUNT_UNKNOWN,
    MISSING_HEADER,
    PARAMETER,
    WRONG_PASSWORD,
    error_list,
)
from desktop_app.simulators.lwork.pipeline import Ctx, Endpoint, Fail, Reply, ok, vendor
from desktop_app.simulators.lwork.state import (
    EXCHANGE_RATES,
    MAX_DEPOSIT,
    MIN_DEPOSIT,
    CashEntry,
    LWorkState,
)


def error_codes(ctx: Ctx) -> Reply:
    return ok(error_list(ctx.query.get("lang", "en-US")))


def deposit_settings(ctx: Ctx) -> Reply:
    platform = ctx.query.get("platform", "")
    if platform:
        vendor(platform)
    return ok({
        "charges": 0,
        "exchangeRateSettings": [
            {"exchange": rate, "exchangeFloat": drift, "exchangeMode": "Automatic",
             "payCurrency": currency, "showExchange": True, "transactionCurrency": "USD"}
            for currency, rate, drift in EXCHANGE_RATES
        ],
        "maxDeposit": MAX_DEPOSIT,
        "minDeposit": MIN_DEPOSIT,
        "payList": [
            {"currency": currency, "name": f"Sandbox {currency} channel",
             "providerId": str(index + 1), "providerName": "Sandbox Pay"}
            for index, (currency, _rate, _drift) in enumerate(EXCHANGE_RATES)
        ],
        "showCharge": False,
        "telegraphic": "",
    })


def demo_types(ctx: Ctx) -> Reply:
    return ok(ctx.state.demo_types[vendor(ctx.query_text("platform"))])


def login(ctx: Ctx) -> Reply:
    name, password = ctx.field("loginName"), ctx.field("password")
    user = next((u for u in ctx.state.users.values()
                 if name in (u.login_name, u.phone) and u.password == password), None)
    if user is None:
        raise Fail(WRONG_PASSWORD)
    return ok({"language": "en-US", "lastLoginTime": int(ctx.state.clock() * 1000),
               "phone": user.phone, "userId": user.user_id})


def _listed(account: MtAccount) -> dict[str, Any]:
    row: dict[str, Any] = {}
    if account.group_id:
        row |= {"accountGroup": account.group_id, "accountGroupName": account.group_name}
    return row | {
        "accountId": account.login,
        "accountName": account.name,
        "accountType": "Live" if account.server.live else "Demo",
        "balance": account.balance,
        "currency": account.currency,
        "leverage": account.leverage,
        "platformName": account.vendor,
        "serverName": account.server.name,
        "status": account.enabled,
    }


def user_detail(ctx: Ctx) -> Reply:
    user = ctx.user()
    accounts = [a for a in ctx.state.book.accounts.values() if a.user_id == user.user_id]
    return ok({"accounts": [_listed(a) for a in accounts], "email": user.email,
               "nickname": user.base.get("accountName", user.username),
               "username": user.username})


def owner_info(ctx: Ctx) -> Reply:
    user = ctx.user()
    return ok({"base": user.base, "cert": user.cert, "finance": user.finance})


def account_info(ctx: Ctx) -> Reply:
    """3.1: the account on the server and platform its headers name."""
    platform = ctx.headers.get("x-api-vendor", "").strip()
    server_id = ctx.headers.get("x-api-serverid", "").strip()
    if not platform or not server_id:
        raise Fail(MISSING_HEADER, "x-api-vendor" if not platform else "x-api-serverid")
    vendor(platform)
    account = ctx.state.book.accounts.get(ctx.params["account"])
    if account is None or account.vendor != platform or account.server.server_id != server_id:
        raise Fail(ACCOUNT_UNKNOWN)
    figures = ctx.state.book.figures(account)
    return ok({
        "accountId": account.login,
        "accountName": account.name,
        "balance": account.balance,
        "credit": account.credit,
        "currency": account.currency,
        "floatProfit": figures.floating,
        "group": account.group,
        "leverage": account.leverage,
        "marginFree": figures.free_margin,
    })


# ----------------------------------------------------------------- paged lists


def _in_range(ctx: Ctx, at: datetime) -> bool:
    day = at.astimezone(LWORK_ZONE).date()
    return ctx.query_date("from") <= day <= ctx.query_date("to")


def _paged(ctx: Ctx, rows: list[Any]) -> Reply:
    page, size = ctx.query_int("page"), ctx.query_int("size")
    if size > ctx.state.max_page_size:
        raise Fail(PARAMETER, f"size must be at most {ctx.state.max_page_size}")
    start = (page - 1) * size
    return ok({"list": rows[start:start + size], "offset": start, "pager": page,
               "pages": max(1, math.ceil(len(rows) / size)), "size": size,
               "total": len(rows)})


def _account(ctx: Ctx) -> MtAccount:
    return ctx.account_of(ctx.user(), ctx.params["login"])


def _trade_row(account: MtAccount, trade: Trade) -> dict[str, Any]:
    return {"account": account.login, "id": trade.ticket, "serverId": account.server.server_id,
            "stopLoss": trade.stop_loss, "symbol": trade.symbol,
            "takeProfit": trade.take_profit, "type": trade.kind, "vendor": account.vendor,
            "volume": trade.volume}


def positions(ctx: Ctx) -> Reply:
    account = _account(ctx)
    book = ctx.state.book
    rows = [_trade_row(account, t) | {
        "commission": t.commission, "openPrice": t.open_price,
        "openTime": lwork_time(t.open_time), "profit": book.profit(t), "swap": t.swap,
        "tenantId": ctx.state.tenant_id,
    } for t in sorted(account.positions, key=lambda t: t.open_time, reverse=True)
        if _in_range(ctx, t.open_time)]
    return _paged(ctx, rows)


def pending(ctx: Ctx) -> Reply:
    account = _account(ctx)
    rows = [_trade_row(account, t) | {
        "executionTime": "1970-01-01T08:00:00.000", "orderPrice": t.open_price,
        "orderTime": lwork_time(t.open_time),
    } for t in sorted(account.pending, key=lambda t: t.open_time, reverse=True)
        if _in_range(ctx, t.open_time)]
    return _paged(ctx, rows)


def history(ctx: Ctx) -> Reply:
    account = _account(ctx)
    rows = [_trade_row(account, t) | {
        "closePrice": t.close_price, "closeTime": lwork_time(t.close_time),
        "commission": t.commission, "openPrice": t.open_price,
        "openTime": lwork_time(t.open_time), "profit": t.profit, "swap": t.swap,
    } for t in sorted(account.history, key=_closed, reverse=True)
        if t.close_time is not None and _in_range(ctx, t.close_time)]
    return _paged(ctx, rows)


def _closed(trade: Trade) -> datetime:
    assert trade.close_time is not None
    return trade.close_time


def cash_row(state: LWorkState, entry: CashEntry) -> dict[str, Any]:
    """How 3.7 lists an entry: LW-DOCS shows the deposit object; the withdrawal and
    transfer objects are this simulator's, by analogy (UNCONFIRMED)."""
    common = {"accountId": entry.login, "comment": entry.comment,
              "createTime": int(entry.created * 1000), "id": entry.record_id,
              "state": entry.state}
    if entry.kind == "Deposit":
        detail = common | {"depositAmount": entry.amount, "depositCurrency": entry.currency,
                           "payAmount": entry.pay_amount, "payCurrency": entry.pay_currency,
                           "payStatus": entry.pay_status}
    elif entry.kind == "Withdraw":
        detail = common | {"currency": entry.currency, "payCurrency": entry.pay_currency,
                           "withdrawAmount": entry.amount}
    else:
        receipt = state.account(entry.receipt)
        detail = common | {"currency": entry.currency, "receiptAccount": entry.receipt,
                           "receiptServerId": receipt.server.server_id,
                           "receiptVendor": receipt.vendor, "transferAmount": entry.amount}
    key = f"{entry.kind[0].lower()}{entry.kind[1:]}Transaction"
    return {key: detail, "transactionType": entry.kind}


def cashflow(ctx: Ctx) -> Reply:
    account = _account(ctx)
    kind = ctx.query_text("type")
    if kind not in ("Deposit", "Withdraw", "Transfer"):
        raise Fail(PARAMETER, "type must be Deposit, Withdraw or Transfer")
    state = ctx.state
    mine = [e for e in state.cash if e.kind == kind
            and account.login in (e.login, e.receipt)
            and _in_range(ctx, datetime.fromtimestamp(e.created, LWORK_ZONE))]
    return _paged(ctx, [cash_row(state, e) for e in sorted(mine, key=lambda e: -e.created)])


_ACCOUNT_LISTS: dict[str, Callable[[Ctx], Reply]] = {
    "cashflow": cashflow, "history": history, "pending": pending, "position": positions,
}

ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/v1/api/sys/error/code", error_codes),
    Endpoint("GET", "/v1/api/sys/config/deposit", deposit_settings),
    Endpoint("GET", "/v1/api/sys/conf/demo/account/type", demo_types),
    Endpoint("POST", "/v1/api/user/login", login),
    Endpoint("GET", "/v1/api/user/{userId}/detail", user_detail),
    Endpoint("GET", "/v1/api/account/{userId}/info", owner_info),
    Endpoint("GET", "/v1/api/account/{account}", account_info),
    *(Endpoint("GET", f"/v1/api/account/{{userId}}/{{login}}/{what}", handler)
      for what, handler in _ACCOUNT_LISTS.items()),
]
