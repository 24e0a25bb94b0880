"""The accounts panel's lifecycle buttons: Open account…, Rename…, Close account… and
Webhooks…, each shown where the broker offers it and greyed out with the reason where the
selected account's status does not allow it. Dialogs are non-modal, one of each kind."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QHBoxLayout, QMessageBox, QPushButton, QWidget

from desktop_app.domain.types import AccountAction
from desktop_app.ui.account_dialogs import (
    CloseAccountDialog,
    OpenAccountDialog,
    RenameAccountDialog,
)
from desktop_app.ui.common import ask
from desktop_app.ui.webhooks_dialog import WebhooksDialog
from desktop_app.viewmodels.account_lifecycle_vm import AccountLifecycleViewModel
from desktop_app.viewmodels.confirmation import Confirmation
from desktop_app.viewmodels.webhooks_vm import WebhooksViewModel

BUTTONS = (
    (AccountAction.OPEN, "accounts.openButton", "Open account…"),
    (AccountAction.RENAME, "accounts.renameButton", "Rename…"),
    (AccountAction.CLOSE, "accounts.closeButton", "Close account…"),
)


class AccountLifecycleBar(QWidget):
    def __init__(self, vm: AccountLifecycleViewModel, webhooks: WebhooksViewModel,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accounts.lifecycle")
        self.vm = vm
        self.webhooks = webhooks
        self.buttons: dict[AccountAction, QPushButton] = {}
        self.dialogs: dict[str, QDialog] = {}
        self.confirm_box: QMessageBox | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        factories: dict[AccountAction, Callable[[], QDialog]] = {
            AccountAction.OPEN: lambda: OpenAccountDialog(vm, self.window()),
            AccountAction.RENAME: lambda: RenameAccountDialog(vm, self.window()),
            AccountAction.CLOSE: lambda: CloseAccountDialog(vm, self.window()),
        }
        for action, name, label in BUTTONS:
            button = QPushButton(label, self)
            button.setObjectName(name)
            button.clicked.connect(
                lambda _c=False, a=action, f=factories[action]: self._open(a.value, f))
            row.addWidget(button)
            self.buttons[action] = button
        self.webhooks_button = QPushButton("Webhooks…", self)
        self.webhooks_button.setObjectName("accounts.webhooksButton")
        self.webhooks_button.clicked.connect(self._open_webhooks)
        row.addWidget(self.webhooks_button)
        vm.stateChanged.connect(self._update)
        vm.confirmationRequested.connect(self._ask)
        self._update()

    def _open(self, key: str, factory: Callable[[], QDialog]) -> None:
        found = self.dialogs.get(key)
        if found is not None:  # one of each: a second click shows it
            found.raise_()
            found.activateWindow()
            return
        dialog = factory()
        self.dialogs[key] = dialog
        dialog.finished.connect(lambda _r, k=key: self.dialogs.pop(k, None))
        dialog.open()

    def _open_webhooks(self) -> None:
        self.webhooks.set_connection(self.vm.connection_id)
        self._open("webhooks", lambda: WebhooksDialog(self.webhooks, self.window()))

    def _ask(self, question: Confirmation) -> None:
        if self.confirm_box is not None:  # asked already: one question
            self.confirm_box.raise_()
            return
        self.confirm_box = ask(self.window(), question, "accounts.confirmLive", self._answer)

    def _answer(self, accepted: bool) -> None:
        self.confirm_box = None
        self.vm.confirm(accepted)

    def _update(self) -> None:
        self.webhooks.set_connection(self.vm.connection_id)
        states = [(button, self.vm.state(action)) for action, button in self.buttons.items()]
        states.append((self.webhooks_button, self.webhooks.offered()))
        row = self.layout()
        # Each button shown lays the row out again at once (about 1 ms each, and the
        # first account of a desk shows four in the frame that selects it): the row is
        # laid out once, after all of them, when Qt handles the layout request they made.
        row.setEnabled(False)
        try:
            for button, state in states:
                button.setVisible(state.visible)
                button.setEnabled(state.enabled)
                button.setToolTip(state.why)
        finally:
            row.setEnabled(True)

