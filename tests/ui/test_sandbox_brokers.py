"""The Sandbox with Tradovate and Darwinex beside Capital.com, driven through the window
the way a trader does it (widgets found by objectName), over real loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListView, QPushButton, QTableView

from desktop_app.domain.types import AccountRef, OrderType
from desktop_app.sandbox import sandbox_connection
from desktop_app.storage.journal import EntryState
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.app_vm import AppViewModel
from desktop_app.viewmodels.keyed_table import KEY_ROLE
from tests.ui.harness import find
from tests.viewmodels.sandbox import running_hub, wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@contextlib.asynccontextmanager
async def sandbox_window(qtbot: Any, sims: dict[str, Any]) -> AsyncIterator[MainWindow]:
    async with running_hub() as hub:
        app_vm = AppViewModel(hub, hub.settings)
        try:
            for broker, sim in sims.items():
                profile, secrets = sandbox_connection(broker, sim)
                await hub.add_connection(profile, {**profile.fields, **secrets}, persist=False)
            window = MainWindow(app_vm)
            qtbot.addWidget(window)
            window.show()
            await wait_for(window.isVisible, what="the window")
            try:
                yield window
            finally:
                window.close()
        finally:
            await app_vm.aclose()


async def select_broker_account(window: MainWindow, broker: str) -> AccountRef:
    """Click the broker's first account in the accounts table, as a trader does."""
    accounts = window.vm.accounts
    table = find(window, QTableView, "accounts.table")

    def row_of_broker() -> int:
        for r in range(accounts.model.rowCount()):
            ref = accounts.model.item(r).ref
            if ref is not None and ref.broker == broker:
                return r + 1
        return 0

    row = await wait_for(row_of_broker, what=f"a {broker} account in the accounts panel") - 1
    ref = accounts.model.item(row).ref
    assert ref is not None
    proxy = table.model()
    for r in range(proxy.rowCount()):
        if proxy.index(r, 0).data(KEY_ROLE) == accounts.model.key(row):
            table.selectRow(r)
    await wait_for(lambda: window.vm.ticket.account == ref, what=f"{broker} selected")
    await wait_for(lambda: window.vm.ticket.capabilities() is not None, what="capabilities")
    return ref


def table_keys(table: QTableView) -> list[str]:
    model = table.model()
    return [model.index(r, 0).data(KEY_ROLE) for r in range(model.rowCount())]


async def choose_in_ticket(window: MainWindow, text: str, prefix: str) -> str:
    find(window, QLineEdit, "orderTicket.search").setText(text)
    results = find(window, QListView, "orderTicket.results")
    model = results.model()

    def row() -> int:
        for r in range(model.rowCount()):
            if f"({prefix}" in model.index(r, 0).data():
                return r + 1
        return 0

    found = await wait_for(row, what=f"{prefix}… in the results")
    index = model.index(found - 1, 0)
    results.setCurrentIndex(index)
    results.clicked.emit(index)
    bid = find(window, QLabel, "orderTicket.bid")
    await wait_for(lambda: bid.text() not in ("", "—"), what="the bid")
    assert window.vm.ticket.instrument is not None
    return window.vm.ticket.instrument.symbol


def set_order_type(window: MainWindow, order_type: OrderType) -> None:
    combo = find(window, QComboBox, "orderTicket.orderType")
    row = [OrderType(combo.itemData(r)) for r in range(combo.count())].index(order_type)
    combo.setCurrentIndex(row)


