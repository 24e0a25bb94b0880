"""Every shortcut on the Help → Keyboard shortcuts page is registered and does what the
page says, pressed as keys (QTest.keyClick goes through Qt's shortcut map, as a keyboard
does). Buy and Sell keys on a LIVE account ask first and send nothing until answered;
Enter in the ticket asks which side and its default answer sends nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLineEdit,
    QListView,
    QTableView,
    QTableWidget,
    QWidget,
)

from desktop_app.domain.types import Environment, OrderType
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.shortcuts import ANYWHERE, SHORTCUTS, native
from tests.ui.harness import find, running_window
from tests.ui.test_main_window import choose_instrument
from tests.ui.test_one_click import answer, message_box, settle, writes
from tests.ui.test_sandbox_brokers import set_order_type, table_keys
from tests.viewmodels.sandbox import SYMBOL, wait_for

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise")

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def press(keys: str, widget: QWidget | None = None) -> None:
    """The keys of a shortcut's text ("Ctrl+Shift+B"), to the focused widget."""
    sequence = QKeySequence(keys)[0]
    target = widget or QApplication.focusWidget()
    assert target is not None, "nothing has the focus"
    QTest.keyClick(target, sequence.key(), sequence.keyboardModifiers())


def focused() -> QWidget | None:
    return QApplication.focusWidget()


async def activate(window: MainWindow) -> None:
    window.activateWindow()
    await wait_for(lambda: QApplication.activeWindow() is window, what="the window active")
    window.positions.positions_table.setFocus()


def test_every_documented_shortcut_is_registered_and_listed():
    keys = {s.id: s.keys for s in SHORTCUTS}
    assert len(keys) == len(SHORTCUTS)  # one entry per id
    # Money moves only with two modifiers.
    for name in ("buy", "sell", "close", "cancel"):
        combo = QKeySequence(keys[name])[0].keyboardModifiers()
        assert combo & CTRL and combo & SHIFT, name


