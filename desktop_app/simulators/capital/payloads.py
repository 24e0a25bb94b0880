"""JSON bodies in Capital.com's shapes (field names and nesting as in the [PM] examples)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from desktop_app.domain.types import InstrumentKind
from desktop_app.simulators.accounts import SimAccount, SimOrder, SimPosition
from desktop_app.simulators.instruments import InstrumentSpec
from desktop_app.simulators.market import Bar, DealResult, Market

INSTRUMENT_TYPES: dict[InstrumentKind, str] = {
    InstrumentKind.CURRENCY: "CURRENCIES",
    InstrumentKind.COMMODITY: "COMMODITIES",
    InstrumentKind.INDEX: "INDICES",
    InstrumentKind.SHARE: "SHARES",
    InstrumentKind.CRYPTO: "CRYPTOCURRENCIES",
}
KINDS_BY_TYPE = {name: kind for kind, name in INSTRUMENT_TYPES.items()}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$"}


class Clock:
    """Formats times the way the API does: local wall time and a separate *UTC field."""

    def __init__(self, offset_hours: int) -> None:
        self.offset = timedelta(hours=offset_hours)

    @staticmethod
    def utc_ms(at: datetime) -> str:
        return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]

    def local_ms(self, at: datetime) -> str:
        return self.utc_ms(at + self.offset)

    @staticmethod
    def utc_s(at: datetime) -> str:
        return at.strftime("%Y-%m-%dT%H:%M:%S")

    def local_s(self, at: datetime) -> str:
        return self.utc_s(at + self.offset)


def instrument_type(spec: InstrumentSpec) -> str:
    return INSTRUMENT_TYPES.get(spec.kind, "SHARES")


def market_summary(market: Market, symbol: str, clock: Clock) -> dict[str, Any]:
    spec = market.spec(symbol)
    quote = market.quote(symbol)
    return {
        "delayTime": 0,
        "epic": spec.symbol,
        "netChange": quote.net_change,
        "lotSize": spec.lot_size,
        "expiry": "-",
        "instrumentType": instrument_type(spec),
        "instrumentName": spec.name,
        "high": quote.high,
        "low": quote.low,
        "percentageChange": quote.percentage_change,
        "updateTime": clock.local_ms(quote.at),
        "updateTimeUTC": clock.utc_ms(quote.at),
        "bid": quote.bid,
        "offer": quote.offer,
        "streamingPricesAvailable": True,
        "marketStatus": quote.status,
        "scalingFactor": 1,
    }


def _rule(unit: str, value: Decimal) -> dict[str, Any]:
    return {"unit": unit, "value": value}


def market_details(
    market: Market, symbol: str, account: SimAccount | None, clock: Clock,
    stop_percent: tuple[Decimal, Decimal] | None = None,
) -> dict[str, Any]:
    spec = market.spec(symbol)
    quote = market.quote(symbol)
    leverage = market.leverage_for(account, spec) if account else 1
    near, far = stop_percent or (spec.min_stop_percent, spec.max_stop_percent)
    # The week in force on the exchanges' calendar (the session clock), in UTC.
    hours: dict[str, Any] = spec.hours.week_table(market.session_clock.now())
    hours["zone"] = "UTC"
    return {
        "instrument": {
            "epic": spec.symbol,
            "expiry": "-",
            "name": spec.name,
            "lotSize": spec.lot_size,
            "type": instrument_type(spec),
            "controlledRiskAllowed": not spec.real_stock,
            "streamingPricesAvailable": True,
            "currency": spec.currency,
            # Follows the account's leverage for the asset class; 100 for real stocks.
            "marginFactor": (Decimal(100) / leverage).quantize(Decimal("0.01")).normalize(),
            "marginFactorUnit": "PERCENTAGE",
            "openingHours": hours,
            "country": "US" if spec.kind is InstrumentKind.SHARE else "",
        },
        "dealingRules": {
            "minStepDistance": _rule("POINTS", spec.tick),
            "minDealSize": _rule("POINTS", spec.min_size),
            "minControlledRiskStopDistance": _rule("PERCENTAGE", Decimal(2)),
            "minNormalStopOrLimitDistance": _rule("PERCENTAGE", near),
            "maxStopOrLimitDistance": _rule("PERCENTAGE", far),
            "marketOrderPreference": "AVAILABLE_DEFAULT_ON",
            "trailingStopsPreference": "NOT_AVAILABLE",
        },
        "snapshot": {
            "marketStatus": quote.status,
            "netChange": quote.net_change,
            "percentageChange": quote.percentage_change,
            "updateTime": clock.local_ms(quote.at),
            "delayTime": 0,
            "bid": quote.bid,
            "offer": quote.offer,
            "high": quote.high,
            "low": quote.low,
            "decimalPlacesFactor": spec.decimals,
            "scalingFactor": 1,
        },
    }


def balance(market: Market, account_id: str) -> dict[str, Any]:
    """balance = deposit + profitLoss; available = balance - margin.

    Inferred from the [PM] example (124.95 = 125.18 - 0.23): ``deposit`` is the cash,
    ``balance`` includes the open profit/loss. UNCONFIRMED beyond that example.
    """
    figures = market.figures(account_id)
    return {
        "balance": figures.equity,
        "deposit": figures.cash,
        "profitLoss": figures.profit_loss,
        "available": figures.available,
    }


def account_entry(market: Market, account: SimAccount) -> dict[str, Any]:
    return {
        "accountId": account.account_id,
        "accountName": account.name,
        "status": "ENABLED",
        "accountType": "CFD",
        "preferred": account.preferred,
        "balance": balance(market, account.account_id),
        "currency": account.currency,
    }


def position_entry(
    market: Market, account: SimAccount, position: SimPosition, clock: Clock
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "contractSize": market.spec(position.symbol).lot_size,
        "createdDate": clock.local_ms(position.created_at),
        "createdDateUTC": clock.utc_ms(position.created_at),
        "dealId": position.deal_id,
        "dealReference": f"p_{position.deal_id}",
        "workingOrderId": position.order_id,
        "size": position.size,
        "leverage": position.leverage,
        "upl": market.position_profit(account, position),
        "direction": position.side.value,
        "level": position.level,
        # UNCONFIRMED: the [PM] examples only show USD accounts; upl is in the account currency.
        "currency": account.currency,
        "guaranteedStop": position.guaranteed_stop,
    }
    if position.stop_level is not None:
        body["stopLevel"] = position.stop_level
    if position.profit_level is not None:
        body["profitLevel"] = position.profit_level
    return {"position": body, "market": market_summary(market, position.symbol, clock)}


def order_entry(market: Market, order: SimOrder, clock: Clock) -> dict[str, Any]:
    data: dict[str, Any] = {
        "dealId": order.deal_id,
        "direction": order.side.value,
        "epic": order.symbol,
        "orderSize": order.size,
        "orderLevel": order.level,
        "timeInForce": "GOOD_TILL_DATE" if order.good_till else "GOOD_TILL_CANCELLED",
    }
    if order.good_till is not None:
        data["goodTillDate"] = clock.local_ms(order.good_till)
        data["goodTillDateUTC"] = clock.utc_ms(order.good_till)
    data |= {
        "createdDate": clock.local_ms(order.created_at),
        "createdDateUTC": clock.utc_ms(order.created_at),
        "guaranteedStop": order.guaranteed_stop,
        "orderType": order.order_type.value,
    }
    # Signed distances from the order level, as in the [PM] example (stopDistance -3).
    if order.stop_level is not None:
        data["stopDistance"] = order.stop_level - order.level
    if order.profit_level is not None:
        data["profitDistance"] = order.profit_level - order.level
    data["currencyCode"] = market.spec(order.symbol).currency
    return {"workingOrderData": data, "marketData": market_summary(market, order.symbol, clock)}


def confirm(result: DealResult, reference: str, clock: Clock) -> dict[str, Any]:
    body: dict[str, Any] = {
        "date": clock.utc_ms(result.at),
        "status": result.status,
        "reason": result.reason,
        "dealStatus": "ACCEPTED" if result.accepted else "REJECTED",
        "epic": result.symbol,
        "dealReference": reference,
        "dealId": result.order_id,
        "affectedDeals": [{"dealId": a.deal_id, "status": a.status} for a in result.affected],
        "level": result.level,
        "size": result.size,
        "direction": result.side.value if result.side else None,
        "guaranteedStop": False,
        "trailingStop": False,
    }
    if result.profit is not None:
        body["profit"] = result.profit
        body["profitCurrency"] = result.currency
    return body


def bar_entry(bar: Bar, clock: Clock) -> dict[str, Any]:
    def pair(bid: Decimal) -> dict[str, Decimal]:
        return {"bid": bid, "ask": bid + bar.spread}

    return {
        "snapshotTime": clock.local_s(bar.start),
        "snapshotTimeUTC": clock.utc_s(bar.start),
        "openPrice": pair(bar.open),
        "closePrice": pair(bar.close),
        "highPrice": pair(bar.high),
        "lowPrice": pair(bar.low),
        "lastTradedVolume": bar.volume,
    }
