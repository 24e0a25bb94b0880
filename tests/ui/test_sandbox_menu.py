"""The Sandbox one click away, in the window: Connections → Open Sandbox beside a real
profile, Reset Sandbox… after a question, and the hint in the status bar (pytest-qt,
widgets and actions found by objectName, a real Hub and real simulators)."""

from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QMessageBox, QPushButton

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import Environment
from desktop_app.sandbox import OPEN_SESSION, SandboxControl
from desktop_app.storage.paths import sandbox_dir
from desktop_app.storage.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.app_vm import AppViewModel
from desktop_app.viewmodels.sandbox_vm import BESIDE_HINT, CLOSED_HINT, FIRST_RUN_HINT
from tests.ui.harness import find
from tests.viewmodels.sandbox import running_hub, wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _real_profile_saved() -> Settings:
    """A Capital.com profile the trader added (its login cannot work: nothing listens)."""
    settings = Settings.load()
    settings.upsert_profile(ConnectionProfile(
        connection_id="capital-1", broker="capital", name="My Capital.com",
        environment=Environment.DEMO, fields={"identifier": "me@example.com"},
        base_url="http://127.0.0.1:9/api/v1"))
    settings.save()
    return Settings.load()


async def _close(window: MainWindow, app_vm: AppViewModel, control: SandboxControl) -> None:
    """The view-models stop listening first; the window is deleted while the hub still
    runs (its views may start a last fetch as they go); the Sandbox last."""
    window.close()
    await app_vm.aclose()
    window.deleteLater()
    await wait_for(lambda: not shiboken6.isValid(window), what="the window deleted")
    await control.close()


def _sandbox_ids(app_vm: AppViewModel) -> set[str]:
    # The simulators with trading hours and kept state (five demo accounts).
    return {a.ref.account_id for a in app_vm.hub.accounts()
            if a.ref.broker in ("capital", "tradovate", "darwinex")
            and a.ref.connection.startswith("sandbox-")}


def test_open_and_reset_the_sandbox_beside_a_real_profile(qtbot, qrun) -> None:
    async def scenario() -> None:
        async with running_hub(_real_profile_saved()) as hub:
            app_vm = AppViewModel(hub, hub.settings)
            control = SandboxControl(hub, state_dir=sandbox_dir(), announce=False,
                                     session_time=OPEN_SESSION)
            app_vm.sandbox.set_controller(control)
            window = MainWindow(app_vm)
            window.show()
            try:
                open_action = find(window, QAction, "menu.sandbox")
                reset_action = find(window, QAction, "menu.resetSandbox")
                hint = find(window, QLabel, "status.sandboxHint")
                # A real profile exists and the Sandbox is not running: the hint says where.
                assert not control.running and hint.text() == CLOSED_HINT
                assert hint.isVisibleTo(window) and "Open Sandbox" in hint.toolTip()
                accounts_dock = find(window, QDockWidget, "dock.accounts")
                assert accounts_dock.windowTitle() == f"Accounts — {CLOSED_HINT}"
                assert open_action.isEnabled()

                open_action.trigger()
                await wait_for(lambda: len(_sandbox_ids(app_vm)) == 5, 30,
                               "the Sandbox's five accounts")
                await wait_for(lambda: hint.text() == BESIDE_HINT, what="the hint")
                # Reset is offered once every Sandbox connection is up (some take longer).
                await wait_for(lambda: not open_action.isEnabled() and reset_action.isEnabled(),
                               what="Reset offered")
                assert any(c.profile.connection_id == "capital-1" for c in hub.connections())
                before = _sandbox_ids(app_vm)

                reset_action.trigger()
                box = await wait_for(lambda: window.findChild(QMessageBox,
                                                              "dialog.resetSandbox"))
                assert "new demo accounts" in box.text()
                find(box, QPushButton, "dialog.resetSandbox.reset").click()
                await wait_for(lambda: len(_sandbox_ids(app_vm)) == 5
                               and _sandbox_ids(app_vm).isdisjoint(before), 40,
                               "new Sandbox accounts")
                await wait_for(lambda: "reset" in window.status.currentMessage(),
                               what="the reset message")
            finally:
                await _close(window, app_vm, control)

    qrun(scenario(), timeout=120)


def test_first_run_says_it_runs_on_the_sandbox_and_how_to_add_an_account(qtbot, qrun) -> None:
    async def scenario() -> None:
        async with running_hub() as hub:
            app_vm = AppViewModel(hub, hub.settings)
            control = SandboxControl(hub, state_dir=sandbox_dir(), announce=False,
                                     session_time=OPEN_SESSION)
            app_vm.sandbox.set_controller(control)
            window = MainWindow(app_vm)
            window.show()
            try:
                await control.open()
                hint = find(window, QLabel, "status.sandboxHint")
                await wait_for(lambda: hint.text() == FIRST_RUN_HINT, what="the hint")
                assert FIRST_RUN_HINT in find(window, QDockWidget, "dock.accounts").windowTitle()
                await wait_for(lambda: app_vm.accounts.selected is not None,
                               what="a selected account")
                assert "Add / edit connections" in hint.text()
                assert not find(window, QAction, "menu.sandbox").isEnabled()
            finally:
                await _close(window, app_vm, control)

    qrun(scenario(), timeout=90)