def test_tradovate_futures_order_cancel_close_and_demo_balance(
    capital_sim, tradovate_sim, qtbot, qrun
):
    async def scenario():
        sims = {"capital": capital_sim, "tradovate": tradovate_sim}
        async with sandbox_window(qtbot, sims) as window:
            hub = window.vm.hub
            await select_broker_account(window, "capital")  # both brokers side by side
            ref = await select_broker_account(window, "tradovate")
            assert {r.ref.broker for r in window.vm.accounts.rows() if r.ref} == {
                "capital", "tradovate"}

            # Tradovate has no REST quotes (the simulator answers 404, as the real one):
            # prices come from its stream, and the ticket does not say there are none.
            await choose_in_ticket(window, "ES", "MES")
            symbol = await choose_in_ticket(window, "ES", "ES")
            assert "No live prices" not in find(window, QLabel, "orderTicket.searchStatus").text()
            assert find(window, QLabel, "orderTicket.sizeLabel").text() == "Contracts"
            facts = find(window, QLabel, "orderTicket.facts")
            await wait_for(lambda: "Value per point" in facts.text() or "point" in facts.text(),
                           what="the contract's facts")

            # A limit order far below the market works; then cancel it.
            quantity = find(window, QLineEdit, "orderTicket.quantity")
            quantity.setText("1")
            set_order_type(window, OrderType.LIMIT)
            bid = window.vm.ticket.quote.bid
            find(window, QLineEdit, "orderTicket.level").setText(str(bid - 200))
            buy = find(window, QPushButton, "orderTicket.buyButton")
            await wait_for(buy.isEnabled, what="Buy enabled")
            buy.click()
            orders = find(window, QTableView, "workingOrders.table")
            await wait_for(lambda: table_keys(orders), what="the working order")
            orders.selectRow(0)
            # Modify it: the dialog validates, then /order/modifyorder moves it.
            find(window, QPushButton, "workingOrders.modifyButton").click()
            dialog = window.positions.modify_dialog
            assert dialog is not None
            new_level = bid - 150
            find(dialog, QLineEdit, "modifyOrder.level").setText("-5")
            find(dialog, QPushButton, "modifyOrder.okButton").click()
            assert "greater than 0" in find(dialog, QLabel, "modifyOrder.error").text()
            find(dialog, QLineEdit, "modifyOrder.level").setText(str(new_level))
            find(dialog, QPushButton, "modifyOrder.okButton").click()
            order_id = table_keys(orders)[0]
            await wait_for(
                lambda: (o := window.vm.positions.working_order(order_id)) is not None
                and o.level == new_level,
                what="the order at its new level",
            )
            orders.selectRow(0)
            find(window, QPushButton, "workingOrders.cancelButton").click()
            await wait_for(lambda: not table_keys(orders), what="the order to be cancelled")

            # A stop-limit order needs its trigger price, checked before sending.
            set_order_type(window, OrderType.STOP_LIMIT)
            stop_price = find(window, QLineEdit, "orderTicket.stopPrice")
            assert stop_price.isVisible()

            # A market order opens a position; close it.
            set_order_type(window, OrderType.MARKET)
            buy.click()
            positions = find(window, QTableView, "positions.table")
            await wait_for(lambda: table_keys(positions), what="the position")
            positions.selectRow(0)
            find(window, QPushButton, "positions.closeButton").click()
            await wait_for(lambda: not table_keys(positions), what="the position to close")

            # changeDemoBalance from the funding panel, then the hour's cooldown.
            window.docks["funding"].raise_()
            rules = find(window, QLabel, "funding.rules")
            await wait_for(lambda: "50,000.00" in rules.text(), what="Tradovate's rules")
            comment = find(window, QLineEdit, "funding.comment")
            assert comment.placeholderText().startswith("Demo Change")
            amount = find(window, QLineEdit, "funding.amount")
            amount.setText("-1000")
            find(window, QPushButton, "funding.submitButton").click()
            result = find(window, QLabel, "funding.result")
            await wait_for(lambda: result.text().startswith("Done:"), what="the change")
            await wait_for(lambda: "next is allowed at" in rules.text(), what="the cooldown")
            amount.setText("10")
            error = find(window, QLabel, "funding.amountError")
            assert "next is allowed at" in error.text()

            # The broker's own history: fills, and the order that was cancelled.
            tabs = window.positions.lower_tabs
            tabs.setCurrentIndex(1)
            history = find(window, QTableView, "history.table")
            await wait_for(lambda: history.model().rowCount() >= 3, what="the history")
            kinds = [history.model().index(r, 1).data()
                     for r in range(history.model().rowCount())]
            assert kinds.count("Fill") == 2 and "Order cancelled" in kinds
            assert "entries" in find(window, QLabel, "history.status").text()

            # The journal holds each request and its outcome.
            kinds = [(e.action, e.state) for e in hub.order_journal()
                     if e.account == ref]
            assert kinds.count(("place", EntryState.COMPLETED)) == 2
            assert ("cancel", EntryState.COMPLETED) in kinds
            assert ("modify", EntryState.COMPLETED) in kinds
            assert ("close", EntryState.COMPLETED) in kinds
            assert all(e.order_result().accepted for e in hub.order_journal()
                       if e.account == ref)
            funding = [e for e in hub.funding_journal() if e.account == ref]
            assert len(funding) == 1 and funding[0].funding_result().accepted
            assert funding[0].funding_result().new_balance is not None
            assert symbol.startswith("ES")
        change = tradovate_sim.state.balance_changes[-1]
        assert change.amount == Decimal(-1000) and change.comment == "Demo Change"
        assert all(o.get("isAutomated") is False for o in tradovate_sim.state.orders_placed)

    qrun(scenario(), timeout=90)


