"""Outcomes not known yet: looked up with the broker until they are, never resent.

- An order that ended unknown (a lost reply, an unreadable confirmation) or pending (the
  broker settles it later) is looked up again during the session, after 5, 15, 45 and 120
  seconds (funding is followed by ``session.hub_followup``).
- At start, what a previous run left pending or unknown is looked up once its
  connection is up, for entries of the last week (older ones say so and rest).
- Once the broker has had time to list an order (a minute after it was sent) and the
  broker's record is complete (a dealing history, a day's order list), no match means it
  was not executed: the entry is settled as such, instead of staying unknown for good.
- Candidates another journal entry holds are never counted (``claimed_deal_ids``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from desktop_app.domain.errors import BrokerError
from desktop_app.domain.money import format_money, utc_now
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import OrderResult, OrderStatus
from desktop_app.session.connection import Connection, error_text
from desktop_app.session.events import Topic
from desktop_app.session.hub_core import interactive, log
from desktop_app.session.hub_trading import HubTrading
from desktop_app.session.writes import CHECK_BALANCE, CHECK_POSITIONS
from desktop_app.storage.journal import EntryState, JournalEntry, OrderAction

# When an unknown outcome is looked up again, in seconds after the write ended.
FOLLOW_UP = (5.0, 15.0, 45.0, 120.0)
# After this the broker has listed whatever the request did.
FINAL_AFTER = timedelta(seconds=60)
# Unknown entries older than this are no longer looked up at every start.
HORIZON = timedelta(days=7)

_LOOKED_UP = (EntryState.PENDING, EntryState.UNKNOWN)


def _restart_note(entry: JournalEntry) -> str:
    if entry.state is EntryState.PENDING:
        return "The app stopped before the broker answered."
    return "Still not known after a restart."


class HubRecovery(HubTrading):
    # When the broker has surely listed what an order did (tests shorten it).
    final_after = FINAL_AFTER

    async def look_up_unknown(self, connection_id: str | None = None) -> int:
        """Look up now every order whose outcome is not known (what a trader's "check
        again" asks); returns how many are still not known."""
        left = 0
        entries = await self.writer.read(self.journal.unresolved_orders, connection_id)
        # Those the broker can be asked about by reference first: once settled, their
        # deals are claimed and no longer candidates for the others.
        entries.sort(key=lambda e: (not e.broker_ref, e.created, e.id))
        for entry in entries:
            if ("order", entry.id) in self._in_flight_entries:
                left += 1
                continue
            conn = self._connections.get(entry.connection)
            if conn is None or not conn.usable or conn.service is None:
                left += 1
                continue
            try:
                with interactive():
                    settled = await self._look_up(conn.service, entry, during_session=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not isinstance(exc, BrokerError):
                    log.exception("looking up journal entry %s failed", entry.id)
                settled = False
            left += 0 if settled else 1
        await self.writer.flush(within=5.0)
        return left

    # ------------------------------------------------------------------ during the session
    def _follow_up(self, kind: str, entry_id: int) -> None:
        if self._stopped:
            return
        self._spawn(self._follow_up_entry(kind, entry_id),
                    name=f"follow-up:{kind}:{entry_id}")

    async def _follow_up_entry(self, kind: str, entry_id: int) -> None:
        for delay in FOLLOW_UP:
            await asyncio.sleep(delay)
            entry = await self.writer.read(
                self.journal.order if kind == "order" else self.journal.funding_entry, entry_id
            )
            if entry is None or not self._still_open(entry):
                return
            conn = self._connections.get(entry.connection)
            if conn is None or not conn.usable or conn.service is None:
                continue
            if (kind, entry_id) in self._in_flight_entries:
                continue
            try:
                with interactive():
                    settled = await self._look_up(conn.service, entry, during_session=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not isinstance(exc, BrokerError):
                    log.exception("looking up journal entry %s failed", entry.id)
                continue
            if settled:
                self.poller.refresh(entry.connection, entry.account,
                                    (Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS))
                return

    @staticmethod
    def _still_open(entry: JournalEntry) -> bool:
        if entry.state in _LOOKED_UP:
            return True
        result = entry.order_result() if entry.kind == "order" else entry.funding_result()
        return result is not None and result.status is OrderStatus.PENDING

    async def _look_up(
        self, service: BrokerService, entry: JournalEntry, *, during_session: bool
    ) -> bool:
        """Ask the broker once; record what it says. True when the outcome is known."""
        final = utc_now() - entry.created >= self.final_after
        note = "" if during_session else _restart_note(entry)
        result = await self._order_outcome(service, entry, final=final)
        announce = lambda: self._journal_event("order", entry.id)  # noqa: E731
        if result.status in (OrderStatus.UNKNOWN, OrderStatus.PENDING):
            text = f"{note} {result.reason} {CHECK_POSITIONS}".strip()
            self.writer.after("order still unknown",
                              lambda: self.journal.mark_unknown(entry.id, text, result), announce)
            return False
        prefix = "Reconciled after a restart." if note else "Looked up at the broker."
        self.writer.after(
            "order reconciled",
            lambda: self.journal.reconcile_order(entry.id, result,
                                                 message=f"{prefix} {result.reason}".strip()),
            announce,
        )
        return True

    async def _order_outcome(
        self, service: BrokerService, entry: JournalEntry, *, final: bool
    ) -> OrderResult:
        action = OrderAction(entry.action)
        if action is OrderAction.PLACE:
            return await self._reconcile_placement(service, entry, entry.broker_ref,
                                                   final=final)
        if action in (OrderAction.CLOSE, OrderAction.CANCEL):
            target = str(entry.request.get("target_id", ""))
            found = await self._target_outcome(service, entry.account, action, target)
            still = "position is still open" if action is OrderAction.CLOSE else (
                "order is still working")
            return found or OrderResult(
                OrderStatus.UNKNOWN, deal_ids=(target,),
                reason=f"The {still}; the request has not taken effect so far.",
            )
        # No broker record tells whether an amendment, a close-all or an account request
        # took effect: the orders, positions and accounts shown say it.
        return OrderResult(
            OrderStatus.UNKNOWN,
            reason="Whether it took effect cannot be looked up; the current orders, "
            "positions and accounts show it.",
        )

    def _still_unknown(self, entry: JournalEntry, text: str) -> None:
        announce = lambda: self._journal_event(entry.kind, entry.id)  # noqa: E731
        if entry.kind == "order":
            kept = entry.order_result()
            self.writer.after("order still unknown",
                              lambda: self.journal.mark_unknown(entry.id, text, kept), announce)
        else:
            self.writer.after("funding still unknown",
                              lambda: self.journal.mark_funding_unknown(entry.id, text), announce)

    # ------------------------------------------------------------------ at start
    async def _reconcile_journal(self, conn: Connection) -> None:
        """Settle what a previous run left pending or unknown on this connection (once
        per run): the broker is asked, nothing is resent."""
        cid = conn.connection_id
        service = conn.service
        if cid in self._reconciled or service is None:
            return
        self._reconciled.add(cid)
        horizon = utc_now() - HORIZON
        # Funding a previous run left without an answer is unknown; session.hub_followup
        # looks it (and what is pending settlement) up with the broker from here on.
        for entry in await self.writer.read(self.journal.pending_funding, cid):
            if ("funding", entry.id) not in self._in_flight_entries:
                req = entry.funding_request()
                self._still_unknown(entry, (
                    f"The app stopped before the broker answered this "
                    f"{req.kind.value.replace('_', ' ')} of "
                    f"{format_money(req.amount, req.currency)}. {CHECK_BALANCE}"))
        for entry in await self.writer.read(self.journal.unresolved_orders, cid):
            if ("order", entry.id) in self._in_flight_entries:
                continue
            if entry.updated < horizon:
                continue  # left as it was said: no longer looked up
            try:
                with interactive():
                    settled = await self._look_up(service, entry, during_session=False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not isinstance(exc, BrokerError):
                    log.exception("reconciling journal entry %s failed", entry.id)
                self._still_unknown(entry, f"{_restart_note(entry)} {error_text(exc)}")
                settled = False
            if not settled:
                self._follow_up(entry.kind, entry.id)
