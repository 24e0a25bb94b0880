"""Hedging mode and leverage per asset class of one account (non-modal)."""

from __future__ import annotations

import contextlib

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.types import AccountPreferences
from desktop_app.ui.accessibility import describe_widgets
from desktop_app.ui.common import set_result
from desktop_app.viewmodels.preferences_vm import PreferencesViewModel, asset_class_label


class PreferencesDialog(QDialog):
    def __init__(self, vm: PreferencesViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preferences.dialog")
        self.setWindowTitle(f"Preferences of {vm.account.account_id}")
        self.vm = vm
        self.hedging = QCheckBox("Hedging mode (keep opposite positions apart)", self)
        self.hedging.setObjectName("preferences.hedgingMode")
        self.leverage_form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        self.message = QLabel(self)
        self.message.setObjectName("preferences.message")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("preferences.saveButton")
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setObjectName(
            "preferences.closeButton"
        )
        self.save_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.hedging)
        layout.addWidget(QLabel("Leverage per asset class:", self))
        layout.addLayout(self.leverage_form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        # The view-model lives and dies with this dialog; it is closed when the dialog
        # closes, so an answer arriving later reaches no widget. Bound methods only:
        # Qt drops those connections when this dialog is deleted.
        vm.setParent(self)
        self.finished.connect(self._close_vm)
        self.buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self._save)
        vm.loaded.connect(self._show)
        vm.saved.connect(self._saved)
        vm.failed.connect(self._failed)
        vm.busyChanged.connect(self._busy)
        set_result(self.message, "Loading…", True)
        vm.load()

    def _close_vm(self, _result: int = 0) -> None:
        if self.vm.is_closed:
            return
        for signal, slot in ((self.vm.loaded, self._show), (self.vm.saved, self._saved),
                             (self.vm.failed, self._failed),
                             (self.vm.busyChanged, self._busy)):
            with contextlib.suppress(RuntimeError):
                signal.disconnect(slot)
        self.vm.close()

    def _saved(self, text: str) -> None:
        set_result(self.message, text, True)

    def _failed(self, text: str) -> None:
        set_result(self.message, text, False)

    def _busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy and self.vm.preferences is not None)

    def _show(self, prefs: AccountPreferences) -> None:
        self.hedging.setChecked(prefs.hedging_mode)
        for key, setting in prefs.leverages.items():
            combo = self.combos.get(key)
            if combo is None:
                combo = QComboBox(self)
                combo.setObjectName(f"preferences.leverage.{key}")
                self.combos[key] = combo
                self.leverage_form.addRow(asset_class_label(key), combo)
            combo.clear()
            for value in setting.available:
                combo.addItem(f"{value}:1", value)
            combo.setCurrentIndex(max(0, combo.findData(setting.current)))
        describe_widgets(self)  # the leverage per asset class, named by its label
        if self.message.text() == "Loading…":
            set_result(self.message, "", True)
        self.save_button.setEnabled(True)

    def _save(self) -> None:
        leverages = {key: int(combo.currentData()) for key, combo in self.combos.items()}
        set_result(self.message, "Saving…", True)
        self.vm.save(self.hedging.isChecked(), leverages)
