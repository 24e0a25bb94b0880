"""Tradovate payloads -> domain values (Decimal money, aware UTC times).

Tradovate's amounts are in the account's currency; its demo and funded accounts are
USD accounts, so every figure here is USD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.common.replies import reads
from desktop_app.brokers.tradovate.errors import BROKER
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.money import (
    format_money,
    optional_decimal,
    parse_utc,
    to_decimal,
    utc_now,
)
from desktop_app.domain.types import (
    Account,
    AccountRef,
    AccountStatus,
    Balance,
    Environment,
    Fact,
    HistoryEntry,
    Instrument,
    InstrumentKind,
    OrderType,
    Position,
    Quote,
    Side,
    WorkingOrder,
)

BROKER_ID = "tradovate"
CURRENCY = "USD"
OPEN_PL = "Open P/L"
SIZE_LABEL = "Contracts"

# ordStatus values of an order that still works (TV-SPEC OrderStatus).
WORKING_STATUSES = frozenset({"Working", "PendingNew", "Suspended"})

MONTH_CODES = "FGHJKMNQUVXZ"  # January .. December
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec")
_CONTRACT_NAME = re.compile(r"^(?P<product>[A-Z0-9]+?)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d{1,2})$")

_ORDER_TYPES = {
    "Market": OrderType.MARKET,
    "Limit": OrderType.LIMIT,
    "Stop": OrderType.STOP,
    "StopLimit": OrderType.STOP_LIMIT,
}
WIRE_ORDER_TYPES = {v: k for k, v in _ORDER_TYPES.items()}


def _text(value: object) -> str:
    return "" if value is None else str(value)


@reads("number data", BROKER)
def number(data: dict[str, Any], name: str) -> Decimal | None:
    return optional_decimal(data.get(name), field=name)


@reads("parse time data", BROKER)
def parse_time(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return parse_utc(str(value))
    except ValueError as exc:
        raise ProtocolError(f"unreadable time {value!r}", broker=BROKER) from exc


@reads("wire id data", BROKER)
def wire_id(value: object) -> int:
    """Tradovate's ids are int64; the domain carries them as strings."""
    try:
        return int(str(value))
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"expected a numeric id, got {value!r}", broker=BROKER) from exc


# ---------------------------------------------------------------- contracts


@dataclass(frozen=True, slots=True)
class ContractName:
    product: str  # "ES"
    month: int  # 1..12
    year: int  # 2026

    @property
    def label(self) -> str:
        return f"{_MONTH_NAMES[self.month - 1]} {self.year}"


def split_contract_name(name: str, today: datetime | None = None) -> ContractName | None:
    """``"ESZ6"`` -> (``"ES"``, 12, 2026): the year is the nearest one with that last digit
    that is not more than two years past (contracts are listed years ahead, not back)."""
    found = _CONTRACT_NAME.match(name.strip().upper())
    if found is None:
        return None
    digits = found["year"]
    this_year = (today or utc_now()).year
    if len(digits) == 2:
        year = this_year - this_year % 100 + int(digits)
        if year < this_year - 2:
            year += 100
    else:
        year = this_year - this_year % 10 + int(digits)
        if year < this_year - 2:
            year += 10
    return ContractName(found["product"], MONTH_CODES.index(found["month"]) + 1, year)


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """What P/L and the ticket need from a product (``/product/find``)."""

    name: str
    description: str
    value_per_point: Decimal | None
    tick_size: Decimal | None
    kind: InstrumentKind = InstrumentKind.FUTURE
    product_id: int | None = None


@reads("product info data", BROKER)
def product_info(data: dict[str, Any], fallback_name: str = "") -> ProductInfo:
    return ProductInfo(
        name=_text(data.get("name")) or fallback_name,
        description=_text(data.get("description")),
        value_per_point=number(data, "valuePerPoint"),
        tick_size=number(data, "tickSize"),
        product_id=wire_id(data["id"]) if data.get("id") is not None else None,
    )


def contract_label(contract_name: str, product: ProductInfo | None) -> str:
    """``"E-Mini S&P 500 Dec 2026"`` (or the bare contract name when nothing is known)."""
    parsed = split_contract_name(contract_name)
    description = product.description if product is not None else ""
    if description and parsed is not None:
        return f"{description} {parsed.label}"
    return description or contract_name


def instrument_facts(contract_name: str, product: ProductInfo | None) -> tuple[Fact, ...]:
    facts: list[Fact] = []
    parsed = split_contract_name(contract_name)
    if parsed is not None:
        facts.append(Fact("Contract month", parsed.label))
    if product is not None and product.tick_size is not None:
        facts.append(Fact("Tick size", _plain(product.tick_size)))
        if product.value_per_point is not None:
            facts.append(Fact(
                "Tick value", format_money(product.tick_size * product.value_per_point,
                                           CURRENCY, places=_places(product.tick_size, 2)),
            ))
    if product is not None and product.value_per_point is not None:
        facts.append(Fact("Value per point", format_money(product.value_per_point, CURRENCY),
                          hint="P/L of one contract when the price moves by 1.0"))
    return tuple(facts)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _places(value: Decimal, minimum: int) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(minimum, -exponent if isinstance(exponent, int) else minimum)


