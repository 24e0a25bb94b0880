"""Balance and equity over time of the selected account (pyqtgraph)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_app.ui.theme import CHART_COLOURS
from desktop_app.viewmodels.chart_vm import BalanceChartViewModel, hold_steps, min_y_range


class BalanceChart(QWidget):
    def __init__(self, vm: BalanceChartViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chart.panel")
        self.vm = vm
        self.title = QLabel(self)
        self.title.setObjectName("chart.title")
        self.plot = pg.PlotWidget(
            parent=self, axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)}
        )
        self.plot.setObjectName("chart.balance")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        # A fresh account has seconds of history: keep at least ten minutes in view so the
        # time axis reads as clock times, not fractions of a second.
        self.plot.getViewBox().setLimits(minXRange=600)
        self.plot.addLegend(offset=(10, 10))
        self.balance_curve = self.plot.plot(
            [], [], name="Balance", pen=pg.mkPen("#3d8bfd", width=2)
        )
        self.equity_curve = self.plot.plot([], [], name="Equity", pen=pg.mkPen("#f0a030", width=1))
        self.empty = QLabel("No balance history yet: it fills in as the account is refreshed.",
                            self)
        self.empty.setObjectName("chart.empty")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.empty)
        vm.historyChanged.connect(self._show)
        vm.titleChanged.connect(self.title.setText)
        self._show(vm.times, vm.balances, vm.equities)

    def _show(self, times: list[float], balances: list[float], equities: list[float]) -> None:
        # Each value holds until the next one is seen: a line between two snapshots half
        # a minute apart would invent a gradual move (a top-up drawn as a slope).
        self.balance_curve.setData(*hold_steps(times, balances))
        self.equity_curve.setData(*hold_steps(times, equities))
        self.plot.getViewBox().setLimits(minYRange=min_y_range(balances, equities))
        self.empty.setVisible(not times)

    def apply_theme(self, theme: str) -> None:
        colours = CHART_COLOURS.get(theme, CHART_COLOURS["dark"])
        self.plot.setBackground(colours["background"])
        for axis in ("left", "bottom"):
            item = self.plot.getAxis(axis)
            item.setPen(colours["foreground"])
            item.setTextPen(colours["foreground"])
