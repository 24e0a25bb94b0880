"""Finding out what became of an order whose reply was lost: one rule for every broker.

A broker supplies a ``Lookup``: how to ask about an order by the reference it gave, and
how to list the deals or orders that look like a request. Everything else is decided
here, once: the clock margin, how often to look, which candidates count (made since the
request was journalled, not claimed by another journal entry) and what "no match" means
(UNKNOWN: still looking; never "not executed", which a retry would turn into a double).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from desktop_app.domain.errors import BrokerError
from desktop_app.domain.types import OrderRequest, OrderResult, OrderStatus

# "Made after the send" is judged on the broker's clock: brokers stamp deals to the
# second (or the Date header tells their clock to about a second) and the request takes
# its network time. Three seconds cover both; the journal's claims keep an identical
# order made just before (a double click) from being taken for this one.
CLOCK_MARGIN = timedelta(seconds=3)
# Right after a lost reply the broker may not list the deal yet: look a few times.
ATTEMPTS = 4
INTERVAL = 0.5


@dataclass(frozen=True, slots=True)
class Candidate:
    """A deal or order at the broker that looks like the request."""

    ref: str  # the broker's id for it (deal id, order id)
    made: datetime | None  # when the broker made it (aware UTC); None: unknown
    result: OrderResult  # the outcome to report if it is the request's


class Lookup(Protocol):
    """How one broker finds its own orders and deals."""

    @property
    def what(self) -> str:
        """What is searched, for messages ("positions", "executed orders")."""
        ...

    @property
    def complete(self) -> bool:
        """True when ``candidates`` sees every order or deal made since a time, executed,
        closed, cancelled or refused alike (a dealing history, a day's order list): then
        no candidate, once the broker has had time to list it, proves nothing was done.
        False when it sees only what is open now (a closed deal would be missed)."""
        ...

    async def by_reference(self, request: OrderRequest, ref: str) -> OrderResult:
        """The outcome of the order the broker answered with ``ref`` (UNKNOWN when the
        broker does not know it yet)."""
        ...

    async def candidates(self, request: OrderRequest, since: datetime) -> list[Candidate]:
        """Deals / orders like ``request`` (symbol, side, size, type, level) as the broker
        lists them now; ``since`` is when the request was journalled (our clock): a
        broker query by time should start ``CLOCK_MARGIN`` earlier, and a deal this app
        saw listed before ``since`` is not the request's."""
        ...


async def reconcile(
    lookup: Lookup,
    request: OrderRequest,
    broker_ref: str,
    *,
    broker: str,
    since: datetime | None,
    exclude: frozenset[str] = frozenset(),
    final: bool = False,
    peers: tuple[datetime, ...] = (),
    rank: int = 0,
    attempts: int = ATTEMPTS,
    interval: float = INTERVAL,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> OrderResult:
    """The outcome of ``request``: by ``broker_ref`` when the broker gave one, else the
    one unclaimed candidate made since ``since`` (journal time, less ``CLOCK_MARGIN``).

    Never raises for what the broker answered: a refusal to read, no candidate or
    several are UNKNOWN results whose reason says so (nothing was resent). ``final``:
    the broker has had time to list the order (long after it was sent); with a complete
    lookup, no candidate then means the order was not executed (REJECTED).

    ``peers``: when identical orders are still in doubt in the journal, the times they
    were sent (this one's included) and ``rank`` this one's place among them. A
    candidate could be any of theirs, so none is taken while they are in doubt. Once the
    broker has listed everything (``final``) they are settled together: in the order
    they were sent, each takes the earliest deal not taken yet that was made after it
    was sent (a broker executes one session's orders in the order they arrive); those
    left without one were not executed. The count is then exact (nothing doubled or
    lost) even where the broker's record cannot say which deal was whose.
    """
    if broker_ref:
        try:
            return await lookup.by_reference(request, broker_ref)
        except BrokerError as exc:
            return OrderResult(
                OrderStatus.UNKNOWN, broker_ref=broker_ref,
                reason=f"{broker} could not be asked about order {broker_ref}: {exc.message}",
            )
    if since is None:
        return OrderResult(
            OrderStatus.UNKNOWN,
            reason=f"{broker} gave no reference and the time the order was sent is not "
            "known, so it cannot be told apart from an older identical one.",
        )
    group = sorted(peers) if len(peers) > 1 else []
    start = group[0] if group else since
    earliest = start - CLOCK_MARGIN
    for attempt in range(max(1, attempts)):
        if attempt:
            await sleep(interval)
        try:
            found = await lookup.candidates(request, start)
        except BrokerError as exc:
            return OrderResult(
                OrderStatus.UNKNOWN,
                reason=f"The {lookup.what} could not be read to find out whether the order "
                f"was taken ({exc.message}).",
            )
        # A deal without a time cannot be shown to be new; one claimed by another
        # journal entry is that entry's.
        mine = [c for c in found
                if c.ref not in exclude and c.made is not None and c.made >= earliest]
        if group:
            if final and lookup.complete and len(mine) <= len(group):
                return _settle_together(mine, group, rank, request, broker, lookup.what)
            return OrderResult(
                OrderStatus.UNKNOWN,
                reason=f"{len(group)} identical {request.symbol} orders are still being "
                f"settled and {len(mine)} matching {lookup.what} are listed; the app looks "
                "again once they can be told apart.",
            )
        mine = [c for c in mine if c.made is not None and c.made >= since - CLOCK_MARGIN]
        if len(mine) == 1:
            found_one = mine[0]
            note = f"Found at {broker} among the {lookup.what}."
            reason = f"{note} {found_one.result.reason}".strip()
            return replace(found_one.result, reason=reason)
        if len(mine) > 1:
            refs = ", ".join(sorted(c.ref for c in mine))
            return OrderResult(
                OrderStatus.UNKNOWN,
                reason=f"{len(mine)} {request.symbol} {lookup.what} made since the order "
                f"was sent match it ({refs}); {broker} cannot tell which one it was.",
            )
    if final and lookup.complete:
        return OrderResult(
            OrderStatus.REJECTED,
            reason=f"Not executed: {broker}'s {lookup.what} since the order was sent show no "
            f"{request.side.value} {request.size} {request.symbol}.",
        )
    return OrderResult(
        OrderStatus.UNKNOWN,
        reason=f"No matching {request.symbol} order appears among {broker}'s {lookup.what} "
        "(yet); the app keeps looking.",
    )


def _settle_together(
    found: list[Candidate], sent: list[datetime], rank: int, request: OrderRequest,
    broker: str, what: str,
) -> OrderResult:
    """Identical orders in doubt, settled in the order they were sent (see reconcile)."""
    free = sorted(found, key=lambda c: (c.made or sent[0], c.ref))
    taken: list[Candidate | None] = []
    for at in sent:
        pick = next((c for c in free if c.made is not None and c.made >= at - CLOCK_MARGIN),
                    None)
        if pick is not None:
            free.remove(pick)
        taken.append(pick)
    mine = taken[rank]
    if mine is None:
        return OrderResult(
            OrderStatus.REJECTED,
            reason=f"Not executed: {len(sent)} identical {request.symbol} orders were in "
            f"doubt and {broker}'s {what} show {len(found)} made since; this one has none.",
        )
    return replace(mine.result, reason=(
        f"Found at {broker} among the {what}: {len(sent)} identical orders were in doubt, "
        "each settled with the deal that followed it, in the order sent."))
