"""Apply a tick that changes every row of the positions table, repaint included.

Compared with the way vn.py's PositionMonitor updates (a QTableWidget, one
QTableWidgetItem.setText per changed cell), measured here on the same machine.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtWidgets import QTableView, QTableWidget, QTableWidgetItem

from desktop_app.domain.types import AccountRef, Position, Side
from desktop_app.viewmodels.positions_model import PositionsTableModel
from tests.benchmarks.conftest import QUICK, median, report

REF = AccountRef("bench", "capital", "A1")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def positions(n: int, tick: int) -> list[Position]:
    out = []
    for i in range(n):
        level = Decimal(1000 + i) + Decimal(tick) / 100
        out.append(
            Position(
                account=REF,
                position_id=f"P{i:06d}",
                symbol=f"SYM{i % 50}",
                name=f"Market {i % 50}",
                side=Side.BUY if i % 2 else Side.SELL,
                size=Decimal(1 + i % 5),
                open_level=Decimal(1000 + i),
                current_level=level,
                profit_loss=(level - Decimal(1000 + i)) * 10,
                currency="USD",
                opened_at=T0,
            )
        )
    return out


def _time_model(qapp, n: int, ticks: int) -> list[float]:
    model = PositionsTableModel()
    view = QTableView()
    view.setModel(model)
    view.resize(1200, 800)
    view.show()
    model.apply(positions(n, 0))
    qapp.processEvents()
    snapshots = [positions(n, t) for t in range(1, ticks + 1)]  # built outside the timing
    times = []
    for snap in snapshots:
        t = time.perf_counter()
        model.apply(snap)
        view.viewport().repaint()
        qapp.processEvents()
        times.append((time.perf_counter() - t) * 1000)
    assert model.rowCount() == n
    assert model.data(model.index(0, PositionsTableModel.COLUMN_CURRENT)) is not None
    view.close()
    return times


def _time_vnpy_style(qapp, n: int, ticks: int) -> list[float]:
    """vn.py PositionMonitor: a QTableWidget whose cells are updated by setText."""
    table = QTableWidget(n, 10)
    table.resize(1200, 800)
    table.show()
    rows = positions(n, 0)
    for r, p in enumerate(rows):
        for c, text in enumerate(_cells(p)):
            table.setItem(r, c, QTableWidgetItem(text))
    qapp.processEvents()
    times = []
    for tick in range(1, ticks + 1):
        snap = positions(n, tick)
        t = time.perf_counter()
        for r, p in enumerate(snap):
            for c, text in enumerate(_cells(p)):
                table.item(r, c).setText(text)
        table.viewport().repaint()
        qapp.processEvents()
        times.append((time.perf_counter() - t) * 1000)
    table.close()
    return times


def _cells(p: Position) -> list[str]:
    return [
        p.name,
        p.side.value,
        str(p.size),
        str(p.open_level),
        str(p.current_level),
        str(p.profit_loss),
        p.currency,
        "",
        "",
        p.opened_at.isoformat(),
    ]


def test_tick_changing_1000_and_10000_rows(qapp) -> None:
    ticks = 5 if QUICK else 20
    t1k = median(_time_model(qapp, 1_000, ticks))
    t10k = median(_time_model(qapp, 10_000, max(3, ticks // 4)))
    report("positions tick, 1,000 rows changed (apply + repaint)", t1k, 10)
    report(
        "positions tick, 10,000 rows changed (apply + repaint)",
        t10k,
        None,
        f"{t10k / t1k:.1f}x the 1,000-row tick (linear would be 10x)",
    )
    vn = median(_time_vnpy_style(qapp, 1_000, 2 if QUICK else 3))
    report(
        "vn.py-style QTableWidget setText, 1,000 rows", vn, None, f"ours is {vn / t1k:.0f}x faster"
    )
    # Sanity, not a timing target: the model's cost grows no worse than linearly (with slack).
    assert t10k < t1k * 20


def test_tick_changing_one_row_of_10000(qapp) -> None:
    model = PositionsTableModel()
    base = positions(10_000, 0)
    model.apply(base)
    changed = list(base)
    changed[5000] = replace(base[5000], current_level=Decimal(1), profit_loss=Decimal(-5))
    emitted = []
    model.dataChanged.connect(lambda a, b, roles=None: emitted.append((a.row(), b.row())))
    t = time.perf_counter()
    model.apply(changed)
    took = (time.perf_counter() - t) * 1000
    report("positions tick, 1 of 10,000 rows changed", took)
    assert emitted and all(a == b == 5000 for a, b in emitted)
