"""What every simulator offers the broker contract tests (``tests/contract``).

Each simulator package has a ``contract`` module with ``hooks(state) -> ContractHooks``:
the same few knobs in the broker's own dialect, so one suite of scenarios runs over every
registered broker. A new broker's simulator ships its hooks with it.
"""

from __future__ import annotations

from typing import Protocol


class ContractHooks(Protocol):
    def placements(self) -> int:
        """Order placements the simulator received so far (whatever their outcome)."""
        ...

    def lose_next_placement_reply(self, account_id: str) -> None:
        """Process the next placement on ``account_id``, then drop the connection
        without answering (the broker took it; the reply is lost)."""
        ...

    def rate_limit_next(self, count: int = 1) -> None:
        """Answer the next ``count`` requests with the broker's own rate-limit refusal."""
        ...
