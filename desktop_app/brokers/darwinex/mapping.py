"""Darwinex payloads -> domain values (Decimal money, aware UTC times).

Darwinex invests amounts of account currency in DARWINs: a position is one DARWIN
(``productName`` is its id), always long, its size the amount invested.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.common.replies import reads
from desktop_app.brokers.darwinex.errors import BROKER
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.money import format_money, optional_decimal, to_decimal, utc_now
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    AccountStatus,
    Balance,
    Environment,
    Fact,
    HistoryEntry,
    Instrument,
    InstrumentKind,
    LeverageSetting,
    OrderType,
    Position,
    PricePoint,
    Side,
    WorkingOrder,
)

BROKER_ID = "darwinex"

BUY_BELOW = "LESS_THAN_EQUAL"
BUY_ABOVE = "GREATER_THAN_EQUAL"
STOP_LOSS = "STOP_LOSS"
TAKE_PROFIT = "TAKE_PROFIT"

# Darwinex's investor leverage choices are not documented; the app offers 1 to 10
# (UNCONFIRMED; the broker's answer to any other value is shown as it comes).
LEVERAGES = tuple(range(1, 11))
LEVERAGE_KEY = "account"


def _text(value: object) -> str:
    return "" if value is None else str(value)


@reads("ms time data", BROKER)
def ms_time(value: object) -> datetime | None:
    """Darwinex stamps are epoch milliseconds."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(float(value) / 1000, tz=UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError) as exc:
        raise ProtocolError(f"unreadable time {value!r}", broker=BROKER) from exc


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def plain(value: Decimal) -> str:
    """A figure as Darwinex gives it, without exponent or trailing zeros."""
    return format(value.normalize(), "f")


@reads("percent data", BROKER)
def percent(value: object) -> str:
    number = optional_decimal(value)
    return "" if number is None else f"{number.quantize(Decimal('0.01'))} %"


# ---------------------------------------------------------------------- accounts


@reads("balance data", BROKER)
def balance(data: dict[str, Any]) -> Balance:
    """``balance`` = equity - openPnL: Darwinex gives equity (with the open result) and
    openPnL, not the cash itself; the rest of its figures go to ``details``."""
    currency = _text(data.get("currency"))
    equity = to_decimal(data.get("equity"), field="equity")
    pnl = optional_decimal(data.get("openPnL"), field="openPnL") or Decimal(0)
    available = optional_decimal(data.get("available"), field="available")
    details: list[Fact] = []
    for key, label, hint in (
        ("availableToInvest", "Available to invest",
         "What new investments may take: equity x leverage minus what is invested."),
        ("invested", "Invested", "The amount invested in DARWINs."),
        ("leverage", "Leverage", ""),
        ("maxRisk", "Max risk", ""),
        ("risk", "Risk", ""),
    ):
        value = optional_decimal(data.get(key), field=key)
        if value is None:
            continue
        shown = plain(value) if key == "leverage" else format_money(value, currency)
        details.append(Fact(label, shown, hint))
    return Balance(
        balance=equity - pnl,
        equity=equity,
        available=available if available is not None else equity,
        profit_loss=pnl,
        currency=currency,
        as_of=utc_now(),
        details=tuple(details),
    )


@reads("account data", BROKER)
def account(data: dict[str, Any], *, connection: str) -> Account:
    """One host serves demo and live alike and the token decides which accounts a call
    sees, so the account itself says which it is: Darwinex names a demo investor
    account "DEMO" (recorded reply); any other is taken as live (money at stake: asked
    before every write, refused on a demo profile)."""
    account_id = _text(data.get("id"))
    if not account_id:
        raise ProtocolError("Darwinex listed an investor account without an id.", broker=BROKER)
    currency = _text(data.get("currency"))
    name = _text(data.get("name"))
    said = Environment.DEMO if name.strip().upper() == "DEMO" else Environment.LIVE
    return Account(
        ref=AccountRef(connection, BROKER_ID, account_id),
        name=name or account_id,
        currency=currency,
        status=AccountStatus.ENABLED,
        environment=said,
        active=False,
        kind="Investor account",
        balance=balance(data) if data.get("equity") is not None else None,
    )


@reads("preferences data", BROKER)
def preferences(data: dict[str, Any]) -> AccountPreferences:
    current = to_decimal(data.get("leverage"), field="leverage")
    return AccountPreferences(
        hedging_mode=False,
        leverages={LEVERAGE_KEY: LeverageSetting(int(current), LEVERAGES)},
    )


# ---------------------------------------------------------------------- positions, orders


