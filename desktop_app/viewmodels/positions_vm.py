"""Open positions (live P/L, close) and working orders (cancel, modify) of the selected
account, with the guards that protect money:

- every write acts on the key it was triggered for (a position id, an order id),
  never on whatever row is selected when it runs;
- one trigger, one write: while a write for a key is in flight or waits for an answer,
  a second trigger does nothing; a position once closed (an order once cancelled) is
  not closed again;
- on a LIVE account every write (close, close all, cancel, change) waits for
  ``confirm(True)`` after ``confirmationRequested``, naming the account and the amount;
  closing all positions always asks.

Each write returns a future of the broker's ``OrderResult`` (None: not sent or failed),
or None when nothing will happen (not possible now, or a repeated trigger).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.money import utc_now
from desktop_app.domain.order_checks import price_error, size_error
from desktop_app.domain.types import (
    AccountRef,
    OrderAmendment,
    OrderResult,
    OrderStatus,
    Position,
    WorkingOrder,
)
from desktop_app.session.events import ConnectionChanged, PositionsUpdated, WorkingOrdersUpdated
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels import position_texts as texts
from desktop_app.viewmodels.account_context import AccountContext, account_context
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.confirmation import LIVE_REASON, Confirmation
from desktop_app.viewmodels.input_numbers import parse
from desktop_app.viewmodels.positions_model import (
    HistoryTableModel,
    PositionsTableModel,
    WorkingOrdersTableModel,
)
from desktop_app.viewmodels.sort_proxy import NumericSortProxy
from desktop_app.viewmodels.tasks import error_text

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

WriteFuture = asyncio.Future[OrderResult | None]


@dataclass(slots=True)
class _Held:
    """A write waiting for the trader's answer."""

    busy_key: str
    question: Confirmation
    start: Callable[[], None]
    future: WriteFuture


