"""Tradovate's documented request limits as limiter budgets, with safety margins.

Tradovate documents, per user: general endpoints 1,000 requests a second, 5,000 a
minute and 5,000 an hour; authentication 10 a minute (TV-PARTNER rate-limits page).
Per-endpoint hourly limits (``renewaccesstoken`` 15/h, ``changedemobalance`` 1,000/h)
come from a third-party governor only: UNCONFIRMED, but cheap to respect.

The hour binds: 5,000 an hour is 1.39 a second, far below the per-second and
per-minute figures, so a budget sized on those would let polling spend the hour in
a few minutes and then stall (or earn a lock-out). The DEFAULT budget, the one the
poller paces itself on and every non-interactive request counts against, is a short
window at a sustainable rate: 12 requests per 10 s (1.2/s). Any hour holds at most
360 such windows, i.e. 4,320 requests, under the hourly guard (4,500) and 13.6 %
under the limit, which leaves room for the trader's other Tradovate apps (limits are
per user). The window is short on purpose: the poller keeps 35 % of the default's
window for clicks and a Tradovate poll costs one to three requests (a balance poll
reads one snapshot per account), so a long window would let polling run ahead and
then stall for a third of the window (15 s gaps with 60 per 50 s); 10 s keeps the
refreshes even, at about 0.7 request/s.

Requests a person is waiting for (``Priority.INTERACTIVE``, also by
``net.limiter.context_priority``: orders, searches, the refresh after a click, logins
and renewals) do not count against the default, so a click and its refresh (about 7
requests) never queue behind polling; they count against the documented per-second,
per-minute and hourly guards (900/s, 4,500/min, 4,500/h), which bind both together.
"""

from __future__ import annotations

from desktop_app.net.limiter import Budget, Priority, context_priority

SUSTAINED = "sustained"
SECOND = "second"
MINUTE = "minute"
HOUR = "hour"
AUTH = "auth"
RENEW = "renew"
DEMO_BALANCE = "demo_balance"

SUSTAINED_BUDGET = Budget(
    SUSTAINED, 12, 10.0,
    documented=(
        "General endpoints: 5,000 requests per hour per user (1.39/s; polling keeps "
        "to 1.2/s)."
    ),
)
SECOND_BUDGET = Budget(
    SECOND, 900, 1.0, documented="General endpoints: 1,000 requests per second."
)
MINUTE_BUDGET = Budget(
    MINUTE, 4500, 60.0, documented="General endpoints: 5,000 requests per minute."
)
HOUR_BUDGET = Budget(
    HOUR, 4500, 3600.0, documented="General endpoints: 5,000 requests per hour."
)
AUTH_BUDGET = Budget(
    AUTH, 8, 60.0, documented="Authentication: 10 requests per minute."
)
RENEW_BUDGET = Budget(
    RENEW, 12, 3600.0, documented="renewAccessToken: 15 requests per hour (unconfirmed)."
)
DEMO_BALANCE_BUDGET = Budget(
    DEMO_BALANCE, 900, 3600.0,
    documented="changeDemoBalance: 1,000 requests per hour (unconfirmed).",
)

# Every request counts against the general limits; the DEFAULT comes first.
GENERAL: tuple[str, ...] = (SUSTAINED, SECOND, MINUTE, HOUR)
LOGIN: tuple[str, ...] = (*GENERAL, AUTH)
RENEWAL: tuple[str, ...] = (*GENERAL, AUTH, RENEW)
CHANGE_DEMO_BALANCE: tuple[str, ...] = (*GENERAL, DEMO_BALANCE)


def tradovate_budgets() -> list[Budget]:
    """Budgets for one connection (one login); the first is the limiter's default."""
    return [
        SUSTAINED_BUDGET,
        SECOND_BUDGET,
        MINUTE_BUDGET,
        HOUR_BUDGET,
        AUTH_BUDGET,
        RENEW_BUDGET,
        DEMO_BALANCE_BUDGET,
    ]


def for_priority(budgets: tuple[str, ...], priority: Priority) -> tuple[str, ...]:
    """The budgets a request at ``priority`` (after ``context_priority``) counts against:
    interactive ones skip the polling default (see the module docstring)."""
    if priority is not Priority.INTERACTIVE or SUSTAINED not in budgets:
        return budgets
    return tuple(b for b in budgets if b != SUSTAINED)


def effective_priority(priority: Priority) -> Priority:
    """As the limiter sees it: VISIBLE takes the context's priority when one is set."""
    override = context_priority.get()
    # Not ``or``: INTERACTIVE is 0, a false value.
    return override if priority is Priority.VISIBLE and override is not None else priority