def test_darwinex_buy_a_darwin_see_its_dscore_and_sell_it(
    capital_sim, darwinex_sim, qtbot, qrun
):
    async def scenario():
        sims = {"capital": capital_sim, "darwinex": darwinex_sim}
        async with sandbox_window(qtbot, sims) as window:
            await select_broker_account(window, "darwinex")

            window.docks["products"].raise_()
            screen = find(window, QComboBox, "products.screen")
            await wait_for(lambda: screen.count() > 1, what="Darwinex's screens")
            search = find(window, QLineEdit, "products.search")
            search.setText("AEB")
            search.returnPressed.emit()
            table = find(window, QTableView, "products.table")
            await wait_for(lambda: "AEB.5.4" in table_keys(table), what="AEB.5.4 found")
            table.selectRow(table_keys(table).index("AEB.5.4"))
            details = find(window, QLabel, "products.details")
            await wait_for(lambda: "D-Score" in details.text(), what="the D-Score")
            assert "D-Leverage" in details.text()
            find(window, QPushButton, "products.tradeButton").click()

            await wait_for(lambda: window.vm.ticket.quote is not None, what="the quote")
            size_label = find(window, QLabel, "orderTicket.sizeLabel")
            assert size_label.text().startswith("Amount")
            assert "D-Score" in find(window, QLabel, "orderTicket.facts").text()
            find(window, QLineEdit, "orderTicket.quantity").setText("1000")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            await wait_for(buy.isEnabled, what="Buy enabled")
            buy.click()
            positions = find(window, QTableView, "positions.table")
            await wait_for(lambda: "AEB.5.4" in table_keys(positions), what="the position")
            model = positions.model()
            details_col = next(c for c in range(model.columnCount())
                               if model.headerData(c, Qt.Orientation.Horizontal) == "Details")
            await wait_for(
                lambda: "D-Score" in (model.index(0, details_col).data() or ""),
                what="the position's D-Score",
            )
            positions.selectRow(0)
            find(window, QPushButton, "positions.closeButton").click()
            await wait_for(lambda: not table_keys(positions), what="the DARWIN sold")
            window.positions.lower_tabs.setCurrentIndex(1)
            history = find(window, QTableView, "history.table")
            await wait_for(lambda: history.model().rowCount() >= 3, what="the history")
            rows = [[history.model().index(r, c).data() for c in range(9)]
                    for r in range(history.model().rowCount())]
            assert [r[1] for r in rows].count("Executed") == 1
            assert any(r[1] == "Stop-out" for r in rows)  # the close is a stop-out
            closed = next(r for r in rows if r[1] == "Trade closed")
            assert closed[2] == "AEB.5.4" and closed[6]  # with its realised P/L
        sides = [o.side for o in darwinex_sim.state.orders if o.product == "AEB.5.4"]
        assert len(sides) == 2

    qrun(scenario(), timeout=90)


def test_darwinex_product_closed_to_new_money_greys_out_buy(
    capital_sim, darwinex_sim, qtbot, qrun
):
    async def scenario():
        sims = {"darwinex": darwinex_sim}
        async with sandbox_window(qtbot, sims) as window:
            await select_broker_account(window, "darwinex")
            await choose_in_ticket(window, "DWC", "DWC.4.20")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            await wait_for(lambda: not buy.isEnabled(), what="Buy greyed out")
            assert "closed" in buy.toolTip().lower()
            assert "closed" in find(window, QLabel, "orderTicket.marketStatus").text().lower()

    qrun(scenario(), timeout=60)


def test_darwinex_outside_market_hours_takes_limit_orders_only(darwinex_sim, qtbot, qrun):
    async def scenario():
        darwinex_sim.state.set_market_open(False)
        async with sandbox_window(qtbot, {"darwinex": darwinex_sim}) as window:
            await select_broker_account(window, "darwinex")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            await choose_in_ticket(window, "AEB", "AEB.5.4")
            await wait_for(lambda: not buy.isEnabled(), what="market Buy greyed out")
            set_order_type(window, OrderType.LIMIT)
            await wait_for(buy.isEnabled, what="limit Buy allowed")
            set_order_type(window, OrderType.MARKET)
            await wait_for(lambda: not buy.isEnabled(), what="market Buy greyed out again")

    qrun(scenario(), timeout=60)


