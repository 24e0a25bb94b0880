"""Funding of the selected account, by the broker's own rules, and the funding journal."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.types import FundingKind
from desktop_app.ui.common import (
    ElidedLabel,
    ask,
    error_label,
    keep_room,
    set_result,
    show_error,
    table_view,
)
from desktop_app.ui.funding_form import FundingFormWidget
from desktop_app.viewmodels.confirmation import Confirmation
from desktop_app.viewmodels.funding_vm import FundingViewModel
from desktop_app.viewmodels.sort_proxy import NumericSortProxy


class FundingPanel(QWidget):
    def __init__(self, vm: FundingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("funding.panel")
        self.vm = vm
        self.confirm_box: QMessageBox | None = None
        self.account = ElidedLabel(self, max_width=900)
        self.account.setObjectName("funding.account")
        self.kind = QComboBox(self)
        self.kind.setObjectName("funding.kind")
        self.rules = QLabel(self)
        self.rules.setObjectName("funding.rules")
        self.rules.setWordWrap(True)
        self.amount = QLineEdit(self)
        self.amount.setObjectName("funding.amount")
        self.amount.setPlaceholderText("amount")
        self.amount_error = error_label("funding.amountError", self)
        # Its room is kept with or without a message: when one came and went as the
        # amount was typed, Comment and Send moved under the pointer.
        keep_room(self.amount_error)
        # The broker's own inputs: destination, pay currency, bank details, facts.
        self.extra = FundingFormWidget(vm, self)
        self.comment = QLineEdit(self)
        self.comment.setObjectName("funding.comment")
        self.comment.setPlaceholderText("optional")
        self.submit_button = QPushButton("Send", self)
        self.submit_button.setObjectName("funding.submitButton")
        self.result = QLabel(self)
        self.result.setObjectName("funding.result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.journal_proxy = NumericSortProxy(vm.journal, self)
        self.journal = table_view("funding.journal", self.journal_proxy, self, many=True)
        self.journal.sortByColumn(0, Qt.SortOrder.DescendingOrder)

        form = QFormLayout()
        form.addRow("Kind", self.kind)
        form.addRow("", self.rules)
        amount_box = QWidget(self)
        col = QVBoxLayout(amount_box)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.amount)
        col.addWidget(self.amount_error)
        form.addRow("Amount", amount_box)
        form.addRow(self.extra)
        form.addRow("Comment", self.comment)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.account)
        layout.addLayout(form)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.result)
        layout.addWidget(QLabel("Funding journal", self))
        layout.addWidget(self.journal, 1)

        self.kind.currentIndexChanged.connect(self._kind_chosen)
        self.amount.textChanged.connect(vm.set_amount_text)
        self.comment.textChanged.connect(vm.set_comment)
        self.amount.returnPressed.connect(self._submit)
        self.submit_button.clicked.connect(self._submit)
        vm.errorChanged.connect(lambda text: show_error(self.amount_error, text))
        vm.resultChanged.connect(lambda text, ok: set_result(self.result, text, ok))
        vm.stateChanged.connect(self._update)
        vm.inputsChanged.connect(self._show_inputs)
        vm.confirmationRequested.connect(self._confirm)
        vm.confirmationWithdrawn.connect(self._drop_confirmation)
        self._update()

    def _show_inputs(self) -> None:
        """Values the view-model set itself (a cleared form); typed ones come back equal."""
        for field, text in ((self.amount, self.vm.amount_text), (self.comment, self.vm.comment)):
            if field.text() != text:
                field.setText(text)

    def _confirm(self, question: Confirmation) -> None:
        self._drop_confirmation()
        self.confirm_box = ask(self, question, "funding.confirmDialog", self.vm.confirm)
        self.confirm_box.finished.connect(lambda _r: setattr(self, "confirm_box", None))

    def _drop_confirmation(self) -> None:
        box, self.confirm_box = self.confirm_box, None
        if box is not None:
            box.finished.disconnect()
            box.close()

    def _submit(self) -> None:
        if self.submit_button.isEnabled():
            self.vm.submit()

    def _kind_chosen(self, row: int) -> None:
        value = self.kind.itemData(row)
        if value is not None and FundingKind(value) != self.vm.kind:
            self.vm.set_kind(FundingKind(value))

    def _update(self) -> None:
        kinds = self.vm.kinds()
        current = [self.kind.itemData(i) for i in range(self.kind.count())]
        if current != [k.value for k in kinds]:
            self.kind.blockSignals(True)
            self.kind.clear()
            for k in kinds:
                self.kind.addItem(self.vm.kind_label(k), k.value)
            self.kind.blockSignals(False)
        if self.vm.kind is not None:
            self.kind.setCurrentIndex(max(0, self.kind.findData(self.vm.kind.value)))
        self.kind.setEnabled(len(kinds) > 1)
        ok, why = self.vm.availability()
        self.rules.setText(self.vm.rules_text())
        self.amount.setEnabled(ok or self.vm.busy)
        self.extra.set_enabled(ok)
        self.comment.setEnabled(ok and bool(self.vm.rules and self.vm.rules.comment_max_len))
        default = self.vm.rules.default_comment if self.vm.rules else ""
        self.comment.setPlaceholderText(f"{default} (default)" if default else "optional")
        if self.vm.rules and self.vm.rules.comment_max_len:
            self.comment.setMaxLength(self.vm.rules.comment_max_len + 1)
        self.submit_button.setEnabled(ok and not self.vm.busy)
        self.submit_button.setToolTip(why)
        for row in range(self.kind.count()):  # the broker's names, once its rules are known
            label = self.vm.kind_label(FundingKind(self.kind.itemData(row)))
            if self.kind.itemText(row) != label:
                self.kind.setItemText(row, label)
        label = self.vm.kind_label()
        self.submit_button.setText(f"Send {label.lower()}" if label else "Send")
        context = self.vm.context_text
        self.account.setText(context or "No account selected")
