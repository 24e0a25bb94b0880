"""Run Python's cycle collector on the GUI thread only.

The Sandbox's simulators and ``asyncio.to_thread`` workers run Python code in other
threads. If the cycle collector fires there, it may destroy QObjects (view-models,
timers) off the GUI thread: Qt warns "Timers cannot be stopped from another thread" at
best and crashes at worst. So automatic collection is switched off and the same
generational thresholds are checked from a timer on the GUI thread instead.

A full collection walks every tracked object: with the app's modules, widgets and a desk
of 5,000 accounts that was 56-72 ms on the GUI thread, a visible stall. What is alive
once the window is up and the connections are started (modules, classes, widgets, the
Sandbox) lives as long as the app, so it is frozen then (``freeze_long_lived``, Python's
``gc.freeze``): later collections walk only what was made since. A desk's listing of thousands of
accounts arrives later and lives as long as its connection, so it is frozen too once it
is shown (by the accounts view-model): without that, full collections walked it and took
16-17 ms at 5,000 accounts.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

# Often enough that a young generation holds a tenth of a second's objects: checked every
# 500 ms, a desk's arrival left 30,000-40,000 of them and a collection of the youngest
# took 4-7 ms.
INTERVAL_MS = 100


class GcGuard(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        t0, t1, t2 = self._thresholds
        c0, c1, c2 = gc.get_count()
        if c0 > t0:
            generation = 0
            if c1 > t1:
                generation = 1
                if c2 > t2:
                    generation = 2
            gc.collect(generation)

    def stop(self) -> None:
        """Collect once more on this thread and give collection back to Python."""
        self._timer.stop()
        gc.unfreeze()
        gc.collect()
        if self._was_enabled:
            gc.enable()


def freeze_long_lived() -> None:
    """Leave every object alive now out of later collections.

    Not collected first (that would be the very stall this avoids): a cycle that is
    garbage at this moment stays in memory, once."""
    gc.freeze()


def frozen_count() -> int:
    """How many objects are frozen: a walk over all of them (11 ms at a 5,000-account
    desk), so for the log, not for a frame."""
    return gc.get_freeze_count()
