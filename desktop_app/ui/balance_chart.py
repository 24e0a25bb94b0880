"""Balance and equity over time of the selected account (pyqtgraph, built when first
shown: ``ui.lazy_plot``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop_app.ui.lazy_plot import LazyPlot
from desktop_app.viewmodels.chart_vm import BalanceChartViewModel, hold_steps, min_y_range


class BalanceChart(QWidget):
    def __init__(self, vm: BalanceChartViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chart.panel")
        self.vm = vm
        self.title = QLabel(self)
        self.title.setObjectName("chart.title")
        # A fresh account has seconds of history: keep at least ten minutes in view so the
        # time axis reads as clock times, not fractions of a second.
        self.area = LazyPlot("chart.balance", [("Balance", "#3d8bfd", 2),
                                               ("Equity", "#f0a030", 1)],
                             self, legend=True, min_x_range=600)
        self.empty = QLabel("No balance history yet: it fills in as the account is refreshed.",
                            self)
        self.empty.setObjectName("chart.empty")
        # The "no history" note shares the title's line: shown and hidden there, it does
        # not move the plot (on its own line it resized the plot at every click between
        # an account with history and one without, and the chart was drawn twice more).
        heading = QHBoxLayout()
        heading.addWidget(self.title)
        heading.addStretch(1)
        heading.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(heading)
        layout.addWidget(self.area, 1)
        vm.historyChanged.connect(self._show)
        vm.titleChanged.connect(self.title.setText)
        self._show(vm.times, vm.balances, vm.equities)

    @property
    def balance_curve(self) -> Any:
        """The balance line, once the plot is built (None before)."""
        return self.area.curves.get("Balance")

    def _show(self, times: list[float], balances: list[float], equities: list[float]) -> None:
        # Each value holds until the next one is seen: a line between two snapshots half
        # a minute apart would invent a gradual move (a top-up drawn as a slope).
        self.area.set_data("Balance", *hold_steps(times, balances))
        self.area.set_data("Equity", *hold_steps(times, equities))
        self.area.set_min_y_range(min_y_range(balances, equities))
        self.area.settle()
        self.empty.setVisible(not times)

    def apply_theme(self, theme: str) -> None:
        self.area.apply_theme(theme)
