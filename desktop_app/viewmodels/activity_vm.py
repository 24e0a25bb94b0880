"""The activity log: redacted broker requests and app events, capped, appended in batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from desktop_app.domain.money import utc_now
from desktop_app.net.request_log import LogEntry
from desktop_app.session.events import ConnectionChanged, JournalChanged, PollFailed
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.keyed_table import RAW_ROLE
from desktop_app.viewmodels.throttle import Throttle

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

MAX_ROWS = 2000
BATCH_MS = 100
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
ERROR_COLOUR = QColor("#d64545")

KIND_REQUEST = "request"
KIND_ORDER = "order"
KIND_FUNDING = "funding"
KIND_ERROR = "error"
KIND_EVENT = "event"
KIND_ALERT = "alert"


@dataclass(frozen=True, slots=True)
class ActivityRow:
    at: datetime
    source: str
    kind: str
    summary: str
    details: str = ""
    failed: bool = False


def row_from_log(entry: LogEntry) -> ActivityRow:
    status = "no reply" if entry.status is None else str(entry.status)
    summary = f"{entry.method} {entry.url} → {status} ({entry.elapsed_ms:.0f} ms)"
    if entry.note:
        summary += f" · {entry.note}"
    details = "\n\n".join(
        part for part in (
            f"Request: {entry.request_body}" if entry.request_body else "",
            f"Response: {entry.response_body}" if entry.response_body else "",
        ) if part
    )
    failed = entry.status is None or entry.status >= 400
    return ActivityRow(entry.at, entry.connection or entry.broker, KIND_REQUEST, summary,
                       details[:4000], failed)


class ActivityLogModel(QAbstractTableModel):
    HEADERS = ("Time (UTC)", "Source", "Kind", "What")
    exports_raw = True  # answers RAW_ROLE for every cell

    def __init__(self, parent: QObject | None = None, *, max_rows: int = MAX_ROWS,
                 batch_ms: int = BATCH_MS) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self._rows: list[ActivityRow] = []
        self._pending: list[ActivityRow] = []
        self._throttle = Throttle(self.flush, batch_ms, self)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == _DISPLAY:
            col = index.column()
            if col == 0:
                return row.at.strftime("%H:%M:%S.%f")[:-3]
            return (row.source, row.kind, row.summary)[col - 1]
        if role == RAW_ROLE:  # exported: the full time, not the clock time shown
            col = index.column()
            return row.at if col == 0 else (row.source, row.kind, row.summary)[col - 1]
        if role == _TOOLTIP:
            return row.details or row.summary
        if role == _FOREGROUND and row.failed:
            return ERROR_COLOUR
        return None

    def add(self, row: ActivityRow) -> None:
        """Queue a row; rows are appended together at most every ``batch_ms``."""
        self._pending.append(row)
        if len(self._pending) > self.max_rows:
            del self._pending[: len(self._pending) - self.max_rows]
        self._throttle.trigger()

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        overflow = len(self._rows) + len(batch) - self.max_rows
        if overflow > 0:
            drop = min(overflow, len(self._rows))
            if drop:
                self.beginRemoveRows(QModelIndex(), 0, drop - 1)
                del self._rows[:drop]
                self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
        self._rows.extend(batch)
        self.endInsertRows()

    def row(self, index: int) -> ActivityRow:
        return self._rows[index]

    def rows(self) -> list[ActivityRow]:
        return list(self._rows)


class ActivityViewModel(HubViewModel):
    def __init__(self, hub: Hub, parent: QObject | None = None, *, max_rows: int = MAX_ROWS):
        super().__init__(hub, parent)
        self.model = ActivityLogModel(self, max_rows=max_rows)
        self._names: dict[str, str] = {}
        for entry in list(hub.request_log.entries)[-max_rows:]:
            self.model.add(row_from_log(entry))
        self._unsubscribe_log = hub.request_log.subscribe(self._on_log)

    def _source(self, connection_id: str) -> str:
        if connection_id not in self._names:
            for info in self.hub.connections():
                self._names[info.profile.connection_id] = info.profile.name
        return self._names.get(connection_id, connection_id)

    def _on_log(self, entry: LogEntry) -> None:
        row = row_from_log(entry)
        self.model.add(ActivityRow(row.at, self._source(entry.connection) or entry.broker,
                                   row.kind, row.summary, row.details, row.failed))

    def add_event(self, kind: str, text: str, *, source: str = "app", failed: bool = False,
                  details: str = "") -> None:
        self.model.add(ActivityRow(utc_now(), source, kind, text, details, failed))

    def add_error(self, text: str, source: str = "app") -> None:
        self.add_event(KIND_ERROR, text, source=source, failed=True)

    def on_event(self, event: Any) -> None:
        if isinstance(event, ConnectionChanged):
            self._names.pop(event.connection_id, None)
            text = f"connection {event.state.value}"
            if event.message:
                text += f": {event.message}"
            self.add_event(KIND_EVENT, text, source=self._source(event.connection_id),
                           failed=event.state.value in ("failed", "degraded"))
        elif isinstance(event, PollFailed):
            self.add_event(KIND_ERROR, f"refreshing {event.topic.value} failed: {event.message}",
                           source=self._source(event.connection_id), failed=True)
        elif isinstance(event, JournalChanged):
            summary = ", ".join(f"{k}={v}" for k, v in sorted(event.extra.items()))
            self.add_event(event.kind, f"journal entry {event.entry_id} {summary}".strip())

    def close(self) -> None:
        if self._unsubscribe_log is not None:
            self._unsubscribe_log()
            self._unsubscribe_log = None
        self.model.flush()
        super().close()
