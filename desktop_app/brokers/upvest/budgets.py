"""Request budgets for Upvest: conservative ones of our own, and exponential back-off.

Upvest publishes no numbers: requests are limited per ``upvest-client-id`` and a client
is to back off exponentially when it gets HTTP 429 (UP-DOCS
``concepts/api_concepts/throttling``). So the budgets below are ours, chosen to stay
far below anything a B2B API serving many end users would refuse:

- ``all``: 10 requests in any 1.1 s and 400 in any 61 s (a minute and a second:
  arrival jitter), every call;
- ``token``: 6 token requests a minute (a token lives 30 min in the sandbox, 24 h in
  UP-SPEC's example; more than a few a minute means something is wrong);
- ``write``: 5 creating or changing calls in any 1.1 s (orders, accounts, funding).

On a 429 the limiter pauses the request's budgets for 1 s, then 2, 4, 8 ... up to 64 s
while 429s follow each other (``Retry-After`` wins when Upvest sends a longer one), and
the refused request waits its turn again: a 429 means Upvest did nothing, and creating
calls carry an idempotency key, so resending is never a duplicate. Any other reply
resets the streak. ``time_scale`` divides every period and pause (accelerated tests).
"""

from __future__ import annotations

import httpx

from desktop_app.net.http import Throttle, retry_after_seconds
from desktop_app.net.limiter import Budget, RateLimiter

ALL = "all"
ALL_MINUTE = "all_minute"
TOKEN = "token"
WRITE = "write"

FIRST_PAUSE = 1.0
MAX_PAUSE = 64.0


def upvest_budgets(time_scale: float = 1.0) -> list[Budget]:
    s = time_scale if time_scale > 0 else 1.0
    ours = "Upvest publishes no limit; the app's own budget"
    return [
        Budget(ALL, 10, 1.1 / s, documented=f"{ours}: 10 requests a second."),
        Budget(ALL_MINUTE, 400, 61.0 / s, documented=f"{ours}: 400 requests a minute."),
        Budget(TOKEN, 6, 61.0 / s, documented=f"{ours}: 6 token requests a minute."),
        Budget(WRITE, 5, 1.1 / s, documented=f"{ours}: 5 orders or changes a second."),
    ]


class UpvestLimiter(RateLimiter):
    def __init__(self, time_scale: float = 1.0) -> None:
        super().__init__(upvest_budgets(time_scale), default=ALL)
        self.time_scale = time_scale if time_scale > 0 else 1.0


def read_budgets() -> tuple[str, ...]:
    return (ALL, ALL_MINUTE)


def write_budgets() -> tuple[str, ...]:
    return (ALL, ALL_MINUTE, WRITE)


def token_budgets() -> tuple[str, ...]:
    return (ALL, ALL_MINUTE, TOKEN)


class Backoff:
    """The throttle policy: exponential pauses on consecutive 429s (see the module doc)."""

    def __init__(self, time_scale: float = 1.0, *, first: float = FIRST_PAUSE,
                 cap: float = MAX_PAUSE) -> None:
        self.scale = time_scale if time_scale > 0 else 1.0
        self.first = first
        self.cap = cap
        self.streak = 0
        self.pauses: list[float] = []  # every pause taken, for the status bar and tests

    def next_pause(self) -> float:
        return min(self.cap, self.first * 2.0 ** self.streak) / self.scale

    def __call__(self, response: httpx.Response) -> Throttle | None:
        if response.status_code != 429:
            self.streak = 0
            return None
        pause = max(self.next_pause(), retry_after_seconds(response, 0.0) / self.scale)
        self.streak += 1
        self.pauses.append(pause)
        return Throttle(pause)