@reads("instrument data", BROKER)
def instrument(
    contract: dict[str, Any], product: ProductInfo | None, quote: Quote | None = None
) -> Instrument:
    name = _text(contract.get("name"))
    return Instrument(
        symbol=name,
        name=contract_label(name, product),
        kind=InstrumentKind.FUTURE,
        currency=CURRENCY,
        min_size=Decimal(1),
        size_step=Decimal(1),
        tradeable=True,
        # Protective stops go in as separate Stop orders (no attached brackets here).
        stops_allowed=False,
        market_status=quote.market_status if quote is not None else "",
        bid=quote.bid if quote is not None else None,
        offer=quote.offer if quote is not None else None,
        size_label=SIZE_LABEL,
        facts=instrument_facts(name, product),
    )


# ---------------------------------------------------------------- accounts


@reads("balance data", BROKER)
def balance(snapshot: dict[str, Any]) -> Balance:
    """A cash balance snapshot as the domain's Balance.

    balance = totalCashValue (cash, realized P/L included), equity = netLiq (cash plus
    open P/L), available = netLiq - initialMargin (what is free for new positions:
    Tradovate sends no such figure), margin = initialMargin.
    """
    cash = number(snapshot, "totalCashValue")
    if cash is None:
        raise ProtocolError("Tradovate sent a cash balance without totalCashValue.",
                            broker=BROKER)
    open_pnl = number(snapshot, "openPnL") or Decimal(0)
    net_liq = number(snapshot, "netLiq")
    equity = net_liq if net_liq is not None else cash + open_pnl
    initial = number(snapshot, "initialMargin")
    maintenance = number(snapshot, "maintenanceMargin")
    realized = number(snapshot, "realizedPnL")
    week = number(snapshot, "weekRealizedPnL")
    details = tuple(
        Fact(label, format_money(value, CURRENCY))
        for label, value in (
            ("Net liquidation", equity),
            ("Total cash", cash),
            ("Open P/L", open_pnl),
            ("Realized P/L", realized),
            ("Week realized P/L", week),
            ("Initial margin", initial),
            ("Maintenance margin", maintenance),
        )
        if value is not None
    )
    return Balance(
        balance=cash,
        equity=equity,
        available=equity - (initial or Decimal(0)),
        profit_loss=open_pnl,
        currency=CURRENCY,
        as_of=utc_now(),
        realized_profit_loss=realized,
        margin=initial,
        details=details,
    )


@reads("account data", BROKER)
def account(
    data: dict[str, Any], *, connection: str, environment: Environment,
    snapshot: dict[str, Any] | None,
) -> Account:
    account_id = _text(data.get("id"))
    active = data.get("active")
    status = AccountStatus.ENABLED if active is not False else AccountStatus.DISABLED
    return Account(
        ref=AccountRef(connection, BROKER_ID, account_id),
        name=_text(data.get("name")) or account_id,
        currency=CURRENCY,
        status=status,
        environment=environment,
        active=False,  # no session account to switch: every account works at once
        kind=_text(data.get("accountType")),
        balance=balance(snapshot) if snapshot is not None else None,
    )


# ---------------------------------------------------------------- market data


@reads("quote data", BROKER)
def quote(symbol: str, data: dict[str, Any]) -> Quote:
    """The REST stand-in's reply, shaped like a WebSocket quote event."""
    entries = data.get("entries") or {}
    trade = (entries.get("Trade") or {}).get("price")
    bid = (entries.get("Bid") or {}).get("price", trade)
    offer = (entries.get("Offer") or {}).get("price", trade)
    if bid is None or offer is None:
        raise ProtocolError(f"Tradovate sent no price for {symbol}.", broker=BROKER)
    return Quote(
        symbol=symbol,
        bid=to_decimal(bid, field="Bid"),
        offer=to_decimal(offer, field="Offer"),
        as_of=parse_time(data.get("timestamp")) or utc_now(),
    )


# ---------------------------------------------------------------- positions & orders