def test_darwinex_account_leverage_from_the_preferences_dialog(darwinex_sim, qtbot, qrun):
    from PySide6.QtWidgets import QDialog

    async def scenario():
        async with sandbox_window(qtbot, {"darwinex": darwinex_sim}) as window:
            ref = await select_broker_account(window, "darwinex")
            button = find(window, QPushButton, "accounts.preferencesButton")
            await wait_for(button.isEnabled, what="preferences offered")
            button.click()
            dialog = find(window, QDialog, "preferences.dialog")
            name = "preferences.leverage.account"
            await wait_for(lambda: dialog.findChild(QComboBox, name), what="the leverage")
            combo = find(dialog, QComboBox, name)
            assert combo.currentData() == 3
            combo.setCurrentIndex(combo.findData(2))
            find(dialog, QPushButton, "preferences.saveButton").click()
            message = find(dialog, QLabel, "preferences.message")
            await wait_for(lambda: message.text() == "Preferences saved.", what="the save")
            prefs = await window.vm.hub.preferences(ref)
            assert prefs.leverages["account"].current == 2
            find(dialog, QPushButton, "preferences.closeButton").click()
            await wait_for(lambda: window.preferences_dialog is None, what="the dialog to go")

    qrun(scenario(), timeout=60)


def test_darwinex_demo_reset_moves_to_the_new_account_and_says_so(darwinex_sim, qtbot, qrun):
    """A demo reset gives the account a new id. Whichever notices it first, the order
    (a 403 on the old id: explained in the ticket, nothing sent) or the accounts poll
    (the panel moves to the new account and the ticket with it), nothing goes to the old
    account and the accounts panel shows the new one only."""

    async def scenario():
        darwinex_sim.state.new_account_access_delay = 0.0
        async with sandbox_window(qtbot, {"darwinex": darwinex_sim}) as window:
            old = await select_broker_account(window, "darwinex")
            await choose_in_ticket(window, "AEB", "AEB.5.4")
            find(window, QLineEdit, "orderTicket.quantity").setText("500")
            new_id = darwinex_sim.state.reset_demo_account()
            buy = find(window, QPushButton, "orderTicket.buyButton")
            await wait_for(buy.isEnabled, what="Buy enabled")
            buy.click()
            result = find(window, QLabel, "orderTicket.result")
            ticket = window.vm.ticket
            await wait_for(
                lambda: "replaced demo account" in result.text()
                or (ticket.account is not None and ticket.account.account_id == str(new_id)),
                what="the reset explained, or the ticket on the new account",
            )
            if "replaced demo account" in result.text():  # the order found it first
                assert f"{old.account_id} with {new_id}" in result.text()
                assert "Nothing was sent" in result.text()
                assert darwinex_sim.state.orders == []  # the refused order never resent
            rows = window.vm.accounts.rows
            await wait_for(
                lambda: any(r.ref and r.ref.account_id == str(new_id) for r in rows()),
                what="the new investor account in the accounts panel",
            )
            assert not any(r.ref and r.ref.account_id == old.account_id for r in rows())
        assert all(str(o.account_id) != old.account_id for o in darwinex_sim.state.orders)

    qrun(scenario(), timeout=60)


def test_an_account_chosen_from_code_stays_chosen_while_account_lists_arrive(
    capital_sim, tradovate_sim, qtbot, qrun
):
    """Regression: when a connection's account list replaced its placeholder row, Qt moved
    the table's selection by itself and the panel took that for the trader's choice."""

    async def scenario():
        sims = {"capital": capital_sim, "tradovate": tradovate_sim}
        async with sandbox_window(qtbot, sims) as window:
            accounts = window.vm.accounts

            def first(broker: str) -> AccountRef | None:
                return next((r.ref for r in accounts.rows() if r.ref and r.ref.broker == broker),
                            None)

            accounts.select(await wait_for(lambda: first("capital"), what="Capital.com"))
            await wait_for(lambda: window.vm.ticket.capabilities() is not None, what="caps")
            chosen = await wait_for(lambda: first("tradovate"), what="a Tradovate account")
            accounts.select(chosen)
            seen = set()
            for _ in range(30):
                seen.add(window.vm.ticket.account)
                await asyncio.sleep(0.05)
            assert seen == {chosen}

    qrun(scenario(), timeout=60)


def test_a_closed_market_is_said_once_on_the_ticket(capital_sim, qtbot, qrun):
    """The market line says when a closed market opens; the reason Buy and Sell are held
    back says the same and is not repeated after it."""
    async def scenario():
        capital_sim.state.session_clock.move_to(datetime(2025, 1, 18, 12, 0, tzinfo=UTC))
        async with sandbox_window(qtbot, {"capital": capital_sim}) as window:
            await select_broker_account(window, "capital")
            await choose_in_ticket(window, "EUR", "EURUSD")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            label = find(window, QLabel, "orderTicket.marketStatus")
            await wait_for(lambda: not buy.isEnabled() and "opens at" in label.text(),
                           what="the closed market on the ticket")
            assert "opens at" in buy.toolTip()
            assert label.text().lower().count("closed") == 1, label.text()

    qrun(scenario(), timeout=60)
