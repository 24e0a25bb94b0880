"""Finding out what became of a funding request: one rule for every broker that can look
its deposits, withdrawals and transfers up afterwards.

The same spirit as ``reconcile`` for orders. A broker supplies a ``FundingLookup``: how to
read the record its reference names, and how to list the records that look like a
request. Decided here, once: the clock margin, which candidates count (made since the
request was journalled, not claimed by another journal entry) and what "no match" means
(UNKNOWN: still looking, never "not made", which a retry would turn into a double).

The state of a record found is the broker's: PENDING while it has taken the request but
not settled it (a deposit waiting for its payment, a withdrawal waiting for approval),
ACCEPTED or REJECTED once settled. The session asks again while it is PENDING.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from desktop_app.brokers.common.reconcile import CLOCK_MARGIN
from desktop_app.domain.errors import BrokerError
from desktop_app.domain.money import format_money
from desktop_app.domain.types import FundingRequest, FundingResult, OrderStatus

__all__ = ["CLOCK_MARGIN", "FundingCandidate", "FundingLookup", "reconcile_funding"]


@dataclass(frozen=True, slots=True)
class FundingCandidate:
    """A record at the broker that looks like the request."""

    ref: str  # the broker's id for it (the record the journal keeps as broker_ref)
    made: datetime | None  # when the broker made it (aware UTC); None: unknown
    result: FundingResult  # its state as a result (broker_ref = ``ref``)


class FundingLookup(Protocol):
    @property
    def what(self) -> str:
        """What is searched, for messages ("cash flow")."""
        ...

    def names_record(self, ref: str) -> bool:
        """Whether ``ref`` is the id of one of the broker's records (a reference that is
        not, such as an application's job id, is searched for like no reference)."""
        ...

    async def by_reference(
        self, request: FundingRequest, ref: str, since: datetime | None
    ) -> FundingResult | None:
        """The state of the record ``ref`` names (None: not listed, yet)."""
        ...

    async def candidates(
        self, request: FundingRequest, since: datetime
    ) -> list[FundingCandidate]:
        """Records like ``request`` (kind, amount, the other account, the pay currency)
        as the broker lists them now, from ``since - CLOCK_MARGIN`` on."""
        ...


def _what(request: FundingRequest) -> str:
    return f"{request.kind.value} of {format_money(request.amount, request.currency)}"


async def reconcile_funding(
    lookup: FundingLookup,
    request: FundingRequest,
    broker_ref: str,
    *,
    broker: str,
    since: datetime | None,
    exclude: frozenset[str] = frozenset(),
) -> FundingResult:
    """The state of ``request``: by ``broker_ref`` when it names a record, else the one
    unclaimed candidate made since ``since`` (journal time, less ``CLOCK_MARGIN``).

    Never raises for what the broker answered: a refusal to read, no candidate or
    several are UNKNOWN results whose message says so (nothing was resent).
    """
    if broker_ref and lookup.names_record(broker_ref):
        try:
            found = await lookup.by_reference(request, broker_ref, since)
        except BrokerError as exc:
            return FundingResult(
                OrderStatus.UNKNOWN, broker_ref=broker_ref,
                message=f"{broker} could not be asked about {broker_ref}: {exc.message}",
            )
        if found is not None:
            return found
        return FundingResult(
            OrderStatus.UNKNOWN, broker_ref=broker_ref,
            message=f"{broker}'s {lookup.what} does not list {broker_ref} (yet); the app "
            "keeps looking.",
        )
    if since is None:
        return FundingResult(
            OrderStatus.UNKNOWN, broker_ref=broker_ref,
            message=f"{broker} gave no reference and the time the request was sent is not "
            "known, so it cannot be told apart from an older identical one.",
        )
    earliest = since - CLOCK_MARGIN
    try:
        found_all = await lookup.candidates(request, since)
    except BrokerError as exc:
        return FundingResult(
            OrderStatus.UNKNOWN, broker_ref=broker_ref,
            message=f"The {lookup.what} could not be read to find the {_what(request)} "
            f"({exc.message}).",
        )
    # A record without a time cannot be shown to be new; one claimed by another journal
    # entry is that entry's.
    mine = [c for c in found_all
            if c.ref not in exclude and c.made is not None and c.made >= earliest]
    if len(mine) == 1:
        one = mine[0]
        note = f"Found in {broker}'s {lookup.what} as {one.ref}."
        return replace(one.result, broker_ref=one.ref,
                       message=f"{note} {one.result.message}".strip())
    if len(mine) > 1:
        refs = ", ".join(sorted(c.ref for c in mine))
        return FundingResult(
            OrderStatus.UNKNOWN, broker_ref=broker_ref,
            message=f"{len(mine)} entries in {broker}'s {lookup.what} made since the "
            f"{_what(request)} was sent match it ({refs}); which one it was cannot be told.",
        )
    return FundingResult(
        OrderStatus.UNKNOWN, broker_ref=broker_ref,
        message=f"No {_what(request)} appears in {broker}'s {lookup.what} (yet); the app "
        "keeps looking.",
    )
