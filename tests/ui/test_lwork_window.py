"""LWork in the window, driven the way a trader does it (widgets found by objectName,
real widgets, the simulator over loopback HTTP): the MT4 and MT5 accounts with their
positions, the ticket greyed with its reason, a deposit that completes and raises the
balance, a transfer to the other account, a withdrawal with masked bank details, and
the holder's name from the connection's profile. Every write control is pressed twice:
one request reaches LWork."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QToolButton,
)

from desktop_app.domain.types import AccountRef, FundingKind
from desktop_app.simulators.runner import RunningSimulator, start_simulator
from desktop_app.storage.journal import EntryState
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.keyed_table import KEY_ROLE
from tests.ui.harness import find
from tests.ui.test_sandbox_brokers import sandbox_window
from tests.viewmodels.sandbox import wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

CID = "sandbox-lwork"


@pytest.fixture
def lwork_sim() -> Iterator[RunningSimulator]:
    sim = start_simulator("lwork", port=0, seed=7)
    sim.state.deposit_pay_after = None  # the payment arrives on the knob
    yield sim
    sim.stop()


def logins(sim: RunningSimulator) -> tuple[AccountRef, AccountRef, AccountRef]:
    mt4, mt4b, mt5 = sim.state.account_ids()
    return (AccountRef(CID, "lwork", mt4), AccountRef(CID, "lwork", mt4b),
            AccountRef(CID, "lwork", mt5))


async def select(window: MainWindow, ref: AccountRef) -> None:
    """Click the account's row in the accounts table."""
    accounts = window.vm.accounts
    table = find(window, QTableView, "accounts.table")
    row = await wait_for(lambda: accounts.model.row_for_account(ref) + 1,
                         what=f"{ref} listed") - 1
    proxy = table.model()
    for r in range(proxy.rowCount()):
        if proxy.index(r, 0).data(KEY_ROLE) == accounts.model.key(row):
            table.selectRow(r)
    await wait_for(lambda: window.vm.funding.account == ref, what=f"{ref} selected")
    await wait_for(lambda: window.vm.funding.capabilities() is not None, what="capabilities")


def balance(window: MainWindow, ref: AccountRef) -> Decimal | None:
    found = next((a for a in window.vm.hub.accounts() if a.ref == ref), None)
    return found.balance.balance if found and found.balance else None


async def choose_kind(window: MainWindow, kind: FundingKind) -> None:
    window.docks["funding"].raise_()
    combo = find(window, QComboBox, "funding.kind")
    await wait_for(lambda: combo.findData(kind.value) >= 0, what=f"{kind.value} offered")
    combo.setCurrentIndex(combo.findData(kind.value))
    await wait_for(lambda: window.vm.funding.rules is not None
                   and window.vm.funding.rules.kind is kind, what=f"the {kind.value} rules")


def press_twice(window: MainWindow, name: str) -> None:
    button = find(window, QPushButton, name)
    assert button.isEnabled(), button.toolTip()
    button.click()
    button.click()  # a double click: one request


def test_mt4_and_mt5_accounts_positions_and_the_greyed_ticket(lwork_sim, qtbot, qrun):
    async def scenario():
        async with sandbox_window(qtbot, {"lwork": lwork_sim}) as window:
            mt4, _mt4b, mt5 = logins(lwork_sim)
            state = lwork_sim.state
            positions = find(window, QTableView, "positions.table")
            for ref in (mt4, mt5):
                await select(window, ref)
                tickets = {t.ticket for t in state.account(ref.account_id).positions}
                await wait_for(lambda t=tickets: {
                    positions.model().index(r, 0).data(KEY_ROLE)
                    for r in range(positions.model().rowCount())} == t,
                    what=f"the positions of {ref.account_id}")
            details = window.vm.accounts.model
            texts = [details.index(details.row_for_account(r), 9).data() for r in (mt4, mt5)]
            assert texts[0].startswith("MT4 demo · MT4-Demo / demoforex · Demo Trader")
            assert texts[1].startswith("MT5 demo · MT5-Demo")

            window.docks["orderTicket"].raise_()
            note = find(window, QLabel, "orderTicket.tradingNote")
            await wait_for(lambda: "MT4/MT5 terminal" in note.text(), what="the reason")
            assert not note.isHidden()
            for name in ("orderTicket.buyButton", "orderTicket.sellButton"):
                button = find(window, QPushButton, name)
                assert not button.isEnabled() and "terminal" in button.toolTip()
            for name in ("orderTicket.quantity", "orderTicket.search"):
                assert not find(window, QLineEdit, name).isEnabled()
            assert not find(window, QTabWidget, "orderTicket.sources").isEnabled()
            assert not find(window, QComboBox, "orderTicket.orderType").isEnabled()
            cancel = window.vm.positions.cancel_state()
            assert cancel[0] is False and "terminal" in cancel[1]

    qrun(scenario(), timeout=90)


