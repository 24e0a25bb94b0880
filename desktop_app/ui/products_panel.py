"""Products: search or screen the broker's products, see one product's facts (scores)
and price history, and take it to the order ticket."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.common import table_view
from desktop_app.ui.lazy_plot import LazyPlot
from desktop_app.viewmodels.keyed_table import KEY_ROLE
from desktop_app.viewmodels.products_vm import ProductsViewModel


class ProductsPanel(QWidget):
    def __init__(self, vm: ProductsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("products.panel")
        self.vm = vm
        self.search = QLineEdit(self)
        self.search.setObjectName("products.search")
        self.search.setPlaceholderText("Search products (Enter)")
        self.search.setClearButtonEnabled(True)
        self.screen = QComboBox(self)
        self.screen.setObjectName("products.screen")
        self.status = QLabel(self)
        self.status.setObjectName("products.status")
        self.status.setWordWrap(True)
        # Unsorted: a screen's order is the broker's ranking.
        self.table = table_view("products.table", vm.model, self, sortable=False)
        self.details = QLabel(self)
        self.details.setObjectName("products.details")
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plot = LazyPlot("products.history", [("Price", "#3d8bfd", 2)], self)
        self.plot.setMinimumHeight(90)
        self.trade_button = QPushButton("Trade in ticket", self)
        self.trade_button.setObjectName("products.tradeButton")

        top = QHBoxLayout()
        top.addWidget(self.search, 2)
        top.addWidget(self.screen, 1)
        detail_box = QWidget(self)
        detail_col = QVBoxLayout(detail_box)
        detail_col.setContentsMargins(0, 0, 0, 0)
        detail_col.addWidget(self.details)
        detail_col.addWidget(self.plot, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.trade_button)
        detail_col.addLayout(row)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("products.splitter")
        split.addWidget(self.table)
        split.addWidget(detail_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

        self.search.returnPressed.connect(lambda: vm.search(self.search.text()))
        self.screen.activated.connect(self._screen_chosen)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.trade_button.clicked.connect(vm.trade)
        vm.statusChanged.connect(self.status.setText)
        vm.detailsChanged.connect(self._show_details)
        vm.historyChanged.connect(self._show_history)
        vm.stateChanged.connect(self._update_state)
        self._screens: tuple = ()
        self._update_state()
        self._show_details()

    def _update_state(self) -> None:
        ok, why = self.vm.availability()
        self.search.setEnabled(ok)
        self.search.setToolTip("" if ok else why)
        screens = self.vm.screens()
        if screens != self._screens:
            self._screens = screens
            self.screen.clear()
            self.screen.addItem("All products (search)", None)
            for screen in screens:
                self.screen.addItem(screen.label, screen.key)
        self.screen.setVisible(bool(screens))
        current = self.vm.screen.key if self.vm.screen else None
        index = self.screen.findData(current)
        if index >= 0 and index != self.screen.currentIndex():
            self.screen.setCurrentIndex(index)
        caps = self.vm.capabilities()
        self.plot.setVisible(bool(caps and caps.quote_history))
        self._show_details()

    def _screen_chosen(self, index: int) -> None:
        key = self.screen.itemData(index)
        chosen = next((s for s in self.vm.screens() if s.key == key), None)
        self.vm.set_screen(chosen)

    def _selection_changed(self, *_args: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.vm.select(rows[0].data(KEY_ROLE) if rows else None)

    def _show_details(self) -> None:
        self.details.setText(self.vm.details_text)
        self.details.setToolTip(self.vm.details_hint)
        self.trade_button.setEnabled(self.vm.selected is not None)

    def _show_history(self, times: list[float], prices: list[float]) -> None:
        self.plot.set_data("Price", times, prices)
        self.plot.settle()

    def apply_theme(self, theme: str) -> None:
        self.plot.apply_theme(theme)
