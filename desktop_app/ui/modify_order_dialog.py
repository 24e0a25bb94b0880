"""Change a working order's level, size or stop price; validated before sending."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.types import OrderType, WorkingOrder
from desktop_app.ui.accessibility import describe_widgets
from desktop_app.ui.common import error_label, show_error
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.input_numbers import field_text
from desktop_app.viewmodels.positions_vm import PositionsViewModel


class ModifyOrderDialog(QDialog):
    def __init__(
        self, vm: PositionsViewModel, order: WorkingOrder, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modifyOrder.dialog")
        self.setWindowTitle("Modify working order")
        self.vm = vm
        self.order_id = order.order_id
        self.sent = False
        context = vm.context
        summary = QLabel(
            f"{order.side.value} {fmt.size(order.size)} {order.name or order.symbol} · "
            f"{fmt.order_type(order.order_type)} at {fmt.level(order.level)}"
            + (f"\non {context.text}" if context else ""), self
        )
        summary.setObjectName("modifyOrder.summary")
        summary.setWordWrap(True)
        # Prefilled as the trader would type them in this locale (read back strictly).
        self.level = QLineEdit(field_text(order.level), self)
        self.level.setObjectName("modifyOrder.level")
        self.size = QLineEdit(field_text(order.size), self)
        self.size.setObjectName("modifyOrder.size")
        self.stop_price = QLineEdit(field_text(order.stop_price), self)
        self.stop_price.setObjectName("modifyOrder.stopPrice")
        self.error = error_label("modifyOrder.error", self)
        form = QFormLayout()
        form.addRow("Level", self.level)
        form.addRow("Size", self.size)
        if order.order_type is OrderType.STOP_LIMIT:
            form.addRow("Stop price", self.stop_price)
        else:
            self.stop_price.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Send change")
        ok.setObjectName("modifyOrder.okButton")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName(
            "modifyOrder.cancelButton"
        )
        buttons.accepted.connect(self._send)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        describe_widgets(self)

    def _send(self) -> None:
        if self.sent:  # one press, one change
            return
        errors, amendment = self.vm.validate_amendment(
            self.order_id, self.level.text(), self.size.text(), self.stop_price.text()
        )
        if amendment is None:
            show_error(self.error, next(iter(errors.values()), "Check the values."))
            return
        self.sent = True
        self.ok_button.setEnabled(False)
        self.vm.modify_order(
            self.order_id, self.level.text(), self.size.text(), self.stop_price.text()
        )
        self.accept()
