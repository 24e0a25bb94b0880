"""Nothing carries over: the ticket starts clean per instrument, account and broker, its
messages go with their context, numbers are read in the trader's locale, and every
panel says which account it acts on."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListView, QPushButton, QTableView

from desktop_app.domain.types import AccountRef, OrderType, Side
from tests.ui.harness import find
from tests.ui.test_one_click import writes
from tests.ui.test_sandbox_brokers import (
    choose_in_ticket,
    sandbox_window,
    select_broker_account,
    set_order_type,
)
from tests.viewmodels.sandbox import wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

FIELDS = ("orderTicket.quantity", "orderTicket.level", "orderTicket.stopLoss",
          "orderTicket.takeProfit", "orderTicket.stopPrice")


def fields(window) -> dict[str, str]:
    values = {name.split(".")[1]: find(window, QLineEdit, name).text() for name in FIELDS}
    values["type"] = find(window, QComboBox, "orderTicket.orderType").currentText()
    return values


def fill(window, size: str, level: str, stop: str, profit: str) -> None:
    find(window, QLineEdit, "orderTicket.quantity").setText(size)
    set_order_type(window, OrderType.LIMIT)
    find(window, QLineEdit, "orderTicket.level").setText(level)
    find(window, QLineEdit, "orderTicket.stopLoss").setText(stop)
    find(window, QLineEdit, "orderTicket.takeProfit").setText(profit)


def clean(size: str) -> dict[str, str]:
    return {"quantity": size, "level": "", "stopLoss": "", "takeProfit": "", "stopPrice": "",
            "type": "Market"}


async def select_account(window, ref: AccountRef) -> None:
    table = find(window, QTableView, "accounts.table")
    from desktop_app.viewmodels.accounts_model import account_key
    from desktop_app.viewmodels.keyed_table import KEY_ROLE

    proxy = table.model()
    row = next(r for r in range(proxy.rowCount())
               if proxy.index(r, 0).data(KEY_ROLE) == account_key(ref))
    table.selectRow(row)
    await wait_for(lambda: window.vm.ticket.account == ref, what=f"{ref} selected")


def test_ticket_starts_clean_per_instrument_account_and_broker(
    capital_sim, tradovate_sim, qtbot, qrun
):
    async def scenario():
        sims = {"capital": capital_sim, "tradovate": tradovate_sim}
        async with sandbox_window(qtbot, sims) as window:
            ticket = window.vm.ticket
            first = await select_broker_account(window, "capital")
            await choose_in_ticket(window, "Bitcoin", "BTCUSD")
            await wait_for(lambda: fields(window)["quantity"] == "0.001",
                           what="BTCUSD's minimum size")
            bid = ticket.quote.bid
            fill(window, "0.5", str(bid - 1000), str(bid - 2000), str(bid + 1000))
            assert fields(window)["type"] == "Limit"

            # Another instrument: its own minimum, market, no levels.
            await choose_in_ticket(window, "Ethereum", "ETHUSD")
            assert fields(window) == clean("0.01")
            # Back: nothing sent yet, so the minimum again, not the 0.5 typed before.
            await choose_in_ticket(window, "Bitcoin", "BTCUSD")
            assert fields(window) == clean("0.001")

            # An order sent: the next BTCUSD ticket starts with the trader's last size.
            find(window, QLineEdit, "orderTicket.quantity").setText("0.002")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            await wait_for(buy.isEnabled, what="Buy enabled")
            buy.click()
            result = find(window, QLabel, "orderTicket.result")
            await wait_for(lambda: result.text().startswith("Confirmed: BUY 0.002"),
                           what="the order")
            await choose_in_ticket(window, "Ethereum", "ETHUSD")
            assert fields(window) == clean("0.01") and result.text() == ""
            await choose_in_ticket(window, "Bitcoin", "BTCUSD")
            assert fields(window) == clean("0.002")

            # Another account of the same broker: same instrument, a clean form, and the
            # last order's message does not follow.
            bid = ticket.quote.bid
            fill(window, "0.7", str(bid - 1000), str(bid - 2000), str(bid + 1000))
            buy.click()  # refused (limit with stops checked) or sent: either way a message
            await wait_for(lambda: result.text() != "", what="a message")
            second = next(r.ref for r in window.vm.accounts.rows()
                          if r.ref and r.ref.broker == "capital" and r.ref != first)
            await select_account(window, second)
            assert ticket.instrument is not None and ticket.instrument.symbol == "BTCUSD"
            assert fields(window) == clean("0.002")
            assert result.text() == "" and not result.isVisible()

            # Another broker: no instrument, no search, a clean form.
            find(window, QLineEdit, "orderTicket.quantity").setText("1000")
            await select_broker_account(window, "tradovate")
            assert ticket.instrument is None
            assert find(window, QLineEdit, "orderTicket.search").text() == ""
            assert find(window, QListView, "orderTicket.results").model().rowCount() == 0
            assert fields(window) == clean("")
            await choose_in_ticket(window, "ES", "ES")
            assert fields(window) == clean("1")  # a contract: ES's minimum

    qrun(scenario(), timeout=120)


@pytest.fixture
def german() -> Iterator[None]:
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))


CASES = {
    # text: (English outcome, German outcome); a Decimal is accepted, a str is a part of
    # the refusal shown under the field.
    "150,5": ("would read as 1505", Decimal("150.5")),
    "1e3": ("exponent", "exponent"),
    "١٠٠": ("digits other than 0–9", "digits other than 0–9"),
    "1,000.5": (Decimal("1000.5"), "would read as 1,0005"),
}


def _typed_numbers_are_read_in_the_locale(window, column: int) -> None:
    ticket = window.vm.ticket
    quantity = find(window, QLineEdit, "orderTicket.quantity")
    error = find(window, QLabel, "orderTicket.quantityError")
    for text, outcomes in CASES.items():
        outcome = outcomes[column]
        quantity.setText(text)
        errors, request = ticket.validate(Side.BUY)
        if isinstance(outcome, Decimal):
            assert not error.isVisible(), (text, error.text())
            assert request is not None and request.size == outcome, (text, errors)
        else:
            assert error.isVisible() and outcome in error.text(), (text, error.text())
            assert request is None


@pytest.mark.parametrize("language", ["English", "German"])
def test_typed_numbers_are_read_in_the_locale(language, capital_sim, qtbot, qrun, request):
    if language == "German":
        request.getfixturevalue("german")

    async def scenario():
        async with sandbox_window(qtbot, {"capital": capital_sim}) as window:
            await select_broker_account(window, "capital")
            await choose_in_ticket(window, "Bitcoin", "BTCUSD")
            quantity = find(window, QLineEdit, "orderTicket.quantity")
            # The ticket writes sizes as the trader would type them here.
            await wait_for(lambda: quantity.text() in ("0.001", "0,001"), what="the minimum")
            assert quantity.text() == ("0,001" if language == "German" else "0.001")
            _typed_numbers_are_read_in_the_locale(window, 1 if language == "German" else 0)
            # A refused text sends nothing, whatever is pressed.
            before = writes(capital_sim)
            quantity.setText("150,5" if language == "English" else "1,000.5")
            find(window, QPushButton, "orderTicket.buyButton").click()
            assert window.vm.ticket.result_text.startswith("Not sent: Size:")
            assert writes(capital_sim) == before
            # A decimal comma (German) or point (English) is sent as typed.
            quantity.setText("0,01" if language == "German" else "0.01")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            await wait_for(buy.isEnabled, what="Buy enabled")
            buy.click()
            result = find(window, QLabel, "orderTicket.result")
            await wait_for(lambda: result.text().startswith("Confirmed: BUY 0.01 BTCUSD"),
                           what="BUY 0.01, not 1 or 0.001")

    qrun(scenario(), timeout=60)


def test_messages_and_context_follow_the_account(capital_sim, tradovate_sim, qtbot, qrun):
    async def scenario():
        sims = {"capital": capital_sim, "tradovate": tradovate_sim}
        async with sandbox_window(qtbot, sims) as window:
            hub = window.vm.hub
            capital = await select_broker_account(window, "capital")
            account_label = find(window, QLabel, "orderTicket.account")
            positions_label = find(window, QLabel, "positions.account")
            capital_account = next(a for a in hub.accounts() if a.ref == capital)
            for label in (account_label, positions_label):
                await wait_for(lambda lb=label: "Capital.com" in lb.text(), what="the context")
                assert capital_account.name in label.text() and "DEMO" in label.text()
                assert capital_account.currency in label.text()
            # The ★ is explained where it is shown.
            accounts = find(window, QTableView, "accounts.table")
            model = accounts.model()
            column = next(c for c in range(model.columnCount())
                          if model.headerData(c, Qt.Orientation.Horizontal) == "Account")
            tip = model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
            assert "★" in tip and "active account" in tip

            # A top-up beyond Capital.com's rule, and an order's outcome in the ticket.
            window.docks["funding"].raise_()
            amount = find(window, QLineEdit, "funding.amount")
            amount.setText("50000")
            amount_error = find(window, QLabel, "funding.amountError")
            assert "at most 40,000" in amount_error.text()
            window.docks["orderTicket"].raise_()
            await choose_in_ticket(window, "Bitcoin", "BTCUSD")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            await wait_for(buy.isEnabled, what="Buy enabled")
            buy.click()
            result = find(window, QLabel, "orderTicket.result")
            await wait_for(lambda: result.text().startswith("Confirmed: BUY"), what="the order")

            # Tradovate: none of it follows, and the panels name the new account.
            tradovate = await select_broker_account(window, "tradovate")
            assert result.text() == "" and not result.isVisible()
            assert amount.text() == "" and amount_error.text() == ""
            tradovate_account = next(a for a in hub.accounts() if a.ref == tradovate)
            for label in (account_label, positions_label):
                assert "Tradovate" in label.text() and tradovate_account.name in label.text()
            funding_label = find(window, QLabel, "funding.account")
            assert "Tradovate" in funding_label.text()
            kinds = find(window, QComboBox, "funding.kind")
            assert kinds.currentText() == "Demo balance change"  # Tradovate's own words
            assert "balance change" in find(window, QPushButton, "funding.submitButton").text()

            # A message about a connection goes when the connection changes.
            await choose_in_ticket(window, "ES", "ES")
            find(window, QLineEdit, "orderTicket.quantity").setText("0")
            find(window, QPushButton, "orderTicket.buyButton").click()
            assert result.text().startswith("Not sent")
            await hub.reconnect(tradovate.connection)
            await wait_for(lambda: result.text() == "", what="the message to go")

    qrun(scenario(), timeout=90)
