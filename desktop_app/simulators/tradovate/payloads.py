"""Tradovate's JSON entities, as the OpenAPI spec (TV-SPEC) names their fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from desktop_app.simulators.market import Market, money
from desktop_app.simulators.pricepath import stable_key, unit_noise
from desktop_app.simulators.tradovate.catalog import (
    CURRENCIES,
    EXCHANGES,
    USD_ID,
    Contract,
    Maturity,
    Product,
)
from desktop_app.simulators.tradovate.state import TvAccount
from desktop_app.simulators.tradovate.trading import (
    ExecutionReport,
    Fill,
    Order,
    OrderVersion,
    PositionRecord,
    trade_date_of,
    trade_date_start,
    trade_week_start,
)


def iso(at: datetime) -> str:
    """``2026-11-23T21:27:38.056Z``: UTC, milliseconds, a Z."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def trade_date(at: datetime) -> dict[str, int]:
    year, month, day = trade_date_of(at)
    return {"year": year, "month": month, "day": day}


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


# ----------------------------------------------------------------- accounts
def account(entity: TvAccount, user_id: int) -> dict[str, Any]:
    return {
        "id": entity.account_id,
        "name": entity.name,
        "userId": user_id,
        "accountType": "Customer",
        "active": entity.active,
        "clearingHouseId": 2,
        "riskCategoryId": 2,
        "autoLiqProfileId": 2,
        "marginAccountType": "Speculator",
        "legalStatus": "Individual",
        "timestamp": iso(entity.created_at),
        "readonly": False,
    }


def cash_balance_snapshot(market: Market, account: TvAccount, now: datetime) -> dict[str, Any]:
    """CashBalanceSnapshot: cash, open and realised P/L, margins, start-of-day figures.

    The opening balance counts as held before the trade date began."""
    sim = market.account(str(account.account_id))
    figures = market.figures(str(account.account_id))
    day_start, week_start = trade_date_start(now), trade_week_start(now)
    today = [e for e in sim.ledger if e.at >= day_start and e.at > account.created_at]
    realized = sum((e.amount for e in today if e.kind == "TRADE"), Decimal(0))
    week = sum((e.amount for e in sim.ledger if e.kind == "TRADE" and e.at >= week_start),
               Decimal(0))
    cash_sod = figures.cash - sum((e.amount for e in today), Decimal(0))
    net_liq = figures.cash + figures.profit_loss
    return {
        "totalCashValue": money(figures.cash),
        "totalPnL": money(realized + figures.profit_loss),
        "initialMargin": figures.margin,
        "maintenanceMargin": figures.margin,
        "netLiq": money(net_liq),
        "openPnL": figures.profit_loss,
        "realizedPnL": money(realized),
        "weekRealizedPnL": money(week),
        "currencyCashAvailWithdrawalUSD": money(max(Decimal(0), figures.cash - figures.margin)),
        "netLiqSOD": money(cash_sod),
        "totalCashValueSOD": money(cash_sod),
        "cashUSD": money(figures.cash),
        "cashSODUSD": money(cash_sod),
        "fullInitialMargin": figures.margin,
        "fullInitialMarginSOD": Decimal("0.00"),
        "autoLiqLevel": Decimal("0.00"),
    }


# Each account has one CashBalance, in USD. Its id is this simulator's (UNCONFIRMED): the
# account's id plus this, so that an account id is never taken for a balance's.
CASH_BALANCE_ID_OFFSET = 500_000_000


def cash_balance_id(account: TvAccount) -> int:
    return account.account_id + CASH_BALANCE_ID_OFFSET


def cash_balance(market: Market, account: TvAccount, now: datetime) -> dict[str, Any]:
    """The CashBalance entity: the snapshot's cash and realised P/L, as TV-SPEC names them;
    its timestamp is the balance's last change (or the account's opening)."""
    snapshot = cash_balance_snapshot(market, account, now)
    ledger = market.account(str(account.account_id)).ledger
    changed = max([account.created_at, *(entry.at for entry in ledger)])
    return {
        "id": cash_balance_id(account),
        "accountId": account.account_id,
        "timestamp": iso(changed),
        "tradeDate": trade_date(now),
        "currencyId": USD_ID,
        "amount": snapshot["totalCashValue"],
        "realizedPnL": snapshot["realizedPnL"],
        "weekRealizedPnL": snapshot["weekRealizedPnL"],
        "amountSOD": snapshot["totalCashValueSOD"],
    }


# ----------------------------------------------------------------- contract library
def currency(currency_id: int) -> dict[str, Any]:
    name, symbol = CURRENCIES[currency_id]
    return {"id": currency_id, "name": name, "symbol": symbol}


def exchange(exchange_id: int) -> dict[str, Any]:
    return {"id": exchange_id, "name": EXCHANGES[exchange_id]}


def contract(entity: Contract) -> dict[str, Any]:
    return {
        "id": entity.contract_id,
        "name": entity.name,
        "contractMaturityId": entity.maturity.maturity_id,
        "status": "DefinitionChecked",
        "providerTickSize": entity.product.tick_size,
    }


