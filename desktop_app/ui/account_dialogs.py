"""Open account…, Rename… and Close account…: non-modal dialogs over the account
lifecycle view-model, for any broker that offers them. The opening form is the broker's
(``AccountOpeningForm``): a choice is a list, a text a line with its length limit."""

from __future__ import annotations

import asyncio

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.types import AccountAction, AccountOpeningForm
from desktop_app.ui.common import set_result
from desktop_app.viewmodels.account_lifecycle_vm import NAME_MAX, AccountLifecycleViewModel
from desktop_app.viewmodels.tasks import error_text


class _LifecycleDialog(QDialog):
    """Shared: the result line, the submit button kept to the view-model's state."""

    action: AccountAction = AccountAction.OPEN

    def __init__(self, vm: AccountLifecycleViewModel, name: str, title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.vm = vm
        self.result_label = QLabel(self)
        self.result_label.setObjectName(f"{name}.result")
        self.result_label.setWordWrap(True)
        self.result_label.setVisible(False)
        self.submit = QPushButton(self)
        self.submit.setObjectName(f"{name}.submit")
        self.cancel = QPushButton("Close", self)
        self.cancel.setObjectName(f"{name}.cancel")
        self.cancel.clicked.connect(self.reject)
        self.submit.clicked.connect(self._submit)
        vm.resultChanged.connect(self._result)
        vm.stateChanged.connect(self._update)

    def buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.submit)
        row.addWidget(self.cancel)
        return row

    def _result(self, text: str, ok: bool) -> None:
        set_result(self.result_label, text, ok)
        QTimer.singleShot(0, self, self._fit)

    def _fit(self) -> None:
        """Room for everything shown (a form or a result arrives after the dialog was
        first laid out; texts wrap, so the height follows the width)."""
        layout = self.layout()
        layout.activate()
        width = max(self.width(), self.minimumWidth(), self.sizeHint().width())
        height = max(self.sizeHint().height(), self.minimumSizeHint().height())
        if layout.hasHeightForWidth():
            height = max(height, layout.totalHeightForWidth(width))
        self.setMinimumHeight(self.minimumSizeHint().height())
        self.resize(width, height)

    def _update(self) -> None:
        state = self.vm.state(self.action)
        self.submit.setEnabled(state.enabled and self._ready())
        self.submit.setToolTip(state.why)

    def _ready(self) -> bool:
        return True

    def _submit(self) -> None:
        raise NotImplementedError


