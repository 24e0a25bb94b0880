"""What every table of the app offers, in one place (``table_view`` attaches it):

- Ctrl+C and the context menu copy the selected rows (or all) with their headers as
  tab-separated text, so they paste into a spreadsheet as cells;
- the context menu exports the table as CSV (the window's exporter asks where);
- the header's context menu hides and shows columns and puts them back as they were;
- ``TableStates`` keeps each table's sort, column widths, order and hidden columns
  between runs, and resets them.

Values are the exact ones behind the cells (``viewmodels.table_export``), read in the
order the trader sees rows and columns.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QTableView, QWidget

from desktop_app.viewmodels.table_export import ExportedTable, read_table, tsv_text

# What each table is called in menus and file names (by its object name).
TABLE_TITLES = {
    "accounts.table": "Accounts",
    "positions.table": "Positions",
    "workingOrders.table": "Working orders",
    "history.table": "History",
    "funding.journal": "Funding journal",
    "activity.table": "Activity log",
    "products.table": "Products",
}


def table_title(view: QTableView) -> str:
    name = view.objectName()
    return TABLE_TITLES.get(name, name.split(".")[0] or "Table")


def visible_columns(view: QTableView) -> list[int]:
    """The logical columns shown, in the order they are shown."""
    header = view.horizontalHeader()
    columns = [header.logicalIndex(v) for v in range(header.count())]
    return [c for c in columns if not header.isSectionHidden(c)]


def selected_rows(view: QTableView) -> list[int]:
    selection = view.selectionModel()
    if selection is None:
        return []
    return sorted({index.row() for index in selection.selectedRows()})


def table_contents(view: QTableView, *, selected_only: bool) -> ExportedTable:
    """The rows (the selected ones, or all) as shown: sorted, visible columns in order."""
    rows = selected_rows(view) if selected_only else None
    return read_table(view.model(), visible_columns(view), rows)


def copy_rows(view: QTableView, *, selected_only: bool = True) -> str:
    """Copy rows with headers to the clipboard as tab-separated text; returns it."""
    table = table_contents(view, selected_only=selected_only)
    if selected_only and not table.rows:
        return ""
    text = tsv_text(table)
    clipboard = QGuiApplication.clipboard()
    if clipboard is not None:
        clipboard.setText(text)
    return text


# An export handler: called with the table to export (the window asks where to).
ExportHandler = Callable[[QTableView], None]


def attach(view: QTableView) -> None:
    """Context menus on the table and its header (``table_view`` calls this)."""
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    view.customContextMenuRequested.connect(lambda pos: _table_menu(view, pos))
    header = view.horizontalHeader()
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(lambda pos: _header_menu(view, pos))


def _table_menu(view: QTableView, pos: QPoint) -> QMenu:
    menu = table_menu(view)
    menu.popup(view.viewport().mapToGlobal(pos))
    return menu


def table_menu(view: QTableView) -> QMenu:
    """The table's context menu (built when asked: what it offers depends on the rows)."""
    menu = QMenu(view)
    menu.setObjectName(f"{view.objectName()}.menu")
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    count = len(selected_rows(view))
    copy = menu.addAction(f"Copy {count} selected row{'s' if count != 1 else ''}"
                          if count > 1 else "Copy selected row")
    copy.setObjectName("table.copySelected")
    copy.setShortcut("Ctrl+C")
    copy.setEnabled(count > 0)
    copy.triggered.connect(lambda: copy_rows(view, selected_only=True))
    every = menu.addAction("Copy all rows")
    every.setObjectName("table.copyAll")
    every.setEnabled(view.model().rowCount() > 0)
    every.triggered.connect(lambda: copy_rows(view, selected_only=False))
    handler: ExportHandler | None = getattr(view, "export_handler", None)
    if handler is not None:
        menu.addSeparator()
        export = menu.addAction(f"Export {table_title(view).lower()} to CSV…")
        export.setObjectName("table.exportCsv")
        export.triggered.connect(lambda: handler(view))
    return menu


def _header_menu(view: QTableView, pos: QPoint) -> QMenu:
    menu = header_menu(view)
    menu.popup(view.horizontalHeader().mapToGlobal(pos))
    return menu


def header_menu(view: QTableView) -> QMenu:
    """Show or hide each column (never the last one shown); reset the columns."""
    header = view.horizontalHeader()
    model = view.model()
    menu = QMenu(view)
    menu.setObjectName(f"{view.objectName()}.columnsMenu")
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    shown = visible_columns(view)
    for column in range(header.count()):
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or column)
        action = QAction(title, menu)
        action.setObjectName(f"table.column.{column}")
        action.setCheckable(True)
        action.setChecked(not header.isSectionHidden(column))
        action.setEnabled(shown != [column])  # one column stays
        action.toggled.connect(lambda on, c=column: header.setSectionHidden(c, not on))
        menu.addAction(action)
    menu.addSeparator()
    reset = menu.addAction("Reset columns")
    reset.setObjectName("table.resetColumns")
    default = default_state(view)
    reset.setEnabled(default is not None)
    reset.triggered.connect(lambda: restore_header(view, default) if default else None)
    return menu


# --- persistence --------------------------------------------------------------------------


def _columns_key(view: QTableView) -> str:
    """A short fingerprint of a table's columns, kept with its saved state."""
    model = view.model()
    titles = "\x1f".join(str(model.headerData(c, Qt.Orientation.Horizontal) or "")
                          for c in range(model.columnCount()))
    return hashlib.sha1(titles.encode("utf-8")).hexdigest()[:10]


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _decode(text: str) -> QByteArray | None:
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except (binascii.Error, ValueError):
        return None


DEFAULT_STATE = "defaultHeaderState"  # a Qt property of each table: its columns as built


def default_state(view: QTableView) -> QByteArray | None:
    value = view.property(DEFAULT_STATE)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def restore_header(view: QTableView, state: QByteArray) -> bool:
    header = view.horizontalHeader()
    if not header.restoreState(state):
        return False
    if view.isSortingEnabled() and header.sortIndicatorSection() >= 0:
        view.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())
    return True


class TableStates:
    """The tables of a window, each by its object name: their header states (sort column
    and order, widths, order and hidden columns) saved, restored and reset."""

    def __init__(self, root: QWidget) -> None:
        self.tables: dict[str, QTableView] = {}
        for view in root.findChildren(QTableView):
            name = view.objectName()
            if name and name not in self.tables:
                self.tables[name] = view
                # As built: what "Reset columns" and View > Reset layout go back to.
                view.setProperty(DEFAULT_STATE, view.horizontalHeader().saveState())

    def save(self) -> dict[str, str]:
        return {name: f"{_columns_key(view)}:{_encode(view.horizontalHeader().saveState())}"
                for name, view in self.tables.items()}

    def restore(self, states: dict[str, str]) -> list[str]:
        """Apply saved states; returns the tables restored. A state saved when a table
        had other columns (another version of the app) is left out: widths and hidden
        flags would land on the wrong columns."""
        restored = []
        for name, text in states.items():
            view = self.tables.get(name)
            key, _, encoded = text.partition(":")
            if view is None or key != _columns_key(view):
                continue
            data = _decode(encoded)
            if data is not None and restore_header(view, data):
                restored.append(name)
        return restored

    def reset(self) -> None:
        for view in self.tables.values():
            default = default_state(view)
            if default is not None:
                restore_header(view, default)
