"""Upvest in the window, as a trader uses it, over real loopback HTTP to the simulator:
open an account and see it become ACTIVE, fund it, buy a fractional EUR amount, see the
fill and the position arrive by webhook within a second, rename, sell, close. Every
write control is clicked twice; the simulator counts what reached it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTableView,
)

from desktop_app.domain.types import AccountStatus, SizeUnit
from desktop_app.net.limiter import Priority
from desktop_app.session.events import Topic
from desktop_app.simulators.runner import start_simulator
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.accounts_model import STATUS_COLUMN
from tests.ui.harness import find
from tests.ui.upvest_window import (
    CID,
    account_named,
    click_account,
    double_click,
    service_of,
    upvest_window,
)
from tests.viewmodels.sandbox import wait_for

# The offscreen platform cannot raise a window: a second click shows the open dialog.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")

APPLE = "US0378331005"


@pytest.fixture
def sim() -> Iterator[object]:
    running = start_simulator("upvest", port=0, seed=5)
    state = running.state
    state.time_scale = 10.0  # approval and closing 0.2 s, settlement 0.5 s
    state.fill_delay = 5.0  # 0.5 s after PROCESSING: the click's own refresh is long over
    yield running
    running.stop()


def combo_pick(combo: QComboBox, label_part: str) -> None:
    row = next(r for r in range(combo.count()) if label_part in combo.itemText(r))
    combo.setCurrentIndex(row)


def buttons(window: MainWindow) -> dict[str, QPushButton]:
    return {name: find(window, QPushButton, f"accounts.{name}Button")
            for name in ("open", "rename", "close", "webhooks")}


async def open_dialog(window: MainWindow, button: str, name: str) -> QDialog:
    double_click(find(window, QPushButton, button))  # one dialog, however often clicked
    dialog = await wait_for(lambda: window.findChild(QDialog, name), what=name)
    assert len([d for d in window.findChildren(QDialog, name) if d.isVisible()]) == 1
    return dialog


def test_an_account_from_open_to_closed_with_a_webhook_fill(sim, qtbot, qrun):
    state = sim.state

    async def scenario():
        async with upvest_window(qtbot, sim) as window:
            vm = window.vm
            karl = account_named(window, "Main account", "Karl Schmidt")
            await click_account(window, karl.ref)
            bar = buttons(window)
            await wait_for(lambda: bar["open"].isEnabled(), what="Open account enabled")
            assert bar["webhooks"].isVisible()

            # ---- open: the broker's form, users and groups to choose from
            dialog = await open_dialog(window, "accounts.openButton", "openAccount")
            kind = find(dialog, QComboBox, "openAccount.kind")
            await wait_for(lambda: kind.count() == 2, what="the opening forms")
            user = find(dialog, QComboBox, "openAccount.field.user_id")
            group = find(dialog, QComboBox, "openAccount.field.account_group_id")
            combo_pick(user, "Karl Schmidt")
            combo_pick(group, "Karl Schmidt")
            find(dialog, QLineEdit, "openAccount.field.name").setText("Kids")
            double_click(find(dialog, QPushButton, "openAccount.submit"))
            result = find(dialog, QLabel, "openAccount.result")
            await wait_for(lambda: "Opened" in result.text(), what="the opening's answer")
            assert state.stats["requests"]["POST /accounts"] == 1
            assert state.created["POST /accounts"] == 1
            find(dialog, QPushButton, "openAccount.cancel").click()

            kids = await wait_for(lambda: account_named(window, "Kids"), what="the new row")
            await click_account(window, kids.ref)
            if account_named(window, "Kids").status is AccountStatus.PENDING_APPROVAL:
                # Pending: visible, nothing can be done on it yet.
                for name in ("rename", "close"):
                    assert not bar[name].isEnabled()
                    assert "while the account is pending approval" in bar[name].toolTip()
            # ACCOUNT.ACTIVATED arrives by webhook (no poll for a minute).
            await wait_for(lambda: account_named(window, "Kids").status
                           is AccountStatus.ENABLED, what="ACTIVE")
            await wait_for(lambda: bar["rename"].isEnabled() and bar["close"].isEnabled(),
                           what="rename and close offered")

            # ---- fund: the group's virtual cash (Karl's, shared with his accounts)
            await wait_for(lambda: vm.funding.rules is not None, what="the funding rules")
            find(window, QLineEdit, "funding.amount").setText("500")
            send = find(window, QPushButton, "funding.submitButton")
            assert send.text() == "Send virtual cash (sandbox)"
            double_click(send)
            await wait_for(lambda: state.created["POST /virtual_cash_balances/increases"],
                           what="the increase")
            await wait_for(lambda: account_named(window, "Kids").balance is not None
                           and account_named(window, "Kids").balance.balance
                           == Decimal("10500.00"), what="the credited cash")
            assert state.stats["requests"]["POST /virtual_cash_balances/increases"] == 1

            # ---- buy a fractional EUR amount: the amount unit, the acknowledgement
            find(window, QLineEdit, "orderTicket.search").setText("Apple")
            results = find(window, QListView, "orderTicket.results")
            await wait_for(lambda: results.model().rowCount() > 0, what="Apple found")
            index = results.model().index(0, 0)
            results.clicked.emit(index)
            await wait_for(lambda: vm.ticket.instrument is not None, what="the instrument")
            unit = find(window, QComboBox, "orderTicket.sizeUnit")
            assert [unit.itemText(r) for r in range(unit.count())] == ["Amount (EUR)",
                                                                      "Quantity"]
            assert find(window, QLabel, "orderTicket.sizeLabel").text() == "Amount (EUR)"
            find(window, QLineEdit, "orderTicket.quantity").setText("25.00")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            assert not buy.isEnabled() and "acknowledgement" in buy.toolTip()
            find(window, QCheckBox, "orderTicket.acknowledgement").setChecked(True)
            await wait_for(buy.isEnabled, what="Buy enabled")
            service = service_of(window)
            deliveries = service.receiver.deliveries
            double_click(buy)
            ticket_result = find(window, QLabel, "orderTicket.result")
            await wait_for(lambda: ticket_result.text().startswith("Pending"),
                           what="the order accepted (202, NEW)")
            assert len(state.keys_seen["POST /orders"]) == 1
            order = next(iter(state.orders.values()))
            assert order.cash_amount == Decimal("25.00") and order.acknowledged
            await wait_for(lambda: order.executions, what="the fill at Upvest", within=10)
            filled_at = order.executions[0].time
            await wait_for(lambda: position_row(window), what="the position", within=5)
            seen_after = time.time() - filled_at
            assert seen_after < 1.0, f"the position showed {seen_after:.2f} s after the fill"
            # It came by webhook: deliveries arrived, and since the fill no scheduled poll
            # of positions ran (each one since was a forced refresh: the webhook's).
            assert service.receiver.deliveries > deliveries
            assert service.events_handled > 0
            fill_mono = time.monotonic() - (time.time() - filled_at)
            polls = [p for at, key, p in vm.hub.poller.started
                     if at >= fill_mono and key[1] is Topic.POSITIONS]
            assert polls and all(p is Priority.INTERACTIVE for p in polls), polls
            row = position_row(window) - 1
            position = vm.positions.positions.item(row)
            assert Decimal(0) < position.size < 1 and position.name == "Apple Inc."
            # The ticket's line follows the order to its end (the journal's settlement).
            await wait_for(lambda: ticket_result.text().startswith("Confirmed: BUY"),
                           what="the ticket saying the order filled")

            # ---- rename
            dialog = await open_dialog(window, "accounts.renameButton", "renameAccount")
            name = find(dialog, QLineEdit, "renameAccount.name")
            assert name.text() == "Kids"
            name.setText("Kids' savings")
            double_click(find(dialog, QPushButton, "renameAccount.submit"))
            await wait_for(lambda: account_named(window, "Kids' savings"), what="the new name")
            assert state.stats["requests"]["PATCH /accounts/{account_id}"] == 1
            find(dialog, QPushButton, "renameAccount.cancel").click()

            # ---- sell: close the position (a sale of every share available)
            table = find(window, QTableView, "positions.table")
            table.selectRow(row)
            double_click(find(window, QPushButton, "positions.closeButton"))
            message = find(window, QLabel, "positions.message")
            await wait_for(lambda: message.text().startswith("Closing BUY"),
                           what="the sale taken (Upvest fills it asynchronously)")
            await wait_for(lambda: not state.orders or sum(
                o.side == "SELL" for o in state.orders.values()), what="the sale")
            await wait_for(lambda: not position_row(window), what="the position gone",
                           within=10)
            assert sum(o.side == "SELL" for o in state.orders.values()) == 1

            # ---- close: CLOSING (sales only), then CLOSED
            state.closing_delay = 5.0  # 0.5 s: the CLOSING state is seen on screen
            dialog = await open_dialog(window, "accounts.closeButton", "closeAccount")
            double_click(find(dialog, QPushButton, "closeAccount.submit"))
            await wait_for(lambda: account_named(window, "Kids' savings").status
                           in (AccountStatus.CLOSING, AccountStatus.CLOSED), what="closing")
            assert state.stats["requests"]["DELETE /accounts/{account_id}"] == 1
            await wait_for(lambda: not vm.lifecycle.busy, what="the close answered")
            if account_named(window, "Kids' savings").status is AccountStatus.CLOSING:
                for button in ("rename", "close"):
                    assert not bar[button].isEnabled()
                    assert "while the account is closing" in bar[button].toolTip()
                    assert "only sell orders" in bar[button].toolTip()  # Upvest's words
            await wait_for(lambda: account_named(window, "Kids' savings").status
                           is AccountStatus.CLOSED, what="CLOSED", within=10)
            assert "closed" in bar["rename"].toolTip().lower()
            find(dialog, QPushButton, "closeAccount.cancel").click()

    qrun(scenario(), timeout=120)


def position_row(window: MainWindow) -> int:
    model = window.vm.positions.positions
    return next((r + 1 for r in range(model.rowCount())
                 if model.item(r).symbol == APPLE), 0)


def test_lifecycle_actions_are_greyed_with_the_reason(sim, qtbot, qrun):
    state = sim.state
    state.approval_delay = 600.0  # stays pending
    state.closing_delay = 600.0  # stays closing

    async def scenario():
        async with upvest_window(qtbot, sim) as window:
            bar = buttons(window)
            anna = account_named(window, "Main account", "Anna Becker")
            lena = account_named(window, "Main account", "Lena Weber")
            karl_savings = account_named(window, "Savings plan")
            state.lock_account(anna.ref.account_id)
            service = service_of(window)
            await service.close_account(karl_savings.ref)
            hub = window.vm.hub
            from desktop_app.domain.types import AccountOpening
            form = (await hub.account_opening_forms(CID))[0]
            lena_user = next(v for v, label in form.fields[0].choices if label == "Lena Weber")
            lena_group = next(v for v, label in form.fields[1].choices
                              if label.endswith("Lena Weber"))
            opened = await hub.open_account(AccountOpening(
                CID, "TRADING", {"user_id": lena_user, "account_group_id": lena_group,
                                 "name": "Waiting"}))
            assert opened.account is not None
            await wait_for(lambda: account_named(window, "Main account", "Anna Becker").status
                           is AccountStatus.LOCKED, what="LOCKED by webhook")
            await wait_for(lambda: account_named(window, "Savings plan").status
                           is AccountStatus.CLOSING, what="CLOSING")
            await wait_for(lambda: account_named(window, "Waiting"), what="the pending one")

            expected = {
                anna.ref: "locked for all actions",
                karl_savings.ref: "only sell orders",
                opened.account: "approval is pending",
            }
            model = window.vm.accounts.model
            for ref, words in expected.items():
                # The status column says what the status allows, in Upvest's words.
                row = await wait_for(lambda r=ref: model.row_for_account(r) + 1,
                                     what="its row") - 1
                assert words in model.tooltip(model.item(row), STATUS_COLUMN)
                await click_account(window, ref)
                for name in ("rename", "close"):
                    await wait_for(lambda n=name: not bar[n].isEnabled(), what=f"{name} off")
                    assert words in bar[name].toolTip(), (ref, name, bar[name].toolTip())
                # Opening another account stays possible from any selected account.
                assert bar["open"].isEnabled()
            # What the status allows for trading is greyed the same way in the ticket.
            await click_account(window, anna.ref)
            find(window, QLineEdit, "orderTicket.search").setText("Apple")
            results = find(window, QListView, "orderTicket.results")
            await wait_for(lambda: results.model().rowCount() > 0, what="Apple found")
            results.clicked.emit(results.model().index(0, 0))
            await wait_for(lambda: window.vm.ticket.instrument is not None, what="instrument")
            await click_account(window, lena.ref)
            assert bar["rename"].isEnabled() and bar["close"].isEnabled()
            assert window.vm.ticket.sizing.unit is SizeUnit.CASH

    qrun(scenario(), timeout=90)
