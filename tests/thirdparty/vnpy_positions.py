"""vn.py's own PositionMonitor fed the positions benchmark's tick, measured as ours is.

Runs in a separate venv that has vn.py installed (``pip install vnpy``); it imports
nothing of this project. ``run_vnpy_bench.sh`` makes that venv and runs it. vn.py's
``PositionMonitor`` is a ``QTableWidget`` with sorting on; each position update arrives
as an ``EVENT_POSITION`` event whose ``process_event`` turns sorting off, sets the text
of each updated cell and turns sorting on again (a re-sort per event). Its cells sort as
text (``QTableWidgetItem``'s ``<``), so "sorted by P/L" is vn.py's textual order.

Here the events are handed to ``process_event`` directly (what the monitor's signal
does), for every position of a tick, and the monitor is then painted with ``grab()`` at
the size the benchmark uses. Prints one ``BENCH`` line per size, like
``tests/benchmarks``.

    python tests/thirdparty/vnpy_positions.py [--rows 1000] [--ticks 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from vnpy.event import Event, EventEngine
from vnpy.trader.constant import Direction, Exchange
from vnpy.trader.event import EVENT_POSITION
from vnpy.trader.object import PositionData
from vnpy.trader.ui import QtCore, QtWidgets
from vnpy.trader.ui.widget import PositionMonitor

# The same sizes as tests/benchmarks/test_position_ticks.py.
SIZES = {"docked 935x164": (935, 164), "enlarged 1200x800": (1200, 800)}


def positions(n: int, tick: int) -> list[PositionData]:
    """The benchmark's positions (same seeds, same numbers) as vn.py's PositionData."""
    rng = random.Random(tick)
    out = []
    for i in range(n):
        opened = 1000 + i % 500
        level = opened + rng.randrange(-5000, 5000) / 100
        size = 1 + i % 5
        long = bool(i % 2)
        sign = 1 if long else -1
        out.append(PositionData(
            gateway_name="BENCH", symbol=f"P{i:06d}", exchange=Exchange.LOCAL,
            direction=Direction.LONG if long else Direction.SHORT, volume=size,
            price=opened, pnl=round(sign * (level - opened) * size, 2),
        ))
    return out


def time_ticks(app: QtWidgets.QApplication, n: int, ticks: int, size: tuple[int, int]
               ) -> list[float]:
    monitor = PositionMonitor(None, EventEngine())  # the main engine is only stored
    monitor.resize(*size)
    monitor.show()
    for data in positions(n, 0):
        monitor.process_event(Event(EVENT_POSITION, data))
    pnl_column = list(monitor.headers).index("pnl")
    monitor.sortByColumn(pnl_column, QtCore.Qt.SortOrder.DescendingOrder)
    app.processEvents()
    monitor.grab()
    snapshots = [positions(n, t) for t in range(1, ticks + 1)]
    times = []
    for snap in snapshots:
        started = time.perf_counter()
        for data in snap:
            monitor.process_event(Event(EVENT_POSITION, data))
        monitor.grab()
        times.append((time.perf_counter() - started) * 1000)
    assert monitor.rowCount() == n
    monitor.close()
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--ticks", type=int, default=3)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv)
    for where, size in SIZES.items():
        took = statistics.median(time_ticks(app, args.rows, args.ticks, size))
        print(f"BENCH vn.py {metadata_version()} PositionMonitor (its own code), "
              f"{args.rows:,} rows changed, sorted by P/L, {where} (events + grab): "
              f"{took:.2f} ms", flush=True)
    return 0


def metadata_version() -> str:
    from importlib import metadata
    return metadata.version("vnpy")


if __name__ == "__main__":
    sys.exit(main())
