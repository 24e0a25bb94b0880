"""A table model over immutable rows with a key, updated by snapshot with minimal signals.

``apply(items)`` diffs the new snapshot against the rows it holds, by key:

- removed keys -> ``beginRemoveRows`` per contiguous run (from the bottom up),
- changed rows -> one ``dataChanged`` per run of adjacent changed rows and per
  contiguous block of the columns that changed in that run: unchanged rows and
  columns that changed in no row of the run never appear in a signal (a tick that
  moves the price and P/L of 1,000 adjacent rows is one signal, not 2,000),
- new keys -> one ``beginInsertRows`` at the end (a sort proxy puts them in place).

Display strings are not held per cell: a changed row only drops its cached strings,
which are formatted again the next time a view asks for that row (only visible rows
are asked), so a tick costs the comparison and the signals, not the formatting.

``schedule(items)`` keeps only the latest snapshot and applies it once per frame.

``applied`` is emitted once at the end of every ``apply`` (``applying`` is True while the
signals of one are going out): a sort proxy re-sorts once per snapshot, not per signal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import count
from operator import attrgetter, ne
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from desktop_app.viewmodels.throttle import FRAME_MS, Throttle

T = TypeVar("T")

MAX_INTERVAL_MS = 250
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 2
# The value behind a cell for export and copy (Decimal, aware datetime, text, None): never
# the display string with its thousands separators (see viewmodels.table_export).
RAW_ROLE = int(Qt.ItemDataRole.UserRole) + 3
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

GAIN = QColor("#2e9e4f")
LOSS = QColor("#d64545")


def _one(getter: Callable[[Any], Any]) -> Callable[[Any], tuple[Any]]:
    return lambda item: (getter(item),)


def numeric_key(value: Decimal | None) -> float:
    """Sort key of a Decimal cell: a float is exact enough to order prices and sizes."""
    return float("-inf") if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Column(Generic[T]):
    title: str
    fields: tuple[str, ...]  # the attributes of the row the cell shows
    display: Callable[[T], str]
    sort: Callable[[T], Any]
    numeric: bool = False
    signed: bool = False  # colour the cell green/red by the sign of the sort key
    # The exported value; None: the one field's value when it is a number or a time,
    # else the display text (see ``raw_getter``).
    raw: Callable[[T], Any] | None = None


_RAW_TYPES = (Decimal, datetime, int)


def raw_getter(column: Column[T]) -> Callable[[T], Any]:
    """How to read a column's exported value: its own ``raw``; else, for a column over one
    field holding a number or a time (or nothing), that value; else the display text."""
    if column.raw is not None:
        return column.raw
    display = column.display
    if len(column.fields) != 1:
        return display
    get = attrgetter(column.fields[0])

    def raw(item: T) -> Any:
        value = get(item)
        if value is None or (isinstance(value, _RAW_TYPES) and not isinstance(value, bool)):
            return value
        return display(item)

    return raw


# A change of at most this many rows is signalled column by column; a wider one (a tick
# at stream speed) row by row.
PRECISE_ROWS = 32
# A row as painted: texts, right-aligned or not, colours and fonts per cell (or None).
RowLook = tuple[tuple[str, ...], tuple[bool, ...], tuple[QColor | None, ...] | None,
                tuple[QFont | None, ...] | None]


class KeyedTableModel(QAbstractTableModel, Generic[T]):
    applied = Signal()  # once per apply(), after its signals
    # Roles ``extra_data`` answers (a subclass adds its own); a view asks for about seven
    # roles per painted cell, and the others are None without a Python call.
    extra_roles: ClassVar[frozenset[int]] = frozenset()
    exports_raw = True  # answers RAW_ROLE for every cell

    def __init__(
        self,
        columns: Sequence[Column[T]],
        key: str,
        parent: QObject | None = None,
        interval_ms: int = FRAME_MS,
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._key = attrgetter(key)
        self._keys: list[str] = []
        self._rows: list[T] = []
        self._index: dict[str, int] = {}
        self._cache: list[RowLook | None] = []
        # What each row shows (its shown fields, below), kept: a snapshot of new objects
        # is compared with it, so each row's fields are read once per snapshot, not twice.
        self._seen: list[tuple[Any, ...]] = []
        # Every field a column shows, read in one C call; which fields differ between a
        # row's old and new version names the columns that changed (_changed_columns).
        fields = list(dict.fromkeys(f for c in self.columns for f in c.fields))
        self._shown = attrgetter(*fields) if len(fields) > 1 else _one(attrgetter(*fields))
        self._field_columns = [
            sum(1 << c for c, column in enumerate(self.columns) if f in column.fields)
            for f in fields
        ]
        self._masks: dict[bytes, int] = {}
        self._all_columns = (1 << len(self.columns)) - 1
        # Rows changed since their look was made: (that look, the item it was made
        # from), so only the columns whose fields differ are formatted again (row_look).
        self._was: dict[int, tuple[RowLook, T]] = {}
        self._getters = [attrgetter(*c.fields) for c in self.columns]
        self._displays = [c.display for c in self.columns]
        self._formatters = list(zip(range(len(self.columns)), self._getters, self._displays,
                                    strict=True))
        self._sorts = [c.sort for c in self.columns]
        self._ncols = len(self.columns)
        self._aligns = [_RIGHT if c.numeric else _LEFT for c in self.columns]
        self._signed = [c.signed for c in self.columns]
        self._rights = tuple(c.numeric for c in self.columns)
        self._coloured = [c for c in range(self._ncols)
                          if self._signed[c] or _FOREGROUND in self.extra_roles]
        self._raws = [raw_getter(c) for c in self.columns]
        self._pending: Iterable[T] | None = None
        self._base_interval = interval_ms
        self._throttle = Throttle(self._apply_pending, interval_ms, self)
        self.applying = False
        self.signals_emitted = 0  # dataChanged + insert + remove, for tests and benchmarks

    # --- Qt model interface -------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def index(
        self, row: int, column: int,
        parent: QModelIndex | QPersistentModelIndex = QModelIndex(),
    ) -> QModelIndex:
        # Qt's own index() asks rowCount() and columnCount(): two Python calls per index,
        # and a sort proxy makes an index per comparison.
        if 0 <= row < len(self._rows) and 0 <= column < self._ncols and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def sort_key(self, row: int, column: int) -> Any:
        return self._sorts[column](self._rows[row])

    def sort_keys(self, column: int, first: int = 0, last: int | None = None) -> list[Any]:
        """The sort keys of ``column`` for rows ``first`` to ``last`` (inclusive); a
        column's sort function may give them all at once (``fast(items)``, or None when
        it cannot)."""
        key = self._sorts[column]
        stop = len(self._rows) if last is None else last + 1
        items = self._rows[first:stop]
        fast = getattr(key, "fast", None)
        if fast is not None:
            keys = fast(items)
            if keys is not None:
                return keys
        return [key(item) for item in items]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title
        if role == _ALIGN and orientation == Qt.Orientation.Horizontal:
            return self._aligns[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        return self.cell(index.row(), index.column(), role)

    def cell(self, row: int, col: int, role: int = _DISPLAY) -> Any:
        """``data()`` by row and column (a sort proxy calls it without making indexes)."""
        if role == _DISPLAY:
            cached = self._cache[row]
            return (cached if cached is not None else self.row_look(row))[0][col]
        if role == SORT_ROLE:
            return self._sorts[col](self._rows[row])
        if role == _ALIGN:
            return self._aligns[col]
        if role == _FOREGROUND:
            if self._signed[col]:
                value = self._sorts[col](self._rows[row])
                return GAIN if value > 0 else LOSS if value < 0 else None
            return self.extra_data(self._rows[row], col, role)
        if role == KEY_ROLE:
            return self._keys[row]
        if role == _TOOLTIP:
            return self.tooltip(self._rows[row], col)
        if role == RAW_ROLE:
            return self.raw_value(self._rows[row], col)
        if role in self.extra_roles:
            return self.extra_data(self._rows[row], col, role)
        return None

    def row_look(self, row: int) -> RowLook:
        """What a row shows, in one call: its texts, which are right-aligned, and
        colours and fonts where a cell has its own (None: none in the row has).
        ``ui.cell_painter`` paints from it; kept until the row changes."""
        cached = self._cache[row]
        if cached is None:
            item = self._rows[row]
            was = self._was.pop(row, None)
            if was is None:
                texts = tuple([show(item) for show in self._displays])
            else:
                old_texts, before = was[0][0], was[1]
                texts = tuple([old_texts[c] if get(before) == get(item) else show(item)
                               for c, get, show in self._formatters])
            colours = fonts = None
            if self._coloured:
                shown = [None] * self._ncols
                for c in self._coloured:
                    shown[c] = self.cell(row, c, _FOREGROUND)
                colours = tuple(shown)
            if _FONT in self.extra_roles:
                fonts = tuple(self.extra_data(item, c, _FONT) for c in range(self._ncols))
            cached = self._cache[row] = (texts, self._rights, colours, fonts)
        return cached

    def answered_roles(self) -> frozenset[int]:
        """Every role ``cell`` may answer with something other than None."""
        return frozenset({_DISPLAY, SORT_ROLE, _ALIGN, _FOREGROUND, KEY_ROLE, _TOOLTIP,
                          RAW_ROLE, *self.extra_roles})

    def tooltip(self, item: T, column: int) -> str | None:
        return None

    def raw_value(self, item: T, column: int) -> Any:
        """The cell's exported value (``RAW_ROLE``); a subclass may add its own."""
        return self._raws[column](item)

    def extra_data(self, item: T, column: int, role: int) -> Any:
        """Roles a subclass adds (fonts, colours); None by default."""
        return None

    def forget_looks(self) -> None:
        """Every row is formatted afresh when next shown (what it shows depends on more
        than its own fields, e.g. the clock)."""
        self._cache = [None] * len(self._rows)
        self._was = {}

    def invalidate_column(self, column: int) -> None:
        """Re-format one column of every row (e.g. an age that grows with the clock)."""
        if self._rows:
            self.forget_looks()
            self.dataChanged.emit(
                self.createIndex(0, column), self.createIndex(len(self._rows) - 1, column)
            )

    # --- rows ---------------------------------------------------------------------

    def item(self, row: int) -> T:
        return self._rows[row]

    def items(self) -> list[T]:
        return list(self._rows)

    def row_of(self, key: str) -> int:
        return self._index.get(key, -1)

    def key(self, row: int) -> str:
        return self._keys[row]

    def schedule(self, items: Iterable[T]) -> None:
        """Apply ``items`` at the next frame; later snapshots replace earlier ones."""
        self._pending = items
        self._throttle.trigger()

    def flush(self) -> None:
        self._throttle.flush()

    def clear(self) -> None:
        self._pending = None
        self._throttle.cancel()
        if self._rows:
            self.beginResetModel()
            self._keys, self._rows, self._cache, self._index = [], [], [], {}
            self._seen = []
            self._was = {}
            self.endResetModel()

    def _apply_pending(self) -> None:
        items, self._pending = self._pending, None
        if items is None:
            return
        started = time.perf_counter()
        self.apply(items)
        # When applying is heavy (a sorted view over thousands of moving rows), coalesce
        # over a longer spell so the loop never spends more than about half its time here.
        spent_ms = (time.perf_counter() - started) * 1000
        interval = min(MAX_INTERVAL_MS, max(self._base_interval, 2 * spent_ms))
        self._throttle.set_interval(int(interval))

    def apply(self, items: Iterable[T]) -> None:
        """Make the model hold exactly ``items`` (a full snapshot), signalling only changes."""
        self.applying = True
        try:
            self._apply(items)
        finally:
            self.applying = False
        self.applied.emit()

    def _apply(self, items: Iterable[T]) -> None:
        keyf = self._key
        incoming = {keyf(it): it for it in items}
        keys = self._keys
        # Every row still there (a C loop over the keys): nothing to remove.
        if len(incoming) < len(keys) or not incoming.keys() >= self._index.keys():
            self._remove_missing(incoming)
            keys = self._keys
        rows, cache, shown, was, seen = self._rows, self._cache, self._shown, self._was, self._seen
        pop = incoming.pop
        new_rows = [pop(k) for k in keys]  # in row order
        changed_rows: list[int] = []
        changed_from: list[tuple[Any, ...]] = []
        for r, new, old in zip(count(), new_rows, rows):
            if new is old:  # a listing sent again: nothing read
                continue
            look = cache[r]
            if look is not None:
                cache[r] = None
                was[r] = (look, old)
            before, now = seen[r], shown(new)
            if before != now:
                seen[r] = now
                changed_rows.append(r)
                changed_from.append(before)
        rows[:] = new_rows
        if changed_rows:
            if len(changed_rows) <= PRECISE_ROWS:
                masks = [self._changed_columns(bytes(map(ne, before, seen[r])))
                         for r, before in zip(changed_rows, changed_from, strict=True)]
            else:
                # A view repaints all it shows of a change this wide anyway: which
                # columns changed in each row is not worth working out.
                masks = [self._all_columns] * len(changed_rows)
            self._emit_changed(changed_rows, masks)
        if incoming:
            self._append(incoming)

    def _changed_columns(self, fields_differ: bytes) -> int:
        """The columns showing a field that differs (one byte per field, 1: differs);
        the same few patterns recur at every tick, so each is worked out once."""
        mask = self._masks.get(fields_differ)
        if mask is None:
            mask = 0
            for differs, columns in zip(fields_differ, self._field_columns, strict=True):
                if differs:
                    mask |= columns
            self._masks[fields_differ] = mask
        return mask

    def _remove_missing(self, incoming: dict[str, T]) -> None:
        self._was = {}  # row numbers move
        gone = [r for r, k in enumerate(self._keys) if k not in incoming]
        # Contiguous runs, bottom first, so earlier row numbers stay valid.
        runs: list[tuple[int, int]] = []
        for r in gone:
            if runs and runs[-1][1] == r - 1:
                runs[-1] = (runs[-1][0], r)
            else:
                runs.append((r, r))
        root = QModelIndex()
        for first, last in reversed(runs):
            self.beginRemoveRows(root, first, last)
            del self._keys[first : last + 1]
            del self._rows[first : last + 1]
            del self._cache[first : last + 1]
            del self._seen[first : last + 1]
            self.endRemoveRows()
            self.signals_emitted += 1
        self._index = {k: r for r, k in enumerate(self._keys)}

    def _append(self, added: dict[str, T]) -> None:
        first = len(self._rows)
        shown = self._shown
        self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
        for r, (k, item) in enumerate(added.items(), start=first):
            self._keys.append(k)
            self._rows.append(item)
            self._cache.append(None)
            self._seen.append(shown(item))
            self._index[k] = r
        self.endInsertRows()
        self.signals_emitted += 1

    def _emit_changed(self, rows: list[int], masks: list[int]) -> None:
        start = prev = rows[0]
        mask = masks[0]
        for r, m in zip(rows[1:], masks[1:], strict=True):
            if r == prev + 1:
                prev = r
                mask |= m
                continue
            self._emit_run(start, prev, mask)
            start = prev = r
            mask = m
        self._emit_run(start, prev, mask)

    def _emit_run(self, first: int, last: int, mask: int) -> None:
        col = 0
        while mask:
            if mask & 1:
                c0 = col
                while mask & 2:
                    mask >>= 1
                    col += 1
                self.dataChanged.emit(self.createIndex(first, c0), self.createIndex(last, col))
                self.signals_emitted += 1
            mask >>= 1
            col += 1
