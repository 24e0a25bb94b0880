"""The window fits a 1280×720 laptop without panels drawn over each other, never resizes
itself (a filled ticket, more connections, a long error), and shows every Sandbox
account at 1920×1080."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDockWidget, QLineEdit, QPushButton, QTableView

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import Environment
from desktop_app.sandbox import sandbox_connection
from desktop_app.simulators.runner import start_simulator
from desktop_app.ui.main_window import DEFAULT_SIZE, MainWindow
from desktop_app.viewmodels.app_vm import AppViewModel
from tests.ui.harness import find
from tests.ui.test_sandbox_brokers import choose_in_ticket, select_broker_account
from tests.viewmodels.sandbox import running_hub, wait_for

# Capital.com 2, Tradovate 2, Darwinex 1, LWork 3, Upvest 4.
SANDBOX_ACCOUNTS = 12

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@contextlib.asynccontextmanager
async def window_of_size(
    qtbot: Any, sims: dict[str, Any], size: QSize
) -> AsyncIterator[MainWindow]:
    """The Sandbox window at ``size`` (what a screen of that size gives it), default layout."""
    async with running_hub() as hub:
        app_vm = AppViewModel(hub, hub.settings)
        try:
            for broker, sim in sims.items():
                profile, secrets = sandbox_connection(broker, sim)
                await hub.add_connection(profile, {**profile.fields, **secrets}, persist=False)
            window = MainWindow(app_vm)
            qtbot.addWidget(window)
            # As built (docks tabbed), the window may be as small as a 720p screen.
            assert window.minimumSize().height() <= 720, window.minimumSize()
            window.resize(size)
            window.show()
            await wait_for(window.isVisible, what="the window")
            await wait_for(lambda: len(app_vm.accounts.rows()) >= len(sims), what="accounts")
            try:
                yield window
            finally:
                window.close()
        finally:
            await app_vm.aclose()


def shown_docks(window: MainWindow) -> list[QDockWidget]:
    """Docks a trader sees (tabbed ones behind another are not shown)."""
    return [d for d in window.docks.values() if d.isVisible() and not d.visibleRegion().isEmpty()]


def assert_no_overlap(window: MainWindow) -> None:
    docks = shown_docks(window)
    assert {d.objectName() for d in docks} >= {
        "dock.accounts", "dock.positions", "dock.orderTicket", "dock.chart"}
    inside = window.rect()
    for dock in docks:
        assert inside.contains(dock.geometry()), (dock.objectName(), dock.geometry(), inside)
        # Never squeezed below what its content needs (that is when Qt draws over).
        content = dock.widget()
        need = content.minimumSizeHint()
        assert content.height() >= need.height() and content.width() >= need.width(), (
            dock.objectName(), content.size(), need)
    for a, b in itertools.combinations(docks, 2):
        assert not a.geometry().intersects(b.geometry()), (
            a.objectName(), a.geometry(), b.objectName(), b.geometry())
    status = window.statusBar().geometry()
    assert inside.contains(status) and status.height() > 0
    assert window.minimumSizeHint().height() <= window.height()
    assert window.minimumSizeHint().width() <= window.width()


def test_fits_1280x720_and_never_resizes_itself(
    capital_sim, tradovate_sim, darwinex_sim, qtbot, qrun
):
    async def scenario():
        sims = {"capital": capital_sim, "tradovate": tradovate_sim, "darwinex": darwinex_sim}
        size = QSize(1280, 720)
        async with window_of_size(qtbot, sims, size) as window:
            hub = window.vm.hub
            assert window.size() == size
            assert_no_overlap(window)

            # Fill the ticket: a future with its facts, a limit and stops, errors under
            # every field, a long message.
            await select_broker_account(window, "tradovate")
            await choose_in_ticket(window, "ES", "ES")
            for name, text in (("orderTicket.quantity", "150,5"), ("orderTicket.level", "x"),
                               ("orderTicket.stopLoss", "1e3"),
                               ("orderTicket.takeProfit", "١٠٠")):
                find(window, QLineEdit, name).setText(text)
            find(window, QPushButton, "orderTicket.buyButton").click()
            await wait_for(lambda: window.vm.ticket.result_text != "", what="a message")
            assert window.size() == size
            assert_no_overlap(window)

            # More connections: a second Capital.com (a longer status bar) and one whose
            # long error must not widen the accounts table or the window.
            profile, secrets = sandbox_connection("capital", capital_sim)
            await hub.add_connection(
                replace(profile, connection_id="second-capital",
                        name="Capital.com second demo with a long name"),
                {**profile.fields, **secrets}, persist=False,
            )
            broken = ConnectionProfile(
                connection_id="broken", broker="capital", name="Capital.com typo",
                environment=Environment.DEMO, base_url=capital_sim.base_url, sandbox=True,
                fields={**profile.fields, "identifier": "nobody@example.com"},
            )
            await hub.add_connection(broken, {"api_key": "wrong " * 40, "password": "x"},
                                     persist=False)
            await wait_for(lambda: any(r.connection_id == "broken" and r.message
                                       for r in window.vm.accounts.rows()),
                           within=20, what="the failed connection's message")
            table = find(window, QTableView, "accounts.table")
            header = table.horizontalHeader()
            assert max(header.sectionSize(c) for c in range(header.count())) <= 240
            assert window.size() == size
            assert_no_overlap(window)

    qrun(scenario(), timeout=120)


def test_shows_every_sandbox_account_at_1920x1080(
    capital_sim, tradovate_sim, darwinex_sim, qtbot, qrun
):
    lwork = start_simulator("lwork", port=0, seed=7)
    upvest = start_simulator("upvest", port=0, seed=7)

    async def scenario():
        sims = {"capital": capital_sim, "tradovate": tradovate_sim, "darwinex": darwinex_sim,
                "lwork": lwork, "upvest": upvest}
        # What a 1920×1080 screen gives the window at first (DEFAULT_SIZE, centred).
        size = QSize(*DEFAULT_SIZE)
        async with window_of_size(qtbot, sims, size) as window:
            accounts = window.vm.accounts
            await wait_for(lambda: sum(1 for r in accounts.rows() if r.ref) >= SANDBOX_ACCOUNTS,
                           what="the twelve Sandbox accounts")
            table = find(window, QTableView, "accounts.table")

            def last_row_in_view() -> bool:
                last = table.model().rowCount() - 1
                return (last + 1 >= SANDBOX_ACCOUNTS and table.rowViewportPosition(last) >= 0
                        and table.rowViewportPosition(last) + table.rowHeight(last)
                        <= table.viewport().height())

            await wait_for(last_row_in_view, what="every account row in view")
            assert window.size() == size
            assert_no_overlap(window)

    try:
        qrun(scenario(), timeout=120)
    finally:
        lwork.stop()
        upvest.stop()
