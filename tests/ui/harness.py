"""The main window over a real Hub on the simulator, all inside one coroutine (see
tests/viewmodels/sandbox.py for why). Widgets are found by objectName and driven the way
a click or typing ends up (button.click(), setText, selectRow): QTest's mouse helpers
spin the Qt event loop, which must not happen inside a running asyncio task."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from desktop_app.ui.main_window import MainWindow
from tests.viewmodels.sandbox import running_app, wait_for

W = TypeVar("W", bound=QWidget)


def find(root: QWidget, cls: type[W], name: str) -> W:
    widget = root.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name!r}"
    return widget


@contextlib.asynccontextmanager
async def running_window(sim: Any, qtbot: Any, **kw: Any) -> AsyncIterator[MainWindow]:
    async with running_app(sim, **kw) as app_vm:
        window = MainWindow(app_vm)
        qtbot.addWidget(window)
        window.show()
        await wait_for(window.isVisible, what="the window")
        try:
            yield window
        finally:
            window.close()


class EventCount(QObject):
    """Counts one kind of event on the widgets it is installed on (``installEventFilter``)."""

    def __init__(self, kind: QEvent.Type) -> None:
        super().__init__()
        self.kind = kind
        self.count = 0

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == self.kind:
            self.count += 1
        return False
