"""File → Alerts and sounds: which alerts are shown, after how long a lost connection is
one, and whether a sound goes with them. Kept in the settings file."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.storage.settings import (
    ALERT_KINDS,
    MAX_LOST_AFTER,
    MIN_LOST_AFTER,
    AlertPrefs,
)
from desktop_app.viewmodels.alerts_vm import KIND_TITLES


class AlertPrefsDialog(QDialog):
    def __init__(self, prefs: AlertPrefs, apply: Callable[[AlertPrefs], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertPrefs.dialog")
        self.setWindowTitle("Alerts and sounds")
        self.apply = apply
        self.kinds: dict[str, QCheckBox] = {}
        group = QGroupBox("Show a notification when…", self)
        column = QVBoxLayout(group)
        for kind in ALERT_KINDS:
            box = QCheckBox(KIND_TITLES[kind], self)
            box.setObjectName(f"alertPrefs.kind.{kind}")
            box.setChecked(kind in prefs.enabled)
            box.setAccessibleName(KIND_TITLES[kind])
            box.setAccessibleDescription("Shows a desktop notification for this kind of "
                                         "alert; the activity log keeps every alert.")
            column.addWidget(box)
            self.kinds[kind] = box
        self.lost_after = QSpinBox(self)
        self.lost_after.setObjectName("alertPrefs.lostAfter")
        self.lost_after.setRange(MIN_LOST_AFTER, MAX_LOST_AFTER)
        self.lost_after.setSuffix(" s")
        self.lost_after.setValue(prefs.connection_lost_after)
        self.lost_after.setAccessibleName("Connection lost after")
        self.lost_after.setAccessibleDescription(
            "Seconds a connection may be down before it is an alert.")
        self.sound = QCheckBox("Play a sound with each alert", self)
        self.sound.setObjectName("alertPrefs.sound")
        self.sound.setChecked(prefs.sound)
        self.sound.setAccessibleName("Sound")
        self.sound.setAccessibleDescription("A short sound with each alert shown.")
        note = QLabel("Alerts turned off here are still written to the activity log.", self)
        note.setObjectName("alertPrefs.note")
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("A connection is lost after", self.lost_after)
        form.addRow(self.sound)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.setObjectName("alertPrefs.buttons")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("alertPrefs.ok")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName(
            "alertPrefs.cancel")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(group)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def prefs(self) -> AlertPrefs:
        return AlertPrefs(
            enabled=frozenset(k for k, box in self.kinds.items() if box.isChecked()),
            sound=self.sound.isChecked(),
            connection_lost_after=self.lost_after.value(),
        )

    def accept(self) -> None:
        self.apply(self.prefs())
        super().accept()
