"""How the order ticket sends: one order at a time, held for the trader's answer when it
moves real money, looks unusual or repeats one sent moments ago.

A mixin of ``OrderTicketViewModel`` (it uses the ticket's hub, tasks, fields, rules and
signals); see the ticket's module docstring for the contract of ``submit``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop_app.domain.errors import DuplicateOrder
from desktop_app.domain.order_checks import OrderLimits, unusual_order
from desktop_app.domain.types import (
    AccountRef,
    Instrument,
    OrderRequest,
    OrderResult,
    OrderStatus,
    Quote,
    Side,
)
from desktop_app.viewmodels.account_context import account_context
from desktop_app.viewmodels.confirmation import LIVE_REASON, Confirmation
from desktop_app.viewmodels.tasks import error_text, settled
from desktop_app.viewmodels.ticket_sizing import sized_key
from desktop_app.viewmodels.ticket_texts import describe, describe_result

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub
    from desktop_app.viewmodels.tasks import TaskRunner
    from desktop_app.viewmodels.ticket_sizing import TicketSizing


@dataclass(slots=True)
class HeldOrder:
    """An order held for the trader's answer: "confirm" (LIVE or unusual) or
    "duplicate" (the hub saw the same order moments ago)."""

    kind: str
    request: OrderRequest
    future: asyncio.Future[OrderResult | None]
    question: Confirmation


class TicketSending:
    hub: Hub
    tasks: TaskRunner
    account: AccountRef | None
    instrument: Instrument | None
    quote: Quote | None
    limits: OrderLimits
    busy: bool
    sizing: TicketSizing
    _pending: HeldOrder | None
    _equity: tuple[Decimal | None, str]
    _last_sizes: dict[tuple[str, str], Decimal]
    stateChanged: Any
    orderOutcome: Any
    confirmationRequested: Any
    duplicateSuspected: Any
    confirmationWithdrawn: Any
    state: Any
    validate: Any
    usual_size: Any
    _set_result: Any
    _set_errors: Any
    _outcome: Any
    result_text: str
    # An order the broker took to fill later (Upvest: 202, NEW): its request, reference
    # and the line the ticket shows until the journal says how it ended.
    _settling: tuple[OrderRequest, str, str] | None = None


    def _done(self, value: OrderResult | None = None) -> asyncio.Future[OrderResult | None]:
        return settled(value)

    def _refuse(self, why: str) -> asyncio.Future[OrderResult | None]:
        text = f"Not sent: {why}"
        self._set_result(text, False)
        self.orderOutcome.emit(text, False)
        return self._done()

    def submit(self, side: Side) -> asyncio.Future[OrderResult | None]:
        """What Buy and Sell do. See the module docstring for the contract."""
        if self.busy or self._pending is not None:
            return self._done()  # one order at a time: a second press does nothing
        state = self.state()
        if not state.can_send:
            return self._refuse(state.send_why)
        allowed, why_not = state.side(side)
        if not allowed:
            return self._refuse(why_not)
        errors, request = self.validate(side)
        self._set_errors(errors)
        if errors or request is None:
            return self._refuse(next(iter(errors.values()), "check the order."))
        equity, currency = self._equity
        concerns = unusual_order(
            request, self.sizing.sized(self.instrument), self.quote,
            usual_size=self.usual_size(),
            equity=equity, equity_currency=currency, limits=self.limits,
        )
        future: asyncio.Future[OrderResult | None] = asyncio.get_running_loop().create_future()
        if state.live or concerns:
            reasons = ([LIVE_REASON] if state.live else []) + [c.text for c in concerns]
            money = " with real money" if state.live else ""
            question = Confirmation(
                title="Confirm LIVE order" if state.live else "Check this order",
                summary=f"Send this order{money}?\n\n{self.describe(request)}",
                reasons=tuple(reasons), live=state.live, yes_text="Send order",
            )
            self._hold("confirm", request, future, question)
            self._set_result(
                "LIVE order waiting for your confirmation…" if state.live
                else "Waiting for your confirmation…", False,
            )
            self.confirmationRequested.emit(question)
            return future
        self._send(request, future)
        return future

    def _hold(self, kind: str, request: OrderRequest,
              future: asyncio.Future[OrderResult | None], question: Confirmation) -> None:
        self._pending = HeldOrder(kind, request, future, question)
        self.stateChanged.emit()

    def describe(self, request: OrderRequest) -> str:
        context = account_context(self.hub, request.account)
        return describe(request, self.sizing.sized(self.instrument),
                        context.text if context else "")

    def _answer(self, kind: str, accepted: bool, refusal: str) -> None:
        pending = self._pending
        if pending is None or pending.kind != kind:
            return
        self._pending = None
        if not accepted:
            self.stateChanged.emit()
            self._outcome(pending.request, refusal, False)
            if not pending.future.done():
                pending.future.set_result(None)
            return
        self._send(pending.request, pending.future, allow_duplicate=kind == "duplicate")

    def confirm(self, accepted: bool) -> None:
        """The answer to ``confirmationRequested``."""
        self._answer("confirm", accepted, "Not sent: the order was not confirmed.")

    def confirm_duplicate(self, accepted: bool) -> None:
        """The answer to ``duplicateSuspected``: send the same order a second time?"""
        self._answer("duplicate", accepted, "Not sent: the same order was not sent again.")

    @property
    def awaiting_confirmation(self) -> bool:
        return self._pending is not None

    @property
    def pending_question(self) -> Confirmation | None:
        return self._pending.question if self._pending is not None else None

    def _cancel_pending(self, why: str) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self.orderOutcome.emit(why, False)
            if not pending.future.done():
                pending.future.set_result(None)
            self.confirmationWithdrawn.emit()

    def _send(self, request: OrderRequest, future: asyncio.Future[OrderResult | None],
              *, allow_duplicate: bool = False) -> None:
        self.busy = True
        self._set_result(f"Sending: {self.describe(request)}…", True)
        self.stateChanged.emit()
        task = self.tasks.start(self._place(request, future, allow_duplicate))
        task.add_done_callback(lambda t: future.cancel() if t.cancelled() else None)

    async def _place(self, request: OrderRequest, future: asyncio.Future[OrderResult | None],
                     allow_duplicate: bool) -> None:
        try:
            result = await self.hub.place_order(request, allow_duplicate=allow_duplicate)
        except asyncio.CancelledError:
            self._sent()
            raise
        except DuplicateOrder as exc:
            self._sent()
            self._suspect_duplicate(request, future, exc)
            return
        except Exception as exc:
            self._sent()
            self._outcome(request, f"Failed: {error_text(exc)}", False)
            if not future.done():
                future.set_result(None)
            return
        self._sent()
        # Taken: filled, or accepted to be filled later (Upvest: 202, NEW).
        taken = result.status in (OrderStatus.ACCEPTED, OrderStatus.PENDING)
        if taken:
            # Per unit: an amount is never offered again as a quantity.
            self._last_sizes[(request.account.broker, sized_key(request.symbol,
                                                                request.size_unit))] = \
                request.size
        text = describe_result(request, result)
        self._outcome(request, text, taken)
        if result.status is OrderStatus.PENDING:
            self._settling = (request, result.broker_ref, text)
        if not future.done():
            future.set_result(result)

    def _suspect_duplicate(self, request: OrderRequest,
                           future: asyncio.Future[OrderResult | None],
                           exc: DuplicateOrder) -> None:
        if request.account != self.account or self._pending is not None:
            # The trader moved on: nothing was sent, nothing is asked.
            self._outcome(request, f"Not sent: {exc.message}", False)
            if not future.done():
                future.set_result(None)
            return
        live = self.hub.is_live(request.account)
        question = Confirmation(
            title="Send the same order again?",
            summary=f"{exc.message}\n\nSend it a second time?\n\n{self.describe(request)}",
            reasons=(
                "Nothing was sent this time. A double click or a repeated key would send "
                "the same order twice: send it again only if you want a second one.",
                *([LIVE_REASON] if live else []),
            ),
            live=live, yes_text="Send it again",
        )
        self._hold("duplicate", request, future, question)
        self._set_result(f"Not sent: {exc.message} Confirm to send it again.", False)
        self.duplicateSuspected.emit(question)

    def _sent(self) -> None:
        self.busy = False
        self.stateChanged.emit()

    def order_settled(self, entry: Any) -> None:
        """A journal entry completed (``JournalChanged``): when it is the order the ticket
        still shows as pending, its line says how it ended (filled, or refused)."""
        settling = self._settling
        if settling is None or entry is None or entry.action != "place":
            return
        request, reference, shown = settling
        result = entry.order_result()
        if result is None or result.status not in (OrderStatus.ACCEPTED, OrderStatus.REJECTED):
            return
        if (reference and result.broker_ref != reference) or (
                not reference and entry.order_request() != request):
            return
        self._settling = None
        if self.result_text == shown and request.account == self.account:
            self._outcome(request, describe_result(request, result),
                          result.status is OrderStatus.ACCEPTED)
