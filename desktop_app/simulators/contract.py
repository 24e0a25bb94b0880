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

    # For the fault-injection suite (tests/faults):

    def is_placement(self, method: str, path: str) -> bool:
        """Whether a request places an order (its path as the server sees it)."""
        ...

    def refuse_next_placement(self, account_id: str) -> None:
        """The broker's own rate-limit refusal on the next placement (not processed)."""
        ...

    def expire_sessions(self) -> None:
        """Every session / access token expires now (the next request meets a 401)."""
        ...

    def executed(self) -> int:
        """Orders the simulator executed (filled or placed as working) so far."""
        ...