def test_the_window_registers_the_page_and_the_page_lists_them(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            actions = window.shortcuts.actions
            for shortcut in SHORTCUTS:
                if shortcut.where != ANYWHERE or shortcut.id == "quit":
                    continue
                action = actions[shortcut.id]
                assert action.shortcut() == QKeySequence(shortcut.keys), shortcut.id
                assert action in window.actions() and not action.autoRepeat()
            quit_action = window.findChild(type(actions["buy"]), "menu.quit")
            assert QKeySequence("Ctrl+Q") in quit_action.shortcuts()
            trade = [a.objectName() for a in window.shortcuts.trade_menu.actions()]
            assert "shortcut.buy" in trade and "shortcut.sell" in trade
            await activate(window)
            press("F1")
            dialog = await wait_for(lambda: window.shortcuts.dialog, what="the page")
            table = find(dialog, QTableWidget, "shortcuts.table")
            rows = [(table.item(r, 0).text(), table.item(r, 1).text())
                    for r in range(table.rowCount())]
            assert rows == [(native(s.keys), s.what) for s in SHORTCUTS]
            dialog.close()
            await activate(window)
            press("Ctrl+Q")
            await wait_for(lambda: not window.isVisible(), what="the window closed")

    qrun(scenario(), timeout=60)


def test_search_results_size_and_enter_asks_which_side(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            vm = window.vm
            await activate(window)
            search = find(window, QLineEdit, "orderTicket.search")
            results = find(window, QListView, "orderTicket.results")
            press("Ctrl+F")
            assert focused() is search
            search.setText("Bitcoin")
            await wait_for(lambda: results.model().rowCount() > 0, what="results")
            press("Down", search)
            assert focused() is results and results.currentIndex().row() == 0
            row = next(r for r in range(results.model().rowCount())
                       if f"({SYMBOL})" in results.model().index(r, 0).data())
            results.setCurrentIndex(results.model().index(row, 0))
            press("Return", results)
            await wait_for(lambda: vm.ticket.instrument is not None
                           and vm.ticket.instrument.symbol == SYMBOL, what="chosen")
            quantity = find(window, QLineEdit, "orderTicket.quantity")
            assert focused() is quantity  # straight on to the size
            await wait_for(lambda: vm.ticket.quote is not None, what="a quote")
            window.positions.positions_table.setFocus()
            press("F2")
            assert focused() is quantity and quantity.selectedText() == quantity.text()
            quantity.setText("")
            before = writes(capital_sim)
            press("Return", quantity)  # an empty size: said, nothing asked, nothing sent
            assert message_box(window, "orderTicket.sideDialog") is None
            assert "Size" in vm.ticket.errors.get("size", "") or vm.ticket.errors
            quantity.setText("0.01")
            press("Return", quantity)
            box = await wait_for(lambda: message_box(window, "orderTicket.sideDialog"),
                                 what="which side")
            assert "Which side?" in box.text() and "DEMO" in box.text()
            assert box.defaultButton().objectName() == "orderTicket.sideDialog.neither"
            press("Return", box)  # the default: neither
            await settle()
            assert writes(capital_sim) == before
            assert not table_keys(window.positions.positions_table)
            press("Return", quantity)
            box = await wait_for(lambda: message_box(window, "orderTicket.sideDialog"),
                                 what="which side again")
            find(box, QWidget, "orderTicket.sideDialog.buy").click()
            await wait_for(lambda: table_keys(window.positions.positions_table),
                           what="the position")

    qrun(scenario(), timeout=90)


def test_trading_keys_on_demo_send_as_the_buttons_do(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            vm = window.vm
            await activate(window)
            await choose_instrument(window, "Bitcoin", SYMBOL)
            find(window, QLineEdit, "orderTicket.quantity").setText("0.01")
            positions = window.positions.positions_table
            window.positions.positions_table.setFocus()
            press("Ctrl+Shift+B")
            await wait_for(lambda: table_keys(positions), what="the bought position")
            assert vm.ticket.result_text.startswith("Confirmed: BUY 0.01")
            # Close the selected position; with none selected, nothing.
            positions.selectRow(0)
            press("Ctrl+Shift+X")
            await wait_for(lambda: not table_keys(positions), what="closed by the key")
            before = writes(capital_sim)
            press("Ctrl+Shift+X")
            assert "Nothing closed" in window.status.currentMessage()
            await settle()
            assert writes(capital_sim) == before
            press("Ctrl+Shift+S")
            await wait_for(lambda: vm.ticket.result_text.startswith("Confirmed: SELL 0.01"),
                           what="the sell")
            await wait_for(lambda: table_keys(positions), what="the sold position")

            # Accounts: next and previous, the panels follow.
            first = vm.accounts.selected
            press("Ctrl+PgDown")
            await wait_for(lambda: vm.accounts.selected != first, what="the next account")
            assert vm.ticket.account == vm.accounts.selected
            press("Ctrl+PgUp")
            await wait_for(lambda: vm.accounts.selected == first, what="back")

            press("Ctrl+Shift+F")
            assert window.docks["funding"].isVisible()
            assert focused() is find(window, QLineEdit, "funding.amount")

            # Ctrl+E: the table last clicked, to CSV.
            accounts = find(window, QTableView, "accounts.table")
            accounts.setFocus()
            press("Ctrl+E")
            dialog = await wait_for(lambda: window.findChild(QFileDialog, "export.fileDialog"),
                                    what="the export dialog")
            assert "accounts" in dialog.windowTitle().lower()
            dialog.reject()
            accounts.selectRow(0)
            press("Ctrl+C", accounts)
            assert QGuiApplication.clipboard().text().startswith("Connection\tAccount\t")

    qrun(scenario(), timeout=90)


def test_cancel_key_cancels_the_selected_working_order(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            vm = window.vm
            await activate(window)
            await choose_instrument(window, "Bitcoin", SYMBOL)
            set_order_type(window, OrderType.LIMIT)
            level = (vm.ticket.quote.bid * Decimal("0.8")).quantize(Decimal("0.01"))
            find(window, QLineEdit, "orderTicket.quantity").setText("0.01")
            find(window, QLineEdit, "orderTicket.level").setText(str(level))
            press("Ctrl+Shift+B")
            orders = find(window, QTableView, "workingOrders.table")
            await wait_for(lambda: table_keys(orders), what="the working order")
            orders.selectRow(0)
            orders.setFocus()
            press("Ctrl+Shift+Del")
            await wait_for(lambda: not table_keys(orders), what="cancelled by the key")

    qrun(scenario(), timeout=90)


def test_buy_and_sell_keys_on_live_ask_first_and_send_nothing_until_answered(
        capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot, environment=Environment.LIVE,
                                  live_opt_in=True, name="Capital.com live") as window:
            await activate(window)
            await choose_instrument(window, "Bitcoin", SYMBOL)
            find(window, QLineEdit, "orderTicket.quantity").setText("0.01")
            window.positions.positions_table.setFocus()
            before = writes(capital_sim)
            for keys in ("Ctrl+Shift+B", "Ctrl+Shift+S"):
                press(keys)
                box: Any = await wait_for(
                    lambda: message_box(window, "orderTicket.confirmDialog"),
                    what=f"the question for {keys}")
                assert "real money" in box.text() and "LIVE" in box.text()
                press(keys)  # pressed again while asked: nothing more
                await settle()
                assert writes(capital_sim) == before
                await answer(window, "orderTicket.confirmDialog", yes=False)
                await settle()
                assert writes(capital_sim) == before
                await activate(window)
            press("Ctrl+Shift+B")
            await answer(window, "orderTicket.confirmDialog", yes=True)
            await wait_for(lambda: table_keys(window.positions.positions_table),
                           what="the live buy")

    qrun(scenario(), timeout=90)
