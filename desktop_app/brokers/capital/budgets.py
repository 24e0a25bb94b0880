"""Capital.com's documented request limits, with a safety margin.

The limiter's sliding window never admits more than ``limit`` requests in any
``period`` *as sent*; the server counts them *as they arrive*, and arrival delays vary
(a burst queues up, the next one does not). A longer period absorbs that jitter (up to
0.2 s for the per-second budget) and a lower count leaves room for the keep-alive and
any other client of the same login: the limiter must never provoke a 429.
"""

from __future__ import annotations

from desktop_app.domain.types import Environment
from desktop_app.net.limiter import Budget

ALL = "all"
SESSION = "session"
TRADING = "trading"

ALL_REQUESTS = Budget(
    ALL, 8, 1.2,
    documented="The maximum request rate is 10 per second per user.",
)
SESSION_CREATION = Budget(
    SESSION, 1, 1.5,
    documented="POST /session endpoint limit is 1 request per second per API key.",
)
DEMO_TRADING = Budget(
    TRADING, 900, 3600.0,
    documented=(
        "POST /positions and POST /workingorders endpoint limit is 1000 requests per hour "
        "in the Demo account."
    ),
)


def capital_budgets(environment: Environment) -> list[Budget]:
    """Budgets for one connection; the hourly trading limit is documented for demo only."""
    budgets = [ALL_REQUESTS, SESSION_CREATION]
    if environment is not Environment.LIVE:
        budgets.append(DEMO_TRADING)
    return budgets


def trading_budgets(environment: Environment) -> tuple[str, ...]:
    return (ALL, TRADING) if environment is not Environment.LIVE else (ALL,)
