"""The accounts panel's lifecycle buttons appear together: the row is laid out once."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QPushButton, QWidget

from desktop_app.domain.types import AccountAction
from desktop_app.ui.account_lifecycle import AccountLifecycleBar
from desktop_app.viewmodels.account_lifecycle_vm import ActionState
from tests.ui.harness import EventCount


class Desk(QObject):
    """What the bar reads of its two view-models: whether the actions are offered."""

    stateChanged = Signal()
    confirmationRequested = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.on = False
        self.connection_id = ""

    def state(self, _action: AccountAction) -> ActionState:
        return ActionState(self.on, self.on, "" if self.on else "Not offered.")

    def offered(self) -> ActionState:  # the webhooks view-model's question
        return self.state(AccountAction.OPEN)

    def set_connection(self, connection_id: str) -> None:
        self.connection_id = connection_id


def test_buttons_shown_together_are_placed_once_each(qtbot) -> None:
    """A desk's first account shows all four buttons in one frame: shown one by one,
    each made Qt lay the row out again at once, moving the earlier ones each time."""
    desk = Desk()
    holder = QWidget()
    row = QHBoxLayout(holder)
    bar = AccountLifecycleBar(desk, desk, holder)  # type: ignore[arg-type]
    row.addWidget(bar)
    row.addStretch(1)
    qtbot.addWidget(holder)
    holder.resize(900, 40)
    holder.show()
    qtbot.waitExposed(holder)
    buttons = bar.findChildren(QPushButton)
    assert len(buttons) == 4 and not any(b.isVisible() for b in buttons)
    moves = EventCount(QEvent.Type.Move)
    buttons[0].installEventFilter(moves)

    desk.on = True
    desk.stateChanged.emit()
    QApplication.processEvents()  # the layout request the buttons made
    QApplication.processEvents()

    assert all(b.isVisible() for b in buttons)
    # Its first placing, then once in the row as it was and once as the row grew to
    # hold all four; shown one by one, it moved 7 times.
    assert moves.count <= 3, f"the first button was moved {moves.count} times"
    # Laid out: side by side, none over another, each its own width.
    spans = sorted((b.geometry().left(), b.geometry().right()) for b in buttons)
    assert all(b.width() >= b.minimumSizeHint().width() for b in buttons)
    assert all(right < left for (_l, right), (left, _r) in pairwise(spans))
