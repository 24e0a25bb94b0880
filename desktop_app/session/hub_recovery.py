"""What a previous run left pending or unknown: settled with the broker once its connection
is up, never resent."""

from __future__ import annotations

import asyncio

from desktop_app.domain.errors import BrokerError
from desktop_app.domain.money import format_money
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import OrderResult, OrderStatus
from desktop_app.session.connection import Connection, error_text
from desktop_app.session.hub_core import interactive, log
from desktop_app.session.hub_trading import HubTrading
from desktop_app.session.writes import CHECK_BALANCE, CHECK_POSITIONS
from desktop_app.storage.journal import EntryState, JournalEntry, OrderAction


def _restart_note(entry: JournalEntry) -> str:
    if entry.state is EntryState.PENDING:
        return "The app stopped before the broker answered."
    return "Still not known after a restart."


class HubRecovery(HubTrading):
    # ------------------------------------------------------------------ reconciliation
    async def _reconcile_journal(self, conn: Connection) -> None:
        """Settle what a previous run left pending or unknown on this connection (once
        per run): the broker is asked, nothing is resent."""
        cid = conn.connection_id
        service = conn.service
        if cid in self._reconciled or service is None:
            return
        self._reconciled.add(cid)
        for entry in self.journal.unresolved_orders(cid):
            if ("order", entry.id) in self._in_flight_entries:
                continue
            try:
                with interactive():
                    await self._reconcile_order_entry(service, entry)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not isinstance(exc, BrokerError):
                    log.exception("reconciling journal entry %s failed", entry.id)
                self.journal.mark_unknown(
                    entry.id, f"{_restart_note(entry)} {error_text(exc)}",
                    entry.order_result(),
                )
            self._journal_event("order", entry.id)
        for entry in self.journal.pending_funding(cid):
            if ("funding", entry.id) in self._in_flight_entries:
                continue
            req = entry.funding_request()
            self.journal.mark_funding_unknown(
                entry.id,
                f"The app stopped before the broker answered this {req.kind.value} of "
                f"{format_money(req.amount, req.currency)}. {CHECK_BALANCE}",
            )
            self._journal_event("funding", entry.id)

    async def _reconcile_order_entry(self, service: BrokerService, entry: JournalEntry) -> None:
        if entry.action == OrderAction.PLACE:
            result = await self._reconcile_placement(service, entry, entry.broker_ref)
        elif entry.action in (OrderAction.MODIFY, OrderAction.CLOSE_ALL):
            # No broker record tells whether an amendment or a close-all took effect.
            result = OrderResult(
                OrderStatus.UNKNOWN,
                reason="Whether it took effect cannot be looked up; the current orders "
                "and positions show it.",
            )
        else:
            action = OrderAction(entry.action)
            target = str(entry.request.get("target_id", ""))
            found = await self._target_outcome(service, entry.account, action, target)
            still = "position is still open" if action is OrderAction.CLOSE else (
                "order is still working")
            result = found or OrderResult(
                OrderStatus.UNKNOWN, deal_ids=(target,),
                reason=f"The {still}; the request has not taken effect so far.",
            )
        if result.status is OrderStatus.UNKNOWN:
            self.journal.mark_unknown(
                entry.id, f"{_restart_note(entry)} {result.reason} {CHECK_POSITIONS}".strip(),
                result,
            )
        else:
            self.journal.reconcile_order(
                entry.id, result,
                message=f"Reconciled after a restart. {result.reason}".strip(),
            )

