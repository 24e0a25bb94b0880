"""The keyboard: one table (``SHORTCUTS``) registers the keys and builds Help → Keyboard
shortcuts, so the page can never list a key that does nothing.

Money moves only with a deliberate combination (Ctrl+Shift and a letter) and through the
same view-model call a click makes: on a LIVE account Buy, Sell, Close and Cancel ask
first, as they do when clicked. Enter in the ticket checks the order and asks which side;
it never sends by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.types import OrderType, Side
from desktop_app.ui.accessibility import describe_widgets
from desktop_app.viewmodels import formatting as fmt

if TYPE_CHECKING:
    from desktop_app.ui.main_window import MainWindow

ANYWHERE = "main window"


@dataclass(frozen=True, slots=True)
class Shortcut:
    id: str
    keys: str  # QKeySequence's portable text
    label: str  # the menu's words
    what: str  # the page's words
    # ANYWHERE: a window shortcut (an action of the Trade menu or the window); otherwise
    # the widget whose keys these are (handled there).
    where: str = ANYWHERE
    menu: bool = True  # in the Trade menu (window shortcuts only)


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("search", "Ctrl+F", "Find instrument",
             "Find an instrument: the cursor goes to the order ticket's search"),
    Shortcut("results", "Down", "", "Into the search results (Up on the first one: back)",
             where="instrument search"),
    Shortcut("choose", "Return", "", "Take the highlighted instrument into the ticket; the "
             "cursor goes to Size", where="search results"),
    Shortcut("size", "F2", "Set size", "Set the size: the ticket's Size field, its text "
             "selected"),
    Shortcut("ask", "Return", "", "Check the order and ask Buy or Sell: Enter never sends "
             "by itself", where="order ticket fields"),
    Shortcut("buy", "Ctrl+Shift+B", "Buy", "Buy: send the ticket's order as a buy (a LIVE "
             "account asks first, as clicking Buy does)"),
    Shortcut("sell", "Ctrl+Shift+S", "Sell", "Sell: send the ticket's order as a sell (a LIVE "
             "account asks first, as clicking Sell does)"),
    Shortcut("close", "Ctrl+Shift+X", "Close selected position",
             "Close the selected position (a LIVE account asks first)"),
    Shortcut("cancel", "Ctrl+Shift+Del", "Cancel selected order",
             "Cancel the selected working order (a LIVE account asks first)"),
    Shortcut("nextAccount", "Ctrl+PgDown", "Next account",
             "Next account: the ticket, positions, funding and chart follow"),
    Shortcut("previousAccount", "Ctrl+PgUp", "Previous account", "Previous account"),
    Shortcut("funding", "Ctrl+Shift+F", "Funding", "Open the funding panel: the cursor goes "
             "to Amount"),
    Shortcut("copy", "Ctrl+C", "", "Copy the selected rows with their headers, "
             "tab-separated (they paste into a spreadsheet as cells)", where="any table"),
    Shortcut("export", "Ctrl+E", "Export the table last clicked (CSV)…",
             "Export the table last clicked to CSV", menu=False),
    Shortcut("help", "F1", "Keyboard shortcuts", "This list of keyboard shortcuts",
             menu=False),
    Shortcut("quit", "Ctrl+Q", "", "Quit", menu=False),
)


def native(keys: str) -> str:
    """The keys as this platform writes them (⌘ on macOS)."""
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)


class ShortcutsDialog(QDialog):
    """Help → Keyboard shortcuts: the table above, as a page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcuts.dialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(SHORTCUTS), 3, self)
        self.table.setObjectName("shortcuts.table")
        self.table.setHorizontalHeaderLabels(["Keys", "What it does", "Where"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        for row, shortcut in enumerate(SHORTCUTS):
            for col, text in enumerate((native(shortcut.keys), shortcut.what, shortcut.where)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, shortcut.id)
                self.table.setItem(row, col, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.resizeRowsToContents()
        note = QLabel("Buy, Sell, Close and Cancel act exactly as their buttons do: on a LIVE "
                      "account they ask before anything is sent.", self)
        note.setObjectName("shortcuts.note")
        note.setWordWrap(True)
        close = QPushButton("Close", self)
        close.setObjectName("shortcuts.closeButton")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(note)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(760, 520)


class _Keys(QObject):
    """Keys of one widget (an event filter on that widget alone)."""

    def __init__(self, parent: QObject, keys: dict[int, Callable[[], bool]]) -> None:
        super().__init__(parent)
        self.keys = keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            handler = self.keys.get(event.key())
            if handler is not None and event.modifiers() in (
                Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier
            ):
                return handler()
        return False


class WindowShortcuts:
    """The window's keys, registered from ``SHORTCUTS``; ``actions`` by shortcut id."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.actions: dict[str, QAction] = {}
        self.side_box: QMessageBox | None = None
        self.dialog: ShortcutsDialog | None = None
        self.last_table: QTableView | None = None
        handlers: dict[str, Callable[[], object]] = {
            "search": self.focus_search, "size": self.focus_size,
            "buy": lambda: self.send(Side.BUY), "sell": lambda: self.send(Side.SELL),
            "close": self.close_position, "cancel": self.cancel_order,
            "nextAccount": lambda: self.step_account(1),
            "previousAccount": lambda: self.step_account(-1),
            "funding": self.open_funding, "export": self.export_table, "help": self.show_help,
        }
        self.trade_menu = window.menuBar().addMenu("&Trade")
        self.trade_menu.setObjectName("menu.trade")
        for shortcut in SHORTCUTS:
            handler = handlers.get(shortcut.id)
            if handler is None or shortcut.where != ANYWHERE:
                continue
            action = QAction(shortcut.label, window)
            action.setObjectName(f"shortcut.{shortcut.id}")
            action.setShortcut(QKeySequence(shortcut.keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setAutoRepeat(False)  # a held key is one press
            action.setToolTip(shortcut.what)
            action.triggered.connect(lambda _=False, h=handler: h())
            window.addAction(action)
            if shortcut.menu:
                self.trade_menu.addAction(action)
            self.actions[shortcut.id] = action
        self._ticket_keys()
        self._quit_keys()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _quit_keys(self) -> None:
        """Ctrl+Q quits wherever the platform's own Quit keys are something else (or
        none: Windows, the offscreen platform), as the page says."""
        quit_action = self.window.findChild(QAction, "menu.quit")
        keys = QKeySequence("Ctrl+Q")
        if quit_action is not None and keys not in quit_action.shortcuts():
            quit_action.setShortcuts([*quit_action.shortcuts(), keys])

    # --- where keys go inside widgets ----------------------------------------------------

    def _ticket_keys(self) -> None:
        ticket = self.window.ticket
        search, results = ticket.search, ticket.results
        down = Qt.Key.Key_Down.value
        search.installEventFilter(_Keys(search, {down: self.into_results}))
        results.installEventFilter(_Keys(results, {Qt.Key.Key_Up.value: self._back_to_search}))
        results.activated.connect(lambda _index: self.focus_size())
        for field in (ticket.quantity, ticket.level, ticket.stop_price, ticket.stop_loss,
                      ticket.take_profit):
            field.returnPressed.connect(self.ask_side)

    def into_results(self) -> bool:
        results = self.window.ticket.results
        model = results.model()
        if model is None or model.rowCount() == 0:
            return False
        results.setFocus(Qt.FocusReason.ShortcutFocusReason)
        current = results.currentIndex()
        if not current.isValid():
            results.selectionModel().setCurrentIndex(
                model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
        return True

    def _back_to_search(self) -> bool:
        results = self.window.ticket.results
        if results.currentIndex().row() > 0:
            return False
        self.window.ticket.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return True

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        widget = new
        while widget is not None and not isinstance(widget, QTableView):
            widget = widget.parentWidget()
        if isinstance(widget, QTableView) and widget.window() is self.window:
            self.last_table = widget

    # --- actions ----------------------------------------------------------------------

    def _show_dock(self, key: str) -> None:
        dock = self.window.docks[key]
        dock.show()
        dock.raise_()

    def focus_search(self) -> None:
        self._show_dock("orderTicket")
        ticket = self.window.ticket
        ticket.sources.setCurrentIndex(0)
        ticket.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        ticket.search.selectAll()

    def focus_size(self) -> None:
        self._show_dock("orderTicket")
        field: QLineEdit = self.window.ticket.quantity
        field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        field.selectAll()

    def send(self, side: Side) -> object:
        """What clicking Buy or Sell does: the view-model's submit (it asks on LIVE)."""
        self._show_dock("orderTicket")
        return self.window.vm.ticket.submit(side)

    def ask_side(self) -> QMessageBox | None:
        """Enter in the ticket: check the order; when it can go, ask which side (the
        default answer sends nothing, so a second Enter cannot send)."""
        vm = self.window.vm.ticket
        if vm.busy or vm.awaiting_confirmation:
            return None
        problem = vm.check()
        if problem:
            self.window.status.show_message(f"Not ready: {problem}")
            return None
        if self.side_box is not None:
            self.side_box.close()
        context = vm.context
        instrument = vm.instrument
        box = QMessageBox(QMessageBox.Icon.Question, "Buy or sell?",
                          f"{vm.size_label} {vm.size_text} "
                          f"{instrument.symbol if instrument else ''}, "
                          f"{fmt.order_type(vm.order_type).lower()} order"
                          f"\n\n{context.text if context else ''}\n\nWhich side?",
                          QMessageBox.StandardButton.NoButton, self.window)
        box.setObjectName("orderTicket.sideDialog")
        # A limit or stop order's buttons carry its own level; a market order's carry no
        # price (one read now would be old by the time the trader answers).
        market = vm.order_type is OrderType.MARKET
        sell = box.addButton("Sell" if market else vm.button_text(Side.SELL),
                             QMessageBox.ButtonRole.AcceptRole)
        buy = box.addButton("Buy" if market else vm.button_text(Side.BUY),
                            QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton("Neither", QMessageBox.ButtonRole.RejectRole)
        sell.setObjectName("orderTicket.sideDialog.sell")
        buy.setObjectName("orderTicket.sideDialog.buy")
        cancel.setObjectName("orderTicket.sideDialog.neither")
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def clicked(button: object) -> None:
            if button is buy:
                vm.submit(Side.BUY)
            elif button is sell:
                vm.submit(Side.SELL)

        box.buttonClicked.connect(clicked)
        box.finished.connect(lambda _r: setattr(self, "side_box", None))
        self.side_box = box
        describe_widgets(box)
        box.open()
        return box

    def close_position(self) -> None:
        button = self.window.positions.close_button
        if button.isEnabled():
            button.click()  # what the button does, with its question on LIVE
        else:
            self.window.status.show_message(f"Nothing closed: {button.toolTip()}")

    def cancel_order(self) -> None:
        positions = self.window.positions
        positions.lower_tabs.setCurrentIndex(0)  # the working orders
        button = positions.cancel_button
        if button.isEnabled():
            button.click()
        else:
            self.window.status.show_message(f"Nothing cancelled: {button.toolTip()}")

    def step_account(self, step: int) -> None:
        """The next (1) or previous (-1) account in the table's order; the connections
        without accounts are passed over; the ends wrap."""
        panel = self.window.accounts
        table, proxy, model = panel.table, panel.proxy, panel.vm.model
        rows = [r for r in range(proxy.rowCount())
                if model.item(proxy.mapToSource(proxy.index(r, 0)).row()).ref is not None]
        if not rows:
            return
        selected = table.selectionModel().selectedRows()
        current = selected[0].row() if selected else -1
        later = [r for r in rows if (r - current) * step > 0]
        target = (min(later) if step > 0 else max(later)) if later else (
            rows[0] if step > 0 else rows[-1])
        table.selectRow(target)

    def open_funding(self) -> None:
        self._show_dock("funding")
        amount = self.window.funding.amount
        amount.setFocus(Qt.FocusReason.ShortcutFocusReason)
        amount.selectAll()

    def export_table(self) -> None:
        table = self.last_table
        if table is None:
            self.window.status.show_message(
                "Click the table to export first, or use File → Export.")
            return
        self.window.exports.ask_table(table)

    def show_help(self) -> ShortcutsDialog:
        if self.dialog is None:
            self.dialog = ShortcutsDialog(self.window)
            describe_widgets(self.dialog)
        if self.dialog.isVisible():
            self.dialog.raise_()
        else:
            self.dialog.open()
        return self.dialog
