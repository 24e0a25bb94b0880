"""WSO2-style throttling: several sliding windows checked together.

A request passes only if every window that applies to it has room, and then it is
recorded in all of them; a refused request is recorded nowhere. (The shared
``faults.SlidingWindow`` records as it checks, so a request refused by the second of
two windows would still use up the first.)
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Window:
    key: str
    limit: int
    seconds: float


class Throttle:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, windows: list[Window]) -> float | None:
        """Record one request in every window and return None, or return the seconds to wait."""
        with self._lock:
            now = self._clock()
            wait = 0.0
            for window in windows:
                events = self._events.setdefault(window.key, deque())
                while events and events[0] <= now - window.seconds:
                    events.popleft()
                if len(events) >= window.limit:
                    # Room again when the oldest of the events that fill the window leaves it.
                    oldest = events[len(events) - window.limit] if window.limit > 0 else now
                    wait = max(wait, oldest + window.seconds - now, 0.001)
            if wait > 0:
                return wait
            for window in windows:
                self._events[window.key].append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
