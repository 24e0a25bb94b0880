"""Following funding requests until they settle, without a restart.

A broker may take a funding request and settle it later: an LWork deposit waits for its
payment, a withdrawal for the broker's approval (the result is PENDING); and a request
whose reply was lost is UNKNOWN until it is found. For each connection one task looks
such journal entries up again through ``service.reconcile_funding`` (never by resending)
with a back-off (``FollowPolicy``), updates the journal, announces the change
(``JournalChanged``) and refreshes the balances when one settles. It is bounded: after
``attempts`` looks in a run an entry is left as it is, to be followed again at the next
start (``Hub._connection_main``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from desktop_app.domain.errors import BrokerError
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import FundingResult, OrderStatus
from desktop_app.net.limiter import Priority, context_priority
from desktop_app.session.events import Topic
from desktop_app.session.hub_core import HubCore
from desktop_app.storage.journal import EntryState, JournalEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FollowPolicy:
    first: float = 2.0  # seconds from the request to the first look
    factor: float = 2.0
    longest: float = 60.0
    attempts: int = 40  # looks per entry and run (2, 4, 8, ... 60 s: about half an hour)

    def delay(self, looked: int) -> float:
        return min(self.longest, self.first * self.factor ** looked)


class HubFollowUp(HubCore):
    follow_policy = FollowPolicy()

    def follow_funding(self, connection_id: str) -> None:
        """Follow this connection's unsettled funding entries (idempotent): a task that
        ends when none is left to look at in this run."""
        if self._stopped:
            return
        wake = self._follow_wake.setdefault(connection_id, asyncio.Event())
        task = self._follow_tasks.get(connection_id)
        if task is not None and not task.done():
            wake.set()  # a new entry: look at it in time
            return
        self._follow_tasks[connection_id] = self._spawn(
            self._follow(connection_id, wake), name=f"follow-funding:{connection_id}")

    async def _follow(self, connection_id: str, wake: asyncio.Event) -> None:
        # Behind what is on screen, within the polling pace (not a click).
        context_priority.set(Priority.VISIBLE)
        loop = asyncio.get_running_loop()
        policy = self.follow_policy
        while not self._stopped:
            wake.clear()
            conn = self._connections.get(connection_id)
            if conn is None or conn.service is None or not conn.usable:
                return  # followed again once the connection is up (_connection_main)
            next_due: float | None = None
            for entry in self.journal.unsettled_funding(connection_id):
                if ("funding", entry.id) in self._in_flight_entries:
                    continue
                due, looked = self._follow_tracks.setdefault(
                    entry.id, (loop.time() + policy.first, 0))
                if looked >= policy.attempts:
                    continue
                if due <= loop.time():
                    settled = await self._look_again(conn.service, entry)
                    looked += 1
                    due = loop.time() + policy.delay(looked)
                    if settled:
                        self._follow_tracks.pop(entry.id, None)
                        continue
                    self._follow_tracks[entry.id] = (due, looked)
                next_due = due if next_due is None else min(next_due, due)
            if next_due is None:
                return
            timer = loop.call_later(max(0.0, next_due - loop.time()), wake.set)
            try:
                await wake.wait()
            finally:
                timer.cancel()

    async def _look_again(self, service: BrokerService, entry: JournalEntry) -> bool:
        """Ask the broker once; True when the entry settled (accepted or rejected)."""
        request = entry.funding_request()
        claimed = frozenset(self.journal.claimed_funding_refs(entry))
        try:
            found = await service.reconcile_funding(
                request, entry.broker_ref, since=entry.created, exclude=claimed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the next look may do better; nothing is resent
            if not isinstance(exc, BrokerError):
                log.exception("following funding entry %s failed", entry.id)
            return False
        now = self.journal.funding_entry(entry.id)
        if now is None or now.state is EntryState.PENDING:
            return False  # being written by its own request
        if found.status is OrderStatus.UNKNOWN:
            return False  # still not known: the entry keeps what it says
        if found.status is OrderStatus.PENDING:
            before = now.funding_result()
            if now.state is EntryState.UNKNOWN or before is None or (
                    before.status, before.broker_ref) != (found.status, found.broker_ref):
                self._record(now, found)  # now known to be taken; else it says so already
            return False
        self._record(now, found)
        self.poller.refresh(entry.connection, entry.account,
                            (Topic.BALANCES, Topic.POSITIONS))
        return True

    def _record(self, entry: JournalEntry, found: FundingResult) -> None:
        def announce() -> None:
            self._journal_event("funding", entry.id)

        if entry.state is EntryState.COMPLETED:
            # The broker's answer was "taken, pending"; this is how it ended.
            self.writer.after("funding settled",
                              lambda: self.journal.complete_funding(entry.id, found), announce)
        else:
            self.writer.after("funding reconciled",
                              lambda: self.journal.reconcile_funding(entry.id, found), announce)
