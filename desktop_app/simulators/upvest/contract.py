"""Contract-test knobs of the Upvest simulator (see ``simulators.contract``).

A placement is one idempotency key: Upvest's client asks again under the same key when
an answer is lost, and a repeated key makes nothing new, so placements are counted as
the distinct keys ``POST /orders`` received. Losing a placement's reply loses the answer
to the request and to the client's asks under its key (``ASKS``), so the outcome is left
to the session's reconciliation.
"""

from __future__ import annotations

from typing import Any

from desktop_app.simulators.contract import ContractHooks

ORDERS = "POST /orders"
# The first request and the asks again under its key that a client makes at once.
ASKS = 3


class _Hooks:
    def __init__(self, state: Any) -> None:
        self.state = state

    def placements(self) -> int:
        return len(self.state.keys_seen.get(ORDERS, ()))

    def lose_next_placement_reply(self, account_id: str) -> None:
        for _ in range(ASKS):
            self.state.drop_reply_next("/orders")

    def rate_limit_next(self, count: int = 1) -> None:
        self.state.force_429(count)


def hooks(state: Any) -> ContractHooks:
    return _Hooks(state)
