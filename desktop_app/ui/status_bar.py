"""The status bar: connection states and request-budget use per broker."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar, QWidget

from desktop_app.ui.common import ElidedLabel
from desktop_app.viewmodels.status_vm import StatusViewModel

MESSAGE_MS = 8000


class StatusBar(QStatusBar):
    def __init__(self, vm: StatusViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status.bar")
        self.vm = vm
        # Elided, whole in the tooltip: a fifth connection or a long error never widens
        # the window, and the messages on the left keep their room.
        self.connection = ElidedLabel(self, max_width=460)
        self.connection.setObjectName("status.connection")
        self.budget = ElidedLabel(self, max_width=380)
        self.budget.setObjectName("status.budget")
        self.addPermanentWidget(self.connection)
        self.addPermanentWidget(self.budget)
        vm.changed.connect(self._update)
        self._update()

    def show_message(self, text: str) -> None:
        """A passing message, cut to the room left of the connection states (Qt would
        draw it under them); the activity log keeps every message whole."""
        if not text:
            self.clearMessage()
            return
        room = self.connection.geometry().left() - 12 if self.connection.width() else 0
        if room <= 0:
            room = self.width() // 2
        self.showMessage(
            self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room), MESSAGE_MS
        )

    def _update(self) -> None:
        self.connection.setText(self.vm.connection_text)
        self.connection.setToolTip(self.vm.connection_tooltip)
        self.budget.setText(self.vm.budget_text)
        self.budget.setToolTip(self.vm.budget_tooltip)
        self.connection.updateGeometry()
        self.budget.updateGeometry()