def test_a_deposit_that_completes_and_raises_the_balance(lwork_sim, qtbot, qrun):
    async def scenario():
        async with sandbox_window(qtbot, {"lwork": lwork_sim}) as window:
            mt4, _, _ = logins(lwork_sim)
            await select(window, mt4)
            await wait_for(lambda: balance(window, mt4) is not None, what="the balance")
            before = balance(window, mt4)
            await choose_kind(window, FundingKind.DEPOSIT)
            pay = find(window, QComboBox, "funding.field.payCurrency")
            assert [pay.itemData(i) for i in range(pay.count())] == ["USD", "CNY", "EUR"]
            pay.setCurrentIndex(pay.findData("CNY"))
            amount = find(window, QLineEdit, "funding.amount")
            amount.setText("100")
            facts = find(window, QLabel, "funding.facts")
            await wait_for(lambda: "Payable: 712.34 CNY" in facts.text(),
                           what="the payable amount")
            amount.setText("100.5")
            await wait_for(lambda: "Payable: 715.90 CNY" in facts.text(),
                           what="the payable amount following the typing")
            amount.setText("100")
            press_twice(window, "funding.submitButton")
            result = find(window, QLabel, "funding.result")
            await wait_for(lambda: "Sent, pending" in result.text(), what="pending")
            assert "712.34 CNY" in result.text()
            assert amount.text() == ""  # a late press has nothing to send
            (deposit,) = lwork_sim.state.entries("Deposit")
            assert balance(window, mt4) == before
            lwork_sim.state.pay_deposit(deposit.job_id)
            hub = window.vm.hub
            await wait_for(lambda: hub.funding_journal()[0].funding_result().accepted,
                           within=20, what="the deposit paid")
            await wait_for(lambda: balance(window, mt4) == before + 100, within=20,
                           what="the balance raised")
            journal = find(window, QTableView, "funding.journal")
            assert journal.model().rowCount() == 1
            assert len(lwork_sim.state.entries("Deposit")) == 1

    qrun(scenario(), timeout=90)


def test_a_transfer_to_the_other_account(lwork_sim, qtbot, qrun):
    async def scenario():
        async with sandbox_window(qtbot, {"lwork": lwork_sim}) as window:
            mt4, mt4b, _ = logins(lwork_sim)
            await select(window, mt4)
            await wait_for(lambda: balance(window, mt4) and balance(window, mt4b),
                           what="both balances")
            before = (balance(window, mt4), balance(window, mt4b))
            await choose_kind(window, FundingKind.TRANSFER)
            destination = find(window, QComboBox, "funding.destination")
            assert destination.count() == 1 and destination.itemData(0) == mt4b
            assert "Demo 2" in destination.itemText(0)
            find(window, QLineEdit, "funding.amount").setText("250")
            press_twice(window, "funding.submitButton")
            result = find(window, QLabel, "funding.result")
            await wait_for(lambda: result.text().startswith("Done"), what="the transfer")
            assert len(lwork_sim.state.entries("Transfer")) == 1
            await wait_for(lambda: (balance(window, mt4), balance(window, mt4b)) == (
                before[0] - 250, before[1] + 250), within=20, what="both balances moved")

    qrun(scenario(), timeout=90)


