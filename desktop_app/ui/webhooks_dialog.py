"""A connection's webhooks (non-modal): the broker's subscriptions, where this app
listens and what reached it, and Test / Enable / Disable / Delete for the selected one."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.types import WebhookAction
from desktop_app.ui.common import ask, set_result, table_view
from desktop_app.viewmodels.confirmation import Confirmation
from desktop_app.viewmodels.webhooks_vm import WebhooksViewModel

LABELS = {
    WebhookAction.TEST: "Send test",
    WebhookAction.ENABLE: "Enable",
    WebhookAction.DISABLE: "Disable",
    WebhookAction.DELETE: "Delete…",
}


class WebhooksDialog(QDialog):
    def __init__(self, vm: WebhooksViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("webhooks.dialog")
        self.setWindowTitle("Webhooks")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.vm = vm
        self.confirm_box: QMessageBox | None = None
        self.summary = QLabel(self)
        self.summary.setObjectName("webhooks.summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = table_view("webhooks.table", vm.model, self, sortable=False)
        # A handful of rows: every column as wide as its text (a URL is read whole).
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.result_label = QLabel(self)
        self.result_label.setObjectName("webhooks.result")
        self.result_label.setWordWrap(True)
        self.result_label.setVisible(False)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("webhooks.refresh")
        self.action_buttons: dict[WebhookAction, QPushButton] = {}
        row = QHBoxLayout()
        row.addWidget(self.refresh_button)
        row.addStretch(1)
        for action, label in LABELS.items():
            button = QPushButton(label, self)
            button.setObjectName(f"webhooks.{action.value}")
            button.clicked.connect(lambda _c=False, a=action: self._act(a))
            row.addWidget(button)
            self.action_buttons[action] = button
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("webhooks.close")
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.result_label)
        layout.addLayout(row)
        self.resize(900, 320)

        self.refresh_button.clicked.connect(self._refresh)
        self.close_button.clicked.connect(self.reject)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        vm.changed.connect(self._update)
        vm.resultChanged.connect(self._result)
        vm.confirmationRequested.connect(self._ask)
        self._update()
        self._refresh()

    def _refresh(self) -> None:
        if not self.vm.busy:
            self.vm.refresh()

    def _act(self, action: WebhookAction) -> None:
        if self.action_buttons[action].isEnabled():
            self.vm.act(action)

    def _selected(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = [i.row() for i in selected.indexes() if i.column() == 0]
        if rows:
            self.vm.select(self.vm.model.item(rows[0]).webhook_id)

    def _ask(self, question: Confirmation) -> None:
        if self.confirm_box is not None:  # asked already (a double click): one question
            self.confirm_box.raise_()
            return
        self.confirm_box = ask(self, question, "webhooks.confirmDelete", self._answer)

    def _answer(self, accepted: bool) -> None:
        self.confirm_box = None
        self.vm.confirm(accepted)

    def _result(self, text: str, ok: bool) -> None:
        set_result(self.result_label, text, ok)

    def _update(self) -> None:
        vm = self.vm
        self.summary.setText(vm.summary() or "Reading the broker's webhooks…")
        self.refresh_button.setEnabled(not vm.busy)
        for action, button in self.action_buttons.items():
            state = vm.action_state(action)
            button.setEnabled(state.enabled)
            button.setToolTip(state.why)
        row = vm.model.row_of(vm.selected_id) if vm.selected_id else -1
        current = self.table.selectionModel().selectedRows()
        if row >= 0 and (not current or current[0].row() != row):
            self.table.selectRow(row)
