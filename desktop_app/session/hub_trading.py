"""The hub's orders: checks before anything is sent, the duplicate guard, placing, closing,
cancelling and modifying through the journalled write, and looking outcomes up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from desktop_app.domain.account_rules import account_allows
from desktop_app.domain.errors import NotSupported, PermissionDenied, ValidationError
from desktop_app.domain.order_checks import request_errors
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import (
    AccountRef,
    OrderAmendment,
    OrderRequest,
    OrderResult,
    OrderStatus,
    Side,
    new_client_ref,
)
from desktop_app.session.connection import Connection
from desktop_app.session.duplicates import order_key
from desktop_app.session.hub_core import HubCore
from desktop_app.session.writes import JournalledWrite, OrderLedger
from desktop_app.storage.journal import DuplicateRequest, JournalEntry, OrderAction


class HubTrading(HubCore):
    # ------------------------------------------------------------------ orders
    def _validate_order(self, conn: Connection, request: OrderRequest) -> None:
        self._require_trading(conn)
        caps = conn.capabilities
        if caps is not None and request.order_type not in caps.order_types:
            raise NotSupported(caps.why_not(request.order_type.value))
        # The ticket's own rules (domain.order_checks), those that need no market data.
        for field, message in request_errors(request).items():
            raise ValidationError(message, field=field)
        account = self._account(request.account)
        if account is not None and not account_allows(account).side(request.side):
            verb = "Buying" if request.side is Side.BUY else "Selling"
            raise PermissionDenied(
                f"{verb} is not possible on {account.name or account.ref.account_id} "
                f"({account.status.value.replace('_', ' ')}).",
                hint=account_allows(account).why + " Nothing was sent.",
            )
        self._check_live(conn, "Trading")

    @staticmethod
    def _require_trading(conn: Connection) -> None:
        """A broker that does not trade through its API (LWork) refuses every order
        action with its reason, before anything is journalled."""
        caps = conn.capabilities
        if caps is not None and not caps.trading:
            raise NotSupported(caps.why_not("trading"))

    def _refused_entry(self, entry_id: int) -> bool:
        entry = self.journal.order(entry_id)
        result = entry.order_result() if entry is not None else None
        return result is not None and result.status is OrderStatus.REJECTED

    def is_live(self, account: AccountRef) -> bool:
        """Whether a write on this account moves real money: the broker's own word about
        the account (its listed environment) where known, else the profile's label; live
        when either says so."""
        conn = self._connections.get(account.connection)
        if conn is not None and conn.profile.is_live:
            return True
        # Asked for every row of the accounts table: a desk lists thousands, so the live
        # ones are found once per listing, not once per question.
        return account.account_id in self._live_ids(account.connection)

    async def place_order(
        self, request: OrderRequest, *, allow_duplicate: bool = False
    ) -> OrderResult:
        """Journal, send once, complete. A lost reply is reconciled, never resent.

        An identical order for the same account sent moments ago raises
        ``DuplicateOrder`` (nothing sent) unless ``allow_duplicate`` (the trader
        confirmed that a second one is meant)."""
        conn = self._usable(request.account.connection)
        self._validate_order(conn, request)
        service = conn.service
        assert service is not None
        if not allow_duplicate:
            self.recent_orders.check(request, self._refused_entry)
        try:
            # Committed before anything is sent (a journal that cannot take it stops the send).
            entry_id = await self.writer.before_send(self.journal.begin_order, request)
        except DuplicateRequest as exc:
            raise ValidationError(
                "This order was already sent once (same reference); it is not sent again."
            ) from exc
        self.recent_orders.note(request, entry_id)

        async def reconcile(ref: str) -> OrderResult | None:
            entry = self.journal.order(entry_id)
            assert entry is not None
            return await self._reconcile_placement(service, entry, ref)

        return await self._journalled(
            JournalledWrite(
                OrderLedger(self.writer), entry_id,
                lambda on_ref: service.place_order(request, on_reference=on_ref),
                reconcile, references=True, broker=service.broker,
            ),
            request.account, lambda: self._refresh_after_trade(request.account),
        )

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        conn = self._usable(account.connection)
        self._require_trading(conn)
        self._check_live(conn, "Closing positions")
        service = conn.service
        assert service is not None
        return await self._target_action(
            service, account, OrderAction.CLOSE, position_id,
            lambda: service.close_position(account, position_id),
        )

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        conn = self._usable(account.connection)
        self._require_trading(conn)
        self._check_live(conn, "Cancelling orders")
        service = conn.service
        assert service is not None
        return await self._target_action(
            service, account, OrderAction.CANCEL, order_id,
            lambda: service.cancel_order(account, order_id),
        )

    async def modify_order(self, amendment: OrderAmendment) -> OrderResult:
        account = amendment.account
        conn = self._usable(account.connection)
        self._require_trading(conn)
        self._check_live(conn, "Changing orders")
        caps = conn.capabilities
        if caps is None or not caps.modify_orders:
            raise NotSupported(caps.why_not("modify_orders") if caps else "Not connected.")
        for name in ("level", "size", "stop_price"):
            value = getattr(amendment, name)
            if value is not None and value <= 0:
                raise ValidationError(f"The new {name.replace('_', ' ')} must be above zero.",
                                      field=name)
        service = conn.service
        assert service is not None
        details = {
            name: str(value)
            for name in ("level", "size", "stop_price", "stop_level", "profit_level")
            if (value := getattr(amendment, name)) is not None
        }
        return await self._target_action(
            service, account, OrderAction.MODIFY, amendment.order_id,
            lambda: service.modify_order(amendment), details=details,
        )

    async def close_all_positions(self, account: AccountRef) -> OrderResult:
        conn = self._usable(account.connection)
        self._require_trading(conn)
        self._check_live(conn, "Closing positions")
        caps = conn.capabilities
        if caps is None or not caps.close_all:
            raise NotSupported(caps.why_not("close_all") if caps else "Not connected.")
        service = conn.service
        assert service is not None
        return await self._target_action(
            service, account, OrderAction.CLOSE_ALL, "",
            lambda: service.close_all_positions(account),
        )

    async def _target_action(
        self,
        service: BrokerService,
        account: AccountRef,
        action: OrderAction,
        target_id: str,
        send: Callable[[], Awaitable[OrderResult]],
        *,
        details: dict[str, str] | None = None,
    ) -> OrderResult:
        entry_id = await self.writer.before_send(
            self.journal.begin_order_action,
            account, action, target_id, new_client_ref(), details
        )

        async def reconcile(_ref: str) -> OrderResult | None:
            if action in (OrderAction.MODIFY, OrderAction.CLOSE_ALL):
                return None
            return await self._target_outcome(service, account, action, target_id)

        return await self._journalled(
            JournalledWrite(
                OrderLedger(self.writer), entry_id, lambda _on_ref: send(), reconcile,
                references=False, broker=service.broker,
            ),
            account, lambda: self._refresh_after_trade(account),
        )

    async def _reconcile_placement(
        self, service: BrokerService, entry: JournalEntry, ref: str, *, final: bool = False
    ) -> OrderResult:
        """Ask the broker for the outcome of a journalled placement."""
        # A deal another journal entry already holds is that entry's: never counted.
        claimed = frozenset(self.journal.claimed_deal_ids(entry))
        peers, rank, in_flight = self._peers(entry)
        # A peer whose own request is still under way will get its own answer: the
        # group is not settled around it.
        final = final and not in_flight
        return await service.reconcile_order(
            entry.order_request(), ref, since=entry.created, exclude=claimed, final=final,
            peers=peers, rank=rank,
        )

    def _peers(self, entry: JournalEntry) -> tuple[tuple[datetime, ...], int, bool]:
        """When identical placements on the connection are in doubt besides this one (in
        flight, pending or unknown): all their send times, this one's place by time, and
        whether one of the others is still under way."""
        if entry.broker_ref:
            return (), 0, False  # looked up by its own reference
        key = order_key(entry.order_request())
        # One with a reference settles by it, but until it has, its deal is in doubt too.
        doubtful = [e for e in self.journal.unresolved_orders(entry.connection)
                    if e.action == OrderAction.PLACE and order_key(e.order_request()) == key]
        if all(e.id != entry.id for e in doubtful):
            doubtful.append(entry)
        doubtful.sort(key=lambda e: (e.created, e.id))
        if len(doubtful) < 2:
            return (), 0, False
        in_flight = any(("order", e.id) in self._in_flight_entries
                        for e in doubtful if e.id != entry.id)
        return (tuple(e.created for e in doubtful), [e.id for e in doubtful].index(entry.id),
                in_flight)

    @staticmethod
    async def _target_outcome(
        service: BrokerService, account: AccountRef, action: OrderAction, target_id: str
    ) -> OrderResult | None:
        """Closed / cancelled when the broker no longer lists the target; None: not known."""
        if action is OrderAction.CLOSE:
            ids = {p.position_id for p in await service.positions(account)}
            what = "position is closed"
        else:
            ids = {o.order_id for o in await service.working_orders(account)}
            what = "order is cancelled"
        if target_id in ids:
            return None
        return OrderResult(
            OrderStatus.ACCEPTED, deal_ids=(target_id,),
            reason=f"The broker's list shows the {what}.",
        )

