"""The main window: every panel is a dock (so the layout is saved and restored), menus for
connections and theme, the status bar."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QShowEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMenu, QWidget

from desktop_app import APP_DISPLAY_NAME, __version__
from desktop_app.ui.about_dialog import AboutDialog
from desktop_app.ui.accessibility import describe_widgets
from desktop_app.ui.account_lifecycle import AccountLifecycleBar
from desktop_app.ui.accounts_panel import AccountsPanel
from desktop_app.ui.activity_panel import ActivityPanel
from desktop_app.ui.alert_prefs_dialog import AlertPrefsDialog
from desktop_app.ui.app_icon import apply_app_identity
from desktop_app.ui.balance_chart import BalanceChart
from desktop_app.ui.common import scrolling
from desktop_app.ui.exports import WindowExports
from desktop_app.ui.funding_panel import FundingPanel
from desktop_app.ui.notifier import Notifier
from desktop_app.ui.order_ticket import OrderTicketPanel
from desktop_app.ui.positions_panel import PositionsPanel
from desktop_app.ui.preferences_dialog import PreferencesDialog
from desktop_app.ui.products_panel import ProductsPanel
from desktop_app.ui.profiles_dialog import ProfilesDialog
from desktop_app.ui.sandbox_hint import SandboxHint, ask_reset
from desktop_app.ui.shortcuts import WindowShortcuts
from desktop_app.ui.status_bar import StatusBar
from desktop_app.ui.table_tools import TableStates
from desktop_app.ui.theme import apply_theme
from desktop_app.ui.window_menus import add_action, follow_system_theme, theme_menu
from desktop_app.viewmodels.about_vm import AboutViewModel
from desktop_app.viewmodels.app_vm import AppViewModel

# The default layout: accounts above positions above the chart (one column, so their
# heights share out exactly), the ticket column on the right.
DOCK_AREAS = {
    "accounts": Qt.DockWidgetArea.LeftDockWidgetArea,
    "positions": Qt.DockWidgetArea.LeftDockWidgetArea,
    "orderTicket": Qt.DockWidgetArea.RightDockWidgetArea,
    "funding": Qt.DockWidgetArea.RightDockWidgetArea,
    "chart": Qt.DockWidgetArea.LeftDockWidgetArea,
    "products": Qt.DockWidgetArea.LeftDockWidgetArea,
    "activity": Qt.DockWidgetArea.LeftDockWidgetArea,
}
# The window's first size: this, or the screen's free area where that is smaller.
DEFAULT_SIZE = (1600, 1000)
# Accounts shown without scrolling at the default layout: every Sandbox account (and a
# few more) where the screen is tall enough, three on a 720p laptop.
ACCOUNT_ROWS_TALL, ACCOUNT_ROWS_SHORT = 13, 3
TALL_SCREEN = 900


class MainWindow(QMainWindow):
    closed = Signal()  # the window accepted a close (File → Quit, Ctrl+Q, its close button)

    def __init__(self, app_vm: AppViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"{APP_DISPLAY_NAME} {__version__}")
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.setWindowIcon(apply_app_identity(app))
        self.vm = app_vm
        self.setDockNestingEnabled(True)
        # The ticket column runs the full height on the right (a docked-back panel may go
        # to the top or bottom area): it is the tallest panel, and on a 720p screen it
        # would not fit between the accounts and the chart.
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self._restored = False
        self._laid_out = False

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
        self.sandbox_hint = SandboxHint(app_vm.sandbox, self)
        self.status.addWidget(self.sandbox_hint, 1)
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
            # The forms scroll when the screen is short, so filling them (an error under a
            # field, the facts of a future) never makes the window grow.
            dock.setWidget(scrolling(widget, f"scroll.{key}")
                           if key in ("orderTicket", "funding", "products") else widget)
            self.docks[key] = dock
        self.arrange_docks()
        self.profiles_dialog: ProfilesDialog | None = None
        self.preferences_dialog: PreferencesDialog | None = None
        self.alert_prefs_dialog: AlertPrefsDialog | None = None
        self._build_menus()
        self.about_dialog: AboutDialog | None = None
        self._build_help_menu()
        # Every table: copy, export, columns kept (ui.table_states); keys; alerts.
        self.table_states = TableStates(self)
        self.exports = WindowExports(self, app_vm.exports, self.table_states.tables, self.chart)
        self.shortcuts = WindowShortcuts(self)
        self.notifier = Notifier(self, app_vm.alerts)
        self._build_extra_menus()
        describe_widgets(self)

        self.accounts.preferencesRequested.connect(self.open_preferences)
        app_vm.statusMessage.connect(self.status.show_message)
        app_vm.themeChanged.connect(self._apply_theme)
        app_vm.tradeRequested.connect(self.docks["orderTicket"].raise_)
        follow_system_theme(app_vm)
        self._apply_theme(app_vm.theme)
        # Last: building the menus, docks and theme nudges the size by itself.
        self._fit_to_screen()
        self._restore_layout()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._log_folder = ""
        self.log_folder_action = QAction("Open &log folder", self)
        self.log_folder_action.setObjectName("menu.openLogFolder")
        self.log_folder_action.setEnabled(False)  # until the app says where the log is
        self.log_folder_action.triggered.connect(self.open_log_folder)
        file_menu.addAction(self.log_folder_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setObjectName("menu.quit")
        # The platform's Quit keys where it has them; Ctrl+Q where it has none (Windows,
        # the offscreen platform), so Ctrl+Q quits everywhere.
        quit_action.setShortcuts(
            QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
        )
        # From any of the app's windows (a dialog or message in front included).
        quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        connections = bar.addMenu("&Connections")
        self.profiles_action = QAction("Add / edit connections…", self)
        self.profiles_action.setObjectName("menu.profiles")
        self.profiles_action.triggered.connect(self.open_profiles)
        connections.addAction(self.profiles_action)
        connections.addSeparator()
        self.sandbox_action = QAction("Open Sandbox", self)
        self.sandbox_action.setObjectName("menu.sandbox")
        self.sandbox_action.setToolTip("Simulated brokers with demo money, beside your "
                                       "connections")
        self.sandbox_action.triggered.connect(self.vm.sandbox.open_sandbox)
        connections.addAction(self.sandbox_action)
        self.reset_sandbox_action = QAction("Reset Sandbox…", self)
        self.reset_sandbox_action.setObjectName("menu.resetSandbox")
        self.reset_sandbox_action.triggered.connect(lambda: ask_reset(self.vm.sandbox, self))
        connections.addAction(self.reset_sandbox_action)
        self.drop_streams_action = QAction("Simulate a dropped price stream", self)
        self.drop_streams_action.setObjectName("menu.dropSandboxStreams")
        self.drop_streams_action.setToolTip(
            "Sandbox only: the simulators cut every price stream and refuse new ones for a "
            "few seconds, as a network fault would; the status bar shows what the app does.")
        self.drop_streams_action.triggered.connect(self.vm.sandbox.drop_streams)
        connections.addAction(self.drop_streams_action)
        self.vm.sandbox.changed.connect(self._sandbox_changed)
        self._sandbox_changed()

        view = bar.addMenu("&View")
        self.view_menu = view
        self.theme_actions = theme_menu(view, self.vm, self)
        self.reset_layout_action = add_action(view, self, "Reset layout", "menu.resetLayout",
                                              self.reset_layout)
        view.addSeparator()
        for key, dock in self.docks.items():
            action = dock.toggleViewAction()
            action.setObjectName(f"menu.show.{key}")
            view.addAction(action)

    def _sandbox_changed(self) -> None:
        sandbox = self.vm.sandbox
        self.sandbox_action.setEnabled(sandbox.can_open)
        self.reset_sandbox_action.setEnabled(sandbox.can_reset)
        self.drop_streams_action.setEnabled(sandbox.can_drop_streams)
        self.drop_streams_action.setVisible(sandbox.available)
        # The accounts' title is where a trader looks first and costs no room.
        hint = sandbox.hint
        self.docks["accounts"].setWindowTitle(f"Accounts — {hint}" if hint else "Accounts")

    def _build_help_menu(self) -> None:
        self.help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction(f"&About {APP_DISPLAY_NAME}", self)
        self.about_action.setObjectName("menu.about")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.open_about)
        self.help_menu.addAction(self.about_action)

    def _build_extra_menus(self) -> None:
        """File → Export and Alerts (above what the File menu has), Help → Keyboard
        shortcuts, the Trade menu before Help (ui.shortcuts)."""
        file_menu = self.menuBar().actions()[0].menu()
        first = file_menu.actions()[0] if file_menu.actions() else None
        export = QMenu("&Export", self)
        export.setObjectName("menu.exportMenu")
        self.exports.fill_menu(export)
        export.addSeparator()
        export.addAction(self.shortcuts.actions["export"])
        file_menu.insertMenu(first, export) if first else file_menu.addMenu(export)
        self.alert_prefs_action = add_action(file_menu, self, "Alerts and sounds…",
                                             "menu.alertPrefs", self.open_alert_prefs,
                                             before=first)
        if first is not None:
            file_menu.insertSeparator(first)
        self.help_menu.insertAction(self.about_action, self.shortcuts.actions["help"])
        self.menuBar().insertMenu(self.help_menu.menuAction(), self.shortcuts.trade_menu)

    def _apply_theme(self, theme: str) -> None:
        apply_theme(theme)
        self.chart.apply_theme(theme)
        self.products.apply_theme(theme)

    def arrange_docks(self) -> None:
        """The default arrangement (also what View → Reset layout goes back to)."""
        for key, dock in self.docks.items():
            dock.setFloating(False)
            self.addDockWidget(DOCK_AREAS[key], dock)
            dock.show()
        vertical = Qt.Orientation.Vertical
        self.splitDockWidget(self.docks["accounts"], self.docks["positions"], vertical)
        self.splitDockWidget(self.docks["positions"], self.docks["chart"], vertical)
        self.tabifyDockWidget(self.docks["orderTicket"], self.docks["funding"])
        self.docks["orderTicket"].raise_()
        self.tabifyDockWidget(self.docks["chart"], self.docks["products"])
        self.tabifyDockWidget(self.docks["chart"], self.docks["activity"])
        self.docks["chart"].raise_()

    def reset_layout(self) -> None:
        """View → Reset layout: docks where they start, their default sizes for this
        window, every table's columns as built; the saved layout is forgotten."""
        self.arrange_docks()
        self.table_states.reset()
        self.vm.reset_layout()
        QTimer.singleShot(0, self, self.default_dock_sizes)

    def _fit_to_screen(self) -> None:
        """The first size: DEFAULT_SIZE within the screen's free area, centred on it."""
        # The minimum as the docks are arranged now (tabbed), not as they were added
        # one above the other: that one is taller than a 720p screen.
        self.layout().activate()
        screen = self.screen()
        free = screen.availableGeometry() if screen is not None else QRect(0, 0, *DEFAULT_SIZE)
        width = min(DEFAULT_SIZE[0], free.width())
        height = min(DEFAULT_SIZE[1], free.height())
        self.setGeometry(QRect(free.x() + (free.width() - width) // 2,
                               free.y() + (free.height() - height) // 2, width, height))

    def _restore_layout(self) -> None:
        geometry = self.vm.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.vm.window_state()
        if state is not None:
            self._restored = self.restoreState(state)
        self.table_states.restore(self.vm.table_states())

    def default_dock_sizes(self) -> None:
        """The default layout for this window's size: the ticket column about a third of
        the width, every account visible where the window is tall, a chart below."""
        height, width = self.height(), self.width()
        rows = ACCOUNT_ROWS_TALL if height >= TALL_SCREEN else ACCOUNT_ROWS_SHORT
        dock = self.docks["accounts"]
        title_height = dock.minimumSizeHint().height() - self.accounts.minimumSizeHint().height()
        accounts = self.accounts.height_for_rows(rows) + max(title_height, 0)
        chart = max(150, height // 4)
        column = [self.docks[k] for k in ("accounts", "positions", "chart")]
        # Qt scales the sizes to the column's height: give it sizes that add up to it.
        total = sum(d.height() for d in column)
        positions = max(self.docks["positions"].minimumSizeHint().height(),
                        total - accounts - chart)
        self.resizeDocks(column, [accounts, positions, total - accounts - positions],
                         Qt.Orientation.Vertical)
        ticket = max(380, min(560, width // 3))
        self.resizeDocks([self.docks["positions"], self.docks["orderTicket"]],
                         [width - ticket, ticket], Qt.Orientation.Horizontal)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._laid_out:
            self._laid_out = True
            if not self._restored:
                # Once the window has its first geometry: docks are sized within it.
                QTimer.singleShot(0, self, self.default_dock_sizes)

    def set_log_folder(self, folder: str) -> None:
        self._log_folder = folder
        self.log_folder_action.setEnabled(bool(folder))
        self.log_folder_action.setToolTip(folder)

    def open_log_folder(self) -> bool:
        """Show the log folder in the system's file manager."""
        folder = self._log_folder
        opened = bool(folder) and QDesktopServices.openUrl(QUrl.fromLocalFile(folder))
        if not opened:
            self.status.show_message(f"The log folder could not be opened: {folder or 'none'}")
        return opened

    # --- dialogs (non-modal: open(), never exec()) -----------------------------------------

    def open_profiles(self) -> ProfilesDialog:
        if self.profiles_dialog is None:
            self.profiles_dialog = ProfilesDialog(self.vm.profiles, self)
            describe_widgets(self.profiles_dialog)
        self.profiles_dialog.open()
        return self.profiles_dialog

    def open_about(self) -> AboutDialog:
        if self.about_dialog is None:
            self.about_dialog = AboutDialog(AboutViewModel(), self)
            describe_widgets(self.about_dialog)
        if self.about_dialog.isVisible():  # asked again: bring it forward, no second one
            self.about_dialog.raise_()
            self.about_dialog.activateWindow()
        else:
            self.about_dialog.open()
        return self.about_dialog

    def open_preferences(self) -> PreferencesDialog | None:
        vm = self.vm.preferences_vm()
        if vm is None:
            self.status.show_message(self.vm.accounts.preferences_state()[2])
            return None
        if self.preferences_dialog is not None:
            self.preferences_dialog.close()
        dialog = PreferencesDialog(vm, self)
        describe_widgets(dialog)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._preferences_closed)
        self.preferences_dialog = dialog
        dialog.open()
        return dialog

    def _preferences_closed(self, _result: int) -> None:
        self.preferences_dialog = None

    def open_alert_prefs(self) -> AlertPrefsDialog:
        if self.alert_prefs_dialog is None:
            self.alert_prefs_dialog = AlertPrefsDialog(self.vm.alerts.prefs,
                                                       self.vm.set_alert_prefs, self)
            self.alert_prefs_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            describe_widgets(self.alert_prefs_dialog)
            self.alert_prefs_dialog.destroyed.connect(
                lambda _o=None: setattr(self, "alert_prefs_dialog", None))
            self.alert_prefs_dialog.open()
        else:
            self.alert_prefs_dialog.raise_()
        return self.alert_prefs_dialog

    def closeEvent(self, event: QCloseEvent) -> None:
        self.vm.save_window(self.saveGeometry(), self.saveState(), self.table_states.save())
        if self.preferences_dialog is not None:
            self.preferences_dialog.close()  # closes its view-model too
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()  # the app quits through one road (desktop_app.lifecycle)
