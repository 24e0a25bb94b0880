"""The preferences view-model lives as long as its dialog: a late answer reaches no widget,
and one still open when the app quits is closed by the app view-model."""

from __future__ import annotations

import asyncio
import logging

import pytest
import shiboken6
from PySide6.QtWidgets import QPushButton

from tests.ui.harness import find, running_window
from tests.viewmodels.sandbox import running_app, wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_closing_the_dialog_mid_load_cancels_and_deletes_its_view_model(
    capital_sim, qtbot, qrun, caplog
):
    caplog.set_level(logging.ERROR)

    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            app_vm = window.vm
            messages: list[str] = []
            app_vm.statusMessage.connect(messages.append)
            button = find(window, QPushButton, "accounts.preferencesButton")
            capital_sim.state.delay_seconds = 0.4  # the broker answers after the close
            button.click()
            first = window.preferences_dialog
            first_vm = first.vm
            assert first_vm.parent() is first and first_vm.busy
            # Opening again replaces the dialog and its view-model (one per dialog).
            button.click()
            second = window.preferences_dialog
            assert second is not first and second.vm is not first_vm
            assert first_vm.is_closed
            second_vm = second.vm
            assert first_vm.tasks.pending + second_vm.tasks.pending == 2
            find(second, QPushButton, "preferences.closeButton").click()
            assert second_vm.is_closed and window.preferences_dialog is None
            assert app_vm.open_preference_vms() == []
            # The cancelled loads unwind, the dialogs and their view-models are deleted.
            await wait_for(lambda: not shiboken6.isValid(first_vm)
                           and not shiboken6.isValid(second_vm), what="the deletion")
            await wait_for(lambda: app_vm.tasks.pending == 0, what="the awaited close")
            await asyncio.sleep(0.6)  # past the time the answers would have come
            capital_sim.state.delay_seconds = 0.0
            assert messages == []

    qrun(scenario(), timeout=60)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_app_close_closes_a_preferences_view_model_still_open(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            vm = app_vm.preferences_vm()
            assert app_vm.open_preference_vms() == [vm]
            capital_sim.state.delay_seconds = 0.5
            task = vm.load()
            await asyncio.sleep(0.05)
            assert not task.done()
        capital_sim.state.delay_seconds = 0.0
        assert vm.is_closed and task.cancelled()
        assert app_vm.open_preference_vms() == []
        assert vm.load() is None and vm.save(False, {}) is None  # closed stays closed

    qrun(scenario(), timeout=60)
