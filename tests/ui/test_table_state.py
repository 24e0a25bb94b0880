"""Each table's sort, column widths and hidden columns come back at the next start; View →
Reset layout puts docks, sizes and columns back as they were first built and forgets the
saved layout."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QTableView

from desktop_app.storage.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.table_tools import header_menu
from tests.ui.harness import find, running_window
from tests.viewmodels.sandbox import wait_for

# Offscreen only: a floating dock cannot be raised there.
pytestmark = pytest.mark.qt_log_ignore(
    "This plugin does not support propagateSizeHints", "This plugin does not support raise")

DESC = Qt.SortOrder.DescendingOrder


def hide(table: QTableView, title: str) -> None:
    menu = header_menu(table)
    next(a for a in menu.actions() if a.text() == title).setChecked(False)


def test_sort_widths_and_hidden_columns_persist_and_reset(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            positions = find(window, QTableView, "positions.table")
            header = positions.horizontalHeader()
            default_width = header.sectionSize(0)
            positions.sortByColumn(5, DESC)  # by P/L, largest first
            header.resizeSection(0, default_width + 77)
            hide(positions, "Take profit")
            assert header.isSectionHidden(8)
            hide(find(window, QTableView, "accounts.table"), "Details")
            journal = find(window, QTableView, "funding.journal")
            journal.sortByColumn(3, Qt.SortOrder.AscendingOrder)
            find(window, QDockWidget, "dock.activity").hide()
            window.close()

            saved = Settings.load(window.vm.settings.path)
            assert set(saved.table_states()) >= {"positions.table", "accounts.table",
                                                 "funding.journal", "activity.table"}
            again = MainWindow(window.vm)
            qtbot.addWidget(again)
            again.show()
            await wait_for(again.isVisible, what="the second window")
            header = find(again, QTableView, "positions.table").horizontalHeader()
            assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (5, DESC)
            assert header.sectionSize(0) == default_width + 77
            assert header.isSectionHidden(8) and not header.isSectionHidden(7)
            accounts = find(again, QTableView, "accounts.table").horizontalHeader()
            assert accounts.isSectionHidden(9)
            journal = find(again, QTableView, "funding.journal").horizontalHeader()
            assert journal.sortIndicatorSection() == 3
            assert journal.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
            assert not find(again, QDockWidget, "dock.activity").isVisible()

            # View > Reset layout: as first built, and nothing saved any more.
            funding = find(again, QDockWidget, "dock.funding")
            funding.setFloating(True)
            find(again, QAction, "menu.resetLayout").trigger()
            assert not header.isSectionHidden(8) and header.sectionSize(0) == default_width
            assert header.sortIndicatorSection() != 5 or header.sortIndicatorOrder() != DESC
            assert not accounts.isSectionHidden(9)
            assert journal.sortIndicatorOrder() == DESC  # the journal's own default
            activity = find(again, QDockWidget, "dock.activity")
            assert activity.toggleViewAction().isChecked()  # shown again (a tab by the chart)
            assert activity in again.tabifiedDockWidgets(find(again, QDockWidget, "dock.chart"))
            assert not funding.isFloating()
            assert again.dockWidgetArea(funding) == Qt.DockWidgetArea.RightDockWidgetArea
            await again.vm.saves.wait_all()
            reset = Settings.load(window.vm.settings.path)
            assert reset.table_states() == {} and reset.window_state == ""
            again.close()

    qrun(scenario(), timeout=60)


def test_a_state_saved_for_other_columns_is_left_out(capital_sim, qtbot, qrun):
    async def scenario():
        async with running_window(capital_sim, qtbot) as window:
            states = window.table_states.save()
            key, _, state = states["positions.table"].partition(":")
            assert window.table_states.restore({"positions.table": f"{key}:{state}"}) == [
                "positions.table"]
            # Saved by a version whose positions table had other columns.
            assert window.table_states.restore({"positions.table": f"0000000000:{state}"}) == []
            assert window.table_states.restore({"positions.table": "garbage"}) == []
            assert window.table_states.restore({"no.such.table": states["positions.table"]}) == []

    qrun(scenario(), timeout=60)
