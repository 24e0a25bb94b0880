"""The Darwinex reply fields no public source confirms, named in one place and read strictly.

The recorded real exchanges (JamesFrost/darwinex cassettes, July 2020) cover accounts,
products, scores, histories and the market status, but no current position, executed
order, trade or buy/sell reply. What this app reads from those is written down here,
once, per reply: the field names it expects (with the alternatives it also takes), and
whether a row can be shown without each. A reply that lacks a field it needs, or carries
one that is not of its kind, is an ``UnreadableReply``: the caller shows the row as one
that could not be read, or does not match it in a reconciliation, and the log names the
fields the reply did carry (never their values). Nothing becomes 0 or "now" silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.darwinex.errors import BROKER
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.money import from_epoch_ms, to_decimal
from desktop_app.domain.types import Side

log = logging.getLogger(__name__)


class UnreadableReply(ProtocolError):
    """A Darwinex reply without the fields this app needs (or with unreadable ones)."""

    def __init__(self, what: str, missing: tuple[str, ...], sent: tuple[str, ...]) -> None:
        wanted = ", ".join(missing)
        super().__init__(
            f"Darwinex sent {what} that could not be read (no usable {wanted}).",
            code="unreadable_reply", broker=BROKER,
            hint="The fields Darwinex sent are in the log; please report them.",
        )
        self.what = what
        self.missing = missing
        self.sent = sent


def _decimal(value: object, name: str) -> Decimal:
    return to_decimal(value, field=name)


def _text(value: object, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProtocolError(f"{name} is not a text")
    text = str(value).strip()
    if not text:
        raise ProtocolError(f"{name} is empty")
    return text


def _time(value: object, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ProtocolError(f"{name} is not a time")
    return from_epoch_ms(to_decimal(value, field=name))


def _side(value: object, name: str) -> Side:
    try:
        return Side(str(value).upper())
    except ValueError:
        raise ProtocolError(f"{name} is not BUY or SELL") from None


READERS: dict[str, Callable[[object, str], Any]] = {
    "decimal": _decimal, "text": _text, "time": _time, "side": _side,
}


@dataclass(frozen=True, slots=True)
class Field:
    """One value a reply should carry: its name in this app, the names Darwinex may send
    it under (the first present wins), its kind and whether a row is shown without it."""

    key: str
    names: tuple[str, ...]
    kind: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class Shape:
    what: str  # "a current position", as a trader reads it
    fields: tuple[Field, ...]
    # Groups of optional fields of which at least one must be sent.
    one_of: tuple[tuple[str, ...], ...] = ()

    def read(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Each field's value (None for an optional one that is absent); an absent or
        unreadable required field, or a present but unreadable optional one, raises
        ``UnreadableReply`` after logging the names the reply carried."""
        values: dict[str, Any] = {}
        missing: list[str] = []
        for item in self.fields:
            name = next((n for n in item.names if data.get(n) not in (None, "")), None)
            if name is None:
                values[item.key] = None
                if item.required:
                    missing.append(" or ".join(item.names))
                continue
            try:
                values[item.key] = READERS[item.kind](data[name], name)
            except (ProtocolError, ArithmeticError, ValueError, TypeError):
                values[item.key] = None
                missing.append(name)
        by_key = {f.key: f for f in self.fields}
        for group in self.one_of:
            if all(values[key] is None for key in group):
                names = [n for key in group for n in by_key[key].names]
                if not any(n in missing for n in names):
                    missing.append(" or ".join(names))
        if missing:
            raise self.unreadable(data, tuple(missing))
        return values

    def unreadable(self, data: Mapping[str, Any], missing: tuple[str, ...]) -> UnreadableReply:
        sent = tuple(str(k)[:40] for k in list(data)[:40])
        log.warning("Darwinex sent %s without usable %s; its fields: %s", self.what,
                    ", ".join(missing), ", ".join(sent) or "-")
        return UnreadableReply(self.what, missing, sent)


# GET /investoraccounts/{id}/currentpositions (UNCONFIRMED beyond productName,
# currentQuote and thresholds, which a third-party client reads): the amount invested,
# its current value or the open P/L, the average quote paid and when it was opened.
POSITION = Shape("a current position", (
    Field("product", ("productName",), "text"),
    Field("invested", ("invested",), "decimal"),
    Field("value", ("amount",), "decimal", required=False),
    Field("pnl", ("pnl",), "decimal", required=False),
    Field("open_quote", ("averageQuote", "openQuote"), "decimal"),
    Field("current_quote", ("currentQuote",), "decimal"),
    Field("opened", ("openDate",), "time"),
), one_of=(("value", "pnl"),))

# GET /investoraccounts/{id}/orders/executed (UNCONFIRMED): what the lost-reply lookup
# matches on and what the History tab shows.
EXECUTED_ORDER = Shape("an executed order", (
    Field("order_id", ("orderId",), "text"),
    Field("product", ("productName",), "text"),
    Field("side", ("side",), "side"),
    Field("amount", ("amount",), "decimal"),
    Field("quote", ("quote",), "decimal", required=False),
    Field("executed", ("executionDate",), "time"),
    Field("type", ("type",), "text", required=False),
))

# GET /investoraccounts/{id}/conditionalorders/{state} (the request fields of [DX]'s
# examples, and orderId / creationDate: UNCONFIRMED), as the lost-reply lookup reads it.
CONDITIONAL_ORDER = Shape("a conditional order", (
    Field("order_id", ("orderId",), "text"),
    Field("product", ("productName",), "text"),
    Field("side", ("side",), "side"),
    Field("amount", ("amount",), "decimal"),
    Field("quote", ("quote",), "decimal"),
    Field("type", ("type",), "text"),
    Field("created", ("creationDate",), "time"),
))

# GET /investoraccounts/{id}/trades/closed (UNCONFIRMED).
CLOSED_TRADE = Shape("a closed trade", (
    Field("trade_id", ("tradeId",), "text"),
    Field("product", ("productName",), "text"),
    Field("invested", ("invested",), "decimal"),
    Field("pnl", ("pnl",), "decimal"),
    Field("open_quote", ("openQuote",), "decimal", required=False),
    Field("close_quote", ("closeQuote",), "decimal", required=False),
    Field("closed", ("closeDate",), "time"),
))

# The reply to POST orders/buy, orders/sell and conditionalorders (UNCONFIRMED; a
# third-party client checks only for HTTP 200).
ORDER_REPLY = Shape("an order reply", (Field("order_id", ("orderId",), "text"),))


def shown_id(data: Mapping[str, Any], *names: str) -> str:
    """An id to key an unreadable row by (the first of ``names`` that is sent), or ""."""
    for name in names:
        value = data.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)[:64]
    return ""
