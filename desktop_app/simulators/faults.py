"""Knobs every broker simulator offers to tests, and a sliding-window rate limit."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class SlidingWindow:
    """At most ``limit`` accepted events per ``seconds`` for each key."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record an event for ``key`` if the window has room; refused events are not recorded."""
        with self._lock:
            now = self._clock()
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.seconds:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._events.clear()


@dataclass(slots=True)
class _Fault:
    status: int
    error_code: str
    path_prefix: str
    remaining: int


class SimulatorKnobs:
    """Fault injection shared by the simulators; paths are relative to the API root.

    ``fail_next`` answers the next matching requests with an error without processing them;
    ``force_429`` does the same with the broker's rate-limit error; ``drop_reply_next``
    processes the next matching request and then closes the connection without answering;
    ``delay_seconds`` holds every reply back; ``stats`` counts requests and 429s per route
    (keys like ``"POST /positions"`` or ``"GET /confirms/{dealReference}"``).
    """

    too_many_requests_code = "error.too-many.requests"

    def __init__(self, api_root: str) -> None:
        self.api_root = api_root
        self.delay_seconds = 0.0
        self.stats: dict[str, Any] = {"requests": Counter(), "429": Counter()}
        self._faults: list[_Fault] = []
        self._drops: list[str] = []
        self._knob_lock = threading.Lock()

    def relative(self, path: str) -> str:
        if path.startswith(self.api_root):
            path = path[len(self.api_root):]
        return path or "/"

    def fail_next(
        self, status: int, error_code: str, path_prefix: str = "", count: int = 1
    ) -> None:
        with self._knob_lock:
            self._faults.append(_Fault(status, error_code, self.relative(path_prefix), count))

    def force_429(self, count: int = 1, path_prefix: str = "") -> None:
        self.fail_next(429, self.too_many_requests_code, path_prefix, count)

    def drop_reply_next(self, path_prefix: str) -> None:
        with self._knob_lock:
            self._drops.append(self.relative(path_prefix))

    def take_fault(self, path: str) -> tuple[int, str] | None:
        """Consume the first fault that matches ``path`` (relative), if any."""
        path = self.relative(path)
        with self._knob_lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault.status, fault.error_code
        return None

    def take_drop(self, path: str) -> bool:
        path = self.relative(path)
        with self._knob_lock:
            for prefix in self._drops:
                if path.startswith(prefix):
                    self._drops.remove(prefix)
                    return True
        return False

    def count(self, route: str, status: int) -> None:
        with self._knob_lock:
            self.stats["requests"][route] += 1
            if status == 429:
                self.stats["429"][route] += 1

    def clear_faults(self) -> None:
        with self._knob_lock:
            self._faults.clear()
            self._drops.clear()
        self.delay_seconds = 0.0