class OpenAccountDialog(_LifecycleDialog):
    """The broker's opening forms, one per kind of account."""

    action = AccountAction.OPEN

    def __init__(self, vm: AccountLifecycleViewModel, parent: QWidget | None = None) -> None:
        super().__init__(vm, "openAccount", "Open account", parent)
        self.submit.setText("Open account")
        self.kind = QComboBox(self)
        self.kind.setObjectName("openAccount.kind")
        self.notes = QLabel(self)
        self.notes.setObjectName("openAccount.notes")
        self.notes.setWordWrap(True)
        self.fields_form = QFormLayout()
        self.inputs: dict[str, QComboBox | QLineEdit] = {}
        # What was sent last: the same form is not sent twice (a new account each time);
        # changing any value makes it a new request.
        self.sent: tuple[str, dict[str, str]] | None = None
        self.loading = QLabel("Reading the broker's form…", self)
        self.loading.setObjectName("openAccount.loading")
        form = QFormLayout()
        form.addRow("Kind", self.kind)
        layout = QVBoxLayout(self)
        layout.addWidget(self.loading)
        layout.addLayout(form)
        layout.addLayout(self.fields_form)
        layout.addWidget(self.notes)
        layout.addWidget(self.result_label)
        layout.addLayout(self.buttons())
        self.setMinimumWidth(460)
        self.kind.currentIndexChanged.connect(lambda _i: self._build())
        self._update()
        vm.tasks.start(vm.load_forms(), on_result=self._forms, on_error=self._failed)

    def _forms(self, forms: list[AccountOpeningForm]) -> None:
        self.loading.setVisible(False)
        self.kind.blockSignals(True)
        self.kind.clear()
        for form in forms:
            self.kind.addItem(form.title, form.kind)
        self.kind.blockSignals(False)
        self._build()

    def _failed(self, exc: BaseException) -> None:
        self.loading.setVisible(False)
        set_result(self.result_label, f"The form could not be read: {error_text(exc)}", False)

    def form(self) -> AccountOpeningForm | None:
        kind = self.kind.currentData()
        return next((f for f in self.vm.forms if f.kind == kind), None)

    def _build(self) -> None:
        old = {name: self._value(w) for name, w in self.inputs.items()}
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.inputs.clear()
        form = self.form()
        self.notes.setText(form.notes if form else "")
        for f in form.fields if form else ():
            widget: QComboBox | QLineEdit
            if f.choices:
                widget = QComboBox(self)
                widget.addItem("— choose —", "")
                for value, label in f.choices:
                    widget.addItem(label, value)
                widget.setCurrentIndex(max(0, widget.findData(old.get(f.name, f.default))))
                widget.currentIndexChanged.connect(lambda _i: self._update())
            else:
                widget = QLineEdit(self)
                widget.setPlaceholderText(f.placeholder)
                if f.max_len:
                    widget.setMaxLength(f.max_len)
                widget.setText(old.get(f.name, f.default))
                widget.textChanged.connect(lambda _t: self._update())
            widget.setObjectName(f"openAccount.field.{f.name}")
            self.fields_form.addRow(f.label + ("" if f.optional else " *"), widget)
            self.inputs[f.name] = widget
        self._update()
        # Once Qt has laid the new rows out (a posted layout request), not before.
        QTimer.singleShot(0, self, self._fit)

    @staticmethod
    def _value(widget: QComboBox | QLineEdit) -> str:
        if isinstance(widget, QComboBox):
            return str(widget.currentData() or "")
        return widget.text()

    def values(self) -> dict[str, str]:
        return {name: self._value(w) for name, w in self.inputs.items()}

    def _ready(self) -> bool:
        form = self.form()
        return form is not None and self.sent != (form.kind, self.values())

    def _submit(self) -> None:
        form = self.form()
        if form is not None and self.submit.isEnabled():
            sent = self.sent = (form.kind, self.values())
            future = self.vm.open_account(form.kind, self.values())
            self._update()

            def settled(f: asyncio.Future[object]) -> None:
                # Nothing was sent (refused here, failed): the same form may go again.
                if shiboken6.isValid(self) and (f.cancelled() or f.result() is None) \
                        and self.sent == sent:
                    self.sent = None
                    self._update()

            future.add_done_callback(settled)


class RenameAccountDialog(_LifecycleDialog):
    action = AccountAction.RENAME

    def __init__(self, vm: AccountLifecycleViewModel, parent: QWidget | None = None) -> None:
        super().__init__(vm, "renameAccount", "Rename account", parent)
        self.submit.setText("Rename")
        self.account = QLabel(vm.account_label(), self)
        self.account.setObjectName("renameAccount.account")
        self.name = QLineEdit(self)
        self.name.setObjectName("renameAccount.name")
        self.name.setMaxLength(NAME_MAX)
        account = vm.selected_account()
        self.name.setText(account.name if account else "")
        self.name.selectAll()
        form = QFormLayout()
        form.addRow("Account", self.account)
        form.addRow("New name", self.name)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addLayout(self.buttons())
        self.setMinimumWidth(420)
        self.name.textChanged.connect(lambda _t: self._update())
        self.name.returnPressed.connect(self._submit)
        self._update()

    def _ready(self) -> bool:
        account = self.vm.selected_account()
        name = self.name.text().strip()
        return bool(name) and (account is None or name != account.name)

    def _submit(self) -> None:
        if self.submit.isEnabled():
            self.vm.rename(self.name.text())


class CloseAccountDialog(_LifecycleDialog):
    action = AccountAction.CLOSE

    def __init__(self, vm: AccountLifecycleViewModel, parent: QWidget | None = None) -> None:
        super().__init__(vm, "closeAccount", "Close account", parent)
        self.submit.setText("Close account")
        account = vm.selected_account()
        holdings = ("Close " + vm.account_label() + "? The broker closes it once it holds "
                    "nothing: until then only selling is possible.")
        self.question = QLabel(holdings if account else "No account selected.", self)
        self.question.setObjectName("closeAccount.question")
        self.question.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.result_label)
        layout.addLayout(self.buttons())
        self.setMinimumWidth(420)
        self._update()

    def _submit(self) -> None:
        if self.submit.isEnabled():
            self.vm.close_account()
