"""Capital.com payloads -> domain values (Decimal money, aware UTC times)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.capital.errors import BROKER
from desktop_app.brokers.common.replies import reads
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.money import optional_decimal, parse_utc, to_decimal, utc_now
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    AccountStatus,
    Balance,
    Environment,
    Fact,
    Instrument,
    InstrumentKind,
    LeverageSetting,
    MarketNode,
    OrderType,
    Position,
    PricePoint,
    Quote,
    Side,
    Watchlist,
    WorkingOrder,
)

BROKER_ID = "capital"

_KINDS = {
    "CURRENCIES": InstrumentKind.CURRENCY,
    "COMMODITIES": InstrumentKind.COMMODITY,
    "INDICES": InstrumentKind.INDEX,
    "SHARES": InstrumentKind.SHARE,
    "CRYPTOCURRENCIES": InstrumentKind.CRYPTO,
}

_STATUSES = {
    "ENABLED": AccountStatus.ENABLED,
    "DISABLED": AccountStatus.DISABLED,
    "SUSPENDED_FROM_DEALING": AccountStatus.SUSPENDED,
    "SUSPENDED": AccountStatus.SUSPENDED,
}

# Confirm ``reason`` values (from the official Java sample's enum) in a trader's words.
_REASONS = {
    "INSUFFICIENT_FUNDS": "Not enough funds for this trade",
    "MARKET_CLOSED": "The market is closed",
    "MARKET_CLOSED_WITH_EDITS": "The market is closed",
    "MARKET_OFFLINE": "The market is offline",
    "MARKET_NOT_BORROWABLE": "This market cannot be sold short now",
    "MINIMUM_ORDER_SIZE_ERROR": "The size is below the market's minimum",
    "MAX_AUTO_SIZE_EXCEEDED": "The size is above the market's maximum",
    "ATTACHED_ORDER_LEVEL_ERROR": "The stop loss or take profit level is not allowed",
    "STOP_OR_LIMIT_NOT_ALLOWED": "Stop loss and take profit are not allowed on this market",
    "POSITION_NOT_AVAILABLE_TO_CLOSE": "The position cannot be closed now",
    "WRONG_SIDE_OF_MARKET": "The order level is on the wrong side of the market",
    "REJECT_SPREADBET_ORDER_ON_CFD_ACCOUNT": "This order type does not fit the account",
    "ACCOUNT_NOT_ENABLED_TO_TRADING": "This account is not enabled for trading",
}


def _text(value: object) -> str:
    return "" if value is None else str(value)


@reads("parse time data", BROKER)
def parse_time(value: object) -> datetime | None:
    """Capital.com's ``...UTC`` fields are naive ISO times in UTC; epoch ms also occur."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC)
    try:
        return parse_utc(str(value))
    except ValueError as exc:
        raise ProtocolError(f"unreadable time {value!r}", broker=BROKER) from exc


@reads("utc time data", BROKER)
def utc_time(data: dict[str, Any], *names: str) -> datetime:
    for name in names:
        parsed = parse_time(data.get(name))
        if parsed is not None:
            return parsed
    return utc_now()


@reads("side data", BROKER)
def side(value: object) -> Side:
    try:
        return Side(str(value).upper())
    except ValueError as exc:
        raise ProtocolError(f"unknown direction {value!r}", broker=BROKER) from exc


@reads("reason text data", BROKER)
def reason_text(reason: object) -> str:
    raw = _text(reason)
    if not raw:
        return "Capital.com rejected the order"
    human = _REASONS.get(raw.upper())
    if human is None:
        human = raw.replace("_", " ").replace(".", " ").strip().capitalize()
    return f"{human} ({raw})"


@reads("balance data", BROKER)
def balance(data: dict[str, Any] | None, currency: str) -> Balance | None:
    """Capital.com's ``balance`` already includes the open profit/loss; ``deposit`` is the cash.

    Read from the official example (balance 124.95 = deposit 125.18 + profitLoss -0.23).
    """
    if not isinstance(data, dict) or data.get("balance") is None:
        return None
    equity = to_decimal(data["balance"], field="balance")
    pnl = optional_decimal(data.get("profitLoss"), field="profitLoss") or Decimal(0)
    deposit = optional_decimal(data.get("deposit"), field="deposit")
    available = optional_decimal(data.get("available"), field="available")
    return Balance(
        balance=deposit if deposit is not None else equity - pnl,
        equity=equity,
        available=available if available is not None else equity,
        profit_loss=pnl,
        currency=currency,
        as_of=utc_now(),
        deposit=deposit,
    )


