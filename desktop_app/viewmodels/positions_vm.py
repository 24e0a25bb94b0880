"""Open positions (live P/L, close) and working orders (cancel) of the selected account."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.types import AccountRef, OrderResult
from desktop_app.session.events import PositionsUpdated, WorkingOrdersUpdated
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.keyed_table import NumericSortProxy
from desktop_app.viewmodels.positions_model import PositionsTableModel, WorkingOrdersTableModel
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
        if not caps.working_orders:
            return False, caps.why_not("working_orders")
        return True, "Cancel the selected working order."

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
        super().close()
