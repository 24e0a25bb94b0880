"""The simulators' session clock: what time the exchanges' calendars read.

Market hours are decided on this clock; prices, tokens, throttles and timestamps keep the
simulator's own clock, because the adapters compare those with their own wall clock
(token renewal, reconciliation windows, ``nextAccessTime`` waits). By default the two
agree (offset 0: the real hours from the real clock). Tests move the session clock into
or out of trading hours with ``move_to`` (it ticks on from there) or ``freeze_at``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime


class SimClock:
    """``base()`` plus an offset, or a fixed instant; callable like ``time.time``."""

    def __init__(self, base: Callable[[], float] = time.time) -> None:
        self._base = base
        self._lock = threading.Lock()
        self._offset = 0.0
        self._fixed: float | None = None

    def __call__(self) -> float:
        fixed = self._fixed
        return fixed if fixed is not None else self._base() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self(), UTC)

    @property
    def lead(self) -> float:
        """Seconds this clock is ahead of its base (negative: behind)."""
        return self() - self._base()

    def to_base(self, at: datetime) -> datetime:
        """An instant of this clock as the base clock shows it (for replies the adapters
        compare with their own clock, e.g. "opens at")."""
        return datetime.fromtimestamp(at.timestamp() - self.lead, UTC)

    # ----------------------------------------------------------------- knobs
    def shift(self, seconds: float) -> None:
        """Move the clock by ``seconds`` (it keeps ticking)."""
        with self._lock:
            if self._fixed is not None:
                self._fixed += seconds
            else:
                self._offset += seconds

    def move_to(self, at: datetime) -> None:
        """Read ``at`` now and tick on from there."""
        if at.tzinfo is None:
            raise ValueError("move_to needs an aware datetime")
        with self._lock:
            self._fixed = None
            self._offset = at.timestamp() - self._base()

    def freeze_at(self, at: datetime) -> None:
        """Read ``at`` until moved again."""
        if at.tzinfo is None:
            raise ValueError("freeze_at needs an aware datetime")
        with self._lock:
            self._fixed = at.timestamp()

    def reset(self) -> None:
        """Back to the base clock (the real hours)."""
        with self._lock:
            self._fixed = None
            self._offset = 0.0
