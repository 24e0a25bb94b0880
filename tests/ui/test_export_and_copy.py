"""Every table exports to CSV and copies rows with their headers; the chart saves as PNG.

The window runs on the Capital.com simulator with something in every table (two accounts,
a position, a working order, history, a top-up, products, the activity log). Each CSV is
read back and compared with the domain values behind the rows: Decimals with all their
digits and no thousands separators, times as ISO 8601 UTC that parse back to the same
instant."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QLineEdit, QPushButton, QTableView

from desktop_app.domain.types import OrderType
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.table_tools import header_menu, table_menu
from desktop_app.viewmodels.table_export import cell_text, iso_utc
from tests.ui.harness import find, running_window
from tests.ui.test_main_window import choose_instrument
from tests.ui.test_sandbox_brokers import (
    choose_in_ticket,
    sandbox_window,
    select_broker_account,
    set_order_type,
    table_keys,
)
from tests.viewmodels.sandbox import SYMBOL, wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

TABLES = ("accounts.table", "positions.table", "workingOrders.table", "history.table",
          "funding.journal", "activity.table", "products.table")


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with its mark: Excel reads it as such
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


async def export(window: MainWindow, name: str, folder: Path) -> list[dict[str, str]]:
    path = folder / f"{name}.csv"
    assert await window.exports.export_table(find(window, QTableView, name), path)
    return read_csv(path)


def utc(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


async def fill_every_table(window: MainWindow, sim) -> None:
    """A position, a far limit order, a top-up, products (Capital.com keeps no history
    here: the history table is exported from Tradovate's, below)."""
    vm = window.vm
    await choose_instrument(window, "Bitcoin", SYMBOL)
    quantity = find(window, QLineEdit, "orderTicket.quantity")
    buy = find(window, QPushButton, "orderTicket.buyButton")
    positions = find(window, QTableView, "positions.table")
    for _ in range(2):  # one to close (history), one to keep
        quantity.setText("0.01")
        buy.click()
        await wait_for(lambda: not vm.ticket.busy and vm.ticket.result_text, what="sent")
        if vm.ticket.awaiting_confirmation:
            vm.ticket.confirm_duplicate(True)
        await wait_for(lambda: not vm.ticket.busy and not vm.ticket.awaiting_confirmation,
                       what="the order done")
    await wait_for(lambda: len(table_keys(positions)) == 2, what="two positions")
    assert await vm.positions.close_position(table_keys(positions)[0])
    set_order_type(window, OrderType.LIMIT)
    level = (vm.ticket.quote.bid * Decimal("0.8")).quantize(Decimal("0.01"))
    find(window, QLineEdit, "orderTicket.level").setText(str(level))
    buy.click()
    await wait_for(lambda: table_keys(find(window, QTableView, "workingOrders.table")),
                   what="the working order")
    vm.funding.set_amount_text("1234.5")
    assert await vm.funding.submit()
    await wait_for(lambda: vm.funding.journal.rowCount() == 1, what="the journal row")
    await vm.products.search("a")
    await wait_for(lambda: vm.products.model.rowCount() > 0, what="products")


def test_every_table_exports_exact_values_and_copies_rows_with_headers(capital_sim, qtbot,
                                                                        qrun, tmp_path):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            vm = window.vm
            await fill_every_table(window, capital_sim)
            for name in TABLES:
                rows = await export(window, name, tmp_path)
                assert rows or name == "history.table", f"{name} exported no rows"

            # Accounts: balances as Decimals (10000.00, not 10,000.00), when read.
            rows = await export(window, "accounts.table", tmp_path)
            for account in vm.hub.accounts():
                row = next(r for r in rows if r["Account"].startswith(account.name))
                assert account.balance is not None
                assert row["Balance"] == format(account.balance.balance, "f")
                assert Decimal(row["Equity"]) == account.balance.equity
                assert "," not in row["Balance"] + row["Equity"] + row["Available"]
                assert utc(row["Updated"]) == account.balance.as_of

            # Positions: the exact size, levels, P/L and opening time of each.
            positions = vm.positions.positions
            rows = await export(window, "positions.table", tmp_path)
            assert len(rows) == positions.rowCount() == 1
            position = positions.item(0)
            row = rows[0]
            # The broker's own digits ("0.010" here), never the display's "0.01".
            assert row["Size"] == format(position.size, "f") and position.size == Decimal("0.01")
            assert row["Open"] == format(position.open_level, "f")
            assert Decimal(row["P/L"]) == position.profit_loss
            assert utc(row["Opened (UTC)"]) == position.opened_at
            assert row["Stop loss"] == "" and row["Side"] == "BUY"

            order = vm.positions.orders.item(0)
            (row,) = await export(window, "workingOrders.table", tmp_path)
            assert Decimal(row["Level"]) == order.level and row["Type"] == "Limit"
            assert utc(row["Created (UTC)"]) == order.created_at

            (row,) = await export(window, "funding.journal", tmp_path)
            assert row["Amount"] == "1234.5" and row["Currency"] == "USD"
            entry = vm.hub.funding_journal()[0]
            assert utc(row["When (UTC)"]) == entry.created

            vm.activity.model.flush()
            rows = await export(window, "activity.table", tmp_path)
            logged = vm.activity.model.rows()
            assert len(rows) == len(logged)
            assert utc(rows[0]["Time (UTC)"]) == logged[0].at  # to the microsecond
            assert rows[-1]["What"] == cell_text(logged[-1].summary)

            # Copy: the selected row with the headers, tab-separated.
            table = find(window, QTableView, "positions.table")
            table.selectRow(0)
            QTest.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
            lines = QGuiApplication.clipboard().text().splitlines()
            headers = [table.model().headerData(c, Qt.Orientation.Horizontal)
                       for c in range(table.model().columnCount())]
            assert lines[0].split("\t") == headers
            assert len(lines) == 2
            cells = dict(zip(headers, lines[1].split("\t"), strict=True))
            assert cells["Size"] == format(position.size, "f")
            assert cells["Open"] == format(position.open_level, "f")
            assert cells["Opened (UTC)"] == iso_utc(position.opened_at)

            # The context menu: copy all rows of the activity log (several selectable).
            activity = find(window, QTableView, "activity.table")
            menu = table_menu(activity)
            actions = {a.objectName(): a for a in menu.actions()}
            assert not actions["table.copySelected"].isEnabled()  # nothing selected
            actions["table.copyAll"].trigger()
            copied = QGuiApplication.clipboard().text().splitlines()
            assert copied[0] == "Time (UTC)\tSource\tKind\tWhat"
            assert len(copied) == 1 + activity.model().rowCount()
            activity.selectRow(0)
            activity.selectionModel().select(
                activity.model().index(1, 0),
                activity.selectionModel().SelectionFlag.Select
                | activity.selectionModel().SelectionFlag.Rows)
            menu = table_menu(activity)
            copy = next(a for a in menu.actions() if a.objectName() == "table.copySelected")
            assert copy.text() == "Copy 2 selected rows"
            copy.trigger()
            assert len(QGuiApplication.clipboard().text().splitlines()) == 3

    qrun(scenario(), timeout=120)


def test_export_asks_where_hidden_columns_stay_out_and_the_chart_saves_as_png(
        capital_sim, qtbot, qrun, tmp_path):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            table = find(window, QTableView, "accounts.table")
            # Hide Details and Status from the header's menu: they are not exported.
            menu = header_menu(table)
            columns = {a.text(): a for a in menu.actions() if a.isCheckable()}
            columns["Details"].setChecked(False)
            columns["Status"].setChecked(False)
            assert table.horizontalHeader().isSectionHidden(9)
            # From the table's context menu, through the file dialog.
            export = next(a for a in table_menu(table).actions()
                          if a.objectName() == "table.exportCsv")
            export.trigger()
            dialog = await wait_for(lambda: window.findChild(QFileDialog, "export.fileDialog"),
                                    what="the file dialog")
            assert dialog.selectedFiles()[0].endswith(".csv")
            assert Path(dialog.selectedFiles()[0]).name.startswith("accounts-")
            target = tmp_path / "mine.csv"
            dialog.selectFile(str(target))
            dialog.accept()
            await wait_for(target.exists, what="the file written")
            await window.vm.exports.tasks.wait_all()
            rows = read_csv(target)
            assert list(rows[0]) == ["Connection", "Account", "Balance", "Equity", "Available",
                                     "P/L", "Currency", "Updated"]
            assert len(rows) == 2

            png = tmp_path / "chart.png"
            assert await window.exports.export_chart(png)
            data = png.read_bytes()
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000
            # A folder that cannot be written: said, not raised.
            bad = tmp_path / "missing" / "x.csv"
            assert not await window.exports.export_table(table, bad)
            await wait_for(lambda: "Could not write" in window.status.currentMessage(),
                           what="the failure said")

    qrun(scenario(), timeout=90)


def test_file_export_menu_lists_every_table_and_the_chart(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            names = {a.objectName() for a in window.findChildren(type(window.reset_layout_action))}
            for name in TABLES:
                assert f"menu.export.{name}" in names
            assert "menu.export.chart" in names

    qrun(scenario(), timeout=60)


def test_the_history_exports_the_brokers_fills_exactly(tradovate_sim, qtbot, qrun, tmp_path):
    async def scenario():
        async with sandbox_window(qtbot, {"tradovate": tradovate_sim}) as window:
            await select_broker_account(window, "tradovate")
            await choose_in_ticket(window, "ES", "ES")
            find(window, QLineEdit, "orderTicket.quantity").setText("1")
            find(window, QPushButton, "orderTicket.buyButton").click()
            positions = find(window, QTableView, "positions.table")
            await wait_for(lambda: table_keys(positions), what="the position")
            positions.selectRow(0)
            find(window, QPushButton, "positions.closeButton").click()
            await wait_for(lambda: not table_keys(positions), what="closed")
            window.positions.lower_tabs.setCurrentIndex(1)  # History: read when shown
            history = window.vm.positions.history
            await wait_for(lambda: history.rowCount() >= 2, what="the fills")
            rows = await export(window, "history.table", tmp_path)
            assert len(rows) == history.rowCount()
            for r, row in enumerate(rows):
                entry = history.item(r)  # not sortable: the broker's order
                assert utc(row["When (UTC)"]) == entry.at
                assert row["Size"] == cell_text(entry.size)
                assert row["Level"] == cell_text(entry.level)
                if entry.level is not None:
                    assert Decimal(row["Level"]) == entry.level
            assert sum(r["What"] == "Fill" for r in rows) == 2

    qrun(scenario(), timeout=90)
