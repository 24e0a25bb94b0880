"""UI flows on the main window, over a real Hub on the Capital.com simulator."""

from __future__ import annotations

import asyncio
import re

import pytest
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTableView,
)

from desktop_app.domain.types import OrderType
from tests.ui.harness import find, running_window
from tests.viewmodels.sandbox import SYMBOL, wait_for

# The offscreen platform warns whenever a top-level window's size hints change (docks,
# dialogs); that says nothing about the app.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


async def choose_instrument(window, text: str, symbol: str) -> None:
    find(window, QLineEdit, "orderTicket.search").setText(text)  # debounced search
    results = find(window, QListView, "orderTicket.results")
    model = results.model()

    def row_of_symbol() -> int | None:
        for row in range(model.rowCount()):
            if f"({symbol})" in model.index(row, 0).data():
                return row
        return None

    row = await wait_for(lambda: row_of_symbol() is not None and row_of_symbol() + 1,
                         what=f"{symbol} in the results") - 1
    index = model.index(row, 0)
    results.setCurrentIndex(index)
    results.clicked.emit(index)
    bid = find(window, QLabel, "orderTicket.bid")
    await wait_for(lambda: bid.text() not in ("", "—"), what="the bid")


def test_buy_see_position_close_it(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            accounts = find(window, QTableView, "accounts.table")
            assert accounts.model().rowCount() == 2
            assert accounts.selectionModel().selectedRows()  # the selected account is shown
            status = find(window, QLabel, "status.connection")
            assert "● connected" in status.text()
            budget = find(window, QLabel, "status.budget")
            await wait_for(lambda: re.search(r"Capital.com demo · \d+/\d+ per ", budget.text()),
                           what="the request budget in use")

            await choose_instrument(window, "Bitcoin", SYMBOL)
            bid, offer = (find(window, QLabel, n) for n in ("orderTicket.bid", "orderTicket.offer"))
            first = (bid.text(), offer.text())
            await wait_for(lambda: (bid.text(), offer.text()) != first, what="the quote to move")
            assert find(window, QLabel, "orderTicket.environment").text() == "DEMO"

            find(window, QLineEdit, "orderTicket.quantity").setText("0.01")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            assert buy.isEnabled() and buy.text().startswith("Buy ")
            where = buy.mapTo(window, buy.rect().topLeft())
            buy.click()
            result = find(window, QLabel, "orderTicket.result")
            await wait_for(lambda: result.text().startswith("Confirmed: BUY 0.01 BTCUSD"),
                           what="the order's confirmation")
            assert "deal id" in result.text()
            await asyncio.sleep(0.05)  # laid out with the result shown
            # The result has its room already: nothing moves under the pointer.
            assert buy.mapTo(window, buy.rect().topLeft()) == where

            table = find(window, QTableView, "positions.table")
            await wait_for(lambda: table.model().rowCount() == 1, what="the position row")
            assert "Bitcoin" in table.model().index(0, 0).data()
            close = find(window, QPushButton, "positions.closeButton")
            assert not close.isEnabled()  # nothing selected yet
            table.selectRow(0)
            assert close.isEnabled()
            close.click()
            await wait_for(lambda: table.model().rowCount() == 0, what="the position to close")
            message = find(window, QLabel, "positions.message")
            # What was closed, at what price, with its P/L.
            assert message.text().startswith("Closed BUY 0.01 BTCUSD"), message.text()
            assert " at " in message.text() and "P/L" in message.text()
            activity = find(window, QTableView, "activity.table")
            await wait_for(lambda: activity.model().rowCount() > 0, what="activity rows")
            texts = [activity.model().index(r, 3).data()
                     for r in range(activity.model().rowCount())]
            assert any(t.startswith("POST ") and "/positions" in t for t in texts)
            assert any(t.startswith("Confirmed: BUY") for t in texts)

    qrun(scenario(), timeout=60)


def test_limit_order_cancel_and_validation_messages(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            await choose_instrument(window, "Bitcoin", SYMBOL)
            quantity = find(window, QLineEdit, "orderTicket.quantity")
            quantity_error = find(window, QLabel, "orderTicket.quantityError")
            quantity.setText("0")
            assert quantity_error.isVisible()
            assert quantity_error.text() == "Size must be greater than 0."
            buy = find(window, QPushButton, "orderTicket.buyButton")
            buy.click()
            result = find(window, QLabel, "orderTicket.result")
            assert result.text().startswith("Not sent:")
            quantity.setText("0.01")
            assert not quantity_error.isVisible()

            order_type = find(window, QComboBox, "orderTicket.orderType")
            level = find(window, QLineEdit, "orderTicket.level")
            assert not level.isEnabled()  # market orders have no level
            order_type.setCurrentIndex(order_type.findText("Limit"))
            assert level.isEnabled()
            buy.click()
            level_error = find(window, QLabel, "orderTicket.levelError")
            assert level_error.isVisible() and "needs a level" in level_error.text()
            stop = find(window, QLineEdit, "orderTicket.stopLoss")
            bid_value = float(find(window, QLabel, "orderTicket.bid").text())
            level.setText(f"{bid_value * 0.8:.2f}")
            stop.setText(f"{bid_value * 0.9:.2f}")  # above a buy limit's level: wrong side
            buy.click()
            stop_error = find(window, QLabel, "orderTicket.stopLossError")
            assert stop_error.isVisible() and "must be below" in stop_error.text()
            assert window.vm.hub.order_journal() == []  # nothing was sent so far
            stop.setText("")
            buy.click()
            await wait_for(lambda: result.text().startswith("Accepted: BUY"),
                           what="the limit order to be accepted")
            orders = find(window, QTableView, "workingOrders.table")
            await wait_for(lambda: orders.model().rowCount() == 1, what="the working order")
            assert orders.model().index(0, 2).data() == OrderType.LIMIT.value.title()
            orders.selectRow(0)
            find(window, QPushButton, "workingOrders.cancelButton").click()
            await wait_for(lambda: orders.model().rowCount() == 0, what="the cancellation")

    qrun(scenario(), timeout=60)


def test_market_closed_greys_out_buy_and_sell(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            await choose_instrument(window, "Bitcoin", SYMBOL)
            buy = find(window, QPushButton, "orderTicket.buyButton")
            sell = find(window, QPushButton, "orderTicket.sellButton")
            assert buy.isEnabled() and sell.isEnabled()
            capital_sim.state.market.set_status(SYMBOL, "CLOSED")
            await wait_for(lambda: not buy.isEnabled(), what="Buy to be greyed out")
            assert not sell.isEnabled()
            assert "Market closed" in buy.toolTip()
            status = find(window, QLabel, "orderTicket.marketStatus")
            assert "orders cannot be sent" in status.text()

    qrun(scenario(), timeout=60)


def test_top_up_shows_result_and_journal_row(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            rules = find(window, QLabel, "funding.rules")
            assert "Amount from 0.01 to 40,000.00 USD" in rules.text()
            amount = find(window, QLineEdit, "funding.amount")
            submit = find(window, QPushButton, "funding.submitButton")
            window.docks["funding"].raise_()
            await asyncio.sleep(0.05)  # shown and laid out
            where = submit.mapTo(window, submit.rect().topLeft())
            amount.setText("100000")
            error = find(window, QLabel, "funding.amountError")
            assert error.text().startswith("The amount must be at most")
            await asyncio.sleep(0.05)  # laid out again
            # The message has its room: Send stays under the pointer as it comes and goes.
            assert submit.mapTo(window, submit.rect().topLeft()) == where
            submit.click()
            assert window.vm.hub.funding_journal() == []
            amount.setText("250")
            assert error.text() == ""
            await asyncio.sleep(0.05)
            assert submit.mapTo(window, submit.rect().topLeft()) == where
            submit.click()
            result = find(window, QLabel, "funding.result")
            await wait_for(lambda: result.text().startswith("Done: Demo top-up of 250.00"),
                           what="the top-up result")
            journal = find(window, QTableView, "funding.journal")
            await wait_for(lambda: journal.model().rowCount() == 1, what="the journal row")
            assert journal.model().index(0, 3).data().startswith("250.00")
            accounts = find(window, QTableView, "accounts.table")
            await wait_for(
                lambda: any(accounts.model().index(r, 2).data() == "10,250.00"
                            for r in range(accounts.model().rowCount())),
                what="the new balance in the accounts table",
            )

    qrun(scenario(), timeout=60)


def test_switch_account_and_chart_follow_selection(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            table = find(window, QTableView, "accounts.table")
            model = table.model()
            inactive = next(r for r in range(model.rowCount())
                            if not model.index(r, 1).data().endswith("★"))
            switch = find(window, QPushButton, "accounts.switchButton")
            table.selectRow(inactive)
            ref = window.vm.accounts.selected
            assert window.vm.positions.account == ref
            name = window.vm.accounts.selected_account().name
            assert f"of {name} (" in find(window, QLabel, "chart.title").text()
            assert switch.isEnabled()
            switch.click()
            await wait_for(lambda: model.index(inactive, 1).data().endswith("★"),
                           what="the account to become active")
            assert not switch.isEnabled()
            chart = window.chart
            await wait_for(lambda: chart.balance_curve is not None
                           and chart.balance_curve.xData is not None
                           and len(chart.balance_curve.xData) > 0, what="balance history")

    qrun(scenario(), timeout=60)
