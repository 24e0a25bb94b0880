"""Contract-test knobs of the Tradovate simulator (see ``simulators.contract``)."""

from __future__ import annotations

from typing import Any

from desktop_app.simulators.contract import ContractHooks


class _Hooks:
    def __init__(self, state: Any) -> None:
        self.state = state

    def placements(self) -> int:
        return int(self.state.stats["requests"]["POST /order/placeorder"])

    def lose_next_placement_reply(self, account_id: str) -> None:
        self.state.drop_reply_next("/order/placeorder")

    def rate_limit_next(self, count: int = 1) -> None:
        # Tradovate's p-ticket ("slow down"), which a client waits out and resends;
        # its 429 is an hour's lock-out.
        self.state.force_423(count)

    def is_placement(self, method: str, path: str) -> bool:
        return method == "POST" and path.lower().rstrip("/").endswith("/order/placeorder")

    def refuse_next_placement(self, account_id: str) -> None:
        self.state.force_423(1, "/order/placeorder")

    def expire_sessions(self) -> None:
        self.state.expire_all_tokens()

    def executed(self) -> int:
        return len(self.state.orders_placed)


def hooks(state: Any) -> ContractHooks:
    return _Hooks(state)