@reads("thresholds data", BROKER)
def thresholds(items: Iterable[Any]) -> tuple[Decimal | None, Decimal | None]:
    """(stop loss quote, take profit quote) of a position's thresholds."""
    stop = profit = None
    for item in items:
        if not isinstance(item, dict):
            continue
        kind = _text(item.get("type")).upper()
        level = optional_decimal(item.get("quote"), field="threshold quote")
        if kind == STOP_LOSS:
            stop = level
        elif kind == TAKE_PROFIT:
            profit = level
    return stop, profit


@reads("position data", BROKER)
def position(
    data: dict[str, Any], ref: AccountRef, currency: str, facts: tuple[Fact, ...] = ()
) -> Position:
    name = _text(data.get("productName"))
    if not name:
        raise ProtocolError("Darwinex sent a position without a product.", broker=BROKER)
    invested = optional_decimal(data.get("invested"), field="invested")
    value = optional_decimal(data.get("amount"), field="amount")
    size = invested if invested is not None else value
    opened = optional_decimal(
        data.get("averageQuote") if data.get("averageQuote") is not None
        else data.get("openQuote"), field="openQuote",
    )
    current = optional_decimal(data.get("currentQuote"), field="currentQuote")
    pnl = optional_decimal(data.get("pnl"), field="pnl")
    if pnl is None and value is not None and invested is not None:
        pnl = value - invested
    stop, profit = thresholds(data.get("thresholds") or ())
    extra = (Fact("Current value", format_money(value, currency)),) if value is not None else ()
    return Position(
        account=ref,
        position_id=name,
        symbol=name,
        name=name,
        side=Side.BUY,
        size=size if size is not None else Decimal(0),
        open_level=opened if opened is not None else (current or Decimal(0)),
        current_level=current if current is not None else (opened or Decimal(0)),
        profit_loss=pnl or Decimal(0),
        currency=currency,
        opened_at=ms_time(data.get("openDate")) or utc_now(),
        stop_level=stop,
        profit_level=profit,
        facts=(*extra, *facts),
    )


@reads("order type data", BROKER)
def order_type(side: Side, condition: str) -> OrderType:
    """A conditional order as LIMIT or STOP: buying at or below a quote (or selling at or
    above one) is a better price than now, a limit; the other two wait for the market to
    move against the trader's price, a stop."""
    if (side is Side.BUY and condition == BUY_BELOW) or (
        side is Side.SELL and condition == BUY_ABOVE
    ):
        return OrderType.LIMIT
    return OrderType.STOP


def condition(side: Side, kind: OrderType) -> str:
    """The inverse of ``order_type``: the ``type`` a LIMIT / STOP order is sent with."""
    below = (side is Side.BUY) == (kind is OrderType.LIMIT)
    return BUY_BELOW if below else BUY_ABOVE


@reads("side data", BROKER)
def side(value: object) -> Side:
    try:
        return Side(_text(value).upper())
    except ValueError as exc:
        raise ProtocolError(f"unknown side {value!r}", broker=BROKER) from exc


@reads("is threshold data", BROKER)
def is_threshold(data: dict[str, Any]) -> bool:
    """A position's stop loss / take profit (shown on the position, not as an order)."""
    return bool(data.get("thresholdType"))


@reads("working order data", BROKER)
def working_order(data: dict[str, Any], ref: AccountRef, currency: str) -> WorkingOrder:
    direction = side(data.get("side"))
    params = data.get("thresholdParameters") or {}
    return WorkingOrder(
        account=ref,
        order_id=_text(data.get("orderId") or data.get("id")),
        symbol=_text(data.get("productName")),
        name=_text(data.get("productName")),
        side=direction,
        size=to_decimal(data.get("amount"), field="amount"),
        order_type=order_type(direction, _text(data.get("type")).upper()),
        level=to_decimal(data.get("quote"), field="quote"),
        created_at=ms_time(data.get("creationDate")) or utc_now(),
        stop_level=optional_decimal(params.get("quoteStopLoss"), field="quoteStopLoss"),
        profit_level=optional_decimal(params.get("quoteTakeProfit"), field="quoteTakeProfit"),
        currency=currency,
    )


# ---------------------------------------------------------------------- products


@reads("product facts data", BROKER)
def product_facts(data: dict[str, Any]) -> tuple[Fact, ...]:
    """The figures a product list row or a status carries (no extra request)."""
    facts: list[Fact] = []
    ret = data.get("return", data.get("productReturn"))
    if ret is not None:
        facts.append(Fact("Return", percent(ret)))
    if data.get("drawdown") is not None:
        facts.append(Fact("Drawdown", percent(data.get("drawdown"))))
    investors = data.get("investors", data.get("numInvestors"))
    if investors is not None:
        facts.append(Fact("Investors", _text(investors)))
    if data.get("dscore") is not None:
        facts.append(Fact("D-Score", plain(to_decimal(data["dscore"], field="dscore"))))
    if data.get("status"):
        facts.append(Fact("Status", _text(data.get("status"))))
    return tuple(facts)


