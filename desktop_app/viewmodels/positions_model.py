"""Open positions and working orders of one account as table models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from operator import attrgetter

from PySide6.QtCore import QObject

from desktop_app.domain.types import HistoryEntry, Position, WorkingOrder
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.keyed_table import Column, KeyedTableModel, numeric_key
from desktop_app.viewmodels.throttle import FRAME_MS

UNREAD = "?"  # a figure of a position whose reply could not be read (never 0)
_LOWEST = float("-inf")


def _figure(show: Callable[[Decimal], str], attr: str) -> Callable[[Position], str]:
    def display(p: Position) -> str:
        return UNREAD if p.unreadable else show(getattr(p, attr))
    return display


class _Figure:
    """A position's figure as its sort key (-inf for a position that could not be read)."""

    __slots__ = ("_get",)

    def __init__(self, attr: str) -> None:
        self._get = attrgetter(attr)

    def __call__(self, p: Position) -> float:
        return _LOWEST if p.unreadable else float(self._get(p))

    def fast(self, items: Sequence[Position]) -> list[float] | None:
        """Every item's key in C loops (a sorted table asks for all at each tick), or
        None when one could not be read (then each is asked in turn)."""
        if any(map(_UNREADABLE, items)):
            return None
        return list(map(float, map(self._get, items)))


_UNREADABLE = attrgetter("unreadable")


def _raw(attr: str) -> Callable[[Position], object]:
    """Exported: the broker's own value, or nothing for a position that could not be read
    (never a 0 it did not send)."""
    def raw(p: Position) -> object:
        return None if p.unreadable else getattr(p, attr)
    return raw


POSITION_COLUMNS: tuple[Column[Position], ...] = (
    Column("Instrument", ("name", "symbol"), lambda p: p.name or p.symbol, lambda p: p.name),
    Column("Side", ("side",), lambda p: p.side.value, lambda p: p.side.value),
    Column("Size", ("size", "unreadable"), _figure(fmt.size, "size"), _Figure("size"), True,
           raw=_raw("size")),
    Column("Open", ("open_level", "unreadable"), _figure(fmt.level, "open_level"),
           _Figure("open_level"), True, raw=_raw("open_level")),
    Column("Current", ("current_level", "unreadable"), _figure(fmt.level, "current_level"),
           _Figure("current_level"), True, raw=_raw("current_level")),
    Column("P/L", ("profit_loss", "unreadable"), _figure(fmt.signed_money, "profit_loss"),
           _Figure("profit_loss"), True, True, raw=_raw("profit_loss")),
    Column("Currency", ("currency",), lambda p: p.currency, lambda p: p.currency),
    Column("Stop loss", ("stop_level",), lambda p: fmt.level(p.stop_level),
           lambda p: numeric_key(p.stop_level), True),
    Column("Take profit", ("profit_level",), lambda p: fmt.level(p.profit_level),
           lambda p: numeric_key(p.profit_level), True),
    Column("Opened (UTC)", ("opened_at", "unreadable"),
           lambda p: UNREAD if p.unreadable else fmt.time_utc(p.opened_at),
           lambda p: _LOWEST if p.unreadable else p.opened_at.timestamp(),
           raw=_raw("opened_at")),
    Column("Details", ("facts", "unreadable"), lambda p: p.unreadable or fmt.facts(p.facts),
           lambda p: p.unreadable or fmt.facts(p.facts)),
)

ORDER_COLUMNS: tuple[Column[WorkingOrder], ...] = (
    Column("Instrument", ("name", "symbol"), lambda o: o.name or o.symbol, lambda o: o.name),
    Column("Side", ("side",), lambda o: o.side.value, lambda o: o.side.value),
    Column("Type", ("order_type",), lambda o: fmt.order_type(o.order_type),
           lambda o: o.order_type.value),
    Column("Size", ("size",), lambda o: fmt.size(o.size), lambda o: float(o.size), True),
    Column("Level", ("level",), lambda o: fmt.level(o.level), lambda o: float(o.level),
           True),
    Column("Stop loss", ("stop_level",), lambda o: fmt.level(o.stop_level),
           lambda o: numeric_key(o.stop_level), True),
    Column("Take profit", ("profit_level",), lambda o: fmt.level(o.profit_level),
           lambda o: numeric_key(o.profit_level), True),
    Column("Created (UTC)", ("created_at",), lambda o: fmt.time_utc(o.created_at),
           lambda o: o.created_at.timestamp()),
    Column("Stop price", ("stop_price",), lambda o: fmt.level(o.stop_price),
           lambda o: numeric_key(o.stop_price), True),
)


class PositionsTableModel(KeyedTableModel[Position]):
    """Rows keyed by ``position_id``; ``apply(positions)`` signals changed cells only."""

    COLUMN_PROFIT_LOSS = 5
    COLUMN_CURRENT = 4

    def __init__(self, parent: QObject | None = None, interval_ms: int = FRAME_MS) -> None:
        super().__init__(POSITION_COLUMNS, "position_id", parent, interval_ms)

    def tooltip(self, item: Position, column: int) -> str | None:
        if item.unreadable:
            return item.unreadable
        if column == 0:
            return f"{item.name} ({item.symbol}) · position {item.position_id}"
        return None


class WorkingOrdersTableModel(KeyedTableModel[WorkingOrder]):
    """Rows keyed by ``order_id``."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = FRAME_MS) -> None:
        super().__init__(ORDER_COLUMNS, "order_id", parent, interval_ms)

    def tooltip(self, item: WorkingOrder, column: int) -> str | None:
        if column == 0:
            return f"{item.name} ({item.symbol}) · order {item.order_id}"
        return None


HISTORY_COLUMNS: tuple[Column[HistoryEntry], ...] = (
    Column("When (UTC)", ("at",), lambda e: fmt.time_utc(e.at), lambda e: e.at.timestamp()),
    Column("What", ("kind",), lambda e: e.kind, lambda e: e.kind),
    Column("Instrument", ("name", "symbol"), lambda e: e.name or e.symbol,
           lambda e: e.name or e.symbol),
    Column("Side", ("side",), lambda e: e.side.value if e.side else "",
           lambda e: e.side.value if e.side else ""),
    Column("Size", ("size",), lambda e: fmt.size(e.size), lambda e: numeric_key(e.size), True),
    Column("Level", ("level",), lambda e: fmt.level(e.level), lambda e: numeric_key(e.level),
           True),
    Column("P/L", ("profit_loss",), lambda e: fmt.signed_money(e.profit_loss),
           lambda e: numeric_key(e.profit_loss), True, True),
    Column("Currency", ("currency",), lambda e: e.currency, lambda e: e.currency),
    Column("Note", ("note",), lambda e: e.note, lambda e: e.note),
)


class HistoryTableModel(KeyedTableModel[HistoryEntry]):
    """Rows keyed by ``entry_id``, newest first as the broker's history comes."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = FRAME_MS) -> None:
        super().__init__(HISTORY_COLUMNS, "entry_id", parent, interval_ms)

    def tooltip(self, item: HistoryEntry, column: int) -> str | None:
        if column == 2:
            return f"{item.name} ({item.symbol})" if item.name else item.symbol
        return None
