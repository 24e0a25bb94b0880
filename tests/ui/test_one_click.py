"""One click, one action: every write control double-clicked the way a trader's mouse
does it (press, release, double-click press, release on the real button, found by its
objectName), and the requests counted where they land, at the broker's simulator.

Two kinds of double click: a fast one (both clicks before the loop runs again: the
control is disabled after the first) and a slow one (the Sandbox answers in about 50 ms,
so the write is done before the second click: the view-model and the hub still send
nothing more).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QTableView,
    QWidget,
)

from desktop_app.domain.types import OrderType, Side
from tests.ui.harness import find
from tests.ui.test_sandbox_brokers import (
    choose_in_ticket,
    sandbox_window,
    select_broker_account,
    set_order_type,
    table_keys,
)
from tests.viewmodels.sandbox import wait_for

# Offscreen-only notes: a second click raises the question already open, and the
# offscreen platform cannot raise windows.
pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise"
)

LEFT = Qt.MouseButton.LeftButton
WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")


def double_click(widget: QWidget) -> None:
    """What a mouse sends for a double click: press, release, double-click, release."""
    QTest.mousePress(widget, LEFT)
    QTest.mouseRelease(widget, LEFT)
    QTest.mouseDClick(widget, LEFT)
    QTest.mouseRelease(widget, LEFT)


async def slow_double_click(widget: QWidget, done: Any = None) -> None:
    """A second click that lands after the first one's write came back (the Sandbox
    answers in well under a double click's interval): the control is enabled again, so
    only the view-model and the hub stand between it and a second write."""
    QTest.mouseClick(widget, LEFT)
    await wait_for(done or widget.isEnabled, what="the first click's write to end")
    await asyncio.sleep(0.05)
    QTest.mouseClick(widget, LEFT)


def writes(sim: Any) -> Counter[str]:
    """Write requests the simulator has seen, per route (reads are not counted)."""
    stats = sim.state.stats
    routes = stats.get("requests", stats)
    return Counter({route: n for route, n in routes.items()
                    if isinstance(n, int) and route.split(" ", 1)[0] in WRITE_METHODS})


async def settle(seconds: float = 0.5) -> None:
    """Let anything a second click might have started reach the simulator."""
    await asyncio.sleep(seconds)


def message_box(window: QWidget, name: str) -> QMessageBox | None:
    boxes = [b for b in window.findChildren(QMessageBox, name) if b.isVisible()]
    assert len(boxes) <= 1, f"{len(boxes)} questions open at once"
    return boxes[0] if boxes else None


async def answer(window: QWidget, name: str, yes: bool) -> QMessageBox:
    box = await wait_for(lambda: message_box(window, name), what=f"the question {name}")
    button = box.button(QMessageBox.StandardButton.Yes if yes else QMessageBox.StandardButton.No)
    double_click(button)  # the answer too: one answer, one action
    return box


def test_capital_buy_sell_close_cancel_and_send_once_each(capital_sim, qtbot, qrun):
    async def scenario():
        async with sandbox_window(qtbot, {"capital": capital_sim}) as window:
            ticket = window.vm.ticket
            await select_broker_account(window, "capital")
            await choose_in_ticket(window, "Bitcoin", "BTCUSD")
            quantity = find(window, QLineEdit, "orderTicket.quantity")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            sell = find(window, QPushButton, "orderTicket.sellButton")
            positions = find(window, QTableView, "positions.table")

            # Buy, fast double click: one POST /positions.
            quantity.setText("0.01")
            await wait_for(buy.isEnabled, what="Buy enabled")
            before = writes(capital_sim)
            double_click(buy)
            await wait_for(lambda: len(table_keys(positions)) == 1, what="one position")
            await settle()
            assert writes(capital_sim) - before == Counter({"POST /positions": 1})

            # Buy, slow double click: the hub sees the same order again, the ticket asks;
            # "No" (double-clicked) sends nothing.
            quantity.setText("0.02")
            await wait_for(buy.isEnabled, what="Buy enabled")
            before = writes(capital_sim)
            await slow_double_click(buy)
            await answer(window, "orderTicket.duplicateDialog", yes=False)
            await settle()
            assert writes(capital_sim) - before == Counter({"POST /positions": 1})
            assert "not sent again" in ticket.result_text
            await wait_for(lambda: len(table_keys(positions)) == 2, what="two positions")

            # Buy, slow double click, and this time the trader does want a second one.
            quantity.setText("0.03")
            await wait_for(buy.isEnabled, what="Buy enabled")
            before = writes(capital_sim)
            await slow_double_click(buy)
            await answer(window, "orderTicket.duplicateDialog", yes=True)
            await wait_for(lambda: len(table_keys(positions)) == 4, what="four positions")
            await settle()
            assert writes(capital_sim) - before == Counter({"POST /positions": 2})

            # Sell (another instrument: the ticket starts clean), fast double click.
            await choose_in_ticket(window, "Ethereum", "ETHUSD")
            assert quantity.text() == "0.01"  # ETHUSD's minimum, not BTCUSD's 0.03
            await wait_for(sell.isEnabled, what="Sell enabled")
            before = writes(capital_sim)
            double_click(sell)
            await wait_for(lambda: len(table_keys(positions)) == 5, what="five positions")
            await settle()
            assert writes(capital_sim) - before == Counter({"POST /positions": 1})

            # Close position, fast and slow double clicks: each closes the row it was
            # pressed for, never the row the selection would have moved to.
            close = find(window, QPushButton, "positions.closeButton")
            for click in ("fast", "slow"):
                keys = table_keys(positions)
                positions.selectRow(0)
                chosen = table_keys(positions)[0]
                before = writes(capital_sim)
                if click == "fast":
                    double_click(close)
                else:  # the second click after the row has gone
                    await slow_double_click(
                        close, lambda c=chosen: c not in table_keys(positions))
                await wait_for(lambda c=chosen: c not in table_keys(positions),
                               what="the position closed")
                await settle()
                delta = writes(capital_sim) - before
                assert sum(delta.values()) == 1 and next(iter(delta)).startswith("DELETE "), delta
                assert set(table_keys(positions)) == set(keys) - {chosen}
                assert not positions.selectionModel().selectedRows()  # nothing re-selected
                assert not close.isEnabled()
            message = find(window, QWidget, "positions.message")
            assert message.text().startswith("Closed ") and " at " in message.text()

            # Cancel a working order: one DELETE.
            set_order_type(window, OrderType.LIMIT)
            level = (ticket.quote.bid * Decimal("0.8")).quantize(Decimal("0.01"))
            find(window, QLineEdit, "orderTicket.level").setText(str(level))
            quantity.setText("0.01")
            await wait_for(buy.isEnabled, what="Buy enabled")
            assert buy.text() == f"Buy limit {level}"  # the level, not the market price
            buy.click()
            orders = find(window, QTableView, "workingOrders.table")
            await wait_for(lambda: table_keys(orders), what="the working order")
            orders.selectRow(0)
            cancel = find(window, QPushButton, "workingOrders.cancelButton")
            before = writes(capital_sim)
            double_click(cancel)
            await wait_for(lambda: not table_keys(orders), what="the order cancelled")
            await settle()
            delta = writes(capital_sim) - before
            assert sum(delta.values()) == 1 and next(iter(delta)).startswith("DELETE "), delta

            # Funding: Send, fast then slow double click; each sends one top-up.
            window.docks["funding"].raise_()
            amount = find(window, QLineEdit, "funding.amount")
            send = find(window, QPushButton, "funding.submitButton")
            for click in ("fast", "slow"):
                amount.setText("100")
                await wait_for(send.isEnabled, what="Send enabled")
                before = writes(capital_sim)
                if click == "fast":
                    double_click(send)
                else:  # the second click after the top-up came back
                    await slow_double_click(
                        send, lambda: window.vm.funding.result_text.startswith("Done"))
                await wait_for(lambda: window.vm.funding.result_text.startswith("Done"),
                               what=f"the top-up ({window.vm.funding.result_text})")
                await settle()
                delta = writes(capital_sim) - before
                assert sum(delta.values()) == 1, delta
                assert amount.text() == ""  # done: nothing left to send twice
                assert window.vm.funding.result_text.startswith("Done")  # still in view

    qrun(scenario(), timeout=120)


def test_tradovate_modify_and_darwinex_close_all_once_each(
    tradovate_sim, darwinex_sim, qtbot, qrun
):
    async def scenario():
        sims = {"tradovate": tradovate_sim, "darwinex": darwinex_sim}
        async with sandbox_window(qtbot, sims) as window:
            # Tradovate: a working order; Modify… double-clicked opens one dialog, its
            # "Send change" double-clicked sends one change.
            await select_broker_account(window, "tradovate")
            await choose_in_ticket(window, "ES", "ES")
            set_order_type(window, OrderType.LIMIT)
            bid = window.vm.ticket.quote.bid
            find(window, QLineEdit, "orderTicket.level").setText(str(bid - 100))
            buy = find(window, QPushButton, "orderTicket.buyButton")
            await wait_for(buy.isEnabled, what="Buy enabled")
            buy.click()
            orders = find(window, QTableView, "workingOrders.table")
            await wait_for(lambda: table_keys(orders), what="the working order")
            orders.selectRow(0)
            double_click(find(window, QPushButton, "workingOrders.modifyButton"))
            dialogs = [d for d in window.findChildren(QDialog, "modifyOrder.dialog")
                       if d.isVisible()]
            assert len(dialogs) == 1
            dialog = dialogs[0]
            find(dialog, QLineEdit, "modifyOrder.level").setText(str(bid - 50))
            before = writes(tradovate_sim)
            double_click(find(dialog, QPushButton, "modifyOrder.okButton"))
            order_id = table_keys(orders)[0]
            await wait_for(lambda: (o := window.vm.positions.working_order(order_id))
                           is not None and o.level == bid - 50, what="the order moved")
            await settle()
            # (Tradovate reads cash balances with a POST too: only order routes count.)
            orders_sent = {k: v for k, v in (writes(tradovate_sim) - before).items()
                           if k.startswith("POST /order/")}
            assert orders_sent == {"POST /order/modifyorder": 1}

            # Darwinex: two DARWINs, then Close all double-clicked: one question, whose
            # "Close all" double-clicked sells everything with one request.
            await select_broker_account(window, "darwinex")
            positions = find(window, QTableView, "positions.table")
            for prefix in ("AEB.5.4", "DWC.4.20"):
                await choose_in_ticket(window, prefix.split(".")[0], prefix)
                find(window, QLineEdit, "orderTicket.quantity").setText("300")
                buy = find(window, QPushButton, "orderTicket.buyButton")
                if not await _enabled_within(buy):
                    continue  # closed to new money in this seed: one product is enough
                buy.click()
                await wait_for(lambda p=prefix: p in table_keys(positions), what=prefix)
            close_all = find(window, QPushButton, "positions.closeAllButton")
            await wait_for(close_all.isEnabled, what="Close all enabled")
            before = writes(darwinex_sim)
            double_click(close_all)
            await answer(window, "positions.confirmDialog", yes=True)
            await wait_for(lambda: not table_keys(positions), within=20, what="all sold")
            await settle()
            delta = writes(darwinex_sim) - before
            assert sum(delta.values()) == 1, delta

    qrun(scenario(), timeout=150)


async def _enabled_within(button: QAbstractButton, seconds: float = 3.0) -> bool:
    try:
        await wait_for(button.isEnabled, within=seconds, what="enabled")
    except AssertionError:
        return False
    return True


def test_profile_removal_once(capital_sim, qtbot, qrun):
    async def scenario():
        async with sandbox_window(qtbot, {"capital": capital_sim}) as window:
            hub = window.vm.hub
            await select_broker_account(window, "capital")
            find(window, QAction, "menu.profiles").trigger()
            dialog = find(window, QDialog, "profiles.dialog")
            profiles = find(dialog, QListView, "profiles.list")
            index = profiles.model().index(0, 0)
            profiles.setCurrentIndex(index)
            profiles.clicked.emit(index)
            removed: list[str] = []
            window.vm.profiles.removed.connect(removed.append)
            double_click(find(dialog, QPushButton, "profiles.removeButton"))
            boxes = [b for b in dialog.findChildren(QMessageBox, "profiles.confirmRemove")
                     if b.isVisible()]
            assert len(boxes) == 1  # one question for two clicks
            double_click(boxes[0].button(QMessageBox.StandardButton.Yes))
            await wait_for(lambda: not hub.connections(), what="the connection removed")
            await settle()
            assert len(removed) == 1

    qrun(scenario(), timeout=60)


def test_view_models_ignore_a_second_trigger(capital_sim, qtbot, qrun):
    """Below the widgets: a second submit, close or top-up while one is under way does
    nothing, and a position closed from here is not closed again."""

    async def scenario():
        async with sandbox_window(qtbot, {"capital": capital_sim}) as window:
            vm = window.vm
            await select_broker_account(window, "capital")
            await choose_in_ticket(window, "Bitcoin", "BTCUSD")
            vm.ticket.set_size_text("0.01")
            before = writes(capital_sim)
            first, second = vm.ticket.submit(Side.BUY), vm.ticket.submit(Side.BUY)
            assert second.done() and second.result() is None
            assert (await first).accepted
            assert writes(capital_sim) - before == Counter({"POST /positions": 1})
            rows = vm.positions.positions
            await wait_for(lambda: rows.rowCount() == 1, what="the position")
            key = rows.key(0)
            before = writes(capital_sim)
            closing = vm.positions.close_position(key)
            assert closing is not None and vm.positions.close_position(key) is None
            assert (await closing).accepted
            assert vm.positions.close_position(key) is None  # closed already: nothing
            await settle()
            assert sum((writes(capital_sim) - before).values()) == 1
            vm.funding.set_amount_text("10")
            before = writes(capital_sim)
            sending = vm.funding.submit()
            again = vm.funding.submit()
            assert again.done() and again.result() is None
            assert (await sending).accepted
            assert vm.funding.amount_text == ""
            assert sum((writes(capital_sim) - before).values()) == 1

    qrun(scenario(), timeout=60)
