"""Upvest JSON -> domain values (Decimal money, aware UTC times).

Every field the domain needs is read and checked: a missing or unreadable one is a
``ProtocolError`` naming it, never a silent 0. Where Upvest writes ``"0"`` or ``""`` for
"not used" (an order by amount has ``quantity: "0"``, a market order ``limit_price:
""``), that is read as "not given".

- ``Account``: owner = the OWNER user's id, group = the account group's id; status
  ACTIVE -> ENABLED, the four lifecycle statuses as they are, with Upvest's meaning
  (the seed) as the status note; ``balance`` from the group's cash balance when given.
- ``Balance``: the account group's EUR cash (Upvest keeps cash per group): balance,
  available = available for trading; locked, pending settlement and available for
  withdrawal as facts. Equity is the cash plus the securities' value when the caller
  passes it (a valuation), else the cash.
- ``Position``: Upvest gives quantities only; the caller supplies the price (a
  valuation or the last execution) and the average cost (``average_costs`` from the
  account's executions: ``holdings``), so nothing is invented here.
- Orders: NEW -> ``WorkingOrder``; PROCESSING/FILLED/CANCELLED -> ``OrderResult`` and
  ``HistoryEntry`` (one per execution, or the cancellation).
- ``Instrument``: the ISIN is the symbol, the WKN a code; sizes are a EUR amount (when
  fractional trading is on) or units, whole units when it is off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.common.replies import reads
from desktop_app.brokers.upvest.errors import BROKER
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.money import format_money, parse_utc, to_decimal, utc_now
from desktop_app.domain.types import (
    STATUS_MEANING,
    Account,
    AccountRef,
    AccountStatus,
    Balance,
    Environment,
    Fact,
    HistoryEntry,
    Instrument,
    InstrumentKind,
    OrderResult,
    OrderStatus,
    OrderType,
    Position,
    Side,
    SizeUnit,
    WorkingOrder,
)

BROKER_ID = "upvest"
CURRENCY = "EUR"
FRACTION_STEP = Decimal("0.000001")  # UNCONFIRMED: Upvest states no step; six decimals

STATUSES = {
    "ACTIVE": AccountStatus.ENABLED,
    "PENDING_APPROVAL": AccountStatus.PENDING_APPROVAL,
    "CLOSING": AccountStatus.CLOSING,
    "CLOSED": AccountStatus.CLOSED,
    "LOCKED": AccountStatus.LOCKED,
}
# The seed's own words for each status.
UPVEST_MEANING = {
    "PENDING_APPROVAL": "Account approval is pending: the account is visible through the API "
    "but cannot be acted on.",
    "ACTIVE": "Account is active: full functionality of the Investment API is accessible.",
    "CLOSING": "Account is closing: only sell orders or the transfer of positions out are "
    "permissible before the account is closed.",
    "CLOSED": "Account is closed with zero balance successfully.",
    "LOCKED": "Account is locked for all actions.",
}
ACCOUNT_KINDS = {"TRADING": "Trading account", "PORTFOLIO": "Portfolio account"}


def _need(data: dict[str, Any], name: str, what: str) -> Any:
    value = data.get(name)
    if value is None or value == "":
        raise ProtocolError(f"Upvest sent {what} without {name}.", broker=BROKER)
    return value


def _text(data: dict[str, Any], name: str, what: str) -> str:
    value = _need(data, name, what)
    if not isinstance(value, str):
        raise ProtocolError(f"Upvest sent {what} with an unreadable {name}.", broker=BROKER)
    return value


def _number(data: dict[str, Any], name: str, what: str) -> Decimal:
    try:
        value = to_decimal(_need(data, name, what), field=name)
    except ProtocolError:
        raise ProtocolError(f"Upvest sent {what} with an unreadable {name}.",
                            broker=BROKER) from None
    if not value.is_finite():
        raise ProtocolError(f"Upvest sent {what} with an unreadable {name}.", broker=BROKER)
    return value


def _optional_number(data: dict[str, Any], name: str, what: str) -> Decimal | None:
    """``None``, ``""`` and ``"0"`` are "not given" in Upvest's order bodies."""
    if data.get(name) in (None, ""):
        return None
    value = _number(data, name, what)
    return value if value != 0 else None


def _time(data: dict[str, Any], name: str, what: str) -> datetime:
    try:
        return parse_utc(_text(data, name, what))
    except ValueError:
        raise ProtocolError(f"Upvest sent {what} with an unreadable {name}.",
                            broker=BROKER) from None


