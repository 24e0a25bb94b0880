"""Tables as CSV files and as tab-separated text for the clipboard, with exact values.

Every table model answers ``RAW_ROLE`` with the value behind a cell: a ``Decimal`` is
written with all its digits and no thousands separators (``1234.5000``, never
``1,234.50`` or ``1234.4999999``), a time as ISO 8601 in UTC (``2025-01-15T15:00:00Z``),
nothing as an empty cell. The rows and columns are the ones the trader sees, in the order
they see them (sorted, columns moved or hidden), read through the view's proxy.

Text that a spreadsheet would run as a formula (``=…``, ``+…``, ``@…``: a broker's message
quoted in the activity log could hold one) is written with a leading apostrophe; numbers
are never touched.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QObject, Qt, Signal

from desktop_app.viewmodels.keyed_table import RAW_ROLE
from desktop_app.viewmodels.tasks import TaskRunner

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a Z; a naive time is taken as UTC (the app keeps none)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cell_text(value: Any) -> str:
    """One exported cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Enum):
        value = value.value
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


@dataclass(frozen=True, slots=True)
class ExportedTable:
    """What is exported: the header titles and the rows, each cell already text."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def read_table(model: QAbstractItemModel, columns: Sequence[int],
               rows: Iterable[int] | None = None) -> ExportedTable:
    """``columns`` (in that order) of ``rows`` (all when None) of ``model``: the values
    of ``RAW_ROLE`` where the model exports them, else the display text."""
    horizontal = Qt.Orientation.Horizontal
    headers = tuple(str(model.headerData(c, horizontal, _DISPLAY) or "") for c in columns)
    role = RAW_ROLE if exports_raw(model) else _DISPLAY
    chosen = range(model.rowCount()) if rows is None else rows
    out = tuple(
        tuple(cell_text(model.index(r, c).data(role)) for c in columns) for r in chosen
    )
    return ExportedTable(headers, out)


def exports_raw(model: QAbstractItemModel) -> bool:
    """Whether the model under any proxies answers ``RAW_ROLE`` (then None is an empty
    cell, not a role it does not know)."""
    source: Any = model
    # Qt's proxies and the app's NumericSortProxy (a plain table model) both name their
    # source with sourceModel().
    while callable(getattr(source, "sourceModel", None)) and source.sourceModel() is not None:
        source = source.sourceModel()
    return bool(getattr(source, "exports_raw", False))


def csv_text(table: ExportedTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    return buffer.getvalue()


def _tsv_cell(text: str) -> str:
    # A tab or a line break inside a cell would start another cell or row when pasted.
    return " ".join(text.replace("\t", " ").splitlines())


def tsv_text(table: ExportedTable) -> str:
    """Tab-separated with the headers first: what a spreadsheet takes from the clipboard."""
    lines = ["\t".join(_tsv_cell(c) for c in row) for row in (table.headers, *table.rows)]
    return "\n".join(lines) + "\n"


def _write_text(path: Path, text: str) -> None:
    # With a byte-order mark: Excel reads the file as UTF-8 only with one (other
    # spreadsheets and csv readers take it either way).
    path.write_text(text, encoding="utf-8-sig", newline="")


def _write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


class Exports(QObject):
    """Writes exports off the loop; ``finished(text, ok)`` says where to, or why not."""

    finished = Signal(str, bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = TaskRunner(self)

    def save_csv(self, path: str | Path, table: ExportedTable,
                 what: str = "table") -> asyncio.Task[bool]:
        count = len(table.rows)
        rows = f"{count} row{'s' if count != 1 else ''}"
        return self._save(Path(path), lambda p: _write_text(p, csv_text(table)),
                          f"Exported the {what} ({rows}) to {path}")

    def save_png(self, path: str | Path, data: bytes, what: str = "chart") -> asyncio.Task[bool]:
        return self._save(Path(path), lambda p: _write_bytes(p, data),
                          f"Saved the {what} as {path}")

    def _save(self, path: Path, write: Any, done: str) -> asyncio.Task[bool]:
        async def run() -> bool:
            try:
                await asyncio.to_thread(write, path)
            except OSError as exc:
                self.finished.emit(f"Could not write {path}: {exc.strerror or exc}.", False)
                return False
            self.finished.emit(done + ".", True)
            return True

        return self.tasks.start(run())

    async def aclose(self) -> None:
        await self.tasks.wait_all()
