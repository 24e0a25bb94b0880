"""The app's plot: new data is painted once, in a view that holds it."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from desktop_app.ui.lazy_plot import LazyPlot
from tests.ui.harness import EventCount


def test_new_data_is_painted_once_in_a_view_that_holds_it(qtbot) -> None:
    """Left to the paint, pyqtgraph works the view's range out there, invalidates the
    axes and paints the plot a second time; settled before, it paints once."""
    plot = LazyPlot("test.plot", [("Balance", "#3d8bfd", 2), ("Equity", "#e0a030", 1)])
    qtbot.addWidget(plot)
    plot.resize(800, 240)
    plot.show()
    plot.build()
    qtbot.waitExposed(plot)
    for _ in range(3):
        QApplication.processEvents()
    assert plot.plot is not None
    paints = EventCount(QEvent.Type.Paint)
    plot.plot.viewport().installEventFilter(paints)
    counts = []
    for shift in (0.0, 500.0, -300.0):  # another account: another range
        times = [1.7e9 + 60 * i for i in range(30)]
        plot.set_data("Balance", times, [1000 + shift + i for i in range(30)])
        plot.set_data("Equity", times, [1005 + shift + i for i in range(30)])
        plot.set_min_y_range(10)
        plot.settle()
        paints.count = 0
        for _ in range(3):
            QApplication.processEvents()
        counts.append(paints.count)
        (x0, x1), (y0, y1) = plot.plot.getViewBox().viewRange()
        assert x0 <= times[0] and x1 >= times[-1]
        assert y0 <= 1000 + shift and y1 >= 1034 + shift
    # The first data also sizes the axes (a paint more); after that, one each.
    assert counts[1:] == [1, 1], counts
