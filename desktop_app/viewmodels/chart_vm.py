"""Balance and equity history of the selected account, for the chart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.types import AccountRef
from desktop_app.session.events import BalanceUpdated
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.throttle import Throttle

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

REFRESH_MS = 1000


class BalanceChartViewModel(HubViewModel):
    """``historyChanged(times, balances, equities)``: epoch seconds and floats, for plotting
    only (the chart is a picture; every number the trader reads elsewhere is a Decimal)."""

    historyChanged = Signal(list, list, list)
    titleChanged = Signal(str)

    def __init__(self, hub: Hub, parent: QObject | None = None, *,
                 refresh_ms: int = REFRESH_MS) -> None:
        super().__init__(hub, parent)
        self.account: AccountRef | None = None
        self.currency = ""
        self.times: list[float] = []
        self.balances: list[float] = []
        self.equities: list[float] = []
        self._throttle = Throttle(self.reload, refresh_ms, self)

    def set_account(self, account: AccountRef | None) -> None:
        self.account = account
        self.currency = ""
        name = account.account_id if account is not None else ""
        if account is not None:
            for acc in self.hub.accounts():
                if acc.ref == account:
                    self.currency = acc.currency
                    name = acc.name or name
        self.titleChanged.emit(
            f"Balance and equity of {name} ({self.currency})".replace(" ()", "")
            if account else "No account selected"
        )
        self.reload()

    def reload(self) -> None:
        history = self.hub.balance_history(self.account) if self.account else []
        self.times = [at.timestamp() for at, _, _ in history]
        self.balances = [float(balance) for _, balance, _ in history]
        self.equities = [float(equity) for _, _, equity in history]
        self.historyChanged.emit(self.times, self.balances, self.equities)

    def on_event(self, event: Any) -> None:
        if isinstance(event, BalanceUpdated) and event.account == self.account:
            self._throttle.trigger()

    def close(self) -> None:
        self._throttle.cancel()
        super().close()
