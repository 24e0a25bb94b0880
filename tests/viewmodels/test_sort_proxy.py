"""NumericSortProxy: always in the order of its sort keys after a snapshot (every row
moving, rows opened and closed), one layout change per snapshot at most, the selection
following its row, and every signal within Qt's model contract (QAbstractItemModelTester
reports a breach as a Qt warning, which fails the test)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QAbstractItemModel, QItemSelectionModel, Qt
from PySide6.QtTest import QAbstractItemModelTester

from desktop_app.domain.types import AccountRef, Position, Side
from desktop_app.viewmodels.keyed_table import KEY_ROLE
from desktop_app.viewmodels.positions_model import PositionsTableModel
from desktop_app.viewmodels.sort_proxy import NumericSortProxy

ACC = AccountRef("c1", "capital", "A1")
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
NAME, PL = 0, PositionsTableModel.COLUMN_PROFIT_LOSS
DESC, ASC = Qt.SortOrder.DescendingOrder, Qt.SortOrder.AscendingOrder


def pos(i: int, pl: Decimal) -> Position:
    return Position(ACC, f"P{i:03d}", "EURUSD", f"EUR/USD {i:03d}", Side.BUY, Decimal(1),
                    Decimal("1.1"), Decimal("1.1"), pl, "USD", T0)


def keys(proxy: NumericSortProxy) -> list[str]:
    return [proxy.index(r, 0).data(KEY_ROLE) for r in range(proxy.rowCount())]


def expected(rows: list[Position], column: int, order: Qt.SortOrder) -> list[str]:
    """The order a stable sort on the column's values gives (ties: the model's order)."""
    value = (lambda p: p.profit_loss) if column == PL else (lambda p: p.name)
    ranked = sorted(rows, key=value, reverse=order == DESC)
    return [p.position_id for p in ranked]


@pytest.fixture
def sorted_model(qapp):
    model = PositionsTableModel()
    proxy = NumericSortProxy(model)
    tester = QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Warning)
    yield model, proxy
    del tester


@pytest.mark.parametrize("order", [DESC, ASC])
def test_every_snapshot_is_shown_in_key_order(sorted_model, order) -> None:
    model, proxy = sorted_model
    proxy.sort(PL, order)
    rng = random.Random(7)
    live = {i: pos(i, Decimal(rng.randrange(-500, 500))) for i in range(20)}
    for _tick in range(10):  # (the tester checks a lot per signal)
        for i in list(live):  # every price moves; ties are frequent (few values)
            live[i] = replace(live[i], profit_loss=Decimal(rng.randrange(-20, 20)))
        for i in rng.sample(sorted(live), 2):  # positions closed
            del live[i]
        for _ in range(rng.randrange(0, 5)):  # and opened
            new = max(live) + 1
            live[new] = pos(new, Decimal(rng.randrange(-20, 20)))
        model.apply(list(live.values()))
        assert keys(proxy) == expected(model.items(), PL, order)
    proxy.sort(NAME, ASC)
    assert keys(proxy) == sorted(p.position_id for p in live.values())
    proxy.sort(-1, ASC)  # unsorted: the model's own order
    assert keys(proxy) == [model.key(r) for r in range(model.rowCount())]


def test_one_layout_change_per_snapshot_and_none_when_the_order_holds(sorted_model) -> None:
    model, proxy = sorted_model
    proxy.sort(PL, DESC)
    model.apply([pos(i, Decimal(i + 1)) for i in range(100)])
    layouts: list[int] = []
    changed: list[tuple[int, int]] = []
    proxy.layoutChanged.connect(lambda *_: layouts.append(1))
    proxy.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row())))
    # Every P/L doubles: every row changes, the order stays.
    model.apply([pos(i, Decimal(2 * i + 2)) for i in range(100)])
    assert layouts == [] and changed == [(0, 99)]  # one span, not 100 signals
    # Every P/L reverses: one layout change for the whole snapshot.
    model.apply([pos(i, Decimal(-i)) for i in range(100)])
    assert layouts == [1]
    assert keys(proxy)[:3] == ["P000", "P001", "P002"]
    # One row changes without moving: that row's cells only.
    changed.clear()
    model.apply([pos(i, Decimal(-i)) if i != 50 else pos(50, Decimal("-50.5"))
                 for i in range(100)])
    assert layouts == [1] and changed == [(50, 50)]


def test_a_resort_says_only_rows_moved(sorted_model) -> None:
    """As QSortFilterProxyModel says it: a horizontal header then keeps its sections
    (and its pixels) through a tick that moves rows."""
    model, proxy = sorted_model
    proxy.sort(PL, DESC)
    model.apply([pos(i, Decimal(i)) for i in range(10)])
    hints: list[object] = []
    signature = "QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint"
    proxy.layoutAboutToBeChanged[signature].connect(lambda _parents, hint: hints.append(hint))
    proxy.layoutChanged[signature].connect(lambda _parents, hint: hints.append(hint))
    model.apply([pos(i, Decimal(-i)) for i in range(10)])
    assert hints == [QAbstractItemModel.LayoutChangeHint.VerticalSortHint] * 2
    assert keys(proxy)[0] == "P000"


def test_the_selection_follows_its_row(sorted_model) -> None:
    model, proxy = sorted_model
    proxy.sort(PL, DESC)
    model.apply([pos(i, Decimal(i)) for i in range(10)])
    selection = QItemSelectionModel(proxy)
    selection.select(proxy.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                     | QItemSelectionModel.SelectionFlag.Rows)
    assert selection.selectedRows()[0].data(KEY_ROLE) == "P009"
    model.apply([pos(i, Decimal(-i)) for i in range(10)])  # P009 goes to the bottom
    [row] = selection.selectedRows()
    assert row.data(KEY_ROLE) == "P009" and row.row() == 9
    # Rows removed above it: still P009.
    model.apply([pos(i, Decimal(-i)) for i in range(5, 10)])
    [row] = selection.selectedRows()
    assert row.data(KEY_ROLE) == "P009" and row.row() == 4


def test_rows_opened_and_closed_land_in_place(sorted_model) -> None:
    model, proxy = sorted_model
    proxy.sort(PL, ASC)
    inserted: list[tuple[int, int]] = []
    removed: list[tuple[int, int]] = []
    proxy.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    proxy.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    model.apply([pos(i, Decimal(10 * i)) for i in range(5)])
    model.apply([*(pos(i, Decimal(10 * i)) for i in range(5)), pos(7, Decimal(15))])
    assert keys(proxy) == ["P000", "P001", "P007", "P002", "P003", "P004"]
    model.apply([pos(i, Decimal(10 * i)) for i in (0, 2, 4)] + [pos(7, Decimal(15))])
    assert keys(proxy) == ["P000", "P007", "P002", "P004"]
    assert inserted == [(0, 4), (5, 5)] and sum(b - a + 1 for a, b in removed) == 2
    model.clear()
    assert proxy.rowCount() == 0


def test_a_header_the_source_changes_is_read_again(sorted_model) -> None:
    """The proxy keeps the header's answers (the header asks at every paint) until the
    source says its header changed."""
    model, proxy = sorted_model
    assert proxy.headerData(PL, Qt.Orientation.Horizontal) == "P/L"
    model.columns = tuple(replace(c, title="Open P/L") if i == PL else c
                          for i, c in enumerate(model.columns))
    assert proxy.headerData(PL, Qt.Orientation.Horizontal) == "P/L"  # not told yet
    told: list[tuple[int, int]] = []
    proxy.headerDataChanged.connect(lambda _o, a, b: told.append((a, b)))
    model.headerDataChanged.emit(Qt.Orientation.Horizontal, PL, PL)
    assert told == [(PL, PL)]
    assert proxy.headerData(PL, Qt.Orientation.Horizontal) == "Open P/L"


def test_it_reads_the_models_cells_and_headers(sorted_model) -> None:
    model, proxy = sorted_model
    model.apply([pos(1, Decimal("-3.5")), pos(2, Decimal(8))])
    proxy.sort(PL, DESC)
    assert proxy.index(0, PL).data() == "+8.00" and proxy.index(1, PL).data() == "-3.50"
    assert proxy.headerData(PL, Qt.Orientation.Horizontal) == "P/L"
    assert proxy.mapToSource(proxy.index(0, 0)).row() == 1
    assert proxy.mapFromSource(model.index(1, 0)).row() == 0
    assert proxy.index(0, 0).data(int(Qt.ItemDataRole.DecorationRole)) is None
