"""Export cells: exact Decimals, ISO UTC times, text a spreadsheet will not run; a table
read through a sort proxy in the order shown; CSV and TSV that parse back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from PySide6.QtCore import Qt

from desktop_app.domain.types import AccountRef, Position, Side
from desktop_app.viewmodels.keyed_table import RAW_ROLE
from desktop_app.viewmodels.positions_model import PositionsTableModel
from desktop_app.viewmodels.sort_proxy import NumericSortProxy
from desktop_app.viewmodels.table_export import (
    ExportedTable,
    cell_text,
    csv_text,
    read_table,
    tsv_text,
)

ACC = AccountRef("c", "capital", "A1")


def test_cells_are_exact() -> None:
    assert cell_text(Decimal("1234.5000")) == "1234.5000"
    assert cell_text(Decimal("1E+3")) == "1000"  # never exponent form
    assert cell_text(Decimal("-0.00001")) == "-0.00001"  # a negative number stays one
    assert cell_text(Decimal("0.1") + Decimal("0.2")) == "0.3"  # no float on the way
    assert cell_text(None) == ""
    assert cell_text(True) == "yes"
    aware = datetime(2025, 1, 15, 16, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert cell_text(aware) == "2025-01-15T15:00:00.123456Z"
    assert cell_text(datetime(2025, 1, 15, 15, 0)) == "2025-01-15T15:00:00Z"  # naive: UTC


def test_text_a_spreadsheet_would_run_is_quoted() -> None:
    for text in ("=HYPERLINK(\"http://x\")", "+1+1", "-1+cmd", "@SUM(A1)"):
        assert cell_text(text) == "'" + text
    assert cell_text("BUY") == "BUY"


def position(pid: str, size: str, pnl: str, minutes: int) -> Position:
    at = datetime(2025, 1, 15, 15, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return Position(ACC, pid, "BTCUSD", "Bitcoin", Side.BUY, Decimal(size),
                    Decimal("97000.5"), Decimal("97010.25"), Decimal(pnl), "USD", at)


def test_a_table_is_read_as_shown_through_its_proxy() -> None:
    model = PositionsTableModel()
    model.apply([position("p1", "0.010", "1234.56", 1), position("p2", "2", "-0.1", 2)])
    proxy = NumericSortProxy(model)
    proxy.sort(5, Qt.SortOrder.AscendingOrder)  # by P/L: p2 first
    table = read_table(proxy, [2, 5, 9])
    assert table.headers == ("Size", "P/L", "Opened (UTC)")
    assert table.rows == (("2", "-0.1", "2025-01-15T15:02:00Z"),
                          ("0.010", "1234.56", "2025-01-15T15:01:00Z"))
    # The display shows "+1,234.56"; the value behind it is exact.
    source = model.index(model.row_of("p1"), 5)
    assert source.data() == "+1,234.56" and source.data(RAW_ROLE) == Decimal("1234.56")
    assert read_table(proxy, [0], rows=[1]).rows == (("Bitcoin",),)


def test_csv_and_tsv_parse_back() -> None:
    table = ExportedTable(("What", "Amount"), (("a, \"quoted\"\nline", "1.5"), ("tab\there", "2")))
    parsed = list(csv.reader(io.StringIO(csv_text(table), newline="")))
    assert parsed == [["What", "Amount"], ["a, \"quoted\"\nline", "1.5"], ["tab\there", "2"]]
    lines = tsv_text(table).splitlines()
    assert lines == ["What\tAmount", "a, \"quoted\" line\t1.5", "tab here\t2"]
