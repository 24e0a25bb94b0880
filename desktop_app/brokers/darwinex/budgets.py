"""Darwinex's request limits as limiter budgets, with a safety margin.

What Darwinex staff state (community thread 7657) and users report (thread 8504):

- 50 requests a minute per user across ALL APIs: the DEFAULT budget, the one the
  poller plans with;
- 20 a minute per investor account on the Investor Account Info API (the account list,
  which names no account, has a window of its own);
- 5 a second per API "across all users" (other users' traffic counts too; we keep to our
  own share);
- the seed: a 429 after about 10 requests a minute to ``/dxscore``; the scores, badges
  and histories get a budget of their own (8 a minute).

The limiter's sliding window never admits more than ``limit`` requests in any
``period`` as sent; the gateway counts them as they arrive. A slightly longer period
absorbs the difference and a lower count leaves room for another client of the same
login (the website's own API console, a script): polling must never provoke a 429.

``time_scale`` divides every period (accelerated runs against the simulator's knob of
the same name); the documented text stays the real one.
"""

from __future__ import annotations

from desktop_app.net.limiter import Budget, RateLimiter

ALL = "all"
ACCOUNT_INFO = "account_info"  # Investor Account Info API, per second
INFO = "darwin_info"  # DARWIN Info API, per second
TRADING = "trading"  # Trading API, per second
SCORES = "scores"  # dxscore, scores, histories
ACCOUNT_LIST = "account_list"  # GET /investoraccounts (per token)
ACCOUNT_PREFIX = "account:"  # + investor account id (added when the account is seen)

MINUTE = 61.0  # a minute and a second: arrival jitter
SECOND = 1.2


def _scaled(name: str, limit: int, period: float, documented: str, scale: float) -> Budget:
    return Budget(name, limit, period / scale, documented=documented)


def darwinex_budgets(time_scale: float = 1.0) -> list[Budget]:
    """Budgets of one connection; the first (``ALL``) is the default one."""
    s = time_scale if time_scale > 0 else 1.0
    return [
        _scaled(ALL, 45, MINUTE, "50 requests per minute across all APIs.", s),
        _scaled(ACCOUNT_INFO, 4, SECOND,
                "5 requests per second for the Investor Account Info API.", s),
        _scaled(INFO, 4, SECOND, "5 requests per second per API (DARWIN Info).", s),
        _scaled(TRADING, 4, SECOND, "5 requests per second per API (Trading).", s),
        _scaled(SCORES, 8, MINUTE,
                "About 10 requests a minute to /dxscore, /scores and /history "
                "(HTTP 429 beyond that).", s),
        _scaled(ACCOUNT_LIST, 18, MINUTE,
                "20 requests per minute on the Investor Account Info API.", s),
    ]


def account_budget(account_id: str, time_scale: float = 1.0) -> Budget:
    s = time_scale if time_scale > 0 else 1.0
    return _scaled(ACCOUNT_PREFIX + account_id, 18, MINUTE,
                   "20 requests per minute per investor account (Investor Account Info).", s)


class DarwinexLimiter(RateLimiter):
    """The shared limiter, plus one budget per investor account, added once it is known
    (accounts appear at run time: a demo reset gives a new id)."""

    def __init__(self, time_scale: float = 1.0) -> None:
        super().__init__(darwinex_budgets(time_scale), default=ALL)
        self.time_scale = time_scale

    def account(self, account_id: str) -> str:
        """The name of ``account_id``'s budget, created on first use."""
        budget = account_budget(account_id, self.time_scale)
        self.add_budget(budget)
        return budget.name
