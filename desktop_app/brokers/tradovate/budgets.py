"""Tradovate's documented request limits as limiter budgets, with safety margins.

Tradovate documents, per user: general endpoints 1,000 requests a second, 5,000 a
minute and 5,000 an hour; authentication 10 a minute (TV-PARTNER rate-limits page).
Per-endpoint hourly limits (``renewaccesstoken`` 15/h, ``changedemobalance`` 1,000/h)
come from a third-party governor only: UNCONFIRMED, but cheap to respect.

The hour binds: 5,000 an hour is 1.39 a second, far below the per-second and
per-minute figures, so a budget sized on those would let polling spend the hour in
a few minutes and then stall (or earn a lock-out). The DEFAULT budget, the one the
poller paces itself on, is therefore a short window at the sustainable rate: 60
requests per 50 s (1.2/s). Any hour holds at most 72 such windows, i.e. 4,320
requests, 13.6 % under the limit, which leaves room for token renewals and for the
trader's other Tradovate apps (limits are per user). A 50 s window still lets a click
burst (the poller keeps 35 % of it free for clicks). The documented per-second,
per-minute and hourly budgets are kept as guards.
"""

from __future__ import annotations

from desktop_app.net.limiter import Budget

SUSTAINED = "sustained"
SECOND = "second"
MINUTE = "minute"
HOUR = "hour"
AUTH = "auth"
RENEW = "renew"
DEMO_BALANCE = "demo_balance"

SUSTAINED_BUDGET = Budget(
    SUSTAINED, 60, 50.0,
    documented=(
        "General endpoints: 5,000 requests per hour per user (1.39/s; the app keeps "
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
