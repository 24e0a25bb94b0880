"""The ticket's size unit (where the instrument takes several, e.g. "Amount (EUR)" or
"Quantity") and the broker's buy acknowledgement as a checkbox (Upvest's user-instrument
fit); both hidden where the instrument has neither."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QVBoxLayout, QWidget

from desktop_app.domain.types import SizeUnit
from desktop_app.viewmodels.ticket_sizing import TicketSizing

ACK_LABEL = "The buyer acknowledged it may not fit them"


class TicketSizingRow(QWidget):
    def __init__(self, vm: TicketSizing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderTicket.sizing")
        self.vm = vm
        self.unit = QComboBox(self)
        self.unit.setObjectName("orderTicket.sizeUnit")
        self.acknowledge = QCheckBox(ACK_LABEL, self)
        self.acknowledge.setObjectName("orderTicket.acknowledgement")
        self.acknowledgement_text = QLabel(self)
        self.acknowledgement_text.setObjectName("orderTicket.acknowledgementText")
        self.acknowledgement_text.setWordWrap(True)
        self.acknowledgement_text.setStyleSheet("color: #8a8a8a;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.unit)
        layout.addWidget(self.acknowledge)
        layout.addWidget(self.acknowledgement_text)
        self.unit.currentIndexChanged.connect(self._unit_chosen)
        self.acknowledge.toggled.connect(vm.set_acknowledged)
        vm.changed.connect(self._show)
        self._show()

    def _unit_chosen(self, row: int) -> None:
        value = self.unit.itemData(row) if row >= 0 else None
        if value is not None:
            self.vm.set_unit(SizeUnit(value))

    def _show(self) -> None:
        vm = self.vm
        units = vm.units()
        shown = [SizeUnit(self.unit.itemData(r)) for r in range(self.unit.count())]
        if shown != [u for u, _ in units]:
            self.unit.blockSignals(True)
            self.unit.clear()
            for unit, label in units:
                self.unit.addItem(label, unit.value)
            self.unit.blockSignals(False)
        row = self.unit.findData(vm.unit.value)
        if row >= 0 and row != self.unit.currentIndex():
            self.unit.blockSignals(True)
            self.unit.setCurrentIndex(row)
            self.unit.blockSignals(False)
        self.unit.setVisible(vm.offers_choice)
        text = vm.acknowledgement
        self.acknowledge.setVisible(bool(text))
        self.acknowledgement_text.setVisible(bool(text))
        self.acknowledgement_text.setText(text)
        self.acknowledge.setToolTip(text)
        if self.acknowledge.isChecked() != vm.acknowledged:
            self.acknowledge.blockSignals(True)
            self.acknowledge.setChecked(vm.acknowledged)
            self.acknowledge.blockSignals(False)
        self.setVisible(vm.offers_choice or bool(text))
