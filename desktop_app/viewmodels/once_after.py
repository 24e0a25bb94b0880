"""An action asked for many times in one change, run once when the change ends."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType


class OnceAfter:
    """``request()`` runs ``action`` at once, or, inside ``with``, once when the outermost
    ``with`` ends, however often it was requested meanwhile.

    A panel following a new account re-validated its form (and the widgets repainted
    their state) three to four times per click, once per step of the change."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action = action
        self._depth = 0
        self._due = False

    def request(self) -> None:
        if self._depth:
            self._due = True
        else:
            self._action()

    def __enter__(self) -> OnceAfter:
        self._depth += 1
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._depth -= 1
        if not self._depth and self._due:
            self._due = False
            self._action()
