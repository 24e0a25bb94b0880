"""What the positions panel says about a close, a cancel or a change: what it acted on
(symbol, side, size), at what price, with what realised P/L."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.domain.types import (
    OrderAmendment,
    OrderResult,
    OrderStatus,
    Position,
    WorkingOrder,
)
from desktop_app.viewmodels import formatting as fmt


def position_words(position: Position | None, position_id: str) -> str:
    if position is None:
        return position_id
    if position.unreadable:
        return f"{position.symbol} (size not known: its figures could not be read)"
    return f"{position.side.value} {fmt.size(position.size)} {position.symbol}"


def order_words(order: WorkingOrder | None, order_id: str) -> str:
    if order is None:
        return f"order {order_id}"
    words = (f"{order.side.value} {fmt.order_type(order.order_type).lower()} "
             f"{fmt.size(order.size)} {order.symbol} at {fmt.level(order.level)}")
    if order.stop_price is not None:
        words += f" (stop {fmt.level(order.stop_price)})"
    return words


def close_result(position: Position | None, position_id: str, result: OrderResult) -> str:
    """"Closed BUY 0.01 BTCUSD at 65,012.3 · realised P/L +1.23 USD"; without the broker's
    figure, the last P/L the table showed, labelled so."""
    what = position_words(position, position_id)
    if result.status is OrderStatus.PENDING:  # taken, settled later (Upvest: 202, NEW)
        return f"Closing {what} · {result.reason or 'the broker settles it shortly'}"
    if not result.accepted:
        return f"Not closed: {what} · {result.reason or result.status.value}"
    parts = [f"Closed {what}"]
    if result.level is not None:
        parts.append(f"at {fmt.level(result.level)}")
    if result.profit_loss is not None:
        currency = result.currency or (position.currency if position else "")
        parts.append(f"realised P/L {fmt.signed_money(result.profit_loss)} {currency}".rstrip())
    elif position is not None and not position.unreadable:
        # The broker gave no figure: the table's last, said so.
        parts.append(
            f"last shown P/L {fmt.signed_money(position.profit_loss)} {position.currency}"
        )
    if result.deal_ids:
        parts.append("deal " + ", ".join(result.deal_ids))
    return " · ".join(parts)


def close_all_result(positions: tuple[Position, ...], result: OrderResult) -> str:
    count = len(positions)
    what = f"{count} position{'s' if count != 1 else ''}"
    if not result.accepted:
        return f"Not closed: all {what} · {result.reason or result.status.value}"
    parts = [f"Closed all {what}"]
    symbols = sorted({p.symbol for p in positions})
    if symbols:
        parts.append(", ".join(symbols))
    if result.profit_loss is not None:
        parts.append(
            f"realised P/L {fmt.signed_money(result.profit_loss)} {result.currency}".rstrip()
        )
    elif positions:
        parts.append(f"last shown P/L {total_profit_loss(positions)}")
    return " · ".join(parts)


def total_profit_loss(positions: tuple[Position, ...]) -> str:
    """The sum per currency, e.g. "+12.30 USD, -4.00 EUR"."""
    totals: dict[str, Decimal] = {}
    for p in positions:
        if not p.unreadable:
            totals[p.currency] = totals.get(p.currency, Decimal(0)) + p.profit_loss
    text = ", ".join(f"{fmt.signed_money(v)} {c}".rstrip() for c, v in sorted(totals.items()))
    unread = sum(1 for p in positions if p.unreadable)
    return f"{text} ({unread} not read)".strip() if unread else text


def cancel_result(order: WorkingOrder | None, order_id: str, result: OrderResult) -> str:
    what = order_words(order, order_id)
    if result.accepted:
        return f"Cancelled {what}"
    if result.status is OrderStatus.PENDING:
        return f"Cancelling {what} · {result.reason or 'the broker confirms it shortly'}"
    return f"Not cancelled: {what} · {result.reason or result.status.value}"


def amendment_words(order: WorkingOrder | None, amendment: OrderAmendment) -> str:
    changes = []
    for name, label in (("level", "level"), ("size", "size"), ("stop_price", "stop price")):
        new = getattr(amendment, name)
        if new is None:
            continue
        old = getattr(order, name) if order is not None else None
        show = fmt.size if name == "size" else fmt.level
        changes.append(f"{label} {show(old)} → {show(new)}" if old is not None
                       else f"{label} → {show(new)}")
    return ", ".join(changes)


def modify_result(order: WorkingOrder | None, amendment: OrderAmendment,
                  result: OrderResult) -> str:
    what = order_words(order, amendment.order_id)
    if result.accepted:
        return f"Changed {what}: {amendment_words(order, amendment)}"
    return f"Not changed: {what} · {result.reason or result.status.value}"