def maturity(entity: Maturity) -> dict[str, Any]:
    return {
        "id": entity.maturity_id,
        "productId": entity.product.product_id,
        "expirationMonth": entity.expiration_month,
        "expirationDate": iso(entity.expiration),
        "isFront": entity.is_front,
    }


def product(entity: Product) -> dict[str, Any]:
    return {
        "id": entity.product_id,
        "name": entity.name,
        "currencyId": USD_ID,
        "productType": "Futures",
        "description": entity.description,
        "exchangeId": entity.exchange_id,
        "contractGroupId": entity.contract_group_id,
        "status": "Verified",
        "months": entity.months,
        "isSecured": False,
        "valuePerPoint": entity.value_per_point,
        "priceFormatType": "Decimal",
        "priceFormat": -entity.decimals,
        "tickSize": entity.tick_size,
    }


def quote(market: Market, entity: Contract) -> dict[str, Any]:
    """The WebSocket quote event's shape (``md/subscribeQuote``), served over REST here."""
    snap = market.quote(entity.name)
    second = int(snap.at.timestamp())
    key = stable_key(market.seed, entity.name, "book")

    def size(salt: int) -> int:
        return 1 + int(60 * unit_noise(key + salt, second))

    last_trade = snap.offer if unit_noise(key + 3, second) >= 0.5 else snap.bid
    day_seconds = second % 86_400
    return {
        "id": entity.contract_id,
        "contractId": entity.contract_id,
        "timestamp": iso(snap.at),
        "entries": {
            "Bid": {"price": snap.bid, "size": size(1)},
            "Offer": {"price": snap.offer, "size": size(2)},
            "Trade": {"price": last_trade, "size": size(4) // 6 + 1},
            "TotalTradeVolume": {"size": 1000 + day_seconds * 7},
            "HighPrice": {"price": snap.high},
            "LowPrice": {"price": snap.low},
            "OpeningPrice": {"price": snap.bid - snap.net_change},
        },
    }


# ----------------------------------------------------------------- orders
def order(entity: Order) -> dict[str, Any]:
    return {
        "id": entity.order_id,
        "accountId": entity.account_id,
        "contractId": entity.contract.contract_id,
        "timestamp": iso(entity.created_at),
        "action": entity.action,
        "ordStatus": entity.status,
        "admin": entity.admin,
        "archived": False,
        "external": False,
    }


def order_version(entity: OrderVersion) -> dict[str, Any]:
    return _without_none({
        "id": entity.version_id,
        "orderId": entity.order_id,
        "orderQty": entity.qty,
        "orderType": entity.order_type,
        "price": entity.price,
        "stopPrice": entity.stop_price,
        "timeInForce": entity.time_in_force,
        "expireTime": iso(entity.expire_time) if entity.expire_time else None,
        "text": entity.text,
    })


def fill(entity: Fill) -> dict[str, Any]:
    return {
        "id": entity.fill_id,
        "orderId": entity.order_id,
        "contractId": entity.contract_id,
        "timestamp": iso(entity.at),
        "tradeDate": trade_date(entity.at),
        "action": entity.action,
        "qty": entity.qty,
        "price": entity.price,
        "active": True,
        "finallyPaired": 0,
    }


def execution_report(entity: ExecutionReport) -> dict[str, Any]:
    return _without_none({
        "id": entity.report_id,
        "commandId": entity.command_id,
        "name": entity.exec_type,
        "accountId": entity.account_id,
        "contractId": entity.contract_id,
        "timestamp": iso(entity.at),
        "tradeDate": trade_date(entity.at),
        "orderId": entity.order_id,
        "execType": entity.exec_type,
        "ordStatus": entity.ord_status,
        "action": entity.action,
        "cumQty": entity.cum_qty,
        "avgPx": entity.avg_px,
        "lastQty": entity.last_qty,
        "lastPx": entity.last_px,
        "rejectReason": entity.reject_reason,
        "text": entity.text,
    })


def position(record: PositionRecord, net_price: Decimal | None) -> dict[str, Any]:
    return _without_none({
        "id": record.position_id,
        "accountId": record.account_id,
        "contractId": record.contract.contract_id,
        "timestamp": iso(record.at),
        "tradeDate": trade_date(record.at),
        "netPos": record.net_pos,
        "netPrice": net_price,
        "bought": record.bought,
        "boughtValue": record.bought_value,
        "sold": record.sold,
        "soldValue": record.sold_value,
        "prevPos": 0,
    })


def access_token(token_value: str, md_token: str, expires_at: datetime, user_id: int,
                 name: str, has_live: bool) -> dict[str, Any]:
    return {
        "accessToken": token_value,
        "mdAccessToken": md_token,
        "expirationTime": iso(expires_at),
        "userStatus": "Active",
        "userId": user_id,
        "name": name,
        "hasLive": has_live,
        "passwordExpirationTime": iso(expires_at + timedelta(days=180)),
    }
