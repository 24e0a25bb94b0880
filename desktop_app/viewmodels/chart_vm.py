"""Balance and equity history of the selected account, for the chart.

The journal is read once per account choice, in a worker thread; after that each
``BalanceUpdated`` adds its point in memory (SQLite is not touched on the GUI loop).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.domain.types import AccountRef
from desktop_app.session.events import BalanceUpdated
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.throttle import Throttle

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

REFRESH_MS = 1000
# How long the previous account's lines may stay while the journal is read for the next.
BLANK_AFTER_MS = 150
# The chart plots the newest points only: what the journal keeps over most of a day at
# its one-snapshot-per-30-s pace. Bounds both the load and the in-memory list.
MAX_POINTS = 2000
# Like the journal's throttle, tighter (the chart is live): an unchanged value adds a
# point at most this often; a changed one is added at once.
SAME_VALUE_SECONDS = 5.0

# The smallest vertical span the chart shows, as a fraction of the value: a $0.06 dip
# on $10,000 is a flat line, not a cliff that fills the chart.
MIN_RANGE_FRACTION = 0.001

_Point = tuple[datetime, Decimal, Decimal]  # at, balance, equity


def hold_steps(times: list[float], values: list[float]) -> tuple[list[float], list[float]]:
    """A balance as steps: each value holds until the next one is seen, then jumps.

    Drawn point to point, two snapshots half a minute apart around a trade show a slope
    (the balance never moved gradually); held, they show the jump where it was seen.
    """
    if len(times) < 2:
        return list(times), list(values)
    xs, ys = [times[0]], [values[0]]
    for at, value, previous in zip(times[1:], values[1:], values[:-1], strict=True):
        if value != previous:
            xs.append(at)
            ys.append(previous)
        xs.append(at)
        ys.append(value)
    return xs, ys


def min_y_range(*series: list[float]) -> float:
    """The least vertical span worth showing for these values (MIN_RANGE_FRACTION)."""
    largest = max((abs(v) for values in series for v in values), default=0.0)
    return max(largest * MIN_RANGE_FRACTION, 0.01)


class BalanceChartViewModel(HubViewModel):
    """``historyChanged(times, balances, equities)``: epoch seconds and floats, for plotting
    only (the chart is a picture; every number the trader reads elsewhere is a Decimal)."""

    historyChanged = Signal(list, list, list)
    titleChanged = Signal(str)

    def __init__(self, hub: Hub, parent: QObject | None = None, *,
                 refresh_ms: int = REFRESH_MS, max_points: int = MAX_POINTS,
                 same_value_seconds: float = SAME_VALUE_SECONDS) -> None:
        super().__init__(hub, parent)
        self.account: AccountRef | None = None
        self.currency = ""
        self.max_points = max_points
        self.same_value_seconds = same_value_seconds
        self.times: list[float] = []
        self.balances: list[float] = []
        self.equities: list[float] = []
        self._points: list[_Point] = []
        # Points that arrive while the journal is being read; merged in when it answers.
        self._arrived: list[_Point] | None = None
        self._load: asyncio.Task[Any] | None = None
        self._throttle = Throttle(self._publish, refresh_ms, self)
        # Blanks the previous account's lines if the journal has not answered by then.
        self._blank = QTimer(self)
        self._blank.setSingleShot(True)
        self._blank.setInterval(BLANK_AFTER_MS)
        self._blank.timeout.connect(self._publish)

    @property
    def loading(self) -> bool:
        return self._arrived is not None

    def set_account(self, account: AccountRef | None) -> None:
        changed = account != self.account
        self.account = account
        self.currency = ""
        name = account.account_id if account is not None else ""
        listed = self.hub.account(account)
        if listed is not None:
            self.currency = listed.currency
            name = listed.name or name
        self.titleChanged.emit(
            f"Balance and equity of {name} ({self.currency})".replace(" ()", "")
            if account else "No account selected"
        )
        if changed:
            self.reload()

    def reload(self) -> asyncio.Task[Any] | None:
        """Read the selected account's history from the journal again (off the loop)."""
        if self._load is not None:
            self._load.cancel()
            self._load = None
        self._points = []
        self._arrived = None
        self._throttle.cancel()
        account = self.account
        if account is None:
            self._blank.stop()
            self._publish()
            return None
        # The lines are drawn once, when the journal answers (a few ms), not blanked
        # first: a click on another account repainted the chart twice.
        self._blank.start()
        self._arrived = []

        def loaded(history: list[_Point]) -> None:
            if account != self.account or self._arrived is None:
                return
            arrived, self._arrived = self._arrived, None
            self._load = None
            self._blank.stop()
            self._points = list(history)
            for point in arrived:
                self._add(point)
            self._publish()

        def failed(exc: BaseException) -> None:
            if account == self.account:
                self._load = None
                self._arrived = None  # live points still draw; the past stays blank
                self._blank.stop()
                self._publish()
            self.tasks.report(exc)

        self._load = self.tasks.start(
            self.hub.balance_history_async(account, limit=self.max_points),
            on_result=loaded, on_error=failed,
        )
        return self._load

    def on_event(self, event: Any) -> None:
        if isinstance(event, BalanceUpdated) and event.account == self.account:
            bal = event.balance
            point = (bal.as_of, bal.balance, bal.equity)
            if self._arrived is not None:
                self._arrived.append(point)
            elif self._add(point):
                self._throttle.trigger()

    def _add(self, point: _Point) -> bool:
        """Append ``point`` unless it adds nothing to the picture; True if added."""
        if self._points:
            last_at, last_balance, last_equity = self._points[-1]
            age = (point[0] - last_at).total_seconds()
            if age <= 0:
                return False  # late or repeated: the line already goes past it
            same = (point[1], point[2]) == (last_balance, last_equity)
            if same and age < self.same_value_seconds:
                return False
        self._points.append(point)
        if len(self._points) > self.max_points:
            del self._points[: len(self._points) - self.max_points]
        return True

    def _publish(self) -> None:
        self.times = [at.timestamp() for at, _, _ in self._points]
        self.balances = [float(balance) for _, balance, _ in self._points]
        self.equities = [float(equity) for _, _, equity in self._points]
        self.historyChanged.emit(self.times, self.balances, self.equities)

    def close(self) -> None:
        self._throttle.cancel()
        self._blank.stop()
        super().close()
