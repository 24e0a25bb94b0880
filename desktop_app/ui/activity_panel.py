"""The activity log: redacted requests and app events, newest at the bottom."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel
from PySide6.QtWidgets import QHeaderView, QLineEdit, QVBoxLayout, QWidget

from desktop_app.ui.common import table_view
from desktop_app.viewmodels.activity_vm import ActivityViewModel


class ActivityPanel(QWidget):
    def __init__(self, vm: ActivityViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activity.panel")
        self.vm = vm
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(vm.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(self.proxy.filterCaseSensitivity().CaseInsensitive)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("activity.filter")
        self.filter.setPlaceholderText("Filter (e.g. error, POST, positions)")
        self.filter.setClearButtonEnabled(True)
        self.table = table_view("activity.table", self.proxy, self, sortable=False, many=True)
        header = self.table.horizontalHeader()
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        vm.model.rowsAboutToBeInserted.connect(self._remember_bottom)
        vm.model.rowsInserted.connect(self._follow)
        self._at_bottom = True

    def _remember_bottom(self, *_args: object) -> None:
        bar = self.table.verticalScrollBar()
        self._at_bottom = bar.value() >= bar.maximum() - 2

    def _follow(self, *_args: object) -> None:
        if self._at_bottom:
            self.table.scrollToBottom()