@reads("instrument data", BROKER)
def instrument(
    data: dict[str, Any], *, size_label: str = "", min_size: Decimal = Decimal(0),
    facts: tuple[Fact, ...] = (),
) -> Instrument:
    name = _text(data.get("productName"))
    short = _text(data.get("shortName")) or name.split(".", 1)[0]
    active = _text(data.get("status")).upper() in ("", "ACTIVE")
    return Instrument(
        symbol=name,
        # The ticker; every view shows the full product name beside it.
        name=f"DARWIN {short}" if short and short != name else name,
        kind=InstrumentKind.FUND,
        currency=_text(data.get("currency")),
        min_size=min_size,
        size_step=Decimal("0.01"),
        tradeable=active,
        stops_allowed=True,
        market_status="TRADEABLE" if active else "DELETED",
        size_label=size_label,
        facts=facts or product_facts(data),
        buy_allowed=active,
        sell_allowed=active,
    )


@reads("quote value data", BROKER)
def quote_value(status: dict[str, Any]) -> Decimal:
    if status.get("quote") is None:
        raise ProtocolError(
            f"Darwinex sent no quote for {status.get('productName')}.", broker=BROKER
        )
    return to_decimal(status["quote"], field="quote")


@reads("price points data", BROKER)
def price_points(rows: Iterable[Any]) -> list[PricePoint]:
    """``[[ms, quote], ...]`` (further columns ignored), oldest first."""
    points = []
    for row in rows:
        if not isinstance(row, list | tuple) or len(row) < 2 or row[1] is None:
            continue
        at = ms_time(row[0])
        if at is not None:
            points.append(PricePoint(at, to_decimal(row[1], field="quote")))
    points.sort(key=lambda p: p.at)
    return points


@reads("latest value data", BROKER)
def latest_value(rows: Iterable[Any]) -> Decimal | None:
    """The newest value of a ``[[ms, value, [...]], ...]`` history."""
    points = price_points(rows)
    return points[-1].price if points else None


@reads("executed history data", BROKER)
def executed_history(data: dict[str, Any], ref: AccountRef, currency: str) -> HistoryEntry:
    """An executed order (``orders/executed``): a buy or sell of an amount at a quote."""
    kind = _text(data.get("type")).upper() or "MARKET"
    labels = {"MARKET": "Executed", "CONDITIONAL": "Conditional order executed",
              "STOP_LOSS": "Stop loss executed", "TAKE_PROFIT": "Take profit executed",
              "STOP_OUT": "Stop-out"}
    return HistoryEntry(
        account=ref,
        entry_id=f"order:{_text(data.get('orderId'))}",
        at=ms_time(data.get("executionDate")) or utc_now(),
        kind=labels.get(kind, kind.replace("_", " ").capitalize()),
        symbol=_text(data.get("productName")),
        side=side(data.get("side")) if data.get("side") else None,
        size=optional_decimal(data.get("amount"), field="amount"),
        level=optional_decimal(data.get("quote"), field="quote"),
        currency=currency,
    )


@reads("closed trade history data", BROKER)
def closed_trade_history(data: dict[str, Any], ref: AccountRef, currency: str) -> HistoryEntry:
    """A closed trade (``trades/closed``): what was invested, and its realised P/L."""
    opened = optional_decimal(data.get("openQuote"), field="openQuote")
    closed = optional_decimal(data.get("closeQuote"), field="closeQuote")
    note = f"opened at {opened:f}" if opened is not None else ""
    return HistoryEntry(
        account=ref,
        entry_id=f"trade:{_text(data.get('tradeId'))}",
        at=ms_time(data.get("closeDate")) or utc_now(),
        kind="Trade closed",
        symbol=_text(data.get("productName")),
        side=Side.BUY,
        size=optional_decimal(data.get("invested"), field="invested"),
        level=closed,
        profit_loss=optional_decimal(data.get("pnl"), field="pnl"),
        currency=currency,
        note=note,
    )


@reads("ended conditional history data", BROKER)
def ended_conditional_history(
    data: dict[str, Any], ref: AccountRef, currency: str, state: str
) -> HistoryEntry:
    """A conditional order that was cancelled or rejected (with Darwinex's reason)."""
    return HistoryEntry(
        account=ref,
        entry_id=f"conditional:{_text(data.get('orderId'))}",
        at=ms_time(data.get("closeDate")) or ms_time(data.get("lastModificationDate"))
        or utc_now(),
        kind=f"Conditional order {state}",
        symbol=_text(data.get("productName")),
        side=side(data.get("side")) if data.get("side") else None,
        size=optional_decimal(data.get("amount"), field="amount"),
        level=optional_decimal(data.get("quote"), field="quote"),
        currency=currency,
        note=_text(data.get("rejectReason")),
    )
