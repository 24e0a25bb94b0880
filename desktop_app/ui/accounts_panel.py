"""Connections and accounts: balances with freshness, the selection, switch, preferences."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QPushButton, QVBoxLayout, QWidget

from desktop_app.ui.common import table_view
from desktop_app.viewmodels.accounts_vm import AccountsViewModel
from desktop_app.viewmodels.keyed_table import NumericSortProxy

RESIZE_SAMPLE_ROWS = 50
FIXED_WIDTHS_FROM = 200  # rows


class AccountsPanel(QWidget):
    preferencesRequested = Signal()

    def __init__(self, vm: AccountsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accounts.panel")
        self.vm = vm
        self.proxy = NumericSortProxy(vm.model, self)
        self.table = table_view("accounts.table", self.proxy, self)
        # Four rows before it scrolls (the Sandbox alone has five accounts at three brokers;
        # more would push the window past a 1080p screen).
        self.table.setMinimumHeight(4 * 22 + 30)
        # A handful of rows: fitting the columns to their text costs nothing here.
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        # An operator's desk lists thousands of accounts (Upvest): widths are fitted to
        # the first rows and those in view, not to every row on each change, and once the
        # list is that long they are fitted once and then left to the trader (refitting
        # on every change of a balance or an age costs a frame).
        self.table.horizontalHeader().setResizeContentsPrecision(RESIZE_SAMPLE_ROWS)
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
            header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            header.setStretchLastSection(True)

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
        if current and current[0].row() == index.row():
            return
        selection.select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def _update_buttons(self) -> None:
        enabled, why = self.vm.switch_state()
        self.switch_button.setEnabled(enabled)
        self.switch_button.setToolTip(why)
        visible, enabled, why = self.vm.preferences_state()
        self.preferences_button.setVisible(visible)
        self.preferences_button.setEnabled(enabled)
        self.preferences_button.setToolTip(why)
