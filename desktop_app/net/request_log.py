"""An in-memory ring of redacted requests, for the activity log."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LogEntry:
    at: datetime
    connection: str
    broker: str
    method: str
    url: str
    status: int | None
    elapsed_ms: float
    request_body: str
    response_body: str
    note: str = ""


Listener = Callable[[LogEntry], None]


class RequestLog:
    def __init__(self, maxlen: int = 5000) -> None:
        self.entries: deque[LogEntry] = deque(maxlen=maxlen)
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add(self, entry: LogEntry) -> None:
        self.entries.append(entry)
        for listener in list(self._listeners):
            listener(entry)