def test_a_withdrawal_with_masked_bank_details(lwork_sim, qtbot, qrun):
    async def scenario():
        async with sandbox_window(qtbot, {"lwork": lwork_sim}) as window:
            _, mt4b, mt5 = logins(lwork_sim)
            await select(window, mt4b)
            await wait_for(lambda: balance(window, mt4b), what="the balance")
            before = balance(window, mt4b)
            await choose_kind(window, FundingKind.WITHDRAW)
            fields = {name: find(window, QLineEdit, f"funding.field.{name}") for name in (
                "bankAccountName", "bankAccountNumber", "bankName", "bankBranchName",
                "SWIFT")}
            assert all(f.echoMode() is QLineEdit.EchoMode.Password for f in fields.values())
            values = {"bankAccountName": "Jane Payee", "bankAccountNumber": "6226000012345678",
                      "bankName": "ICBC"}
            for name, text in values.items():
                fields[name].setText(text)
                fields[name].textEdited.emit(text)  # as typing does
            show = find(window, QToolButton, "funding.field.bankAccountNumber.show")
            show.click()
            assert fields["bankAccountNumber"].echoMode() is QLineEdit.EchoMode.Normal
            show.click()
            assert fields["bankAccountNumber"].echoMode() is QLineEdit.EchoMode.Password
            find(window, QLineEdit, "funding.amount").setText("300")
            form_error = find(window, QLabel, "funding.formError")
            assert form_error.isHidden()
            press_twice(window, "funding.submitButton")
            result = find(window, QLabel, "funding.result")
            await wait_for(lambda: "Sent, pending" in result.text(), what="pending")
            (entry,) = lwork_sim.state.entries("Withdraw")
            assert entry.bank["bankAccountNumber"] == "6226000012345678"
            hub = window.vm.hub
            journalled = hub.funding_journal()[0]
            assert "6226000012345678" not in f"{journalled.request} {journalled.message}"
            await wait_for(lambda: hub.secrets.get(CID, "funding.bankAccountNumber")
                           == "6226000012345678", what="kept in the keyring")
            # Another account, then back: the details come back from the keyring, masked.
            await select(window, mt5)
            await select(window, mt4b)
            await choose_kind(window, FundingKind.WITHDRAW)
            number = find(window, QLineEdit, "funding.field.bankAccountNumber")
            await wait_for(lambda: number.text() == "6226000012345678", what="filled in")
            assert number.echoMode() is QLineEdit.EchoMode.Password
            lwork_sim.state.advance_clock(6)  # the broker approves it
            await wait_for(lambda: hub.funding_journal()[0].funding_result().accepted,
                           within=20, what="the withdrawal approved")
            assert hub.funding_journal()[0].state is EntryState.COMPLETED
            await wait_for(lambda: balance(window, mt4b) == before - 300, within=20,
                           what="the balance debited")

    qrun(scenario(), timeout=90)


def test_the_holders_name_from_the_connections_profile(lwork_sim, qtbot, qrun):
    async def scenario():
        async with sandbox_window(qtbot, {"lwork": lwork_sim}) as window:
            mt4, _, _ = logins(lwork_sim)
            await select(window, mt4)
            dialog = window.open_profiles()
            profiles = window.vm.profiles
            row = profiles.profiles.row_of(CID)
            dialog.list.clicked.emit(profiles.profiles.index(row, 0))
            key = find(dialog, QLineEdit, "profiles.field.private_key")
            assert key.echoMode() is QLineEdit.EchoMode.Password and key.text() == ""
            find(dialog, QToolButton, "profiles.field.private_key.file")
            server_ids = find(dialog, QLineEdit, "profiles.field.server_ids")
            assert "MT4-Live=430" in server_ids.text()
            owner_button = find(dialog, QPushButton, "profiles.ownerButton")
            assert not owner_button.isHidden()
            owner_button.click()
            owner = dialog.owner_dialog
            assert owner is not None
            name = find(owner, QLineEdit, "owner.name")
            await wait_for(lambda: name.text() == "Demo Trader", what="the holder's name")
            name.setText("Jane Q. Trader")
            save = find(owner, QPushButton, "owner.saveButton")
            save.click()
            save.click()
            result = find(owner, QLabel, "owner.result")
            await wait_for(lambda: "Jane Q. Trader" in result.text(), what="renamed")
            assert lwork_sim.state.user.base["accountName"] == "Jane Q. Trader"
            requests = lwork_sim.state.stats["requests"]
            assert requests["POST /v1/api/account/{pubUserId}/update/diff/base"] == 1
            await wait_for(lambda: any(a.owner == "Jane Q. Trader"
                                       for a in window.vm.hub.accounts()), within=40,
                           what="the accounts show the new name")
            owner.close()
            dialog.close()

    qrun(scenario(), timeout=120)

