"""Preferences and profiles dialogs, the LIVE confirmation, theme and window layout."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDockWidget,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
)

from desktop_app.domain.types import Environment
from desktop_app.storage.settings import Settings
from desktop_app.ui.main_window import MainWindow
from tests.ui.harness import find, running_window
from tests.ui.test_main_window import choose_instrument
from tests.viewmodels.sandbox import SYMBOL, wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_preferences_dialog_saves_leverage(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            button = find(window, QPushButton, "accounts.preferencesButton")
            assert button.isVisible() and button.isEnabled()
            button.click()
            dialog = find(window, QDialog, "preferences.dialog")
            combo_name = "preferences.leverage.CRYPTOCURRENCIES"
            await wait_for(lambda: dialog.findChild(QComboBox, combo_name), what="leverages")
            combo = find(dialog, QComboBox, combo_name)
            current = combo.currentData()
            other = next(combo.itemData(i) for i in range(combo.count())
                         if combo.itemData(i) != current)
            combo.setCurrentIndex(combo.findData(other))
            hedging = find(dialog, QCheckBox, "preferences.hedgingMode")
            assert not hedging.isChecked()
            find(dialog, QPushButton, "preferences.saveButton").click()
            message = find(dialog, QLabel, "preferences.message")
            await wait_for(lambda: message.text() == "Preferences saved.", what="the save")
            prefs = await window.vm.hub.preferences(window.vm.accounts.selected)
            assert prefs.leverages["CRYPTOCURRENCIES"].current == other
            find(dialog, QPushButton, "preferences.closeButton").click()
            await wait_for(lambda: window.preferences_dialog is None, what="the dialog to go")

    qrun(scenario(), timeout=60)


def test_profiles_dialog_add_and_remove_keeps_secrets_out_of_settings(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            find(window, QAction, "menu.profiles").trigger()
            dialog = find(window, QDialog, "profiles.dialog")
            assert dialog.isVisible()
            profiles = find(dialog, QListView, "profiles.list")
            assert profiles.model().rowCount() == 1  # the Sandbox connection
            find(dialog, QPushButton, "profiles.addButton").click()
            assert find(dialog, QComboBox, "profiles.broker").currentText() == "Capital.com"
            api_key = find(dialog, QLineEdit, "profiles.field.api_key")
            password = find(dialog, QLineEdit, "profiles.field.password")
            assert api_key.echoMode() == QLineEdit.EchoMode.Password
            assert password.echoMode() == QLineEdit.EchoMode.Password
            # Validation before anything is sent.
            find(dialog, QLineEdit, "profiles.name").setText("")
            find(dialog, QPushButton, "profiles.saveButton").click()
            message = find(dialog, QLabel, "profiles.message")
            assert "Give the connection a name." in message.text()
            assert "API key is required." in message.text()
            # Live shows the opt-in and its warning.
            env = find(dialog, QComboBox, "profiles.environment")
            env.setCurrentIndex(env.findData(Environment.LIVE.value))
            assert find(dialog, QCheckBox, "profiles.liveOptIn").isVisible()
            assert "real money" in find(dialog, QLabel, "profiles.liveWarning").text()
            env.setCurrentIndex(env.findData(Environment.DEMO.value))
            assert not find(dialog, QCheckBox, "profiles.liveOptIn").isVisible()
            # Point the new profile at the simulator instead of Capital.com's servers.
            dialog.start_form(replace(dialog.vm.new_form("capital"), base_url=capital_sim.base_url))
            creds = capital_sim.credentials
            find(dialog, QLineEdit, "profiles.name").setText("My demo")
            find(dialog, QLineEdit, "profiles.field.identifier").setText(creds["identifier"])
            find(dialog, QLineEdit, "profiles.field.api_key").setText(creds["api_key"])
            find(dialog, QLineEdit, "profiles.field.password").setText(creds["password"])
            # A yes/no option is a checkbox; ticked, the login goes RSA-encrypted.
            find(dialog, QCheckBox, "profiles.field.encrypted_login").setChecked(True)
            find(dialog, QPushButton, "profiles.saveButton").click()
            await wait_for(lambda: message.text().startswith("Saved."), within=15,
                           what="the profile to be saved")
            assert profiles.model().rowCount() == 2
            assert find(dialog, QLineEdit, "profiles.field.api_key").text() == ""
            settings_text = window.vm.settings.path.read_text()
            saved = json.loads(settings_text)
            mine = [p for p in saved["profiles"] if p["name"] == "My demo"]
            assert mine and mine[0]["fields"] == {
                "identifier": creds["identifier"], "encrypted_login": "true"
            }
            assert capital_sim.state.stats["requests"].get("GET /session/encryptionKey", 0) >= 1
            for secret in (creds["api_key"], creds["password"]):
                assert secret not in settings_text
            cid = mine[0]["connection_id"]
            assert await window.vm.hub.secrets.aget_many(cid, ["api_key"]) == {
                "api_key": creds["api_key"]
            }
            # Remove it again (asks first, non-modally).
            find(dialog, QPushButton, "profiles.removeButton").click()
            box = find(dialog, QMessageBox, "profiles.confirmRemove")
            box.button(QMessageBox.StandardButton.Yes).click()
            await wait_for(lambda: profiles.model().rowCount() == 1, what="the removal")
            reloaded = Settings.load(window.vm.settings.path)
            assert all(p.connection_id != cid for p in reloaded.profiles)
            find(dialog, QPushButton, "profiles.closeButton").click()

    qrun(scenario(), timeout=60)


def test_live_order_needs_confirmation(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot, environment=Environment.LIVE,
                                  live_opt_in=True, name="Capital.com live") as window:
            badge = find(window, QLabel, "orderTicket.environment")
            assert badge.text().startswith("LIVE")
            assert find(window, QPushButton, "funding.submitButton").isEnabled() is False
            await choose_instrument(window, "Bitcoin", SYMBOL)
            find(window, QLineEdit, "orderTicket.quantity").setText("0.01")
            buy = find(window, QPushButton, "orderTicket.buyButton")
            result = find(window, QLabel, "orderTicket.result")
            buy.click()
            box = find(window, QMessageBox, "orderTicket.confirmDialog")
            assert "real money" in box.text() and "BUY 0.01" in box.text()
            box.button(QMessageBox.StandardButton.No).click()
            await wait_for(lambda: "not confirmed" in result.text(), what="the refusal")
            assert window.vm.hub.order_journal() == []
            buy.click()
            box = find(window, QMessageBox, "orderTicket.confirmDialog")
            box.button(QMessageBox.StandardButton.Yes).click()
            await wait_for(lambda: result.text().startswith("Confirmed: BUY"),
                           what="the confirmed live order")

    qrun(scenario(), timeout=60)


def test_theme_toggle_and_layout_restored(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            app = QApplication.instance()
            dark_window = app.palette().color(QPalette.ColorRole.Window)
            # Following the system by default; offscreen has no scheme: dark.
            assert find(window, QAction, "menu.theme.system").isChecked()
            find(window, QAction, "menu.theme.light").trigger()  # the override
            light_window = app.palette().color(QPalette.ColorRole.Window)
            assert light_window.lightness() > dark_window.lightness()
            await wait_for(lambda: Settings.load(window.vm.settings.path).theme == "light",
                           what="the theme to be saved")
            activity = find(window, QDockWidget, "dock.activity")
            assert activity.isVisible()
            activity.hide()
            window.close()  # saves geometry and dock state
            saved = Settings.load(window.vm.settings.path)
            assert saved.window_state and saved.window_geometry
            again = MainWindow(window.vm)
            qtbot.addWidget(again)
            again.show()
            await wait_for(again.isVisible, what="the second window")
            assert not find(again, QDockWidget, "dock.activity").isVisible()
            assert find(again, QDockWidget, "dock.positions").isVisible()
            assert find(again, QAction, "menu.theme.light").isChecked()  # still light
            assert not find(again, QAction, "menu.theme.system").isChecked()
            again.close()

    qrun(scenario(), timeout=60)
