"""A pyqtgraph plot that is built when it is first shown.

Importing pyqtgraph walks every Qt class to build its compatibility layer: about a third
of a second, a quarter of the time to the first window. The window, its tables and its
ticket are painted first; the plot follows ``BUILD_DELAY_MS`` after it is first shown (a
plot in a tab behind another waits until that tab is opened). Data and theme given before
are kept and drawn then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop_app.ui.theme import CHART_COLOURS

if TYPE_CHECKING:
    import pyqtgraph as pg

Curve = tuple[str, str, int]  # name, colour, width
# Long enough for the window's first paint to come first.
BUILD_DELAY_MS = 100
# The value lines' grid item spaces time lines this far apart (seconds): none in view.
NO_TIME_LINES = 1e12


class LazyPlot(QWidget):
    def __init__(self, name: str, curves: list[Curve], parent: QWidget | None = None, *,
                 legend: bool = False, min_x_range: float | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}.area")
        self._name = name
        self._wanted = curves
        self._legend = legend
        self._min_x_range = min_x_range
        self._data: dict[str, tuple[Any, Any]] = {}
        self._min_y_range: float | None = None
        self._theme = "dark"
        self.plot: pg.PlotWidget | None = None
        self._value_lines: Any = None
        self.curves: dict[str, Any] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.plot is None:
            QTimer.singleShot(BUILD_DELAY_MS, self, self.build)

    def build(self) -> None:
        if self.plot is not None:
            return
        import pyqtgraph as pg

        plot = pg.PlotWidget(
            parent=self, axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)}
        )
        plot.setObjectName(self._name)
        # The value lines are a grid item of their own: drawn as the left axis's long
        # ticks they cost 5 ms of every repaint of the chart (a click on an account);
        # the grid item's 0.3 ms. The time lines stay the axis's, on its own ticks.
        plot.showGrid(x=True, y=False, alpha=0.2)
        self._value_lines = pg.GridItem(textPen=None)
        self._value_lines.setTickSpacing(x=[NO_TIME_LINES], y=[None, None])
        plot.addItem(self._value_lines)
        if self._min_x_range is not None:
            plot.getViewBox().setLimits(minXRange=self._min_x_range)
        if self._legend:
            plot.addLegend(offset=(10, 10))
        for name, colour, width in self._wanted:
            self.curves[name] = plot.plot([], [], name=name, pen=pg.mkPen(colour, width=width))
        self._layout.addWidget(plot)
        # Shown and laid out now, not on the next turn of the loop (a PNG export may grab
        # it right away).
        plot.setVisible(self.isVisible())
        self._layout.activate()
        self.plot = plot
        self.apply_theme(self._theme)
        if self._min_y_range is not None:
            self.set_min_y_range(self._min_y_range)
        for name, (xs, ys) in self._data.items():
            self.curves[name].setData(xs, ys)
        self.settle()

    def set_data(self, name: str, xs: Any, ys: Any) -> None:
        self._data[name] = (xs, ys)
        if name in self.curves:
            self.curves[name].setData(xs, ys)

    def set_min_y_range(self, value: float) -> None:
        self._min_y_range = value
        if self.plot is not None:
            self.plot.getViewBox().setLimits(minYRange=value)

    def settle(self) -> None:
        """The view's range worked out for the data just given, before the next paint:
        left to the paint, pyqtgraph works it out there, which invalidates the axes and
        the plot is painted twice (3 ms more whenever another account is shown)."""
        if self.plot is not None:
            self.plot.getViewBox().prepareForPaint()

    def apply_theme(self, theme: str) -> None:
        self._theme = theme
        if self.plot is None:
            return
        colours = CHART_COLOURS.get(theme, CHART_COLOURS["dark"])
        self.plot.setBackground(colours["background"])
        for axis in ("left", "bottom"):
            item = self.plot.getAxis(axis)
            item.setPen(colours["foreground"])
            item.setTextPen(colours["foreground"])
        self._value_lines.setPen(colours["foreground"])
