"""Open positions (live P/L, close) and working orders (cancel)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.common import ElidedLabel, ask, set_result, table_view
from desktop_app.ui.modify_order_dialog import ModifyOrderDialog
from desktop_app.viewmodels.confirmation import Confirmation
from desktop_app.viewmodels.keyed_table import KEY_ROLE
from desktop_app.viewmodels.positions_vm import PositionsViewModel


def _selected_key(view: QTableView) -> str | None:
    rows = view.selectionModel().selectedRows() if view.selectionModel() else []
    return rows[0].data(KEY_ROLE) if rows else None


class PositionsPanel(QWidget):
    def __init__(self, vm: PositionsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("positions.panel")
        self.vm = vm
        self.positions_table = table_view("positions.table", vm.positions_proxy, self)
        self.orders_table = table_view("workingOrders.table", vm.orders_proxy, self)
        self.history_table = table_view("history.table", vm.history, self, sortable=False,
                                        many=True)
        self.history_button = QPushButton("Refresh history", self)
        self.history_button.setObjectName("history.refreshButton")
        self.history_status = QLabel(self)
        self.history_status.setObjectName("history.status")
        self.history_status.setWordWrap(True)
        self.close_button = QPushButton("Close position", self)
        self.close_button.setObjectName("positions.closeButton")
        self.cancel_button = QPushButton("Cancel order", self)
        self.cancel_button.setObjectName("workingOrders.cancelButton")
        self.modify_button = QPushButton("Modify…", self)
        self.modify_button.setObjectName("workingOrders.modifyButton")
        self.close_all_button = QPushButton("Close all", self)
        self.close_all_button.setObjectName("positions.closeAllButton")
        self.modify_dialog: ModifyOrderDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self.account = ElidedLabel(self, max_width=1200)
        self.account.setObjectName("positions.account")
        # One line (whole in the tooltip and the activity log): a long outcome never
        # makes the panel, and so the window, taller.
        self.message = ElidedLabel(self, max_width=4000)
        self.message.setObjectName("positions.message")
        self.message.setVisible(False)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("positions.splitter")
        split.addWidget(self._group(
            "Open positions", self.positions_table, self.close_all_button, self.close_button
        ))
        self.lower_tabs = QTabWidget(self)
        self.lower_tabs.setObjectName("positions.lowerTabs")
        self.lower_tabs.addTab(self._group(
            "", self.orders_table, self.modify_button, self.cancel_button
        ), "Working orders")
        history = self._group("", self.history_table, self.history_button)
        history.layout().insertWidget(0, self.history_status)
        self.lower_tabs.addTab(history, "History")
        split.addWidget(self.lower_tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.account)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)

        self.close_button.clicked.connect(self._close_selected)
        self.cancel_button.clicked.connect(self._cancel_selected)
        self.modify_button.clicked.connect(self._modify_selected)
        self.close_all_button.clicked.connect(lambda: vm.close_all())
        self.history_button.clicked.connect(lambda: vm.load_history())
        self.lower_tabs.currentChanged.connect(self._tab_shown)
        self.positions_table.selectionModel().selectionChanged.connect(self._update)
        self.orders_table.selectionModel().selectionChanged.connect(self._update)
        vm.stateChanged.connect(self._update)
        vm.positions.modelReset.connect(self._update)
        vm.positions.rowsRemoved.connect(self._update)
        vm.orders.modelReset.connect(self._update)
        vm.orders.rowsRemoved.connect(self._update)
        vm.messageChanged.connect(self._show_message)
        vm.confirmationRequested.connect(self._confirm)
        vm.confirmationWithdrawn.connect(self._drop_confirmation)
        self._update()

    def _group(self, title: str, table: QTableView, *buttons: QPushButton) -> QGroupBox:
        box = QGroupBox(title, self)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in buttons:
            row.addWidget(button)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(4, 4, 4, 4)
        inner.addWidget(table)
        inner.addLayout(row)
        return box

    def _close_selected(self) -> None:
        """Close the position selected when Close was pressed (by its key); the selection
        ends there, so a second press has nothing to act on."""
        key = _selected_key(self.positions_table)
        if key is not None:
            self.positions_table.clearSelection()
            self.vm.close_position(key)

    def _cancel_selected(self) -> None:
        key = _selected_key(self.orders_table)
        if key is not None:
            self.orders_table.clearSelection()
            self.vm.cancel_order(key)

    def _show_message(self, text: str, ok: bool) -> None:
        set_result(self.message, text, ok)
        self.message.setToolTip(text)

    def _confirm(self, question: Confirmation) -> None:
        self._drop_confirmation()
        self.confirm_box = ask(self, question, "positions.confirmDialog", self.vm.confirm)
        self.confirm_box.finished.connect(lambda _r: setattr(self, "confirm_box", None))

    def _drop_confirmation(self) -> None:
        box, self.confirm_box = self.confirm_box, None
        if box is not None:
            box.finished.disconnect()
            box.close()

    def _tab_shown(self, index: int) -> None:
        # Read once when first shown; after that the trader refreshes it.
        if self.lower_tabs.widget(index) is self.history_table.parentWidget() and (
            self.vm.history.rowCount() == 0 and not self.vm.history_status
        ):
            self.vm.load_history()

    def _modify_selected(self) -> None:
        if self.modify_dialog is not None:  # one dialog at a time (a double click)
            self.modify_dialog.raise_()
            return
        key = _selected_key(self.orders_table)
        order = self.vm.working_order(key) if key is not None else None
        if order is None:
            return
        dialog = ModifyOrderDialog(self.vm, order, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.modify_dialog = dialog
        dialog.finished.connect(lambda _r: setattr(self, "modify_dialog", None))
        dialog.open()

    def _update(self, *_args: object) -> None:
        context = self.vm.context
        self.account.setText(f"Positions of {context.text}" if context else "No account selected")
        self.account.setToolTip(context.tooltip if context else "")
        enabled, why = self.vm.close_state()
        key = _selected_key(self.positions_table)
        busy = key is not None and (self.vm.is_busy("close", key)
                                    or self.vm.is_finished("close", key))
        self.close_button.setEnabled(enabled and key is not None and not busy)
        self.close_button.setToolTip(why if not enabled else
                                     ("Select a position." if key is None else why))
        enabled, why = self.vm.cancel_state()
        key = _selected_key(self.orders_table)
        busy = key is not None and (self.vm.is_busy("cancel", key)
                                    or self.vm.is_finished("cancel", key))
        self.cancel_button.setEnabled(enabled and key is not None and not busy)
        self.cancel_button.setToolTip(why if not enabled else
                                      ("Select a working order." if key is None else why))
        enabled, why = self.vm.modify_state()
        busy = key is not None and self.vm.is_busy("modify", key)
        self.modify_button.setVisible(enabled)
        self.modify_button.setEnabled(enabled and key is not None and not busy)
        self.modify_button.setToolTip(why if key is not None else "Select a working order.")
        caps = self.vm.capabilities()
        enabled, why = self.vm.close_all_state()
        self.close_all_button.setVisible(bool(caps and caps.close_all))
        self.close_all_button.setEnabled(enabled and not self.vm.is_busy("close_all", ""))
        self.close_all_button.setToolTip(why)
        enabled, why = self.vm.history_state()
        self.history_button.setEnabled(enabled and not self.vm.is_busy("history", ""))
        self.history_button.setToolTip(why)
        self.history_status.setText(self.vm.history_status or ("" if enabled else why))
