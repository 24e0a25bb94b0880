"""The tables' own paint pass (``ui.cell_painter.PlainTextTableView``) draws exactly what
Qt's ``QTableView`` paint event and item delegate draw: every test renders the same view
both ways and compares the images pixel for pixel, in the app's theme (its palette and
style sheet, set on the view: an application-wide style sheet would re-polish every
widget other tests left behind)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QFont, QHoverEvent, QImage
from PySide6.QtWidgets import QApplication, QHeaderView, QStyledItemDelegate

from desktop_app.domain.types import (
    Account,
    AccountRef,
    AccountStatus,
    Balance,
    Environment,
    Position,
    Side,
)
from desktop_app.session.events import ConnectionState
from desktop_app.ui.cell_painter import PlainTextTableView
from desktop_app.ui.common import table_view
from desktop_app.ui.theme import STYLE, palette
from desktop_app.viewmodels.accounts_model import AccountRow, AccountsTableModel
from desktop_app.viewmodels.positions_model import PositionsTableModel
from desktop_app.viewmodels.sort_proxy import NumericSortProxy

T0 = datetime(2026, 1, 1, tzinfo=UTC)
REF = AccountRef("c1", "capital", "A1")


def positions(n: int, shift: int = 0) -> list[Position]:
    out = []
    for i in range(n):
        opened = Decimal(1000 + i)
        level = opened + Decimal((i * 37 + shift) % 200 - 100) / 7
        level = level.quantize(Decimal("0.01"))
        size = Decimal(1 + i % 3)
        side = Side.BUY if i % 2 else Side.SELL
        sign = 1 if side is Side.BUY else -1
        out.append(Position(
            account=REF, position_id=f"P{i:04d}", symbol=f"SYM{i}",
            name=f"Market with a rather long name {i}" if i % 7 == 0 else f"Market {i}",
            side=side, size=size, open_level=opened, current_level=level,
            profit_loss=sign * (level - opened) * size, currency="USD", opened_at=T0,
        ))
    return out


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(image.constBits(), np.uint8)
    return raw.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width(), :3]


def assert_same_as_qt(view: PlainTextTableView) -> None:
    """The view's own pass and Qt's paint event give the same image."""
    QApplication.processEvents()
    view.paints_plain_cells = True
    ours = view.grab().toImage()
    view.paints_plain_cells = False
    qts = view.grab().toImage()
    view.paints_plain_cells = True
    differ = (_pixels(ours) != _pixels(qts)).any(axis=2)
    rows = np.unique(np.nonzero(differ)[0])[:10]
    assert differ.sum() == 0, f"{differ.sum()} pixels differ, in pixel rows {rows}"


def dress(view: PlainTextTableView) -> None:
    """The app's theme on this view: Fusion's palette of the light theme, the style sheet."""
    view.setPalette(palette("light"))
    view.setStyleSheet(STYLE)


@pytest.fixture
def positions_view(qapp):
    model = PositionsTableModel(interval_ms=0)
    proxy = NumericSortProxy(model)
    view = table_view("positions.table", proxy)
    assert isinstance(view, PlainTextTableView)
    view.sortByColumn(PositionsTableModel.COLUMN_PROFIT_LOSS, Qt.SortOrder.DescendingOrder)
    dress(view)
    view.resize(900, 420)
    view.show()
    model.apply(positions(60))
    yield model, proxy, view
    view.close()


def test_the_pass_is_used_and_leaves_the_pixels_of_qt(positions_view) -> None:
    _model, _proxy, view = positions_view
    calls = []
    original = view._paint
    view._paint = lambda event: (calls.append(1), original(event))
    assert_same_as_qt(view)
    assert calls, "the view's own pass did not paint"


def test_selection_focus_scrolling_and_columns_look_as_qt_draws_them(positions_view) -> None:
    _model, proxy, view = positions_view
    view.setFocus()
    view.selectRow(3)
    assert_same_as_qt(view)
    view.setCurrentIndex(proxy.index(5, 4))  # the current cell, with focus
    assert_same_as_qt(view)
    view.verticalScrollBar().setValue(9)
    view.horizontalScrollBar().setValue(40)
    assert_same_as_qt(view)
    view.setColumnHidden(2, True)
    view.horizontalHeader().moveSection(0, 4)
    assert_same_as_qt(view)
    view.setColumnWidth(5, 30)  # too narrow: the texts are elided as Qt elides them
    assert_same_as_qt(view)
    view.setEnabled(False)
    assert_same_as_qt(view)


def test_a_tick_that_moves_every_row_is_drawn_as_qt_draws_it(positions_view) -> None:
    model, _proxy, view = positions_view
    assert_same_as_qt(view)
    for shift in (11, 23, 23, 47):  # the same snapshot twice: nothing changes
        model.apply(positions(60, shift))
        assert_same_as_qt(view)
    # A row that lost its figures (unreadable) and rows that went away.
    changed = positions(40, 5)
    changed[3] = replace(changed[3], unreadable="no size")
    model.apply(changed)
    assert_same_as_qt(view)


def test_a_hovered_cell_and_another_font_look_as_qt_draws_them(positions_view) -> None:
    _model, proxy, view = positions_view
    at = view.visualRect(proxy.index(2, 1)).center()
    hover = QHoverEvent(QEvent.Type.HoverMove, QPointF(at), QPointF(at), QPointF(QPoint(0, 0)))
    QApplication.sendEvent(view.viewport(), hover)
    assert_same_as_qt(view)
    font = QFont(view.font())
    font.setPointSizeF(font.pointSizeF() + 3)
    view.setFont(font)
    view.verticalHeader().setDefaultSectionSize(30)
    assert_same_as_qt(view)


def account_row(account_id: str, name: str, balance: Balance) -> AccountRow:
    account = Account(AccountRef("c1", "capital", account_id), name, "EUR",
                      AccountStatus.ENABLED, Environment.DEMO, balance=balance)
    return AccountRow(f"c1\x1f{account_id}", "c1", "Demo", ConnectionState.CONNECTED, "",
                      account, balance)


def accounts_view(rows: list[AccountRow], now: datetime, width: int, height: int
                  ) -> tuple[AccountsTableModel, PlainTextTableView]:
    """The accounts table over ``rows``, its ages as of ``now``, dressed and shown."""
    model = AccountsTableModel()
    model.apply(rows)
    model.tick(now)
    view = table_view("accounts.table", NumericSortProxy(model))
    assert isinstance(view, PlainTextTableView)
    dress(view)
    view.resize(width, height)
    view.show()
    return model, view


def test_stale_accounts_in_their_own_font_and_colour_look_as_qt_draws_them(qapp):
    now = datetime.now(UTC)
    rows = []
    for i in range(12):
        as_of = now - (timedelta(minutes=10) if i % 3 == 0 else timedelta(seconds=2))
        rows.append(account_row(f"ACC-{i}", f"Account {i}", Balance(
            Decimal(1000 + i), Decimal(1010 + i), Decimal(900), Decimal(-5 + i), "EUR", as_of)))
    model, view = accounts_view(rows, now, 1000, 330)
    try:
        assert any(model.row_look(r)[3] for r in range(model.rowCount())), "no stale row"
        assert_same_as_qt(view)
        view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
        assert_same_as_qt(view)
        # A selected stale row: the highlighted text's colour, in the row's own font.
        view.selectRow(next(r for r in range(model.rowCount())
                            if model.row_look(view.model().source_row(r))[3]))
        assert_same_as_qt(view)
    finally:
        view.close()


class OwnDelegate(QStyledItemDelegate):
    """A delegate that may paint anything: the view leaves every cell to it."""


def test_another_delegate_is_left_to_qt(positions_view) -> None:
    _model, _proxy, view = positions_view
    view.setItemDelegate(OwnDelegate(view))
    calls = []
    original = view._paint
    view._paint = lambda event: (calls.append(1), original(event))
    view.grab()
    assert not calls


def test_columns_fitted_from_the_looks_are_as_wide_as_qt_fits_them(qapp):
    """``fit_columns`` (the accounts panel's one-off fit of a long list) gives each column
    the width Qt's ResizeToContents gives it, without asking the delegate per cell."""
    now = datetime.now(UTC)
    rows = []
    for i in range(30):
        as_of = now - (timedelta(minutes=10) if i % 4 == 0 else timedelta(seconds=2))
        rows.append(account_row(f"ACC-{i:03d}" + "X" * (i % 7), f"Account {'long ' * (i % 5)}{i}",
                                Balance(Decimal(1000 + i * 997), Decimal(1010 + i), Decimal(900),
                                        Decimal(-5 + i * 13), "EUR", as_of)))
    model, view = accounts_view(rows, now, 1400, 600)
    try:
        header = view.horizontalHeader()
        header.setStretchLastSection(False)  # the last one as wide as its contents too
        header.setResizeContentsPrecision(0)  # Qt: every row
        header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
        by_qt = [header.sectionSize(c) for c in range(header.count())]
        for c in range(header.count()):
            header.resizeSection(c, 30)
        view.fit_columns(range(model.rowCount()))
        assert [header.sectionSize(c) for c in range(header.count())] == by_qt
    finally:
        view.close()
