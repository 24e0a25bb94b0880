"""The activity log model (capped, batched) and the display formatting of money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from desktop_app.net.request_log import LogEntry
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.activity_vm import ActivityLogModel, ActivityRow, row_from_log

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_rows_are_appended_in_batches_and_capped(qtbot):
    model = ActivityLogModel(max_rows=5, batch_ms=10)
    inserts = []
    removes = []
    model.rowsInserted.connect(lambda _p, a, b: inserts.append((a, b)))
    model.rowsRemoved.connect(lambda _p, a, b: removes.append((a, b)))
    for i in range(3):
        model.add(ActivityRow(T0, "app", "event", f"first {i}"))
    assert model.rowCount() == 0  # not before the batch interval
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=1000)
    assert inserts == [(0, 2)]  # one insertion for the batch
    for i in range(4):
        model.add(ActivityRow(T0, "app", "event", f"second {i}"))
    model.flush()
    assert model.rowCount() == 5
    assert removes == [(0, 1)] and inserts[-1] == (1, 4)
    assert model.row(0).summary == "first 2"


def test_request_rows_show_what_was_logged():
    entry = LogEntry(T0, "c1", "capital", "POST", "/api/v1/positions", 400, 12.4,
                     '{"epic": "GOLD"}', '{"errorCode": "error.invalid.size"}', note="")
    row = row_from_log(entry)
    assert row.summary == "POST /api/v1/positions → 400 (12 ms)"
    assert row.failed and "error.invalid.size" in row.details
    lost = row_from_log(LogEntry(T0, "c1", "capital", "GET", "/x", None, 5000.0, "", ""))
    assert lost.summary.startswith("GET /x → no reply") and lost.failed


def test_money_and_levels_are_formatted_from_decimals():
    assert fmt.money(Decimal("12345.6")) == "12,345.60"
    assert fmt.signed_money(Decimal("-0.5")) == "-0.50"
    assert fmt.level(Decimal("1.08500")) == "1.08500"  # the broker's precision is kept
    assert fmt.level(Decimal("1E+3")) == "1000"  # never exponent form
    assert fmt.size(Decimal("0.0100")) == "0.01"
    assert fmt.age(T0 - timedelta(seconds=75), T0) == "1 min ago"
    assert fmt.period(1) == "per s" and fmt.period(3600) == "per h"
    assert fmt.grouped(Decimal("100000000")) == "100,000,000"
    assert fmt.grouped(Decimal("0.0100")) == "0.01"
    # Typed numbers are read by desktop_app.domain.numbers (tests/domain/test_numbers.py).
    assert not hasattr(fmt, "parse_decimal")