def _side(data: dict[str, Any], what: str) -> Side:
    side = _text(data, "side", what)
    if side not in ("BUY", "SELL"):
        raise ProtocolError(f"Upvest sent {what} with the side {side!r}.", broker=BROKER)
    return Side(side)


# ---------------------------------------------------------------------- accounts


@reads("an account's owner", BROKER)
def owner_of(data: dict[str, Any], what: str = "an account") -> str:
    users = data.get("users")
    if not isinstance(users, list):
        raise ProtocolError(f"Upvest sent {what} without its users.", broker=BROKER)
    for user in users:
        if isinstance(user, dict) and user.get("type") == "OWNER" and user.get("id"):
            return str(user["id"])
    raise ProtocolError(f"Upvest sent {what} without an owner.", broker=BROKER)


@reads("a cash balance", BROKER)
def balance(cash: dict[str, Any], *, securities_value: Decimal | None = None,
            open_result: Decimal | None = None, as_of: datetime | None = None) -> Balance:
    """The group's cash balance as a ``Balance`` (see the module doc). Cash carries no
    profit or loss of its own: ``open_result`` is the positions' (the caller's sum)."""
    what = "a cash balance"
    currency = _text(cash, "currency", what)
    total = _number(cash, "balance", what)
    available = _number(cash, "available_for_trading", what)
    locked = _number(cash, "locked_for_trading", what)
    pending = _number(cash, "pending_settlement", what)
    withdrawable = _number(cash, "available_for_withdrawal", what)
    details = (
        Fact("Available for withdrawal", format_money(withdrawable, currency)),
        Fact("Locked for trading", format_money(locked, currency),
             "Held for orders that are not filled yet."),
        Fact("Pending settlement", format_money(pending, currency),
             "Sale proceeds not settled yet: tradable, not withdrawable."),
    )
    return Balance(
        balance=total,
        equity=total + securities_value if securities_value is not None else total,
        available=available,
        profit_loss=open_result if open_result is not None else Decimal(0),
        currency=currency, as_of=as_of or utc_now(), details=details,
    )


@reads("an account", BROKER)
def account(data: dict[str, Any], *, connection: str, environment: Environment,
            cash: dict[str, Any] | None = None, owner_name: str = "") -> Account:
    what = "an account"
    account_id = _text(data, "id", what)
    status_text = _text(data, "status", what)
    status = STATUSES.get(status_text)
    if status is None:
        raise ProtocolError(f"Upvest sent the unknown account status {status_text!r}.",
                            broker=BROKER)
    kind = _text(data, "type", what)
    group = _text(data, "account_group_id", what)
    owner = owner_of(data)
    number = data.get("account_number")
    name = str(data.get("name") or "").strip() or f"{ACCOUNT_KINDS.get(kind, kind)} {number}"
    return Account(
        ref=AccountRef(connection, BROKER_ID, account_id),
        name=name,
        currency=CURRENCY,
        status=status,
        environment=environment,
        kind=ACCOUNT_KINDS.get(kind, kind),
        balance=balance(cash) if cash is not None else None,
        owner=owner_name or owner,
        group=group,
        status_note=UPVEST_MEANING.get(status_text) or STATUS_MEANING[status],
    )


@reads("a user", BROKER)
def user_name(data: dict[str, Any]) -> str:
    first = str(data.get("first_name") or "").strip()
    last = str(data.get("last_name") or "").strip()
    return " ".join(p for p in (first, last) if p) or _text(data, "id", "a user")


# ---------------------------------------------------------------------- instruments


@reads("an instrument", BROKER)
def instrument(data: dict[str, Any]) -> Instrument:
    what = "an instrument"
    isin = _text(data, "isin", what)
    name = _text(data, "name", what)
    fractional = data.get("fractional_trading")
    status = _text(data, "trading_status", what)
    if not isinstance(fractional, bool):
        raise ProtocolError("Upvest sent an instrument without fractional_trading.",
                            broker=BROKER)
    codes = [Fact("ISIN", isin)]
    if data.get("wkn"):
        codes.append(Fact("WKN", str(data["wkn"])))
    tradeable = status == "ACTIVE"
    return Instrument(
        symbol=isin, name=name, kind=InstrumentKind.SHARE, currency=CURRENCY,
        min_size=FRACTION_STEP if fractional else Decimal(1),
        size_step=FRACTION_STEP if fractional else Decimal(1),
        tradeable=tradeable, stops_allowed=False,
        market_status="TRADEABLE" if tradeable else "CLOSED",
        size_units=(SizeUnit.CASH, SizeUnit.UNITS) if fractional else (SizeUnit.UNITS,),
        facts=(Fact("Fractional trading", "yes" if fractional else "no"),
               Fact("Trading status", status)),
        note="" if tradeable else "Upvest lists this instrument as INACTIVE: not tradable.",
        codes=tuple(codes),
    )


