"""Contract-test knobs of the Capital.com simulator (see ``simulators.contract``)."""

from __future__ import annotations

from typing import Any

from desktop_app.simulators.contract import ContractHooks


class _Hooks:
    def __init__(self, state: Any) -> None:
        self.state = state

    def placements(self) -> int:
        requests = self.state.stats["requests"]
        return int(requests["POST /positions"] + requests["POST /workingorders"])

    def lose_next_placement_reply(self, account_id: str) -> None:
        self.state.drop_reply_next("/positions")

    def rate_limit_next(self, count: int = 1) -> None:
        self.state.force_429(count)

    def is_placement(self, method: str, path: str) -> bool:
        return method == "POST" and path.rstrip("/").endswith(("/positions", "/workingorders"))

    def refuse_next_placement(self, account_id: str) -> None:
        self.state.force_429(1, "/positions")

    def expire_sessions(self) -> None:
        self.state.expire_all_sessions()

    def executed(self) -> int:
        return sum(1 for r in list(self.state.market.activity)
                   if r.accepted and r.source == "USER" and r.status == "OPEN")


def hooks(state: Any) -> ContractHooks:
    return _Hooks(state)
