"""The order ticket's inputs are bound both ways: values set from code show in the widgets,
typed ones reach the view-model, and neither side echoes the other back."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit

from desktop_app.domain.types import OrderType
from tests.ui.harness import find, running_window
from tests.viewmodels.sandbox import SYMBOL

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_values_set_from_code_show_and_typed_values_reach_the_view_model(
    capital_sim, qtbot, qrun
):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            ticket = window.vm.ticket
            emitted: list[int] = []
            ticket.inputsChanged.connect(lambda: emitted.append(1))
            quantity = find(window, QLineEdit, "orderTicket.quantity")
            typed: list[str] = []
            quantity.textChanged.connect(typed.append)

            ticket.set_size_text("1")
            assert quantity.text() == "1" and ticket.size_text == "1"
            assert typed == ["1"] and len(emitted) == 1  # one round trip, no echo
            ticket.set_size_text("1")
            assert len(emitted) == 1  # no change, no signal

            ticket.set_order_type(OrderType.LIMIT)
            combo = find(window, QComboBox, "orderTicket.orderType")
            assert combo.currentText() == "Limit"
            ticket.set_level_text("123.5")
            ticket.set_stop_text("100")
            ticket.set_profit_text("150")
            assert find(window, QLineEdit, "orderTicket.level").text() == "123.5"
            assert find(window, QLineEdit, "orderTicket.stopLoss").text() == "100"
            assert find(window, QLineEdit, "orderTicket.takeProfit").text() == "150"

            quantity.setText("2.5")  # what typing ends up as
            assert ticket.size_text == "2.5"
            quantity.setCursorPosition(1)
            quantity.insert("0")  # typing mid-text: the widget keeps its cursor
            assert ticket.size_text == "20.5" and quantity.cursorPosition() == 2
            combo.setCurrentIndex(0)
            assert ticket.order_type is OrderType.MARKET

            found = await ticket.search(SYMBOL)  # from code, as the smoke mode does
            assert found
            search = find(window, QLineEdit, "orderTicket.search")
            assert search.text() == SYMBOL
            assert not ticket._search_timer.isActive()  # showing it searched nothing again

    qrun(scenario(), timeout=60)
