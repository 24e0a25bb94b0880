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
        self._throttle("", count)

    def _throttle(self, path: str, count: int) -> None:
        # WSO2's throttling fault, with the next access a second away.
        at = datetime.fromtimestamp(self.state.clock() + 1, UTC)
        stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self.state.fail_next(429, errors.throttled(stamp, None).body, path, count)

    def is_placement(self, method: str, path: str) -> bool:
        return method == "POST" and path.startswith(f"{TRADING}/") and path.rstrip("/").endswith(
            ("/orders/buy", "/orders/sell", "/conditionalorders"))

    def refuse_next_placement(self, account_id: str) -> None:
        self._throttle(f"{TRADING}/{account_id}/orders/", 1)

    def expire_sessions(self) -> None:
        self.state.expire_all_tokens()

    def executed(self) -> int:
        return len(self.state.orders)


def hooks(state: Any) -> ContractHooks:
    return _Hooks(state)