@reads("account data", BROKER)
def account(
    data: dict[str, Any], *, connection: str, environment: Environment, active_id: str | None
) -> Account:
    account_id = _text(data.get("accountId"))
    currency = _text(data.get("currency"))
    return Account(
        ref=AccountRef(connection, BROKER_ID, account_id),
        name=_text(data.get("accountName")) or account_id,
        currency=currency,
        status=_STATUSES.get(_text(data.get("status")).upper(), AccountStatus.UNKNOWN),
        environment=environment,
        active=account_id == active_id,
        kind=_text(data.get("accountType")),
        balance=balance(data.get("balance"), currency),
    )


@reads("preferences data", BROKER)
def preferences(data: dict[str, Any]) -> AccountPreferences:
    leverages = {}
    for group, setting in (data.get("leverages") or {}).items():
        if isinstance(setting, dict):
            leverages[str(group)] = LeverageSetting(
                current=int(setting.get("current") or 0),
                available=tuple(int(v) for v in setting.get("available") or ()),
            )
    return AccountPreferences(hedging_mode=bool(data.get("hedgingMode")), leverages=leverages)


def _rule_value(rules: dict[str, Any], name: str) -> Decimal | None:
    rule = rules.get(name)
    if isinstance(rule, dict):
        return optional_decimal(rule.get("value"), field=name)
    return optional_decimal(rule, field=name)


@reads("instrument data", BROKER)
def instrument(summary: dict[str, Any], details: dict[str, Any] | None = None) -> Instrument:
    """From a market summary (search, navigation, watchlists), optionally with details."""
    details = details or {}
    info = details.get("instrument") or {}
    rules = details.get("dealingRules") or {}
    status = _text(summary.get("marketStatus"))
    min_size = _rule_value(rules, "minDealSize") or Decimal(0)
    # minStepDistance is a price step, not a size step; only minSizeIncrement says that.
    step = _rule_value(rules, "minSizeIncrement")
    return Instrument(
        symbol=_text(summary.get("epic")),
        name=_text(summary.get("instrumentName")),
        kind=_KINDS.get(_text(summary.get("instrumentType")).upper(), InstrumentKind.OTHER),
        currency=_text(info.get("currency")),
        min_size=min_size,
        size_step=step or Decimal(0),
        tradeable=status == "TRADEABLE",
        stops_allowed=stops_allowed(details) if details else True,
        market_status=status,
        bid=optional_decimal(summary.get("bid"), field="bid"),
        offer=optional_decimal(summary.get("offer"), field="offer"),
    )


@reads("stops allowed data", BROKER)
def stops_allowed(details: dict[str, Any]) -> bool:
    """Real (non-CFD) stocks take no stop loss / take profit."""
    info = details.get("instrument") or {}
    return not (info.get("stopsAllowed") is False or info.get("realStock") is True)


@reads("quote data", BROKER)
def quote(details: dict[str, Any]) -> Quote:
    info = details.get("instrument") or {}
    snap = details.get("snapshot") or {}
    if snap.get("bid") is None or snap.get("offer") is None:
        raise ProtocolError("Capital.com sent a market without prices.", broker=BROKER)
    return Quote(
        symbol=_text(info.get("epic")),
        bid=to_decimal(snap["bid"], field="bid"),
        offer=to_decimal(snap["offer"], field="offer"),
        as_of=utc_now(),
        market_status=_text(snap.get("marketStatus")) or "TRADEABLE",
    )


@reads("position data", BROKER)
def position(item: dict[str, Any], ref: AccountRef) -> Position:
    pos = item.get("position") or {}
    market = item.get("market") or {}
    direction = side(pos.get("direction"))
    # What closing would get: the bid for a long, the offer for a short.
    close_key = "bid" if direction is Side.BUY else "offer"
    level = to_decimal(pos.get("level"), field="level")
    current = optional_decimal(market.get(close_key), field=close_key)
    return Position(
        account=ref,
        position_id=_text(pos.get("dealId")),
        symbol=_text(market.get("epic")),
        name=_text(market.get("instrumentName")),
        side=direction,
        size=to_decimal(pos.get("size"), field="size"),
        open_level=level,
        current_level=current if current is not None else level,
        profit_loss=optional_decimal(pos.get("upl"), field="upl") or Decimal(0),
        currency=_text(pos.get("currency")),
        opened_at=utc_time(pos, "createdDateUTC", "createdDate"),
        stop_level=optional_decimal(pos.get("stopLevel"), field="stopLevel"),
        profit_level=optional_decimal(pos.get("profitLevel"), field="profitLevel"),
        leverage=optional_decimal(pos.get("leverage"), field="leverage"),
    )


