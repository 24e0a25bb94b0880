"""Contract-test knobs of the LWork simulator (see ``simulators.contract``).

LWork's API places no orders (trades are made in the MT4/MT5 terminal), so there are no
placements to count or lose; the suite skips those scenarios by the broker's
capabilities. LWork publishes no rate limit: its refusal here is an HTTP 429, which the
client waits out (``Retry-After``) and tries again.
"""

from __future__ import annotations

from typing import Any

from desktop_app.simulators.contract import ContractHooks


class _Hooks:
    def __init__(self, state: Any) -> None:
        self.state = state

    def placements(self) -> int:
        return 0

    def lose_next_placement_reply(self, account_id: str) -> None:
        raise NotImplementedError("LWork's API places no orders.")

    def rate_limit_next(self, count: int = 1) -> None:
        self.state.force_429(count)


def hooks(state: Any) -> ContractHooks:
    return _Hooks(state)
