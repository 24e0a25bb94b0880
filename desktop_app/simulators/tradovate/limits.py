"""Tradovate's rate limits: the general budget (423, then a 429 lock-out) and penalty tickets.

General budget per user (TV-PARTNER rate-limits): 1,000/s, 5,000/min, 5,000/h. Going over
it answers HTTP 423 once ("about to be locked out"); going over again within a minute
starts the lock-out: every request gets HTTP 429 with an empty body for
``lockout_seconds``. Per-endpoint limits (authentication 10/min, the hourly table of
the research notes) answer HTTP 200 with a penalty ticket instead; the identical body
plus ``"p-ticket"`` is accepted once, after ``p-time`` seconds.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktop_app.simulators.faults import SlidingWindow

ACCESS_TOKEN_REQUEST = "/auth/accesstokenrequest"


def _default_hourly() -> dict[str, int]:
    # UNCONFIRMED (one third-party governor's table): per-endpoint hourly limits.
    return {
        "/auth/renewaccesstoken": 15,
        "/cashbalance/changedemobalance": 1000,
        "/order/dryrun": 500,
        "/user/syncrequest": 300,
    }


@dataclass(slots=True)
class RateLimits:
    """The documented limits, adjustable by tests (changes apply to the next request)."""

    per_second: int = 1000
    per_minute: int = 5000
    per_hour: int = 5000
    auth_per_minute: int = 10  # POST /auth/accesstokenrequest
    endpoint_per_hour: dict[str, int] = field(default_factory=_default_hourly)
    penalty_seconds: float = 3.0  # p-time of a ticket for a limit that was reached
    failed_logins_for_captcha: int = 3
    captcha_seconds: float = 3600.0  # how long a captcha penalty lasts


@dataclass(slots=True)
class Ticket:
    token: str
    route: str
    body: dict[str, Any]
    not_before: float
    captcha: bool
    used: bool = False


@dataclass(frozen=True, slots=True)
class Penalty:
    """An HTTP 200 penalty reply: ``{"p-ticket", "p-time", "p-captcha"}``."""

    ticket: str
    seconds: float
    captcha: bool

    def body(self) -> dict[str, Any]:
        seconds: float | int = self.seconds
        if float(seconds).is_integer():
            seconds = int(seconds)
        return {"p-ticket": self.ticket, "p-time": seconds, "p-captcha": self.captcha}


@dataclass(slots=True)
class Forced:
    path: str
    remaining: int
    p_time: float = 0.0
    captcha: bool = False


class Limiter:
    """Windows, forced faults, tickets and the lock-out; the caller holds the state lock."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self.lockout_seconds = 3600.0
        self.locked_until = 0.0
        self._warned_at: float | None = None
        self._windows: dict[tuple[str, int, float], SlidingWindow] = {}
        self.tickets: dict[str, Ticket] = {}
        self.forced_423: list[Forced] = []
        self.forced_429: list[Forced] = []
        self.forced_penalties: list[Forced] = []
        self.failed_logins_in_row = 0
        self.captcha_until = 0.0

    # ----------------------------------------------------------------- windows
    def _window(self, name: str, limit: int, seconds: float) -> SlidingWindow:
        key = (name, limit, seconds)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = SlidingWindow(limit, seconds, self.clock)
        return window

    def general(self) -> int | None:
        """None if the request is within the general budget, else the HTTP status (423/429)."""
        now = self.clock()
        limits = self.limits
        budgets = (("second", limits.per_second, 1.0), ("minute", limits.per_minute, 60.0),
                   ("hour", limits.per_hour, 3600.0))
        if all(self._window(name, limit, secs).allow("user") for name, limit, secs in budgets):
            return None
        if self._warned_at is None or now - self._warned_at > 60.0:
            self._warned_at = now
            return 423
        self.start_lockout()
        return 429

    def endpoint_allows(self, path: str) -> bool:
        """Counts the request against its per-endpoint limit; False once it is reached."""
        if path == ACCESS_TOKEN_REQUEST:
            return self._window("auth", self.limits.auth_per_minute, 60.0).allow("user")
        limit = self.limits.endpoint_per_hour.get(path)
        return limit is None or self._window(path, limit, 3600.0).allow("user")

    # ----------------------------------------------------------------- lock-out
    def start_lockout(self) -> None:
        self.locked_until = self.clock() + self.lockout_seconds

    def locked(self) -> bool:
        return self.clock() < self.locked_until

    @staticmethod
    def _take(forced: list[Forced], path: str) -> Forced | None:
        for item in forced:
            if path.startswith(item.path):
                item.remaining -= 1
                if item.remaining <= 0:
                    forced.remove(item)
                return item
        return None

    def take_forced(self, path: str) -> int | None:
        """A 429 (which starts a lock-out) or 423 that a test asked for, if one matches."""
        if self._take(self.forced_429, path) is not None:
            self.start_lockout()
            return 429
        if self._take(self.forced_423, path) is not None:
            return 423
        return None

    # ----------------------------------------------------------------- penalties
    def issue(self, route: str, body: dict[str, Any], seconds: float, captcha: bool) -> Penalty:
        token = secrets.token_urlsafe(24)
        self.tickets[token] = Ticket(token, route, dict(body), self.clock() + seconds, captcha)
        return Penalty(token, seconds, captcha)

    def redeem(self, token: Any, route: str, body: dict[str, Any]) -> Penalty | str | None:
        """Check a resent ``p-ticket``: None lets the request through (the ticket is used up);
        a Penalty answers again (too early, or a captcha); a str is why the ticket is refused."""
        ticket = self.tickets.get(token) if isinstance(token, str) else None
        if ticket is None or ticket.used:
            return "Invalid p-ticket"
        if ticket.route != route or ticket.body != body:
            return "p-ticket does not match the request"
        ticket.used = True
        now = self.clock()
        if ticket.captcha:
            return self.issue(route, body, max(1.0, self.captcha_until - now), True)
        if now < ticket.not_before:
            return self.issue(route, body, math.ceil(ticket.not_before - now), False)
        return None

    def penalty_for(self, path: str, route: str, body: dict[str, Any]) -> Penalty | None:
        """A penalty for a request that came without a valid ticket, if it earns one."""
        forced = self._take(self.forced_penalties, path)
        if forced is not None:
            return self.issue(route, body, forced.p_time, forced.captcha)
        if path == ACCESS_TOKEN_REQUEST and self.captcha_active():
            return self.issue(route, body, max(1.0, self.captcha_until - self.clock()), True)
        if not self.endpoint_allows(path):
            captcha = (path == ACCESS_TOKEN_REQUEST
                       and self.failed_logins_in_row >= self.limits.failed_logins_for_captcha)
            return self.issue(route, body, self.limits.penalty_seconds, captcha)
        return None

    # ----------------------------------------------------------------- failed logins
    def captcha_active(self) -> bool:
        if self.failed_logins_in_row < self.limits.failed_logins_for_captcha:
            return False
        if self.clock() >= self.captcha_until:
            self.failed_logins_in_row = 0  # the hour is over; the user may try again
            return False
        return True

    def login_failed(self) -> None:
        self.failed_logins_in_row += 1
        if self.failed_logins_in_row >= self.limits.failed_logins_for_captcha:
            self.captcha_until = self.clock() + self.limits.captcha_seconds

    def login_succeeded(self) -> None:
        self.failed_logins_in_row = 0

    def reset(self) -> None:
        self.locked_until = 0.0
        self._warned_at = None
        self._windows.clear()
        self.tickets.clear()
        self.forced_423.clear()
        self.forced_429.clear()
        self.forced_penalties.clear()
        self.failed_logins_in_row = 0
        self.captcha_until = 0.0
