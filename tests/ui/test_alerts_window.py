"""Alerts on screen: a toast in the window's corner where there is no system tray (as
offscreen), a beep when sound is on, the preferences page that turns kinds off and is
kept; a funding request settled later (an LWork deposit paid after it was sent); the
theme that follows the OS colour scheme unless overridden."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
)

from desktop_app.domain.types import FundingKind
from desktop_app.storage.settings import Settings
from desktop_app.ui.notifier import Toast
from tests.ui.harness import find, running_window
from tests.ui.test_lwork_window import choose_kind, logins, lwork_sim, select  # noqa: F401
from tests.ui.test_main_window import choose_instrument
from tests.ui.test_sandbox_brokers import sandbox_window
from tests.viewmodels.sandbox import SYMBOL, wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def toasts(window) -> list[Toast]:
    return [t for t in window.findChildren(QFrame, "alerts.toast") if t.isVisible()]


def test_a_fill_shows_a_toast_beeps_when_asked_and_kinds_turn_off(capital_sim, qtbot, qrun,
                                                                    monkeypatch):
    beeps: list[int] = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: beeps.append(1)))

    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            assert not window.notifier.use_tray  # offscreen has no tray: toasts
            # The preferences page: sound on, connection lost after 12 s.
            dialog = window.open_alert_prefs()
            find(dialog, QCheckBox, "alertPrefs.sound").setChecked(True)
            find(dialog, QSpinBox, "alertPrefs.lostAfter").setValue(12)
            find(dialog, QPushButton, "alertPrefs.ok").click()
            await window.vm.saves.wait_all()
            saved = Settings.load(window.vm.settings.path).alert_prefs()
            assert saved.sound and saved.connection_lost_after == 12
            assert saved.enabled == window.vm.alerts.prefs.enabled

            await choose_instrument(window, "Bitcoin", SYMBOL)
            find(window, QLineEdit, "orderTicket.quantity").setText("0.01")
            find(window, QPushButton, "orderTicket.buyButton").click()
            toast = (await wait_for(lambda: toasts(window), what="the toast"))[0]
            assert toast.title.text() == "<b>Order filled</b>"
            assert toast.text.text().startswith("BUY 0.01 BTCUSD at ")
            assert beeps == [1]
            # In the window's bottom left corner, above the status bar: clear of the
            # ticket's Buy and Sell.
            geometry = toast.geometry()
            assert geometry.bottom() < window.height() - window.statusBar().height()
            assert geometry.right() < window.width() // 2
            buy = find(window, QPushButton, "orderTicket.buyButton")
            top_left = buy.mapTo(window, buy.rect().topLeft())
            assert not geometry.intersects(buy.rect().translated(top_left))
            find(toast, QToolButton, "alerts.toast.close").click()
            await wait_for(lambda: not toasts(window), what="the toast dismissed")

            # Off: no toast, no beep, still in the activity log.
            dialog = window.open_alert_prefs()
            find(dialog, QCheckBox, "alertPrefs.kind.order_filled").setChecked(False)
            find(dialog, QPushButton, "alertPrefs.ok").click()
            assert "order_filled" not in window.vm.alerts.prefs.enabled
            find(window, QLineEdit, "orderTicket.quantity").setText("0.02")
            find(window, QPushButton, "orderTicket.buyButton").click()
            await wait_for(lambda: len([a for a in window.vm.alerts.alerts
                                        if a.kind == "order_filled"]) == 2, what="2nd fill")
            assert not toasts(window) and beeps == [1]
            window.vm.activity.model.flush()
            logged = [r for r in window.vm.activity.model.rows() if r.kind == "alert"]
            assert len(logged) == 2

    qrun(scenario(), timeout=60)


def test_a_deposit_paid_later_is_an_alert(lwork_sim, qtbot, qrun):  # noqa: F811
    async def scenario():
        async with sandbox_window(qtbot, {"lwork": lwork_sim}) as window:
            mt4, _, _ = logins(lwork_sim)
            await select(window, mt4)
            await choose_kind(window, FundingKind.DEPOSIT)
            pay = find(window, QComboBox, "funding.field.payCurrency")
            pay.setCurrentIndex(pay.findData("USD"))
            find(window, QLineEdit, "funding.amount").setText("100")
            find(window, QPushButton, "funding.submitButton").click()
            await wait_for(lambda: "pending" in window.vm.funding.result_text.lower(),
                           what="the deposit pending")
            alerts = window.vm.alerts.alerts
            assert not [a for a in alerts if a.kind == "funding_settled"]
            (deposit,) = lwork_sim.state.entries("Deposit")
            lwork_sim.state.pay_deposit(deposit.job_id)
            settled = await wait_for(
                lambda: [a for a in alerts if a.kind == "funding_settled"], within=30,
                what="the settled deposit alert")
            assert settled[0].title == "Deposit accepted"
            assert settled[0].text.startswith("100")
            assert "MT4" in settled[0].text or mt4.account_id in settled[0].text
            toast = await wait_for(lambda: toasts(window), what="its toast")
            assert toast[-1].alert is settled[0]

    qrun(scenario(), timeout=90)


def test_the_theme_follows_the_system_until_overridden(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            vm = window.vm
            app = QApplication.instance()

            def lightness() -> int:
                return app.palette().color(QPalette.ColorRole.Window).lightness()

            assert vm.theme_choice == "system" and vm.theme == "dark"  # no scheme: dark
            dark = lightness()
            vm.set_system_theme("light")  # the OS switched to light
            assert vm.theme == "light" and lightness() > dark
            find(window, QAction, "menu.theme.dark").trigger()  # the override
            assert vm.theme == "dark" and lightness() == dark
            vm.set_system_theme("light")
            assert vm.theme == "dark"  # overridden: the OS is not followed
            find(window, QAction, "menu.theme.system").trigger()
            assert vm.theme == "light" and lightness() > dark
            await vm.saves.wait_all()
            assert Settings.load(vm.settings.path).theme == "system"

    qrun(scenario(), timeout=60)
