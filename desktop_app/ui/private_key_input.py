"""The connections dialog's input for a private-key credential field: paste the PEM text
or choose the key file. The text is never shown once taken (the box empties and a line
says what kind of key it is); the file's path is not kept."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.common import ERROR_STYLE
from desktop_app.viewmodels.private_key import PrivateKeyField

PASTE_HINT = "Paste the PEM text here (-----BEGIN … PRIVATE KEY----- …)"


class PrivateKeyInput(QWidget):
    def __init__(self, vm: PrivateKeyField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        name = f"profiles.field.{vm.name}"
        self.setObjectName(f"{name}.input")
        self.paste_box = QPlainTextEdit(self)
        self.paste_box.setObjectName(name)
        self.paste_box.setPlaceholderText(PASTE_HINT)
        self.paste_box.setTabChangesFocus(True)
        self.paste_box.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.file_button = QPushButton("Choose file…", self)
        self.file_button.setObjectName(f"{name}.file")
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setObjectName(f"{name}.clear")
        self.status = QLabel(self)
        self.status.setObjectName(f"{name}.status")
        self.status.setWordWrap(True)
        self.file_dialog: QFileDialog | None = None

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.file_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.paste_box)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

        self.paste_box.textChanged.connect(self._pasted)
        self.file_button.clicked.connect(self._choose_file)
        self.clear_button.clicked.connect(vm.clear)
        vm.changed.connect(self._show)
        self._show()

    def text(self) -> str:
        """The PEM text given ("" for none: a saved connection keeps its key)."""
        return self.vm.value

    def _pasted(self) -> None:
        text = self.paste_box.toPlainText()
        if not text.strip():
            return
        if self.vm.paste(text):
            # Taken: the key is not left on screen.
            self.paste_box.blockSignals(True)
            self.paste_box.clear()
            self.paste_box.blockSignals(False)

    def _choose_file(self) -> None:
        if self.file_dialog is not None:  # one dialog, however often it is clicked
            self.file_dialog.raise_()
            return
        dialog = QFileDialog(self, "Choose the private key file")
        dialog.setObjectName(f"{self.objectName()}.fileDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["PEM keys (*.pem *.key)", "All files (*)"])
        dialog.fileSelected.connect(self.vm.load_file)
        dialog.finished.connect(self._file_dialog_closed)
        self.file_dialog = dialog
        dialog.open()

    def _file_dialog_closed(self, _result: int) -> None:
        dialog, self.file_dialog = self.file_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _show(self) -> None:
        vm = self.vm
        self.status.setText(vm.status)
        self.status.setStyleSheet(ERROR_STYLE if vm.error else "")
        self.clear_button.setEnabled(bool(vm.value or vm.error))
        self.file_button.setEnabled(not vm.loading)
