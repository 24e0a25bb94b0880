"""Request budgets as the session sees them: what a broker allows and what is used.

The rate limiter that enforces them lives in ``net``; the session only reads them (to pace
polling and show the budget in the status bar), through ``RequestLimits``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Budget:
    name: str
    limit: int
    period: float
    documented: str = ""  # the broker's own words for this limit, shown in the status bar


@dataclass(frozen=True, slots=True)
class BudgetUsage:
    name: str
    used: int
    limit: int
    period: float
    paused_for: float

    @property
    def fraction(self) -> float:
        return self.used / self.limit if self.limit else 0.0


class RequestLimits(Protocol):
    """The part of a broker's rate limiter the session reads."""

    @property
    def default(self) -> str:
        """The budget every request draws on unless it names others."""
        ...

    @property
    def budgets(self) -> list[Budget]: ...

    def headroom(self, name: str) -> int:
        """Requests still allowed in the current window of ``name`` (0 while paused)."""
        ...

    def usage(self) -> list[BudgetUsage]: ...