@reads("position data", BROKER)
def position(
    data: dict[str, Any],
    ref: AccountRef,
    *,
    contract_name: str,
    product: ProductInfo | None,
    quote: Quote | None,
) -> Position:
    """A netted Tradovate position. P/L = (mark - netPrice) x netPos x value per point,
    marked where the position would close: the bid for a long, the offer for a short."""
    net = number(data, "netPos") or Decimal(0)
    side = Side.BUY if net > 0 else Side.SELL
    open_level = number(data, "netPrice")
    if open_level is None:
        raise ProtocolError("Tradovate sent a position without netPrice.", broker=BROKER)
    facts: list[Fact] = []
    current = open_level
    pnl = Decimal(0)
    vpp = product.value_per_point if product is not None else None
    if quote is not None:
        current = quote.bid if side is Side.BUY else quote.offer
        if vpp is not None:
            pnl = (current - open_level) * net * vpp
    if quote is None:
        facts.append(Fact(OPEN_PL, "no streamed price yet",
                          hint="Tradovate sends prices on its market-data WebSocket only"))
    elif vpp is None:
        facts.append(Fact(OPEN_PL, "value per point unknown"))
    for label, key in (("Bought today", "bought"), ("Sold today", "sold")):
        value = number(data, key)
        if value is not None:
            facts.append(Fact(label, _plain(value)))
    facts.extend(instrument_facts(contract_name, product))
    return Position(
        account=ref,
        position_id=_text(data.get("id")),
        symbol=contract_name,
        name=contract_label(contract_name, product),
        side=side,
        size=abs(net),
        open_level=open_level,
        current_level=current,
        profit_loss=pnl,
        currency=CURRENCY,
        opened_at=parse_time(data.get("timestamp")) or utc_now(),
        facts=tuple(facts),
    )


def marked(position: Position, quote: Quote, value_per_point: Decimal) -> Position:
    """``position`` marked at a streamed ``quote`` (the P/L rule of ``position``)."""
    current = quote.bid if position.side is Side.BUY else quote.offer
    net = position.size if position.side is Side.BUY else -position.size
    pnl = (current - position.open_level) * net * value_per_point
    if current == position.current_level and pnl == position.profit_loss:
        return position
    facts = position.facts
    if any(f.label == OPEN_PL for f in facts):
        facts = tuple(f for f in facts if f.label != OPEN_PL)
    p = position  # built field by field: several times faster than dataclasses.replace
    return Position(p.account, p.position_id, p.symbol, p.name, p.side, p.size, p.open_level,
                    current, pnl, p.currency, p.opened_at, p.stop_level, p.profit_level,
                    p.leverage, facts)


@reads("order side data", BROKER)
def order_side(action: object) -> Side:
    if action == "Buy":
        return Side.BUY
    if action == "Sell":
        return Side.SELL
    raise ProtocolError(f"unknown order action {action!r}", broker=BROKER)


@reads("working order data", BROKER)
def working_order(
    order: dict[str, Any],
    version: dict[str, Any],
    ref: AccountRef,
    *,
    contract_name: str,
    product: ProductInfo | None,
) -> WorkingOrder:
    """An order with its latest version (quantity, type, prices)."""
    wire_type = _text(version.get("orderType"))
    kind = _ORDER_TYPES.get(wire_type)
    if kind is None:
        raise ProtocolError(f"unknown order type {wire_type!r}", broker=BROKER)
    price = number(version, "price")
    stop = number(version, "stopPrice")
    level = stop if kind is OrderType.STOP else price
    qty = number(version, "orderQty")
    return WorkingOrder(
        account=ref,
        order_id=_text(order.get("id")),
        symbol=contract_name,
        name=contract_label(contract_name, product),
        side=order_side(order.get("action")),
        size=qty if qty is not None else Decimal(0),
        order_type=kind,
        level=level if level is not None else Decimal(0),
        created_at=parse_time(order.get("timestamp")) or utc_now(),
        good_till=parse_time(version.get("expireTime")),
        currency=CURRENCY,
        stop_price=stop if kind is OrderType.STOP_LIMIT else None,
    )


def wire_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


ENDED_STATUSES = {"Canceled": "Order cancelled", "Rejected": "Order rejected",
                  "Expired": "Order expired"}


@reads("fill history data", BROKER)
def fill_history(
    fill: dict[str, Any], ref: AccountRef, *, contract_name: str, product: ProductInfo | None
) -> HistoryEntry:
    """A fill (``/fill/list``): contracts bought or sold at a price."""
    return HistoryEntry(
        account=ref,
        entry_id=f"fill:{_text(fill.get('id'))}",
        at=parse_time(fill.get("timestamp")) or utc_now(),
        kind="Fill",
        symbol=contract_name,
        name=contract_label(contract_name, product),
        side=order_side(fill.get("action")),
        size=number(fill, "qty"),
        level=number(fill, "price"),
        currency=CURRENCY,
        note=f"order {_text(fill.get('orderId'))}",
    )


@reads("ended order history data", BROKER)
def ended_order_history(
    order: dict[str, Any], ref: AccountRef, *, contract_name: str, product: ProductInfo | None
) -> HistoryEntry:
    """An order that ended without a fill: cancelled, rejected or expired."""
    status = _text(order.get("ordStatus"))
    return HistoryEntry(
        account=ref,
        entry_id=f"order:{_text(order.get('id'))}",
        at=parse_time(order.get("timestamp")) or utc_now(),
        kind=ENDED_STATUSES.get(status, status),
        symbol=contract_name,
        name=contract_label(contract_name, product),
        side=order_side(order.get("action")) if order.get("action") else None,
        currency=CURRENCY,
    )
