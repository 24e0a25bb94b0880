"""What the entry point wires into the window: start-up problems shown where the trader
reads them, File → Open log folder, the close that quits, a second start's raise."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices

from desktop_app.lifecycle import bring_to_front
from desktop_app.runtime import report_start_problems
from desktop_app.storage.journal_open import open_journal
from desktop_app.storage.paths import journal_path
from tests.ui.harness import find, running_window
from tests.viewmodels.sandbox import wait_for

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_start_problems_are_shown_in_the_activity_log_in_front(capital_sim, qtbot, qrun) -> None:
    path = journal_path()
    path.write_bytes(b"not a journal at all" * 100)
    opened = open_journal(path)
    opened.journal.close()
    [note] = opened.notes

    async def scenario() -> None:
        async with running_window(capital_sim, qtbot) as window:
            def in_front(key: str) -> bool:  # a tabified dock behind another shows nothing
                return not window.docks[key].visibleRegion().isEmpty()

            await wait_for(lambda: in_front("chart") and not in_front("activity"),
                           what="the activity log behind the chart (the default layout)")
            box = report_start_problems(window, opened.notes)
            assert box is not None and box.isVisible() and not box.isModal()
            assert note in box.informativeText()
            assert window.isEnabled()  # the app stays usable while the message is up
            model = window.vm.activity.model
            await wait_for(lambda: any(r.summary == note for r in model.rows()),
                           what="the note in the activity log")
            row = next(r for r in model.rows() if r.summary == note)
            assert row.failed and "moved aside as journal.damaged-" in row.summary
            await wait_for(lambda: in_front("activity") and not in_front("chart"),
                           what="the activity log in front")
            box.close()

    qrun(scenario())


@pytest.mark.qt_log_ignore("This plugin does not support raise()")
def test_open_log_folder_opens_the_folder_and_closing_says_so(capital_sim, qtbot, qrun,
                                                              tmp_path) -> None:
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    closed: list[bool] = []

    async def scenario() -> None:
        async with running_window(capital_sim, qtbot) as window:
            action = find(window, QAction, "menu.openLogFolder")
            assert not action.isEnabled()  # until the app says where its log is
            window.set_log_folder(str(tmp_path))
            assert action.isEnabled()
            action.trigger()
            assert catcher.urls == [QUrl.fromLocalFile(str(tmp_path))]
            window.closed.connect(lambda: closed.append(True))
            window.showMinimized()
            bring_to_front(window)
            assert window.isVisible() and not window.isMinimized()
            find(window, QAction, "menu.quit").trigger()
            await wait_for(lambda: closed, what="the closed signal")
            assert not window.isVisible()

    try:
        qrun(scenario())
    finally:
        QDesktopServices.unsetUrlHandler("file")
