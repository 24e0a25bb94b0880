"""The app's view-model: owns the panel view-models and wires the selected account through.

The entry point creates it after the hub and before ``hub.start()``::

    app_vm = AppViewModel(hub, settings)
    window = MainWindow(app_vm)
    ...
    await app_vm.aclose()   # before hub.stop(): stops timers, cancels and awaits VM tasks
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QByteArray, QObject, Signal

from desktop_app.domain.types import AccountRef
from desktop_app.session.events import Topic
from desktop_app.viewmodels.account_context import account_context
from desktop_app.viewmodels.account_lifecycle_vm import AccountLifecycleViewModel
from desktop_app.viewmodels.accounts_vm import AccountsViewModel
from desktop_app.viewmodels.activity_vm import (
    KIND_ALERT,
    KIND_FUNDING,
    KIND_ORDER,
    ActivityViewModel,
)
from desktop_app.viewmodels.alerts_vm import Alert, AlertsViewModel
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.chart_vm import BalanceChartViewModel
from desktop_app.viewmodels.funding_vm import FundingViewModel
from desktop_app.viewmodels.order_ticket_vm import OrderTicketViewModel
from desktop_app.viewmodels.positions_vm import PositionsViewModel
from desktop_app.viewmodels.preferences_vm import PreferencesViewModel
from desktop_app.viewmodels.products_vm import ProductsViewModel
from desktop_app.viewmodels.profiles_vm import ProfilesViewModel
from desktop_app.viewmodels.sandbox_vm import SandboxViewModel
from desktop_app.viewmodels.status_vm import StatusViewModel
from desktop_app.viewmodels.table_export import Exports
from desktop_app.viewmodels.tasks import TaskRunner
from desktop_app.viewmodels.webhooks_vm import WebhooksViewModel

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub
    from desktop_app.storage.settings import AlertPrefs, Settings

THEMES = ("dark", "light")
KIND_ACCOUNT = "account"  # the activity log's kind for account lifecycle results
THEME_CHOICES = ("system", *THEMES)


def _decode(text: str) -> QByteArray | None:
    if not text:
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except (binascii.Error, ValueError):
        return None


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


class AppViewModel(QObject):
    themeChanged = Signal(str)  # the theme shown: "dark" or "light"
    themeChoiceChanged = Signal(str)  # the trader's choice: "system", "dark" or "light"
    statusMessage = Signal(str)
    selectionChanged = Signal(object)  # AccountRef | None
    tradeRequested = Signal()  # a product went to the ticket: the window shows the ticket

    def __init__(self, hub: Hub, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self.settings = settings
        self._system_theme = ""
        self.tasks = TaskRunner(self)
        self.tasks.failed.connect(self.report_error)
        # Settings writes run to the end, even on quit (aclose waits for them).
        self.saves = TaskRunner(self)
        self.saves.failed.connect(self.report_error)
        self.activity = ActivityViewModel(hub, self)
        self.status = StatusViewModel(hub, self)
        self.accounts = AccountsViewModel(hub, self, preferred=settings.selected_account)
        self.positions = PositionsViewModel(hub, self)
        self.ticket = OrderTicketViewModel(hub, self)
        self.funding = FundingViewModel(hub, self)
        self.chart = BalanceChartViewModel(hub, self)
        self.products = ProductsViewModel(hub, self)
        self.profiles = ProfilesViewModel(hub, self)
        self.sandbox = SandboxViewModel(hub, settings, self)  # controller set by the runtime
        self.lifecycle = AccountLifecycleViewModel(hub, self)
        self.webhooks = WebhooksViewModel(hub, self)
        self.alerts = AlertsViewModel(hub, settings.alert_prefs(), self)
        self.exports = Exports(self)
        self._preferences: list[PreferencesViewModel] = []  # open ones, one per dialog
        self._children: list[HubViewModel] = [
            self.activity, self.status, self.accounts, self.positions, self.ticket,
            self.funding, self.chart, self.products, self.profiles, self.sandbox,
            self.lifecycle, self.webhooks, self.alerts,
        ]
        for child in self._children:
            child.error.connect(self.report_error)
        self.accounts.selectionChanged.connect(self._on_selection)
        self.accounts.capabilitiesChanged.connect(self._on_capabilities)
        self.accounts.message.connect(self.statusMessage)
        self.status.message.connect(self.statusMessage)
        self.ticket.quoteSymbolsChanged.connect(self._update_focus)
        self.products.watchedChanged.connect(self._update_focus)
        self.ticket.orderOutcome.connect(self._on_order_result)
        self.positions.actionDone.connect(self._on_position_action)
        self.funding.outcome.connect(self._on_funding_result)
        self.products.tradeRequested.connect(self._trade_product)
        self.profiles.failed.connect(self.statusMessage)
        self.lifecycle.resultChanged.connect(self._on_lifecycle_result)
        self.sandbox.message.connect(self.statusMessage)
        self.alerts.alerted.connect(self._on_alert)
        self.exports.finished.connect(self._on_export)
        if settings.load_warning:
            self.activity.add_error(settings.load_warning)
        self._on_selection(self.accounts.selected)

    # --- selection and focus ----------------------------------------------------------

    @property
    def selected(self) -> AccountRef | None:
        return self.accounts.selected

    def _on_selection(self, ref: AccountRef | None) -> None:
        # Said when the trader moves from one account to another (not at start-up).
        retarget = ref is not None and self.positions.account not in (None, ref)
        self.positions.set_account(ref)
        self.ticket.set_account(ref)
        self.funding.set_account(ref)
        self.chart.set_account(ref)
        self.products.set_account(ref)
        self.lifecycle.set_account(ref)
        self._update_focus()
        if ref is not None and ref != self.settings.selected_account:
            self.settings.selected_account = ref
            self.saves.start(self.settings.save_async())
        self.selectionChanged.emit(ref)
        context = account_context(self.hub, ref)
        if retarget and context is not None:
            self.statusMessage.emit(f"Ticket, positions, funding and chart now on {context.text}")

    def _trade_product(self, instrument: object) -> None:
        """"Trade in ticket" from the products view: the ticket takes the product."""
        self.ticket.choose(instrument)  # type: ignore[arg-type]
        self.tradeRequested.emit()

    def _on_capabilities(self) -> None:
        if self.accounts.announcing_selection:
            return  # every panel read them as it followed the selection (_on_selection)
        self.ticket.refresh_capabilities()
        self.funding.refresh_capabilities()
        self.products.refresh_capabilities()
        self.positions.stateChanged.emit()

    def _update_focus(self) -> None:
        ref = self.accounts.selected
        symbols = self.ticket.quote_symbols() if ref is not None else set()
        topics = set()
        if ref is not None:
            topics = {Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS}
            if symbols:
                topics.add(Topic.QUOTES)
        watched = self.products.watched_symbols() if ref is not None else set()
        self.hub.set_focus(ref, topics, symbols, watched)

    def preferences_vm(self) -> PreferencesViewModel | None:
        """A new view-model for one preferences dialog of the selected account, if offered.

        The dialog adopts it (so it is deleted with the dialog) and closes it when it
        closes; one still open when the app quits is closed by ``aclose()``. Without a
        dialog, the caller closes it (``await vm.aclose()``).
        """
        visible, enabled, _ = self.accounts.preferences_state()
        ref = self.accounts.selected
        if not (visible and enabled) or ref is None:
            return None
        vm = PreferencesViewModel(self.hub, ref, self)
        vm.closed.connect(self._forget_closed_preferences)
        self._preferences.append(vm)
        return vm

    def open_preference_vms(self) -> list[PreferencesViewModel]:
        return list(self._preferences)

    def _forget_closed_preferences(self) -> None:
        for vm in [v for v in self._preferences if v.is_closed]:
            self._preferences.remove(vm)
            # Its tasks are cancelled; wait for them to unwind (aclose waits for this).
            self.tasks.start(self._finish_preferences(vm))

    async def _finish_preferences(self, vm: PreferencesViewModel) -> None:
        await vm.aclose()
        if shiboken6.isValid(vm) and vm.parent() is self:  # no dialog adopted it
            vm.deleteLater()

    # --- messages -------------------------------------------------------------------------

    def report_error(self, text: str) -> None:
        self.activity.add_error(text)
        self.statusMessage.emit(text)

    def _on_order_result(self, text: str, ok: bool) -> None:
        self.activity.add_event(KIND_ORDER, text, failed=not ok)

    def _on_position_action(self, text: str, ok: bool) -> None:
        self.activity.add_event(KIND_ORDER, text, failed=not ok)
        self.statusMessage.emit(text)

    def _on_lifecycle_result(self, text: str, ok: bool) -> None:
        if not text.startswith(("Sending", "Waiting")):
            self.activity.add_event(KIND_ACCOUNT, text, failed=not ok)
            self.statusMessage.emit(text)

    def _on_funding_result(self, text: str, ok: bool) -> None:
        self.activity.add_event(KIND_FUNDING, text, failed=not ok)

    def _on_alert(self, alert: Alert) -> None:
        self.activity.add_event(KIND_ALERT, f"{alert.title}: {alert.text}", source=alert.source,
                                failed=alert.warning)

    def _on_export(self, text: str, ok: bool) -> None:
        if not ok:
            self.activity.add_error(text)
        self.statusMessage.emit(text)

    def set_alert_prefs(self, prefs: AlertPrefs) -> None:
        """The trader's alert preferences: used at once, kept in the settings file."""
        self.alerts.set_prefs(prefs)
        self.settings.set_alert_prefs(prefs)
        self.saves.start(self.settings.save_async())

    # --- theme and window layout ----------------------------------------------------------

    @property
    def theme_choice(self) -> str:
        """"system" (follow the OS colour scheme), "dark" or "light"."""
        return self.settings.theme if self.settings.theme in THEME_CHOICES else "system"

    @property
    def theme(self) -> str:
        """The theme shown: the trader's override, else the OS scheme (dark if unknown)."""
        choice = self.theme_choice
        if choice in THEMES:
            return choice
        return self._system_theme if self._system_theme in THEMES else THEMES[0]

    def set_theme(self, theme: str) -> None:
        """"dark" or "light" (an override), or "system"."""
        if theme == self.settings.theme:
            return
        shown = self.theme
        self.settings.set_theme(theme)
        self.themeChoiceChanged.emit(theme)
        if self.theme != shown:
            self.themeChanged.emit(self.theme)
        self.saves.start(self.settings.save_async())

    def set_system_theme(self, scheme: str) -> None:
        """The OS colour scheme ("dark", "light", or "" when it says none)."""
        shown = self.theme
        self._system_theme = scheme
        if self.theme != shown:
            self.themeChanged.emit(self.theme)

    def toggle_theme(self) -> str:
        self.set_theme("light" if self.theme == "dark" else "dark")
        return self.theme

    def window_geometry(self) -> QByteArray | None:
        return _decode(self.settings.window_geometry)

    def window_state(self) -> QByteArray | None:
        return _decode(self.settings.window_state)

    def table_states(self) -> dict[str, str]:
        """Each table's saved columns (sort, widths, hidden), by its object name."""
        return self.settings.table_states()

    def save_window(self, geometry: QByteArray, state: QByteArray,
                    tables: dict[str, str] | None = None) -> None:
        """Called from the window's closeEvent: written at once (a small file)."""
        self.settings.window_geometry = _encode(geometry)
        self.settings.window_state = _encode(state)
        if tables is not None:
            self.settings.set_table_states(tables)
        try:
            self.settings.save()
        except OSError as exc:
            self.report_error(f"The window layout could not be saved: {exc.strerror}.")

    def reset_layout(self) -> None:
        """View > Reset layout: the saved docks, window size and columns are forgotten."""
        self.settings.reset_layout()
        self.saves.start(self.settings.save_async())
        self.statusMessage.emit("The layout is back to the default: docks, sizes and columns.")

    # --- shutdown -------------------------------------------------------------------------

    def close(self) -> None:
        for prefs in list(self._preferences):
            prefs.close()
        for child in self._children:
            child.close()
        self.tasks.cancel_all()

    async def aclose(self) -> None:
        for prefs in list(self._preferences):
            self._preferences.remove(prefs)
            await prefs.aclose()
        for child in self._children:
            await child.aclose()
        await self.exports.aclose()  # a file being written is finished, not cut
        await self.tasks.aclose()
        await self.saves.wait_all()
