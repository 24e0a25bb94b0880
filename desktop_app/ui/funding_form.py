"""The broker's own funding inputs inside the funding panel (see
``viewmodels.funding_form``): the destination account of a transfer, the rules' extra
fields (choices as combo boxes, private ones masked with a show/hide toggle, optional
ones marked) and the facts to see before sending, updated as the amount is typed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from desktop_app.domain.types import FormField
from desktop_app.ui.accessibility import describe_widgets, form_field_description
from desktop_app.ui.common import error_label, show_error
from desktop_app.viewmodels.funding_vm import FundingViewModel


class FundingFormWidget(QWidget):
    def __init__(self, vm: FundingViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("funding.form")
        self.vm = vm
        self.form = vm.form
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.destination: QComboBox | None = None
        self.edits: dict[str, QLineEdit] = {}
        self.combos: dict[str, QComboBox] = {}
        self.toggles: dict[str, QToolButton] = {}
        self.facts = QLabel(self)
        self.facts.setObjectName("funding.facts")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = error_label("funding.formError", self)
        # The inputs go above these two rows.
        self.layout_.addRow(self.facts)
        self.layout_.addRow(self.error)
        self._shape: tuple[object, ...] = ((), ())
        self._enabled = True
        self.form.changed.connect(self.refresh)
        self.form.valuesChanged.connect(self._show_values)
        vm.stateChanged.connect(self._show_facts)
        self.refresh()

    # ------------------------------------------------------------------ building

    def refresh(self) -> None:
        destinations = self.form.destinations()
        shape = (self.form.fields, tuple(destinations))
        if shape != self._shape:
            self._shape = shape
            self._build(destinations)
        self._show_facts()

    def _build(self, destinations: list[tuple[object, str]]) -> None:
        while self.layout_.rowCount() > 2:
            self.layout_.removeRow(0)
        row = 0
        self.destination, self.edits, self.combos, self.toggles = None, {}, {}, {}
        if destinations:
            combo = QComboBox(self)
            combo.setObjectName("funding.destination")
            for ref, label in destinations:
                combo.addItem(label, ref)
            index = next((i for i, (ref, _) in enumerate(destinations)
                          if ref == self.form.destination), 0)
            combo.setCurrentIndex(index)
            combo.currentIndexChanged.connect(
                lambda row: self.form.set_destination(combo.itemData(row)))
            self.layout_.insertRow(row, "To account", combo)
            self.destination = combo
            row += 1
        for field in self.form.fields:
            self.layout_.insertRow(row, self._label(field), self._input(field))
            row += 1
        self._show_values()
        self.set_enabled(self._enabled)
        describe_widgets(self)  # the broker's fields, named by their labels

    @staticmethod
    def _label(field: FormField) -> str:
        return field.label + (" (optional)" if field.optional else " *")

    def _input(self, field: FormField) -> QWidget:
        name = f"funding.field.{field.name}"
        if field.choices:
            combo = QComboBox(self)
            combo.setObjectName(name)
            combo.setAccessibleDescription(form_field_description(field))
            for value, label in field.choices:
                combo.addItem(label, value)
            combo.currentIndexChanged.connect(
                lambda row, f=field.name, c=combo: self.form.set_value(f, c.itemData(row)))
            self.combos[field.name] = combo
            return combo
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setAccessibleDescription(form_field_description(field))
        edit.setPlaceholderText(field.placeholder or ("optional" if field.optional else ""))
        if field.max_len:
            edit.setMaxLength(field.max_len)
        edit.textEdited.connect(lambda text, f=field.name: self.form.set_value(f, text))
        self.edits[field.name] = edit
        if not field.private:
            return edit
        # Personal data: masked unless the trader asks to see it.
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        toggle = QToolButton(self)
        toggle.setObjectName(f"{name}.show")
        toggle.setText("Show")
        toggle.setCheckable(True)
        toggle.setToolTip("Show or hide what is typed (kept in the keyring, never logged)")
        toggle.toggled.connect(lambda on, e=edit, t=toggle: self._reveal(e, t, on))
        self.toggles[field.name] = toggle
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(toggle)
        return box

    @staticmethod
    def _reveal(edit: QLineEdit, toggle: QToolButton, on: bool) -> None:
        edit.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        toggle.setText("Hide" if on else "Show")

    # ------------------------------------------------------------------ showing

    def _show_values(self) -> None:
        for name, edit in self.edits.items():
            text = self.form.values.get(name, "")
            if edit.text() != text:
                edit.setText(text)
        for name, combo in self.combos.items():
            index = combo.findData(self.form.values.get(name, ""))
            if index >= 0 and index != combo.currentIndex():
                combo.setCurrentIndex(index)

    def _show_facts(self) -> None:
        text = self.vm.payable_text()
        self.facts.setText(text)
        self.facts.setVisible(bool(text))
        typed = bool(self.vm.amount_text.strip())
        show_error(self.error, self.form.error() if typed else "")

    def set_enabled(self, enabled: bool) -> None:
        self._enabled = enabled
        for widget in (*self.edits.values(), *self.combos.values(), *self.toggles.values(),
                       *((self.destination,) if self.destination else ())):
            widget.setEnabled(enabled)
