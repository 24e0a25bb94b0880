"""Coalesce bursts of updates into one call per interval (about one frame by default)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

FRAME_MS = 16


class Throttle(QObject):
    """``trigger()`` many times; ``callback`` runs once, at most every ``interval_ms``.

    The first trigger after a quiet spell waits one interval, so updates that arrive
    together (one per connection, per account...) are applied together.
    """

    def __init__(
        self, callback: Callable[[], None], interval_ms: int = FRAME_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._callback = callback
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._fire)

    def trigger(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def set_interval(self, interval_ms: int) -> None:
        self._timer.setInterval(interval_ms)

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def flush(self) -> None:
        """Run now if something is pending (used before reading state, and on close)."""
        if self._timer.isActive():
            self._timer.stop()
            self._fire()

    def cancel(self) -> None:
        self._timer.stop()

    def _fire(self) -> None:
        self._callback()
