"""On a LIVE account every write waits for the trader's answer, in the view-model: a
close, a cancel, an order far from the market; the question names the account and the
amount, and "No" sends nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QTableView

from desktop_app.domain.types import Environment, OrderType, Side
from tests.ui.harness import find, running_window
from tests.ui.test_main_window import choose_instrument
from tests.ui.test_one_click import answer, settle, writes
from tests.ui.test_sandbox_brokers import set_order_type, table_keys
from tests.viewmodels.sandbox import SYMBOL, wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_live_close_and_cancel_ask_first_naming_account_and_amount(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot, environment=Environment.LIVE,
                                  live_opt_in=True, name="Capital.com live") as window:
            vm = window.vm
            await choose_instrument(window, "Bitcoin", SYMBOL)
            find(window, QLineEdit, "orderTicket.quantity").setText("0.01")
            find(window, QPushButton, "orderTicket.buyButton").click()
            box = await answer(window, "orderTicket.confirmDialog", yes=True)
            assert "real money" in box.text() and "LIVE" in box.text()
            positions = find(window, QTableView, "positions.table")
            await wait_for(lambda: table_keys(positions), what="the live position")

            # Close: asked first, with the account, the position and its P/L.
            positions.selectRow(0)
            before = writes(capital_sim)
            find(window, QPushButton, "positions.closeButton").click()
            box = await answer(window, "positions.confirmDialog", yes=False)
            context = vm.positions.context
            assert context is not None and context.live
            for part in ("Close BUY 0.01 BTCUSD", "P/L now", context.text, "LIVE"):
                assert part in box.text(), (part, box.text())
            await settle()
            assert writes(capital_sim) == before and table_keys(positions)
            # From code too (a hotkey, a script): the view-model holds it.
            key = table_keys(positions)[0]
            closing = vm.positions.close_position(key)
            assert closing is not None and not closing.done()
            assert vm.positions.pending_question is not None
            await settle(0.3)
            assert writes(capital_sim) == before
            await answer(window, "positions.confirmDialog", yes=True)
            assert (await closing).accepted
            await wait_for(lambda: not table_keys(positions), what="the position closed")
            message = find(window, QLabel, "positions.message")
            assert message.text().startswith("Closed BUY 0.01 BTCUSD")

            # Cancel: a limit order far below the market (asked as LIVE), then cancelled.
            set_order_type(window, OrderType.LIMIT)
            level = (vm.ticket.quote.bid * Decimal("0.8")).quantize(Decimal("0.01"))
            find(window, QLineEdit, "orderTicket.level").setText(str(level))
            find(window, QPushButton, "orderTicket.buyButton").click()
            await answer(window, "orderTicket.confirmDialog", yes=True)
            orders = find(window, QTableView, "workingOrders.table")
            await wait_for(lambda: table_keys(orders), what="the working order")
            orders.selectRow(0)
            before = writes(capital_sim)
            find(window, QPushButton, "workingOrders.cancelButton").click()
            box = await answer(window, "positions.confirmDialog", yes=True)
            assert f"Cancel BUY limit 0.01 BTCUSD at {level}" in box.text()
            await wait_for(lambda: not table_keys(orders), what="the order cancelled")
            await settle()
            delta = writes(capital_sim) - before
            assert sum(delta.values()) == 1, delta

    qrun(scenario(), timeout=90)


def test_an_order_far_from_the_market_asks_with_its_value_and_distance(
    capital_sim, qtbot, qrun
):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            await choose_instrument(window, "Bitcoin", SYMBOL)
            ticket = window.vm.ticket
            find(window, QLineEdit, "orderTicket.quantity").setText("0.01")
            set_order_type(window, OrderType.LIMIT)
            # A buy limit 20 % above the offer would fill at once, at the market.
            level = (ticket.quote.offer * Decimal("1.2")).quantize(Decimal("0.01"))
            find(window, QLineEdit, "orderTicket.level").setText(str(level))
            before = writes(capital_sim)
            find(window, QPushButton, "orderTicket.buyButton").click()
            box = await answer(window, "orderTicket.confirmDialog", yes=False)
            assert box.windowTitle() == "Check this order"
            assert "above the offer" in box.text() and "would fill at once" in box.text()
            await settle(0.3)
            assert writes(capital_sim) == before
            assert ticket.result_text == "Not sent: the order was not confirmed."
            # A size a thousand times the account: its value is shown.
            set_order_type(window, OrderType.MARKET)
            find(window, QLineEdit, "orderTicket.quantity").setText("200")
            pending = ticket.submit(Side.BUY)
            question = ticket.pending_question
            assert question is not None and "× this account's equity" in question.text
            assert "Its value at the market is about" in question.text
            ticket.confirm(False)
            assert await pending is None
            await settle(0.3)
            assert writes(capital_sim) == before

    qrun(scenario(), timeout=60)
