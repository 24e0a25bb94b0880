"""The main window: every panel is a dock (so the layout is saved and restored), menus for
connections and theme, the status bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from desktop_app.ui.account_lifecycle import AccountLifecycleBar
from desktop_app.ui.accounts_panel import AccountsPanel
from desktop_app.ui.activity_panel import ActivityPanel
from desktop_app.ui.balance_chart import BalanceChart
from desktop_app.ui.funding_panel import FundingPanel
from desktop_app.ui.order_ticket import OrderTicketPanel
from desktop_app.ui.positions_panel import PositionsPanel
from desktop_app.ui.preferences_dialog import PreferencesDialog
from desktop_app.ui.products_panel import ProductsPanel
from desktop_app.ui.profiles_dialog import ProfilesDialog
from desktop_app.ui.status_bar import StatusBar
from desktop_app.ui.theme import apply_theme
from desktop_app.viewmodels.app_vm import AppViewModel

DOCK_AREAS = {
    "accounts": Qt.DockWidgetArea.TopDockWidgetArea,
    "positions": Qt.DockWidgetArea.LeftDockWidgetArea,
    "orderTicket": Qt.DockWidgetArea.RightDockWidgetArea,
    "funding": Qt.DockWidgetArea.RightDockWidgetArea,
    "chart": Qt.DockWidgetArea.BottomDockWidgetArea,
    "products": Qt.DockWidgetArea.BottomDockWidgetArea,
    "activity": Qt.DockWidgetArea.BottomDockWidgetArea,
}


class MainWindow(QMainWindow):
    def __init__(self, app_vm: AppViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Trading Dashboard")
        self.vm = app_vm
        self.setDockNestingEnabled(True)
        self.resize(1400, 900)

        self.accounts = AccountsPanel(app_vm.accounts, self)
        self.lifecycle = AccountLifecycleBar(app_vm.lifecycle, app_vm.webhooks, self.accounts)
        self.accounts.button_row.insertWidget(2, self.lifecycle)
        self.positions = PositionsPanel(app_vm.positions, self)
        self.ticket = OrderTicketPanel(app_vm.ticket, self)
        self.funding = FundingPanel(app_vm.funding, self)
        self.chart = BalanceChart(app_vm.chart, self)
        self.products = ProductsPanel(app_vm.products, self)
        self.activity = ActivityPanel(app_vm.activity, self)
        self.status = StatusBar(app_vm.status, self)
        self.setStatusBar(self.status)
        self.docks: dict[str, QDockWidget] = {}
        for key, title, widget in (
            ("accounts", "Accounts", self.accounts),
            ("positions", "Positions and working orders", self.positions),
            ("orderTicket", "Order ticket", self.ticket),
            ("funding", "Funding", self.funding),
            ("chart", "Balance", self.chart),
            ("products", "Products", self.products),
            ("activity", "Activity log", self.activity),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock.{key}")
            dock.setWidget(widget)
            self.addDockWidget(DOCK_AREAS[key], dock)
            self.docks[key] = dock
        self.tabifyDockWidget(self.docks["orderTicket"], self.docks["funding"])
        self.docks["orderTicket"].raise_()
        self.tabifyDockWidget(self.docks["chart"], self.docks["products"])
        self.tabifyDockWidget(self.docks["chart"], self.docks["activity"])
        self.docks["chart"].raise_()
        self.profiles_dialog: ProfilesDialog | None = None
        self.preferences_dialog: PreferencesDialog | None = None
        self._build_menus()

        self.accounts.preferencesRequested.connect(self.open_preferences)
        app_vm.statusMessage.connect(self.status.show_message)
        app_vm.themeChanged.connect(self._apply_theme)
        app_vm.tradeRequested.connect(self.docks["orderTicket"].raise_)
        self._apply_theme(app_vm.theme)
        self._restore_layout()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setObjectName("menu.quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        connections = bar.addMenu("&Connections")
        self.profiles_action = QAction("Add / edit connections…", self)
        self.profiles_action.setObjectName("menu.profiles")
        self.profiles_action.triggered.connect(self.open_profiles)
        connections.addAction(self.profiles_action)

        view = bar.addMenu("&View")
        self.theme_action = QAction("Dark theme", self)
        self.theme_action.setObjectName("menu.theme")
        self.theme_action.setCheckable(True)
        self.theme_action.setChecked(self.vm.theme == "dark")
        self.theme_action.toggled.connect(
            lambda dark: self.vm.set_theme("dark" if dark else "light")
        )
        view.addAction(self.theme_action)
        view.addSeparator()
        for key, dock in self.docks.items():
            action = dock.toggleViewAction()
            action.setObjectName(f"menu.show.{key}")
            view.addAction(action)

    def _apply_theme(self, theme: str) -> None:
        apply_theme(theme)
        self.chart.apply_theme(theme)
        self.products.apply_theme(theme)
        if self.theme_action.isChecked() != (theme == "dark"):
            self.theme_action.setChecked(theme == "dark")

    def _restore_layout(self) -> None:
        geometry = self.vm.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.vm.window_state()
        if state is not None:
            self.restoreState(state)

    # --- dialogs (non-modal: open(), never exec()) -----------------------------------------

    def open_profiles(self) -> ProfilesDialog:
        if self.profiles_dialog is None:
            self.profiles_dialog = ProfilesDialog(self.vm.profiles, self)
        self.profiles_dialog.open()
        return self.profiles_dialog

    def open_preferences(self) -> PreferencesDialog | None:
        vm = self.vm.preferences_vm()
        if vm is None:
            self.status.show_message(self.vm.accounts.preferences_state()[2])
            return None
        if self.preferences_dialog is not None:
            self.preferences_dialog.close()
        dialog = PreferencesDialog(vm, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._preferences_closed)
        self.preferences_dialog = dialog
        dialog.open()
        return dialog

    def _preferences_closed(self, _result: int) -> None:
        self.preferences_dialog = None

    def closeEvent(self, event: QCloseEvent) -> None:
        self.vm.save_window(self.saveGeometry(), self.saveState())
        if self.preferences_dialog is not None:
            self.preferences_dialog.close()  # closes its view-model too
        super().closeEvent(event)