def _protection_level(
    data: dict[str, Any], level_key: str, distance_key: str, base: Decimal, away: int
) -> Decimal | None:
    """A stop / profit level, or one derived from its distance to the order level.

    Distances are read as magnitudes (examples show them signed); ``away`` is -1 when
    the level lies below ``base`` for this direction.
    """
    level = optional_decimal(data.get(level_key), field=level_key)
    if level is not None:
        return level
    distance = optional_decimal(data.get(distance_key), field=distance_key)
    if distance is None:
        return None
    return base + away * abs(distance)


@reads("working order data", BROKER)
def working_order(item: dict[str, Any], ref: AccountRef) -> WorkingOrder:
    data = item.get("workingOrderData") or {}
    market = item.get("marketData") or {}
    kind = _text(data.get("orderType")).upper()
    direction = side(data.get("direction"))
    level = to_decimal(data.get("orderLevel"), field="orderLevel")
    below = -1 if direction is Side.BUY else 1
    return WorkingOrder(
        account=ref,
        order_id=_text(data.get("dealId")),
        symbol=_text(data.get("epic") or market.get("epic")),
        name=_text(market.get("instrumentName")),
        side=direction,
        size=to_decimal(data.get("orderSize"), field="orderSize"),
        order_type=OrderType.STOP if kind == "STOP" else OrderType.LIMIT,
        level=level,
        created_at=utc_time(data, "createdDateUTC", "createdDate"),
        stop_level=_protection_level(data, "stopLevel", "stopDistance", level, below),
        profit_level=_protection_level(data, "profitLevel", "profitDistance", level, -below),
        good_till=parse_time(data.get("goodTillDateUTC") or data.get("goodTillDate")),
        currency=_text(data.get("currencyCode")),
    )


@reads("node data", BROKER)
def node(data: dict[str, Any]) -> MarketNode:
    return MarketNode(node_id=_text(data.get("id")), name=_text(data.get("name")))


@reads("watchlist data", BROKER)
def watchlist(data: dict[str, Any]) -> Watchlist:
    return Watchlist(watchlist_id=_text(data.get("id")), name=_text(data.get("name")))


def wire_time(value: datetime) -> str:
    """``goodTillDate``: UTC, ``YYYY-MM-DDTHH:MM:SS``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


@reads("instrument facts data", BROKER)
def instrument_facts(details: dict[str, Any]) -> tuple[Fact, ...]:
    """What GET /markets/{epic} adds: margin factor, minimum size, today's change and range."""
    info = details.get("instrument") or {}
    rules = details.get("dealingRules") or {}
    snap = details.get("snapshot") or {}
    facts: list[Fact] = []
    margin = optional_decimal(info.get("marginFactor"), field="marginFactor")
    if margin is not None:
        unit = "%" if _text(info.get("marginFactorUnit")).upper() == "PERCENTAGE" else ""
        facts.append(Fact("Margin factor", f"{margin.normalize():f}{unit}"))
    min_size = _rule_value(rules, "minDealSize")
    if min_size is not None:
        facts.append(Fact("Minimum size", f"{min_size.normalize():f}"))
    change = optional_decimal(snap.get("percentageChange"), field="percentageChange")
    if change is not None:
        facts.append(Fact("Change today", f"{change:+.2f}%"))
    high = optional_decimal(snap.get("high"), field="high")
    low = optional_decimal(snap.get("low"), field="low")
    if high is not None and low is not None:
        facts.append(Fact("Day range", f"{low:f} - {high:f}"))
    return tuple(facts)


@reads("price point data", BROKER)
def price_point(bar: dict[str, Any]) -> PricePoint | None:
    """A bar's close as a mid price; None for a bar without both sides."""
    close = bar.get("closePrice") or {}
    bid = optional_decimal(close.get("bid"), field="bid")
    ask = optional_decimal(close.get("ask"), field="ask")
    at = parse_time(bar.get("snapshotTimeUTC"))
    if bid is None or ask is None or at is None:
        return None
    return PricePoint(at, (bid + ask) / 2)
