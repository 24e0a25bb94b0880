"""A price stream outage seen in the window: on the Sandbox, Connections → Simulate a
dropped price stream cuts the simulators' streams; the status bar says the Tradovate
prices reconnect, then stream again, and the ticket's prices come back (pytest-qt, a real
Hub, the real Sandbox)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction

from desktop_app.sandbox import OPEN_SESSION, SandboxControl
from desktop_app.storage.paths import sandbox_dir
from desktop_app.ui.common import ElidedLabel
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.app_vm import AppViewModel
from tests.ui.harness import find
from tests.ui.test_sandbox_menu import _close
from tests.viewmodels.sandbox import running_hub, wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_dropping_the_sandbox_streams_shows_reconnecting_and_prices_come_back(
    qtbot, qrun
) -> None:
    async def scenario() -> None:
        async with running_hub() as hub:
            app_vm = AppViewModel(hub, hub.settings)
            control = SandboxControl(hub, state_dir=sandbox_dir(), announce=False,
                                     session_time=OPEN_SESSION)
            app_vm.sandbox.set_controller(control)
            window = MainWindow(app_vm)
            window.show()
            try:
                drop = find(window, QAction, "menu.dropSandboxStreams")
                assert drop.isVisible() and not drop.isEnabled()  # nothing runs yet
                await control.open()
                await wait_for(lambda: drop.isEnabled(), what="the action enabled")
                account = await wait_for(lambda: next(
                    (a.ref for a in hub.accounts() if a.ref.broker == "tradovate"), None),
                    30, "a Tradovate account")
                app_vm.accounts.select(account)
                simulator = control.sandbox.simulators["tradovate"]
                es = next(c.name for c in simulator.state.catalog.contracts.values()
                          if c.product.name == "ES" and c.maturity.is_front)
                ticket = app_vm.ticket
                ticket.choose(next(i for i in await ticket.search(es) if i.symbol == es))
                status = find(window, ElidedLabel, "status.connection")
                await wait_for(lambda: "Tradovate Sandbox ● prices streaming"
                               in app_vm.status.connection_text, 15, "streaming")
                await wait_for(lambda: ticket.quote is not None, what="a streamed price")
                drop.trigger()
                await wait_for(lambda: "Tradovate Sandbox ● prices reconnecting…"
                               in app_vm.status.connection_text, 10, "reconnecting")
                assert "connection was lost" in status.toolTip()
                assert "cut" in window.status.currentMessage()
                before = ticket.quote
                await wait_for(lambda: "Tradovate Sandbox ● prices streaming"
                               in app_vm.status.connection_text, 20, "streaming again")
                simulator.state.market.set_price(es, before.bid + 30)
                await wait_for(lambda: ticket.quote.bid >= before.bid + 25, 10,
                               "the price to come back over the stream")
            finally:
                await _close(window, app_vm, control)

    qrun(scenario(), timeout=120)
