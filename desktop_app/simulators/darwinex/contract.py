"""Contract-test knobs of the Darwinex simulator (see ``simulators.contract``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from desktop_app.simulators.contract import ContractHooks
from desktop_app.simulators.darwinex import errors

TRADING = "/trading/1.1/investoraccounts"


class _Hooks:
    def __init__(self, state: Any) -> None:
        self.state = state

    def placements(self) -> int:
        stats = self.state.stats
        return int(sum(count for route, count in stats.items()
                       if route.startswith(f"POST {TRADING}/") and (
                           route.endswith("/orders/buy") or route.endswith("/orders/sell")
                           or route.endswith("/conditionalorders"))))

    def lose_next_placement_reply(self, account_id: str) -> None:
        self.state.drop_reply_next(f"{TRADING}/{account_id}/orders/")

    def rate_limit_next(self, count: int = 1) -> None:
        # WSO2's throttling fault, with the next access a second away.
        at = datetime.fromtimestamp(self.state.clock() + 1, UTC)
        stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.state.fail_next(429, errors.throttled(stamp, None).body, "", count)


def hooks(state: Any) -> ContractHooks:
    return _Hooks(state)
