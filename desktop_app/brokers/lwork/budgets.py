"""Our own request budgets for LWork's TW API, and the back-off after its errors.

LWork publishes no rate limits: the TW API docs (LW-DOCS, all sections) name none, no
429 or limit error code is documented, and the research found none in public client
code. The API sits in front of a broker's CRM and its MT4/MT5 servers, shared by every
app of the tenant (one API token per tenant, not per user), so this client keeps to
a pace a CRM would not notice and leaves most of any unpublished allowance to the
tenant's other apps:

- ``steady``: 10 requests per 5 s (2 a second), the pace polling keeps to. A refresh
  of the focused account costs two to four requests (account info, positions, pending
  orders; a list longer than a page costs a request per page).
- ``minute``: 90 per minute for everything, clicks included; a click skips ``steady``
  (it does not queue behind polling) but counts here.
- ``funding``: 10 money moves or account openings per minute (deposit, deposit
  callback, withdrawal, transfer, opening an account): each is journalled and confirmed
  by a person, so more than that is a stuck button or a loop, not a trader.

After a system error (mcode -1), a 5xx or a 429 the client backs off: it pauses the
polling pace (``steady``) for ``BACKOFF_START`` seconds, doubling with each further
error up to ``BACKOFF_MAX``, and starts again from the beginning after a success.
Clicks are not held up: a person waiting should get LWork's answer, not a back-off.
"""

from __future__ import annotations

from desktop_app.net.limiter import Budget, Priority, context_priority

STEADY = "steady"
MINUTE = "minute"
FUNDING = "funding"

STEADY_BUDGET = Budget(
    STEADY, 10, 5.0,
    documented="LWork publishes no limits; the app keeps to 2 requests a second.",
)
MINUTE_BUDGET = Budget(
    MINUTE, 90, 60.0,
    documented="LWork publishes no limits; the app sends at most 90 requests a minute.",
)
FUNDING_BUDGET = Budget(
    FUNDING, 10, 60.0,
    documented=(
        "LWork publishes no limits; the app sends at most 10 deposits, withdrawals, "
        "transfers or account openings a minute."
    ),
)

GENERAL: tuple[str, ...] = (STEADY, MINUTE)
MONEY: tuple[str, ...] = (*GENERAL, FUNDING)

BACKOFF_START = 1.0
BACKOFF_MAX = 30.0


def lwork_budgets() -> list[Budget]:
    """Budgets for one connection; the first is the limiter's default (polling's pace)."""
    return [STEADY_BUDGET, MINUTE_BUDGET, FUNDING_BUDGET]


def for_priority(budgets: tuple[str, ...], priority: Priority) -> tuple[str, ...]:
    """Clicks (``Priority.INTERACTIVE``, also through ``context_priority``) skip the
    polling pace and count against the others only."""
    override = context_priority.get()
    if priority is Priority.VISIBLE and override is not None:
        priority = override
    if priority is not Priority.INTERACTIVE:
        return budgets
    return tuple(b for b in budgets if b != STEADY)


class Backoff:
    """Seconds to pause after the n-th error in a row: 1, 2, 4, ... up to 30."""

    def __init__(self, start: float = BACKOFF_START, ceiling: float = BACKOFF_MAX) -> None:
        self.start = start
        self.ceiling = ceiling
        self.errors = 0

    def failed(self) -> float:
        pause = min(self.ceiling, self.start * float(2 ** self.errors))
        self.errors += 1
        return pause

    def succeeded(self) -> None:
        self.errors = 0
