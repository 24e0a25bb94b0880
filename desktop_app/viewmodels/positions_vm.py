"""Open positions (live P/L, close) and working orders (cancel) of the selected account."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import AccountRef, OrderAmendment, OrderResult, WorkingOrder
from desktop_app.session.events import PositionsUpdated, WorkingOrdersUpdated
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.keyed_table import NumericSortProxy
from desktop_app.viewmodels.positions_model import (
    HistoryTableModel,
    PositionsTableModel,
    WorkingOrdersTableModel,
)
from desktop_app.viewmodels.tasks import error_text

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub


def describe_result(action: str, result: OrderResult) -> str:
    if result.accepted:
        parts = [f"{action}: confirmed"]
        if result.deal_ids:
            parts.append("deal " + ", ".join(result.deal_ids))
        if result.level is not None:
            parts.append(f"at {fmt.level(result.level)}")
        return " · ".join(parts)
    reason = result.reason or result.status.value
    return f"{action}: {result.status.value} · {reason}"


class PositionsViewModel(HubViewModel):
    """Signals ``actionDone(text, ok)`` with the outcome of every close or cancel."""

    actionDone = Signal(str, bool)
    stateChanged = Signal()  # account, capabilities, busy or freshness changed

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
        self._busy: set[str] = set()

    def set_account(self, account: AccountRef | None) -> None:
        if account == self.account:
            return
        self.account = account
        self.positions.clear()
        self.orders.clear()
        self.history.clear()
        self.history_status = ""
        self.positions_as_of = self.orders_as_of = None
        if account is not None:
            self.positions.apply(self.hub.positions(account))
            self.orders.apply(self.hub.working_orders(account))
        self.stateChanged.emit()

    def capabilities(self) -> Capabilities | None:
        return self.hub.capabilities(self.account.connection) if self.account else None

    def on_event(self, event: Any) -> None:
        if isinstance(event, PositionsUpdated) and event.account == self.account:
            self.positions.schedule(event.positions)
            self.positions_as_of = event.as_of
        elif isinstance(event, WorkingOrdersUpdated) and event.account == self.account:
            self.orders.schedule(event.orders)
            self.orders_as_of = event.as_of

    # --- actions ------------------------------------------------------------------------

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

    def working_order(self, order_id: str) -> WorkingOrder | None:
        row = self.orders.row_of(order_id)
        return self.orders.item(row) if row >= 0 else None

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
                value = fmt.parse_decimal(text)
            except ValueError as exc:
                errors[name] = f"{label}: {exc}."
                continue
            if value is not None and value <= 0:
                errors[name] = f"{label} must be greater than 0."
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
    ) -> asyncio.Task[OrderResult | None] | None:
        enabled, why = self.modify_state()
        if not enabled or self.account is None:
            self.actionDone.emit(why, False)
            return None
        errors, amendment = self.validate_amendment(
            order_id, level_text, size_text, stop_price_text
        )
        if amendment is None:
            self.actionDone.emit(
                f"Not sent: {next(iter(errors.values()), 'check the values.')}", False
            )
            return None
        return self._run(
            f"modify:{order_id}", f"Modify {order_id}",
            lambda: self.hub.modify_order(amendment),
        )

    def close_all(self) -> asyncio.Task[OrderResult | None] | None:
        enabled, why = self.close_all_state()
        if not enabled or self.account is None:
            self.actionDone.emit(why, False)
            return None
        return self._run(
            "close_all:", "Close all positions",
            lambda acc=self.account: self.hub.close_all_positions(acc),
        )

    def close_position(self, position_id: str) -> asyncio.Task[OrderResult | None] | None:
        enabled, why = self.close_state()
        if not enabled or self.account is None:
            self.actionDone.emit(why, False)
            return None
        return self._run(
            f"close:{position_id}", f"Close {position_id}",
            lambda acc=self.account: self.hub.close_position(acc, position_id),
        )

    def cancel_order(self, order_id: str) -> asyncio.Task[OrderResult | None] | None:
        enabled, why = self.cancel_state()
        if not enabled or self.account is None:
            self.actionDone.emit(why, False)
            return None
        return self._run(
            f"cancel:{order_id}", f"Cancel {order_id}",
            lambda acc=self.account: self.hub.cancel_order(acc, order_id),
        )

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

    def is_busy(self, kind: str, key: str) -> bool:
        return f"{kind}:{key}" in self._busy

    def _run(
        self, busy_key: str, action: str, call: Callable[[], Awaitable[OrderResult]]
    ) -> asyncio.Task[OrderResult | None]:
        self._busy.add(busy_key)
        self.stateChanged.emit()

        async def run() -> OrderResult | None:
            try:
                result = await call()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.actionDone.emit(f"{action}: {error_text(exc)}", False)
                return None
            finally:
                self._busy.discard(busy_key)
                self.stateChanged.emit()
            self.actionDone.emit(describe_result(action, result), result.accepted)
            return result

        return self.tasks.start(run())

    def close(self) -> None:
        self.positions.flush()
        self.orders.flush()
        self.history.flush()
        super().close()
