"""The second line of defence against a doubled order: an identical order for the same
account within a few seconds is refused unless the trader confirms it.

The ticket disables Buy/Sell while an order is in flight, but a fast round trip (the
Sandbox answers in 50 ms) re-enables them before a double click's second press lands.
This check sits in the session, below every widget and hotkey.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from desktop_app.domain.errors import DuplicateOrder
from desktop_app.domain.types import AccountRef, OrderRequest, OrderType, Side

# Long enough for a double click, a key held down or a hurried second press; short
# enough that a trader adding to a position a minute later is not asked.
DUPLICATE_WINDOW = 10.0

OrderKey = tuple[AccountRef, str, Side, Decimal, OrderType, Decimal | None, Decimal | None]


def order_key(request: OrderRequest) -> OrderKey:
    return (request.account, request.symbol, request.side, request.size,
            request.order_type, request.level, request.stop_price)


@dataclass
class _Sent:
    key: OrderKey
    at: float
    entry_id: int
    client_ref: str


class RecentOrders:
    """Orders sent in the last ``window`` seconds, by what they would do at the broker."""

    def __init__(
        self, window: float = DUPLICATE_WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self._clock = clock
        self._sent: deque[_Sent] = deque()

    def _prune(self) -> None:
        edge = self._clock() - self.window
        while self._sent and self._sent[0].at < edge:
            self._sent.popleft()

    def check(self, request: OrderRequest, refused: Callable[[int], bool]) -> None:
        """Raise ``DuplicateOrder`` when the same order went out moments ago and was not
        refused by the broker (``refused(entry_id)``: a refused one took nothing)."""
        self._prune()
        key = order_key(request)
        for sent in reversed(self._sent):
            if sent.client_ref == request.client_ref:
                return  # the very same request again: the journal refuses it by reference
            if sent.key == key and not refused(sent.entry_id):
                ago = max(0.0, self._clock() - sent.at)
                raise DuplicateOrder(
                    f"The same order ({request.side.value} {request.size} {request.symbol}) "
                    f"was sent to this account {ago:.1f} s ago.",
                    seconds_ago=ago, field="size",
                )

    def note(self, request: OrderRequest, entry_id: int) -> None:
        self._prune()
        self._sent.append(_Sent(order_key(request), self._clock(), entry_id, request.client_ref))
