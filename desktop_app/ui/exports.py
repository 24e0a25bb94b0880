"""File → Export: any table as CSV, the balance chart as PNG. Each asks where (a file
dialog opened with ``open()``, never ``exec()``), reads what is shown on the loop (a
few milliseconds even for the activity log's 2,000 rows) and writes the file off it
(``viewmodels.table_export.Exports``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMenu, QTableView, QWidget

from desktop_app.ui.table_tools import TABLE_TITLES, table_contents, table_title
from desktop_app.viewmodels.table_export import Exports


def default_folder() -> Path:
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(documents) if documents else Path.home()
    return folder if folder.is_dir() else Path.home()


def file_stem(title: str) -> str:
    """``Working orders`` → ``working-orders-20250115-150000`` (local time: a file name
    the trader reads)."""
    return f"{title.lower().replace(' ', '-')}-{datetime.now():%Y%m%d-%H%M%S}"


def widget_png(widget: QWidget) -> bytes:
    """The widget as drawn now, as PNG bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    widget.grab().save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


class WindowExports:
    """The export actions of a window: its tables (by object name) and its chart."""

    def __init__(self, parent: QWidget, exports: Exports, tables: dict[str, QTableView],
                 chart: QWidget) -> None:
        self.parent = parent
        self.exports = exports
        self.tables = tables
        self.chart = chart
        self.folder = default_folder()
        self.dialog: QFileDialog | None = None
        for view in tables.values():
            if hasattr(view, "export_handler"):
                view.export_handler = self.ask_table

    def fill_menu(self, menu: QMenu) -> None:
        """One entry per table (in the order of ``TABLE_TITLES``), then the chart."""
        order = [n for n in TABLE_TITLES if n in self.tables]
        order += [n for n in self.tables if n not in order]
        for name in order:
            view = self.tables[name]
            action = menu.addAction(f"{table_title(view)} (CSV)…")
            action.setObjectName(f"menu.export.{name}")
            action.triggered.connect(lambda _=False, v=view: self.ask_table(v))
        menu.addSeparator()
        chart = menu.addAction("Balance chart (PNG)…")
        chart.setObjectName("menu.export.chart")
        chart.triggered.connect(self.ask_chart)

    # --- asking where ------------------------------------------------------------------

    def ask_table(self, view: QTableView) -> QFileDialog:
        title = table_title(view)
        return self._ask(f"Export {title.lower()} as CSV", f"{file_stem(title)}.csv",
                         "CSV files (*.csv)", "csv", lambda path: self.export_table(view, path))

    def ask_chart(self) -> QFileDialog:
        return self._ask("Save the balance chart as PNG", f"{file_stem('Balance')}.png",
                         "PNG images (*.png)", "png", self.export_chart)

    def _ask(self, caption: str, name: str, filter_: str, suffix: str,
             chosen: Callable[[str], object]) -> QFileDialog:
        if self.dialog is not None:  # one at a time: a second request replaces the first
            self.dialog.close()
        dialog = QFileDialog(self.parent, caption)
        dialog.setObjectName("export.fileDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        # Qt's own dialog: the same on every desktop, and one the tests can drive.
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setNameFilter(filter_)
        dialog.setDefaultSuffix(suffix)
        dialog.setDirectory(str(self.folder))
        dialog.selectFile(name)

        def selected(path: str) -> None:
            self.folder = Path(path).parent
            chosen(path)

        dialog.fileSelected.connect(selected)
        dialog.finished.connect(lambda _r: self._closed(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _closed(self, dialog: QFileDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    # --- writing -------------------------------------------------------------------------

    def export_table(self, view: QTableView, path: str | Path):  # -> asyncio.Task[bool]
        table = table_contents(view, selected_only=False)
        return self.exports.save_csv(path, table, table_title(view).lower())

    def export_chart(self, path: str | Path):  # -> asyncio.Task[bool]
        self.chart.area.build()  # drawn now if it was not yet (it is built when first shown)
        return self.exports.save_png(path, widget_png(self.chart), "balance chart")