class PositionsViewModel(HubViewModel):
    """``actionDone(text, ok)``: the outcome of every close, cancel or change (for the
    activity log); ``messageChanged(text, ok)``: what the panel shows ('' clears it)."""

    actionDone = Signal(str, bool)
    messageChanged = Signal(str, bool)
    stateChanged = Signal()  # account, capabilities, busy or freshness changed
    confirmationRequested = Signal(object)  # Confirmation: answer with confirm()
    confirmationWithdrawn = Signal()

    def __init__(self, hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(hub, parent)
        self.positions = PositionsTableModel(self)
        self.orders = WorkingOrdersTableModel(self)
        self.history = HistoryTableModel(self)
        self.history_status = ""
        self.positions_proxy = NumericSortProxy(self.positions, self)
        self.orders_proxy = NumericSortProxy(self.orders, self)
        self.account: AccountRef | None = None
        self.positions_as_of: datetime | None = None
        self.orders_as_of: datetime | None = None
        self.message_text = ""
        self.message_ok = True
        self._busy: set[str] = set()
        # Positions closed and orders cancelled from here: a repeated trigger for the
        # same key (a double click that outlived the busy flag) does nothing.
        self._finished: set[str] = set()
        self._held: _Held | None = None

    def set_account(self, account: AccountRef | None) -> None:
        if account == self.account:
            return
        self._withdraw()
        self.account = account
        self._finished.clear()
        self.positions.clear()
        self.orders.clear()
        self.history.clear()
        self.history_status = ""
        self.positions_as_of = self.orders_as_of = None
        if account is not None:
            self.positions.apply(self.hub.positions(account))
            self.orders.apply(self.hub.working_orders(account))
        self._show("", True)
        self.stateChanged.emit()

    @property
    def context(self) -> AccountContext | None:
        return account_context(self.hub, self.account)

    def capabilities(self) -> Capabilities | None:
        return self.hub.capabilities(self.account.connection) if self.account else None

    def on_event(self, event: Any) -> None:
        if isinstance(event, PositionsUpdated) and event.account == self.account:
            self.positions.schedule(event.positions)
            self.positions_as_of = event.as_of
        elif isinstance(event, WorkingOrdersUpdated) and event.account == self.account:
            self.orders.schedule(event.orders)
            self.orders_as_of = event.as_of
        elif (isinstance(event, ConnectionChanged) and self.account is not None
              and event.connection_id == self.account.connection):
            if not any(k for k in self._busy if not k.startswith("history")):
                self._show("", True)  # said about the connection as it was
            self.stateChanged.emit()

    def _show(self, text: str, ok: bool) -> None:
        if (text, ok) != (self.message_text, self.message_ok):
            self.message_text, self.message_ok = text, ok
            self.messageChanged.emit(text, ok)

    # --- what is possible ------------------------------------------------------------

    def close_state(self) -> tuple[bool, str]:
        caps = self.capabilities()
        if caps is None:
            return False, "No connected account selected."
        if not caps.close_positions:
            return False, caps.why_not("close_positions")
        return True, "Close the selected position at the market."

    def cancel_state(self) -> tuple[bool, str]:
        caps = self.capabilities()
        if caps is None:
            return False, "No connected account selected."
        if not caps.trading:  # listed read-only (LWork's pending orders)
            return False, caps.why_not("trading")
        if not caps.working_orders:
            return False, caps.why_not("working_orders")
        return True, "Cancel the selected working order."

    def modify_state(self) -> tuple[bool, str]:
        caps = self.capabilities()
        if caps is None:
            return False, "No connected account selected."
        if not caps.modify_orders:
            return False, caps.why_not("modify_orders")
        return True, "Change the selected working order's level or size."

    def close_all_state(self) -> tuple[bool, str]:
        caps = self.capabilities()
        if caps is None:
            return False, "No connected account selected."
        if not caps.close_all:
            return False, caps.why_not("close_all")
        if self.positions.rowCount() == 0:
            return False, "There are no open positions."
        return True, "Close every open position of this account at the market."

    def position(self, position_id: str) -> Position | None:
        row = self.positions.row_of(position_id)
        return self.positions.item(row) if row >= 0 else None

    def working_order(self, order_id: str) -> WorkingOrder | None:
        row = self.orders.row_of(order_id)
        return self.orders.item(row) if row >= 0 else None

    def is_busy(self, kind: str, key: str) -> bool:
        return f"{kind}:{key}" in self._busy

    def is_finished(self, kind: str, key: str) -> bool:
        return f"{kind}:{key}" in self._finished

    # --- writes ------------------------------------------------------------------------

    def validate_amendment(
        self, order_id: str, level_text: str, size_text: str, stop_price_text: str = ""
    ) -> tuple[dict[str, str], OrderAmendment | None]:
        """Field errors, or the amendment (None values: unchanged)."""
        errors: dict[str, str] = {}
        current = self.working_order(order_id)
        values: dict[str, Any] = {}
        for name, label, text in (("level", "Level", level_text), ("size", "Size", size_text),
                                  ("stop_price", "Stop price", stop_price_text)):
            try:
                value = parse(text)
            except ValueError as exc:
                errors[name] = f"{label}: {exc}"
                continue
            problem = (size_error(value, None) if name == "size" and value is not None
                       else price_error(value, label))
            if problem:
                errors[name] = problem
            elif value is not None and current is not None and getattr(current, name) == value:
                value = None  # unchanged
            values[name] = value
        if current is None:
            errors["order"] = "The order is no longer listed as working."
        if not errors and all(v is None for v in values.values()):
            errors["order"] = "Nothing changed."
        if errors or self.account is None:
            return errors, None
        return errors, OrderAmendment(self.account, order_id, **values)

    def modify_order(
        self, order_id: str, level_text: str, size_text: str, stop_price_text: str = ""
    ) -> WriteFuture | None:
        enabled, why = self.modify_state()
        if not enabled or self.account is None:
            self._refused(why)
            return None
        if self._repeated(f"modify:{order_id}"):
            return None
        errors, amendment = self.validate_amendment(
            order_id, level_text, size_text, stop_price_text
        )
        if amendment is None:
            self._refused(f"Not sent: {next(iter(errors.values()), 'check the values.')}")
            return None
        order = self.working_order(order_id)
        question = self._live_question(
            "Change LIVE working order",
            f"Change {texts.order_words(order, order_id)}: "
            f"{texts.amendment_words(order, amendment)}?", "Send change",
        )
        return self._write(
            f"modify:{order_id}", lambda: self.hub.modify_order(amendment),
            lambda result: texts.modify_result(order, amendment, result), question,
        )

    def close_position(self, position_id: str) -> WriteFuture | None:
        """Close the position with this key (the one the trader pressed Close for)."""
        enabled, why = self.close_state()
        account = self.account
        if not enabled or account is None:
            self._refused(why)
            return None
        if self._repeated(f"close:{position_id}"):
            return None
        position = self.position(position_id)
        pnl = ""
        if position is not None and not position.unreadable:
            pnl = f" (P/L now {fmt.signed_money(position.profit_loss)} {position.currency})"
        question = self._live_question(
            "Close LIVE position",
            f"Close {texts.position_words(position, position_id)} at the market{pnl}?",
            "Close position",
        )
        return self._write(
            f"close:{position_id}", lambda: self.hub.close_position(account, position_id),
            lambda result: texts.close_result(position, position_id, result), question,
            finished=True,
        )

    def close_all(self) -> WriteFuture | None:
        """Always asks first (every position of the account at once)."""
        enabled, why = self.close_all_state()
        account = self.account
        if not enabled or account is None:
            self._refused(why)
            return None
        if self._repeated("close_all:"):
            return None
        positions = tuple(self.positions.items())
        live = self.hub.is_live(account)
        count = len(positions)
        summary = (f"Close all {count} open position{'s' if count != 1 else ''} of this "
                   f"account at the market?\n\n{self._where()}")
        if positions:
            summary += f"\nP/L now: {texts.total_profit_loss(positions)}"
        question = Confirmation(
            "Close all positions", summary, (LIVE_REASON,) if live else (), live=live,
            yes_text="Close all", no_text="Keep them",
        )
        return self._write(
            "close_all:", lambda: self.hub.close_all_positions(account),
            lambda result: texts.close_all_result(positions, result), question,
        )

    def cancel_order(self, order_id: str) -> WriteFuture | None:
        enabled, why = self.cancel_state()
        account = self.account
        if not enabled or account is None:
            self._refused(why)
            return None
        if self._repeated(f"cancel:{order_id}"):
            return None
        order = self.working_order(order_id)
        question = self._live_question(
            "Cancel LIVE working order", f"Cancel {texts.order_words(order, order_id)}?",
            "Cancel order",
        )
        return self._write(
            f"cancel:{order_id}", lambda: self.hub.cancel_order(account, order_id),
            lambda result: texts.cancel_result(order, order_id, result), question,
            finished=True,
        )

    def _where(self) -> str:
        context = self.context
        return f"Account: {context.text}" if context else ""

    def _live_question(self, title: str, summary: str, yes: str) -> Confirmation | None:
        """On a LIVE account: the question to ask first; on demo: None."""
        if self.account is None or not self.hub.is_live(self.account):
            return None
        return Confirmation(title, f"{summary}\n\n{self._where()}", (LIVE_REASON,), live=True,
                            yes_text=yes, no_text="Don't")

    def _repeated(self, busy_key: str) -> bool:
        """A second trigger of a write in flight, held, or done already: nothing."""
        return busy_key in self._busy or busy_key in self._finished or self._held is not None

    def _refused(self, why: str) -> None:
        self.actionDone.emit(why, False)
        self._show(why, False)

    def _write(
        self, busy_key: str, call: Callable[[], Awaitable[OrderResult]],
        describe: Callable[[OrderResult], str], question: Confirmation | None,
        *, finished: bool = False,
    ) -> WriteFuture:
        future: WriteFuture = asyncio.get_running_loop().create_future()
        account = self.account
        self._busy.add(busy_key)

        def start() -> None:
            self._show("Sending…", True)
            self.stateChanged.emit()
            task = self.tasks.start(self._run(busy_key, account, call, describe, finished))

            def settle(t: asyncio.Task[OrderResult | None]) -> None:
                if future.done():
                    return
                if t.cancelled():
                    future.cancel()
                else:
                    future.set_result(t.result() if t.exception() is None else None)

            task.add_done_callback(settle)

        if question is None:
            start()
        else:
            self._held = _Held(busy_key, question, start, future)
            self._show("Waiting for your confirmation…", True)
            self.stateChanged.emit()
            self.confirmationRequested.emit(question)
        return future

    def confirm(self, accepted: bool) -> None:
        """The answer to ``confirmationRequested``."""
        held, self._held = self._held, None
        if held is None:
            return
        if accepted:
            held.start()
            return
        self._busy.discard(held.busy_key)
        self._show("Not sent: not confirmed.", False)
        self.actionDone.emit(f"Not sent: {held.question.title.lower()} not confirmed", False)
        if not held.future.done():
            held.future.set_result(None)
        self.stateChanged.emit()

    @property
    def pending_question(self) -> Confirmation | None:
        return self._held.question if self._held is not None else None

    def _withdraw(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        self._busy.discard(held.busy_key)
        if not held.future.done():
            held.future.set_result(None)
        self.confirmationWithdrawn.emit()

    async def _run(
        self, busy_key: str, account: AccountRef | None,
        call: Callable[[], Awaitable[OrderResult]], describe: Callable[[OrderResult], str],
        finished: bool,
    ) -> OrderResult | None:
        try:
            result = await call()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            text, ok, result = f"Failed: {error_text(exc)}", False, None
        else:
            # Taken counts: a broker that settles later (Upvest) answers PENDING.
            taken = result.status in (OrderStatus.ACCEPTED, OrderStatus.PENDING)
            text, ok = describe(result), taken
            if finished and taken:
                self._finished.add(busy_key)
        finally:
            self._busy.discard(busy_key)
            self.stateChanged.emit()
        self.actionDone.emit(text, ok)
        if account == self.account:
            self._show(text, ok)
        return result

    # --- history -------------------------------------------------------------------------

    def history_state(self) -> tuple[bool, str]:
        caps = self.capabilities()
        if caps is None:
            return False, "No connected account selected."
        if not caps.history:
            return False, caps.why_not("history")
        return True, "Read the account's history from the broker (not polled)."

    def load_history(self, days: int = 30) -> asyncio.Task[None] | None:
        """Ask the broker once for the last ``days`` of history (never polled: some
        brokers allow only a few account reads a minute)."""
        enabled, why = self.history_state()
        account = self.account
        if not enabled or account is None:
            self._set_history_status(why)
            return None
        if self.is_busy("history", ""):
            return None

        async def load() -> None:
            self._busy.add("history:")
            self._set_history_status("Reading the history…")
            try:
                entries = await self.hub.history(account, utc_now() - timedelta(days=days))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if account == self.account:
                    self._set_history_status(error_text(exc))
                return
            finally:
                self._busy.discard("history:")
                self.stateChanged.emit()
            if account == self.account:
                self.history.clear()
                self.history.apply(entries)
                self._set_history_status(
                    f"{len(entries)} entries in the last {days} days, as of "
                    f"{fmt.time_utc(utc_now())} UTC." if entries
                    else f"Nothing in the last {days} days."
                )

        return self.tasks.start(load())

    def _set_history_status(self, text: str) -> None:
        self.history_status = text
        self.stateChanged.emit()

    def close(self) -> None:
        self._withdraw()
        self.positions.flush()
        self.orders.flush()
        self.history.flush()
        super().close()
