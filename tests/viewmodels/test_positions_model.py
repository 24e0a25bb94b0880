"""PositionsTableModel: diffing by position id, minimal signals, numeric sort, coalescing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtCore import Qt

from desktop_app.domain.types import AccountRef, Position, Side
from desktop_app.viewmodels.keyed_table import SORT_ROLE
from desktop_app.viewmodels.positions_model import PositionsTableModel
from desktop_app.viewmodels.sort_proxy import NumericSortProxy

ACC = AccountRef("c1", "capital", "A1")
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
CURRENT, PL, STOP = 4, 5, 7


def pos(i: int, pl: str = "0", current: str = "1.1000") -> Position:
    return Position(
        ACC, f"P{i}", "EURUSD", f"EUR/USD {i}", Side.BUY, Decimal("1"), Decimal("1.1000"),
        Decimal(current), Decimal(pl), "USD", T0,
    )


class Recorder:
    """Every structural and data signal of a model, as plain tuples."""

    def __init__(self, model: PositionsTableModel) -> None:
        self.changed: list[tuple[int, int, int, int]] = []
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.resets = 0
        model.dataChanged.connect(
            lambda tl, br, _roles=(): self.changed.append((tl.row(), br.row(), tl.column(),
                                                            br.column()))
        )
        model.rowsInserted.connect(lambda _p, a, b: self.inserted.append((a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.removed.append((a, b)))
        model.modelReset.connect(lambda: setattr(self, "resets", self.resets + 1))

    def cells(self) -> set[tuple[int, int]]:
        return {
            (r, c) for r0, r1, c0, c1 in self.changed
            for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)
        }


def test_first_apply_inserts_all_rows_in_one_signal(qapp):
    model = PositionsTableModel()
    rec = Recorder(model)
    model.apply([pos(i) for i in range(5)])
    assert rec.inserted == [(0, 4)]
    assert model.rowCount() == 5
    assert model.data(model.index(2, 0)) == "EUR/USD 2"
    assert model.data(model.index(2, 0), int(Qt.ItemDataRole.UserRole) + 2) == "P2"


def test_only_changed_cells_are_signalled(qapp):
    model = PositionsTableModel()
    base = [pos(i) for i in range(10)]
    model.apply(base)
    rec = Recorder(model)
    tick = list(base)
    for i in (2, 3, 4):  # adjacent rows: price and P/L move
        tick[i] = replace(base[i], current_level=Decimal("1.1010"), profit_loss=Decimal("1.5"))
    tick[8] = replace(base[8], stop_level=Decimal("1.05"))  # another row, another column
    model.apply(tick)
    assert rec.cells() == {(r, c) for r in (2, 3, 4) for c in (CURRENT, PL)} | {(8, STOP)}
    assert len(rec.changed) == 2  # one range per run of adjacent rows
    assert rec.inserted == [] and rec.removed == [] and rec.resets == 0
    assert model.data(model.index(3, PL)) == "+1.50"
    assert model.data(model.index(8, STOP)) == "1.05"
    # The same snapshot again changes nothing.
    model.apply(tick)
    assert len(rec.changed) == 2


def test_added_and_removed_rows(qapp):
    model = PositionsTableModel()
    model.apply([pos(i) for i in range(6)])
    rec = Recorder(model)
    # P1 and P2 (adjacent) and P4 closed, P9 opened, P0 moved.
    model.apply([replace(pos(0), profit_loss=Decimal("-2")), pos(3), pos(5), pos(9)])
    assert rec.removed == [(4, 4), (1, 2)]  # bottom run first so row numbers stay valid
    assert rec.inserted == [(3, 3)]
    assert rec.cells() == {(0, PL)}
    assert [model.key(r) for r in range(model.rowCount())] == ["P0", "P3", "P5", "P9"]
    assert model.row_of("P5") == 2
    model.apply([])
    assert model.rowCount() == 0 and rec.removed[-1] == (0, 3)


def test_sort_is_numeric_not_textual(qapp):
    model = PositionsTableModel()
    proxy = NumericSortProxy(model)
    # As text "9.00" > "10.00" > "-100.00"; as numbers -100 < 9 < 10 < 250.
    model.apply([pos(1, "9"), pos(2, "10"), pos(3, "-100"), pos(4, "250")])
    proxy.sort(PL, Qt.SortOrder.AscendingOrder)
    order = [proxy.index(r, 0).data(int(Qt.ItemDataRole.UserRole) + 2) for r in range(4)]
    assert order == ["P3", "P1", "P2", "P4"]
    assert isinstance(proxy.index(0, PL).data(SORT_ROLE), float)
    # A tick re-sorts the changed row (dynamic sort) without a reset.
    model.apply([pos(1, "9"), pos(2, "10"), pos(3, "500"), pos(4, "250")])
    order = [proxy.index(r, 0).data(int(Qt.ItemDataRole.UserRole) + 2) for r in range(4)]
    assert order == ["P1", "P2", "P4", "P3"]


def test_schedule_coalesces_updates_within_a_frame(qtbot):
    model = PositionsTableModel(interval_ms=16)
    model.apply([pos(i) for i in range(3)])
    rec = Recorder(model)
    for k in range(20):  # twenty snapshots arrive before the next frame
        model.schedule([pos(i, pl=str(k)) for i in range(3)])
    assert rec.changed == []
    qtbot.waitUntil(lambda: bool(rec.changed), timeout=1000)
    assert rec.changed == [(0, 2, PL, PL)]  # one signal, the last snapshot's values
    assert model.data(model.index(1, PL)) == "+19.00"


def test_an_unreadable_position_shows_no_figures(qapp):
    model = PositionsTableModel()
    proxy = NumericSortProxy(model)
    lost = replace(pos(2, "0"), unreadable="Could not be read: no usable invested.")
    model.apply([pos(1, "-5"), lost, pos(3, "7")])
    row = model.row_of("P2")
    shown = [model.data(model.index(row, c)) for c in range(model.columnCount())]
    assert shown[2:6] == ["?", "?", "?", "?"]  # size, open, current, P/L: not 0
    assert shown[-1] == "Could not be read: no usable invested."
    assert model.data(model.index(row, PL), int(Qt.ItemDataRole.ToolTipRole)) == lost.unreadable
    proxy.sort(PL, Qt.SortOrder.DescendingOrder)
    order = [proxy.index(r, 0).data(int(Qt.ItemDataRole.UserRole) + 2) for r in range(3)]
    assert order == ["P3", "P1", "P2"]  # below every figure, not among the zeros


def test_a_columns_sort_keys_read_at_once_are_each_rows_key(qapp):
    """A sorted table asks for the sorted column's every key at each tick: read in one
    pass when every position could be read, row by row when one could not."""
    model = PositionsTableModel()
    model.apply([pos(1, "-5.25"), pos(2, "0"), pos(3, "1234.5")])
    each = [model.sort_key(r, PL) for r in range(3)]
    assert model.sort_keys(PL) == each == [-5.25, 0.0, 1234.5]
    assert model.sort_keys(PL, 1, 2) == each[1:]
    lost = replace(pos(2, "0"), unreadable="Could not be read: no usable invested.")
    model.apply([pos(1, "-5.25"), lost, pos(3, "1234.5")])
    assert model.sort_keys(PL) == [-5.25, float("-inf"), 1234.5]
