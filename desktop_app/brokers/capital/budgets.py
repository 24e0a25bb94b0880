"""Capital.com's documented request limits, with a safety margin.

The limiter's sliding window never admits more than ``limit`` requests in any
``period``, but requests still reach the server with some jitter, so each budget
stays below the documented number: the limiter must never provoke a 429.
"""

from __future__ import annotations

from desktop_app.domain.types import Environment
from desktop_app.net.limiter import Budget

ALL = "all"
SESSION = "session"
TRADING = "trading"

ALL_REQUESTS = Budget(
    ALL, 8, 1.0,
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
