"""A screen reader can name and describe every input, table and button of the main
window and of its dialogs (``ui.accessibility.missing`` walks the widget tree); the
order ticket's Tab order is the order its fields are seen in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from desktop_app.domain.types import FundingKind, OrderType
from desktop_app.ui.accessibility import missing
from desktop_app.ui.modify_order_dialog import ModifyOrderDialog
from tests.ui.harness import find, running_window
from tests.ui.test_lwork_window import choose_kind, lwork_sim, select  # noqa: F401
from tests.ui.test_lwork_window import logins as lwork_logins
from tests.ui.test_main_window import choose_instrument
from tests.ui.test_sandbox_brokers import sandbox_window, set_order_type, table_keys
from tests.viewmodels.sandbox import SYMBOL, wait_for

pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise")


def assert_named(root: QWidget) -> None:
    unnamed = missing(root)
    assert not unnamed, "\n".join(unnamed)


def test_the_window_and_its_dialogs_name_every_input_table_and_button(capital_sim, qtbot,
                                                                      qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            vm = window.vm
            await choose_instrument(window, "Bitcoin", SYMBOL)
            assert_named(window)
            # The key inputs by their own words, not a combo box's current text.
            size = find(window, QLineEdit, "orderTicket.quantity")
            assert size.accessibleName() == "Size" and "Enter" in size.accessibleDescription()
            assert find(window, QComboBox, "orderTicket.orderType").accessibleName() == (
                "Order type")
            for name in ("accounts.table", "positions.table", "workingOrders.table",
                         "history.table", "funding.journal", "activity.table",
                         "products.table"):
                table = find(window, QTableView, name)
                assert table.accessibleName() and table.accessibleDescription(), name

            profiles = window.open_profiles()
            broker = find(profiles, QComboBox, "profiles.broker")
            for row in range(broker.count()):  # each broker's own credential fields
                broker.setCurrentIndex(row)
                assert_named(profiles)
            assert find(profiles, QLineEdit, "profiles.baseUrl").accessibleName() == (
                "Server URL")
            profiles.close()
            assert_named(window.open_about())
            window.about_dialog.close()
            assert_named(window.open_alert_prefs())
            window.alert_prefs_dialog.close()
            assert_named(window.shortcuts.show_help())
            window.shortcuts.dialog.close()
            prefs = window.open_preferences()
            assert prefs is not None
            await wait_for(lambda: prefs.combos, what="the leverage rows")
            assert_named(prefs)
            prefs.close()

            # Questions: which side (Enter in the ticket), close all.
            find(window, QLineEdit, "orderTicket.quantity").setText("0.01")
            side = window.shortcuts.ask_side()
            assert side is not None
            assert_named(side)
            side.close()
            set_order_type(window, OrderType.LIMIT)
            level = (vm.ticket.quote.bid * Decimal("0.8")).quantize(Decimal("0.01"))
            find(window, QLineEdit, "orderTicket.level").setText(str(level))
            find(window, QPushButton, "orderTicket.buyButton").click()
            orders = find(window, QTableView, "workingOrders.table")
            await wait_for(lambda: table_keys(orders), what="the working order")
            # (Capital.com changes no working orders: the dialog as another broker has it.)
            dialog = ModifyOrderDialog(vm.positions, vm.positions.orders.item(0), window)
            assert_named(dialog)
            dialog.deleteLater()

    qrun(scenario(), timeout=90)


def test_the_funding_forms_of_a_broker_name_their_fields(lwork_sim, qtbot, qrun):  # noqa: F811
    async def scenario():
        async with sandbox_window(qtbot, {"lwork": lwork_sim}) as window:
            mt4, _, _ = lwork_logins(lwork_sim)
            await select(window, mt4)
            for kind in (FundingKind.DEPOSIT, FundingKind.WITHDRAW, FundingKind.TRANSFER):
                await choose_kind(window, kind)
                assert_named(window)
            destination = find(window, QComboBox, "funding.destination")
            assert destination.accessibleName() == "To account"

    qrun(scenario(), timeout=90)


def test_tab_in_the_ticket_follows_what_is_seen(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            await choose_instrument(window, "Bitcoin", SYMBOL)
            set_order_type(window, OrderType.LIMIT)  # a level and stops to fill in
            ticket = window.ticket
            expected = [ticket.sources.tabBar(), ticket.search, ticket.results,
                        ticket.quantity, ticket.order_type, ticket.level, ticket.stop_loss,
                        ticket.take_profit, ticket.sell_button, ticket.buy_button]
            seen: list[QWidget] = []
            widget = expected[0]
            for _ in range(400):
                if (ticket.isAncestorOf(widget) and widget.isVisible() and widget.isEnabled()
                        and widget.focusPolicy().value & 0x1 and widget.focusProxy() is None
                        and widget not in seen):
                    seen.append(widget)
                widget = widget.nextInFocusChain()
                if widget is expected[0]:
                    break
            names = [w.objectName() or type(w).__name__ for w in seen]
            assert seen == expected, names

    qrun(scenario(), timeout=60)