# ---------------------------------------------------------------------- positions


@dataclass(frozen=True, slots=True)
class Holding:
    """What the executions say of one instrument held: average cost and first buy."""

    quantity: Decimal
    average_cost: Decimal
    opened_at: datetime


@reads("orders", BROKER)
def holdings(orders: Iterable[dict[str, Any]]) -> dict[str, Holding]:
    """Per ISIN, from the account's executions (oldest first): shares, average buy price
    (sales take shares out at that average) and the time of the first buy since flat."""
    fills: list[tuple[datetime, str, Side, Decimal, Decimal]] = []
    for order in orders:
        isin = _text(order, "instrument_id", "an order")
        for execution in order.get("executions") or []:
            if not isinstance(execution, dict) or execution.get("status") == "CANCELLED":
                continue
            what = "an execution"
            fills.append((_time(execution, "transaction_time", what), isin,
                          _side(execution, what), _number(execution, "share_quantity", what),
                          _number(execution, "cash_amount", what)))
    held: dict[str, tuple[Decimal, Decimal, datetime]] = {}
    for at, isin, side, qty, amount in sorted(fills, key=lambda f: f[0]):
        quantity, cost, since = held.get(isin, (Decimal(0), Decimal(0), at))
        if quantity <= 0:
            since = at
        if side is Side.BUY:
            quantity, cost = quantity + qty, cost + amount
        elif quantity > 0:
            sold = min(qty, quantity)
            cost -= cost * sold / quantity
            quantity -= sold
        held[isin] = (quantity, cost, since)
    return {isin: Holding(q, c / q, since) for isin, (q, c, since) in held.items() if q > 0}


@reads("a valuation", BROKER)
def valuation_prices(valuation: dict[str, Any]) -> dict[str, Decimal]:
    """Price per ISIN from ``/valuations/current`` (value / quantity; EOD at Upvest)."""
    prices: dict[str, Decimal] = {}
    for line in valuation.get("security_positions") or []:
        if not isinstance(line, dict) or not isinstance(line.get("value"), dict):
            continue  # Upvest writes null when it has no price
        instrument_ = line.get("instrument")
        isin = instrument_.get("isin") if isinstance(instrument_, dict) else None
        quantity = _number(line, "quantity", "a valuation")
        value = _number(line["value"], "amount", "a valuation")
        if isin and quantity > 0:
            prices[str(isin)] = value / quantity
    return prices


@reads("a position", BROKER)
def position(data: dict[str, Any], *, connection: str, price: Decimal, average_cost: Decimal,
             opened_at: datetime, name: str = "") -> Position:
    what = "a position"
    account_id = _text(data, "account_id", what)
    instrument_ = data.get("instrument")
    if not isinstance(instrument_, dict) or not instrument_.get("isin"):
        raise ProtocolError("Upvest sent a position without its instrument's ISIN.",
                            broker=BROKER)
    isin = str(instrument_["isin"])
    quantity = _number(data, "quantity", what)
    available = _number(data, "available_for_trading", what)
    locked = _number(data, "locked_for_trading", what)
    pending = _number(data, "pending_settlement", what)
    return Position(
        account=AccountRef(connection, BROKER_ID, account_id),
        position_id=f"{account_id}:{isin}", symbol=isin, name=name or isin,
        side=Side.BUY, size=quantity, open_level=average_cost, current_level=price,
        profit_loss=((price - average_cost) * quantity).quantize(Decimal("0.01")),
        currency=CURRENCY, opened_at=opened_at,
        facts=(Fact("Available for trading", str(available)),
               Fact("Locked for trading", str(locked)),
               Fact("Pending settlement", str(pending))),
    )


# ---------------------------------------------------------------------- orders


