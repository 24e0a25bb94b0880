"""A small non-modal dialog: the account holder's name the broker keeps (LWork 3.12)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.accessibility import describe_widgets
from desktop_app.ui.common import set_result
from desktop_app.viewmodels.owner_vm import NAME_MAX, OwnerViewModel


class OwnerDialog(QDialog):
    def __init__(self, vm: OwnerViewModel, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("owner.dialog")
        self.setWindowTitle(f"Holder's name — {title}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(420)
        self.vm = vm
        vm.setParent(self)  # deleted with the dialog
        self.name = QLineEdit(self)
        self.name.setObjectName("owner.name")
        self.name.setMaxLength(NAME_MAX + 1)
        self.name.setPlaceholderText("reading it from the broker…")
        self.result = QLabel(self)
        self.result.setObjectName("owner.result")
        self.result.setWordWrap(True)
        self.save_button = QPushButton("Save name", self)
        self.save_button.setObjectName("owner.saveButton")
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("owner.closeButton")
        note = QLabel("The name the broker keeps for the holder of every account of this "
                      "login.", self)
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Name", self.name)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self._save)
        self.name.returnPressed.connect(self._save)
        self.close_button.clicked.connect(self.close)
        vm.nameLoaded.connect(self._loaded)
        vm.resultChanged.connect(lambda text, ok: set_result(self.result, text, ok))
        vm.busyChanged.connect(lambda busy: self.save_button.setEnabled(not busy))
        self.finished.connect(lambda _r: vm.close())
        describe_widgets(self)
        vm.load()

    def _loaded(self, name: str) -> None:
        if not self.name.text() or self.name.text() == self.vm.name:
            self.name.setText(name)

    def _save(self) -> None:
        if self.save_button.isEnabled():
            self.vm.save(self.name.text())
