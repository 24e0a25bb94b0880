"""The products view and the ticket's facts, over a real Hub on the Capital.com simulator."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QTableView

from desktop_app.domain.types import OrderType
from desktop_app.viewmodels.keyed_table import KEY_ROLE
from tests.ui.harness import find, running_window
from tests.viewmodels.sandbox import wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_search_a_product_see_its_facts_and_prices_then_trade_it(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            search = find(window, QLineEdit, "products.search")
            search.setText("gold")
            search.returnPressed.emit()
            table = find(window, QTableView, "products.table")
            model = table.model()

            def gold_row() -> int:
                for row in range(model.rowCount()):
                    if model.index(row, 0).data(KEY_ROLE) == "GOLD":
                        return row + 1
                return 0

            row = await wait_for(gold_row, what="GOLD in the products") - 1
            table.selectRow(row)
            details = find(window, QLabel, "products.details")
            await wait_for(lambda: "Margin factor" in details.text(), what="GOLD's facts")
            assert "Day range" in details.text()
            curves = window.products.plot.curves  # the plot is built once shown

            def prices() -> int:
                curve = curves.get("Price")
                return 0 if curve is None or curve.xData is None else len(curve.xData)

            await wait_for(lambda: prices() > 20, what="a year of daily prices")
            assert window.products.plot.isVisible()
            # Capital.com has no product screens: the picker stays hidden.
            assert not find(window, QComboBox, "products.screen").isVisible()

            find(window, QPushButton, "products.tradeButton").click()
            ticket_name = find(window, QLabel, "orderTicket.instrument")
            await wait_for(lambda: "GOLD" in ticket_name.text(), what="GOLD in the ticket")
            facts = find(window, QLabel, "orderTicket.facts")
            await wait_for(lambda: "Margin factor" in facts.text(), what="facts in the ticket")
            assert window.docks["orderTicket"].isVisible()

    qrun(scenario(), timeout=60)


def test_stop_limit_is_offered_only_where_the_broker_has_it(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            combo = find(window, QComboBox, "orderTicket.orderType")
            types = [combo.itemData(r) for r in range(combo.count())]
            assert OrderType.STOP_LIMIT in [OrderType(t) for t in types]
            row = [OrderType(t) for t in types].index(OrderType.STOP_LIMIT)
            item = combo.model().item(row)
            await wait_for(lambda: not item.isEnabled(), what="stop-limit greyed out")
            assert "LIMIT or STOP only" in item.toolTip()
            # The stop price field belongs to stop-limit orders only.
            assert not find(window, QLineEdit, "orderTicket.stopPrice").isVisible()

    qrun(scenario(), timeout=60)