ORDER_TYPES = {"MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT, "STOP": OrderType.STOP}


@reads("an order's size", BROKER)
def order_size(data: dict[str, Any]) -> tuple[Decimal, SizeUnit]:
    """(size, unit): a EUR amount or a quantity, whichever the order was given in."""
    cash = _optional_number(data, "cash_amount", "an order")
    if cash is not None:
        return cash, SizeUnit.CASH
    quantity = _optional_number(data, "quantity", "an order")
    if quantity is None:
        raise ProtocolError("Upvest sent an order with neither an amount nor a quantity.",
                            broker=BROKER)
    return quantity, SizeUnit.UNITS


@reads("an order", BROKER)
def working_order(data: dict[str, Any], *, connection: str, name: str = "") -> WorkingOrder:
    """A NEW order. ``level``: the limit or stop price; a market order has none and is
    given 0 (it is NEW for a moment only; the panels show no level for MARKET)."""
    what = "an order"
    kind = ORDER_TYPES.get(_text(data, "order_type", what))
    if kind is None:
        raise ProtocolError("Upvest sent an order of an unknown type.", broker=BROKER)
    size, unit = order_size(data)
    if kind is OrderType.MARKET:
        level = Decimal(0)
    else:
        level = _number(data, "limit_price" if kind is OrderType.LIMIT else "stop_price", what)
    isin = _text(data, "instrument_id", what)
    return WorkingOrder(
        account=AccountRef(connection, BROKER_ID, _text(data, "account_id", what)),
        order_id=_text(data, "id", what), symbol=isin, name=name or isin,
        side=_side(data, what), size=size, order_type=kind, level=level,
        created_at=_time(data, "created_at", what),
        currency=CURRENCY if unit is SizeUnit.CASH else "",
    )


@reads("an order", BROKER)
def order_result(data: dict[str, Any]) -> OrderResult:
    """The order as the ticket reports it: ACCEPTED (NEW/PROCESSING/FILLED with its
    average price and shares), REJECTED when Upvest cancelled it."""
    what = "an order"
    status = _text(data, "status", what)
    order_id = _text(data, "id", what)
    executions = [e for e in data.get("executions") or [] if isinstance(e, dict)]
    filled = [e for e in executions if e.get("status") != "CANCELLED"]
    qty = sum((_number(e, "share_quantity", "an execution") for e in filled), Decimal(0))
    amount = sum((_number(e, "cash_amount", "an execution") for e in filled), Decimal(0))
    ids = tuple(_text(e, "id", "an execution") for e in filled)
    if status == "CANCELLED":
        reason = str(data.get("cancellation_reason") or "cancelled")
        return OrderResult(OrderStatus.REJECTED, order_id, ids, reason=reason,
                           currency=CURRENCY)
    if status not in ("NEW", "PROCESSING", "FILLED"):
        raise ProtocolError(f"Upvest sent the unknown order status {status!r}.", broker=BROKER)
    return OrderResult(
        OrderStatus.ACCEPTED if status == "FILLED" else OrderStatus.PENDING, order_id, ids,
        reason=status, level=(amount / qty).quantize(Decimal("0.0001")) if qty else None,
        size=qty or None, currency=CURRENCY,
    )


@reads("an order's history", BROKER)
def history(data: dict[str, Any], *, connection: str, name: str = "") -> list[HistoryEntry]:
    """One entry per execution of a FILLED order; one for a CANCELLED order."""
    what = "an order"
    ref = AccountRef(connection, BROKER_ID, _text(data, "account_id", what))
    isin = _text(data, "instrument_id", what)
    side = _side(data, what)
    status = _text(data, "status", what)
    if status == "CANCELLED":
        size, unit = order_size(data)
        return [HistoryEntry(ref, _text(data, "id", what), _time(data, "updated_at", what),
                             "Cancelled", isin, name, side, size,
                             currency=CURRENCY if unit is SizeUnit.CASH else "",
                             note=str(data.get("cancellation_reason") or ""))]
    entries = []
    for e in data.get("executions") or []:
        if not isinstance(e, dict):
            continue
        wx = "an execution"
        entries.append(HistoryEntry(
            ref, _text(e, "id", wx), _time(e, "transaction_time", wx),
            "Settled" if e.get("status") == "SETTLED" else "Filled", isin, name, side,
            _number(e, "share_quantity", wx), _number(e, "price", wx), currency=CURRENCY,
            note=f"{format_money(_number(e, 'cash_amount', wx), CURRENCY)}",
        ))
    return entries
