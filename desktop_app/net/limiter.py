"""Named request budgets per broker, enforced as sliding windows.

A sliding-window log never lets more than ``limit`` requests into any window of
``period`` seconds, so it stays inside the broker's limit whether the broker counts
in fixed or sliding windows. Waiters are served by priority (a click beats polling),
then in arrival order. A 429 or penalty pauses budgets; the limiter does the waiting.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable
from enum import IntEnum

from desktop_app.domain.limits import Budget, BudgetUsage

__all__ = ["Budget", "BudgetUsage", "Priority", "RateLimiter", "context_priority"]


class Priority(IntEnum):
    INTERACTIVE = 0  # a person clicked: orders, searches, the ticket's first quote
    VISIBLE = 1  # polling what is on screen
    BACKGROUND = 2  # polling what is not


# The session layer cannot pass a priority through the broker-neutral service methods,
# so it sets this around a call: requests made at the default VISIBLE level in that
# context queue at the given level instead (BACKGROUND for polling what is off screen,
# INTERACTIVE for a click). Requests with an explicit other priority keep theirs.
context_priority: contextvars.ContextVar[Priority | None] = contextvars.ContextVar(
    "context_priority", default=None
)


_TICK = 1e-6  # seconds; below this a wait is float noise


class _Window:
    __slots__ = ("budget", "granted", "paused_until", "stamps")

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.stamps: deque[float] = deque()
        self.paused_until = 0.0
        self.granted = 0

    def prune(self, now: float) -> None:
        edge = now - self.budget.period
        while self.stamps and self.stamps[0] <= edge:
            self.stamps.popleft()

    def wait_time(self, now: float) -> float:
        self.prune(now)
        wait = max(0.0, self.paused_until - now)
        if len(self.stamps) >= self.budget.limit:
            wait = max(wait, self.stamps[0] + self.budget.period - now)
        # Float residue (a window edge computed a hair past ``now``) is no wait: a timer
        # of 1e-16 s fires at once on a coarse clock and the waiter would spin.
        return wait if wait >= _TICK else 0.0


class RateLimiter:
    def __init__(
        self,
        budgets: Iterable[Budget],
        *,
        default: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = {b.name: _Window(b) for b in budgets}
        if not self._windows:
            raise ValueError("a rate limiter needs at least one budget")
        self.default = default or next(iter(self._windows))
        self._clock = clock
        self._waiters: list[tuple[int, int]] = []
        self._wanted: dict[tuple[int, int], tuple[str, ...]] = {}
        self._seq = itertools.count()
        self._changed: asyncio.Future[None] | None = None
        self.pauses = 0

    def add_budget(self, budget: Budget) -> None:
        """Add a budget found at run time (e.g. one per account); a known name is kept."""
        if budget.name not in self._windows:
            self._windows[budget.name] = _Window(budget)

    @property
    def budgets(self) -> list[Budget]:
        return [w.budget for w in self._windows.values()]

    def _names(self, names: Iterable[str]) -> tuple[str, ...]:
        chosen = tuple(names) or (self.default,)
        for name in chosen:
            if name not in self._windows:
                raise KeyError(f"unknown budget {name!r}")
        return chosen

    def wait_time(self, *names: str) -> float:
        """Seconds until one request on these budgets could go, ignoring other waiters."""
        now = self._clock()
        return max(self._windows[n].wait_time(now) for n in self._names(names))

    def headroom(self, name: str) -> int:
        """Requests still allowed in the current window (0 while paused)."""
        window = self._windows[name]
        now = self._clock()
        window.prune(now)
        if window.paused_until > now:
            return 0
        return window.budget.limit - len(window.stamps)

    def _notify(self) -> None:
        if self._changed is not None and not self._changed.done():
            self._changed.set_result(None)
        self._changed = None

    async def acquire(self, *names: str, priority: Priority = Priority.VISIBLE) -> None:
        chosen = self._names(names)
        override = context_priority.get()
        if override is not None and priority is Priority.VISIBLE:
            priority = override
        ticket = (int(priority), next(self._seq))
        heapq.heappush(self._waiters, ticket)
        self._wanted[ticket] = chosen
        try:
            while True:
                now = self._clock()
                wait = self._wait_of(chosen, now)
                # Served in order, except that a waiter held only by a budget this one
                # does not use (an order waiting on the hourly trading budget) must not
                # hold up reads and keep-alive pings behind it.
                if wait <= 0 and all(
                    self._wait_of(self._wanted[t], now) > 0
                    for t in self._waiters
                    if t < ticket
                ):
                    self._waiters.remove(ticket)
                    heapq.heapify(self._waiters)
                    del self._wanted[ticket]
                    for n in chosen:
                        self._windows[n].stamps.append(now)
                        self._windows[n].granted += 1
                    self._notify()
                    return
                if self._changed is None:
                    self._changed = asyncio.get_running_loop().create_future()
                # asyncio.wait, not wait_for: on 3.11 wait_for can swallow a cancellation.
                await asyncio.wait([self._changed], timeout=wait if wait > 0 else None)
        except BaseException:
            self._wanted.pop(ticket, None)
            if ticket in self._waiters:
                self._waiters.remove(ticket)
                heapq.heapify(self._waiters)
                self._notify()
            raise

    def _wait_of(self, names: tuple[str, ...], now: float) -> float:
        return max(self._windows[n].wait_time(now) for n in names)

    def pause(self, seconds: float, *names: str) -> None:
        """Stop every named budget (all when none named) for ``seconds``."""
        until = self._clock() + max(0.0, seconds)
        targets = self._names(names) if names else tuple(self._windows)
        for n in targets:
            w = self._windows[n]
            w.paused_until = max(w.paused_until, until)
        self.pauses += 1
        self._notify()

    def usage(self) -> list[BudgetUsage]:
        now = self._clock()
        out = []
        for w in self._windows.values():
            w.prune(now)
            out.append(
                BudgetUsage(
                    w.budget.name,
                    len(w.stamps),
                    w.budget.limit,
                    w.budget.period,
                    max(0.0, w.paused_until - now),
                )
            )
        return out
