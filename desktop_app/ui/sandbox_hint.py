"""Where the Sandbox is: a hint on the left of the status bar (hidden while a message
shows), elided to the room there is, the whole text in its tooltip; and the question
asked before the Sandbox is reset."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QMessageBox, QSizePolicy, QWidget

from desktop_app.ui.accessibility import describe_widgets
from desktop_app.viewmodels.sandbox_vm import SandboxViewModel


class SandboxHint(QLabel):
    def __init__(self, vm: SandboxViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status.sandboxHint")
        self.vm = vm
        # Never wider than the room the status bar has: the window must not grow for it.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(0)
        vm.changed.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.setText(self.vm.hint)
        self.setToolTip(self.vm.hint)
        self.setVisible(bool(self.vm.hint))

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             self.contentsRect().width())
        painter.drawText(self.contentsRect(), int(Qt.AlignmentFlag.AlignVCenter), text)


def ask_reset(vm: SandboxViewModel, parent: QWidget) -> QMessageBox:
    """The non-modal question before a reset; Reset starts the Sandbox over."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Reset the Sandbox",
                      "Start the Sandbox over?\n\nEvery simulated broker gets new demo "
                      "accounts with their starting money; the Sandbox's positions, working "
                      "orders and funding are gone (the old state is kept as "
                      "state-before-reset.json in the app's data folder).",
                      QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("dialog.resetSandbox")
    reset = box.addButton("Reset Sandbox", QMessageBox.ButtonRole.DestructiveRole)
    reset.setObjectName("dialog.resetSandbox.reset")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(button: object) -> None:
        if button is reset:
            vm.reset_sandbox()

    box.buttonClicked.connect(answered)
    describe_widgets(box)
    box.open()
    return box
