"""Connections and accounts: balances with freshness, the selection, switch, preferences."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.common import table_view
from desktop_app.viewmodels.accounts_vm import AccountsViewModel
from desktop_app.viewmodels.sort_proxy import NumericSortProxy

RESIZE_SAMPLE_ROWS = 50
FIT_AFTER_MS = 30
FIXED_WIDTHS_FROM = 200  # rows
MAX_COLUMN_WIDTH = 240
ROW_HEIGHT = 22


class AccountsPanel(QWidget):
    preferencesRequested = Signal()

    def __init__(self, vm: AccountsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accounts.panel")
        self.vm = vm
        self.proxy = NumericSortProxy(vm.model, self)
        self.table = table_view("accounts.table", self.proxy, self)
        # Two rows at least; the window's default layout gives it room for all Sandbox
        # accounts where the screen has it (main_window.default_dock_sizes).
        self.table.setMinimumHeight(2 * 22 + 30)
        # A handful of rows: fitting the columns to their text costs nothing here. The cap
        # keeps a long text (an error, the details) from pushing the balances off screen:
        # it is elided, and whole in the tooltip.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMaximumSectionSize(MAX_COLUMN_WIDTH)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # By pixel: "in view" then means the whole row, not just its top line.
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Always there: a scroll bar that appears when a desk's accounts arrive narrows
        # the table, and the window was laid out and repainted whole in that frame.
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        # An operator's desk lists thousands of accounts (Upvest): widths are fitted to
        # the first rows and those in view, not to every row on each change, and once the
        # list is that long they are fitted once and then left to the trader (refitting
        # on every change of a balance or an age costs a frame).
        header.setResizeContentsPrecision(RESIZE_SAMPLE_ROWS)
        vm.model.rowsInserted.connect(lambda *_: self._fix_widths_when_long())
        self.switch_button = QPushButton("Make active", self)
        self.switch_button.setObjectName("accounts.switchButton")
        self.preferences_button = QPushButton("Preferences…", self)
        self.preferences_button.setObjectName("accounts.preferencesButton")

        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addWidget(self.preferences_button)
        buttons.addStretch(1)
        # Further actions (the account lifecycle bar) go before the stretch.
        self.button_row = buttons
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

        self.table.selectionModel().selectionChanged.connect(self._on_view_selection)
        # The account the panels act on stays in view when the table gets shorter or
        # rows arrive above it (both change the scroll range; the trader scrolling does not).
        self.table.verticalScrollBar().rangeChanged.connect(
            lambda *_: QTimer.singleShot(0, self, self._scroll_to_selected))
        self.switch_button.clicked.connect(lambda: vm.switch_to_selected())
        self.preferences_button.clicked.connect(self.preferencesRequested)
        vm.selectionChanged.connect(lambda _ref: self._show_selection())
        vm.capabilitiesChanged.connect(self._update_buttons)
        vm.model.rowsInserted.connect(lambda *_: self._show_selection())
        self._show_selection()
        self._update_buttons()

    def _fix_widths_when_long(self) -> None:
        header = self.table.horizontalHeader()
        if (self.vm.model.rowCount() >= FIXED_WIDTHS_FROM
                and header.sectionResizeMode(0) is QHeaderView.ResizeMode.ResizeToContents):
            # Left to the trader from now on, and fitted once more a frame later, not in
            # the frame the rows arrive in: the fit asks every sampled cell its size
            # (12 ms at 5,000 accounts).
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            header.setStretchLastSection(True)
            QTimer.singleShot(FIT_AFTER_MS, self, self._fit_widths)

    def _fit_widths(self) -> None:
        """As Qt's ResizeToContents with RESIZE_SAMPLE_ROWS: the first rows and those in
        view."""
        table = self.table
        first = max(0, table.rowAt(0))
        last = table.rowAt(table.viewport().height() - 1)
        last = table.model().rowCount() - 1 if last < 0 else last
        rows = set(range(min(RESIZE_SAMPLE_ROWS, table.model().rowCount())))
        rows.update(range(first, last + 1))
        table.fit_columns(sorted(rows))

    def _scroll_to_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.table.scrollTo(rows[0])

    def height_for_rows(self, rows: int) -> int:
        """The panel's height that shows ``rows`` accounts without scrolling."""
        header = self.table.horizontalHeader()
        header_height = max(header.sizeHint().height(), header.height())
        # Room for the horizontal scroll bar: the columns are wider than a laptop's half.
        scroll_bar = self.table.horizontalScrollBar().sizeHint().height()
        buttons = self.switch_button.sizeHint().height()
        margins = self.layout().contentsMargins()
        return (header_height + rows * ROW_HEIGHT + scroll_bar + 2 * self.table.frameWidth()
                + 2 + self.layout().spacing() + buttons + margins.top() + margins.bottom())

    def _on_view_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        # Only a row newly selected is the trader's choice. When rows go away (an account
        # list arrives), Qt deselects or moves the selection by itself: that is not one,
        # and the view-model's selection is shown again once the model has settled.
        rows = [i for i in selected.indexes() if i.column() == 0]
        if not rows:
            QTimer.singleShot(0, self, self._show_selection)
            return
        source = self.proxy.mapToSource(rows[0])
        item = self.vm.model.item(source.row())
        if item.ref is None:  # a connection without accounts: keep the old selection
            self._show_selection()
            return
        self.vm.select_row(source.row())

    def _show_selection(self) -> None:
        ref = self.vm.selected
        row = self.vm.model.row_for_account(ref) if ref is not None else -1
        selection = self.table.selectionModel()
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.vm.model.index(row, 0))
        current = selection.selectedRows()
        if not current or current[0].row() != index.row():
            selection.select(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        # The account the panels act on stays in view, also when other connections' rows
        # arrive above it.
        QTimer.singleShot(0, self, self._scroll_to_selected)

    def _update_buttons(self) -> None:
        enabled, why = self.vm.switch_state()
        self.switch_button.setEnabled(enabled)
        self.switch_button.setToolTip(why)
        visible, enabled, why = self.vm.preferences_state()
        self.preferences_button.setVisible(visible)
        self.preferences_button.setEnabled(enabled)
        self.preferences_button.setToolTip(why)
