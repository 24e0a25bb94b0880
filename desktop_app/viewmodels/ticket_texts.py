"""What the order ticket says: an order in words, the broker's answer, the button labels."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.domain.order_checks import is_cash_sized
from desktop_app.domain.types import (
    Instrument,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Quote,
    Side,
    SizeUnit,
)
from desktop_app.viewmodels import formatting as fmt


def order_kind(order_type: OrderType) -> str:
    return order_type.value.lower().replace("_", "-")


def size_text(size: Decimal, instrument: Instrument | None) -> str:
    if is_cash_sized(instrument):
        return f"{fmt.money(size)} {instrument.currency if instrument else ''}".strip()
    return fmt.size(size)


def describe(request: OrderRequest, instrument: Instrument | None, where: str) -> str:
    """"BUY 0.01 Bitcoin/USD · market on Capital.com · USD (A1) · USD · DEMO"."""
    name = instrument.name if instrument and instrument.name else request.symbol
    if instrument is not None and instrument.name and instrument.symbol not in name:
        name = f"{name} ({request.symbol})"
    parts = [f"{request.side.value} {size_text(request.size, instrument)} {name}",
             order_kind(request.order_type)]
    if request.stop_price is not None:
        parts.append(f"stop {fmt.level(request.stop_price)}")
    if request.level is not None:
        parts.append(f"at {fmt.level(request.level)}")
    if request.stop_level is not None:
        parts.append(f"stop loss {fmt.level(request.stop_level)}")
    if request.profit_level is not None:
        parts.append(f"take profit {fmt.level(request.profit_level)}")
    return f"{' · '.join(parts)} on {where}" if where else " · ".join(parts)


def _result_size(request: OrderRequest, result: OrderResult) -> str:
    if request.size_unit is SizeUnit.CASH:
        amount = f"{fmt.money(request.size)} {request.currency}".strip()
        return f"{amount} ({fmt.size(result.size)} filled)" if result.size else amount
    return fmt.size(result.size or request.size)


def describe_result(request: OrderRequest, result: OrderResult) -> str:
    what = f"{request.side.value} {_result_size(request, result)} {request.symbol}"
    if result.accepted:
        working = request.order_type is not OrderType.MARKET
        parts = [f"{'Accepted' if working else 'Confirmed'}: {what}"]
        if result.level is not None:
            parts.append(f"{'level' if working else 'at'} {fmt.level(result.level)}")
        if result.deal_ids:
            parts.append("deal id " + ", ".join(result.deal_ids))
        elif result.broker_ref:
            parts.append(f"reference {result.broker_ref}")
        return " · ".join(parts)
    if result.status is OrderStatus.REJECTED:
        return f"Rejected: {what} · {result.reason or 'the broker gave no reason'}"
    return f"{result.status.value.title()}: {what} · {result.reason or 'outcome not known yet'}"


def button_text(side: Side, order_type: OrderType, quote: Quote | None,
                level: Decimal | None) -> str:
    """A market order shows the price it would trade at; a limit or stop order its own
    level (never the market price, which it will not get)."""
    verb = "Buy" if side is Side.BUY else "Sell"
    if order_type is OrderType.MARKET:
        if quote is None:
            return verb
        return f"{verb} {fmt.level(quote.offer if side is Side.BUY else quote.bid)}"
    kind = order_kind(order_type)
    return f"{verb} {kind} {fmt.level(level)}" if level is not None else f"{verb} {kind}"
