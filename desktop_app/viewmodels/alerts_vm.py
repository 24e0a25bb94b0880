"""Alerts: what a trader should hear about while looking elsewhere, derived from the hub's
events (``alert_rules`` tells the app's own actions from the broker's):

- ``order_filled``: an order placed from the app filled (its journal entry settled
  accepted, for a market order);
- ``working_order_filled`` / ``working_order_cancelled``: a working order left the list;
- ``position_closed``: a stop loss, a take profit or the broker (a stop-out) closed one;
- ``connection_lost``: a connection down for longer than the preference says (and back);
- ``funding_settled``: a funding request the broker settled later (a pending deposit,
  a reply that was lost and found).

``alerted(Alert)`` carries every alert (the activity log keeps them all); ``notify`` says
whether the trader wants it shown (per kind, in the preferences), ``sound`` whether a
sound goes with it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.domain.money import utc_now
from desktop_app.domain.types import AccountRef, FundingKind, OrderStatus, OrderType
from desktop_app.session.events import (
    ConnectionChanged,
    ConnectionState,
    JournalChanged,
    PositionsUpdated,
    WorkingOrdersUpdated,
)
from desktop_app.storage.settings import AlertPrefs
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.account_context import account_context
from desktop_app.viewmodels.alert_rules import (
    BackgroundChanges,
    Closed,
    Finding,
    OrderCancelled,
    OrderFilled,
    PositionClosed,
)
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.funding_vm import KIND_LABELS
from desktop_app.viewmodels.position_texts import order_words, position_words

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub
    from desktop_app.storage.journal import JournalEntry

TICK_MS = 1000
KEPT = 100  # alerts kept for the window (the activity log keeps them too)
# A funding request that settles this long after it was made settled "in the background"
# (a deposit paid later, an outcome found at the next start); one answered at once is
# the funding panel's own news.
SETTLED_LATER_S = 10.0
_FINAL = ("completed", "reconciled")

KIND_TITLES = {
    "order_filled": "An order from the app fills",
    "working_order_filled": "A working order fills",
    "working_order_cancelled": "A working order is cancelled or expires",
    "position_closed": "A stop loss, take profit or the broker closes a position",
    "connection_lost": "A connection is lost (and comes back)",
    "funding_settled": "A funding request settles later",
}


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str
    title: str
    text: str
    source: str  # the connection's name ("app" when none)
    warning: bool  # a loss: a connection down, a refusal, a stop loss
    at: datetime
    notify: bool = True
    sound: bool = False


class AlertsViewModel(HubViewModel):
    alerted = Signal(object)  # Alert
    prefsChanged = Signal()

    def __init__(self, hub: Hub, prefs: AlertPrefs | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(hub, parent)
        self.prefs = prefs or AlertPrefs()
        self.rules = BackgroundChanges()
        self.alerts: list[Alert] = []
        self._connected: set[str] = set()  # connected at least once this run
        self._down: dict[str, tuple[datetime, str, bool]] = {}  # since, why, alerted
        self._entries: dict[tuple[str, int], str] = {}  # journal entries: last state seen
        self._open_funding: set[int] = set()  # funding entries seen pending or unknown
        for info in hub.connections():
            if info.state is ConnectionState.CONNECTED:
                self._connected.add(info.profile.connection_id)
        self._clock = QTimer(self)
        self._clock.setInterval(TICK_MS)
        self._clock.timeout.connect(self.tick)
        self._clock.start()

    def set_prefs(self, prefs: AlertPrefs) -> None:
        if prefs != self.prefs:
            self.prefs = prefs
            self.prefsChanged.emit()

    # --- events ---------------------------------------------------------------------------

    def on_event(self, event: Any) -> None:
        if isinstance(event, PositionsUpdated):
            self._found(self.rules.positions(event.account, event.positions, event.as_of))
        elif isinstance(event, WorkingOrdersUpdated):
            self._found(self.rules.orders(event.account, event.orders, event.as_of))
        elif isinstance(event, ConnectionChanged):
            self._connection(event)
        elif isinstance(event, JournalChanged):
            entry = self._entry(event)
            if entry is None:
                return
            if event.kind == "order":
                self._order_entry(entry)
            elif event.kind == "funding":
                self._funding_entry(entry)

    def tick(self) -> None:
        now = utc_now()
        self._found(self.rules.expire(now))
        lost_after = self.prefs.connection_lost_after
        for cid, (since, why, alerted) in list(self._down.items()):
            if not alerted and (now - since).total_seconds() >= lost_after:
                self._down[cid] = (since, why, True)
                name = self._connection_name(cid)
                detail = f": {why}" if why else "."
                self._emit("connection_lost", "Connection lost",
                           f"{name} has had no connection for {int(lost_after)} s{detail}",
                           name, warning=True)

    def _entry(self, event: JournalChanged) -> JournalEntry | None:
        key = (event.kind, event.entry_id)
        state = f"{event.extra.get('state', '')}:{event.extra.get('status', '')}"
        if self._entries.get(key) == state:
            return None  # the same again (a reference noted): nothing new
        self._entries[key] = state
        journal = self.hub.journal
        # One row by its key; the hub read it just now for the same announcement.
        with contextlib.suppress(Exception):
            if event.kind == "order":
                return journal.order(event.entry_id)
            return journal.funding_entry(event.entry_id)
        return None

    # --- the app's own orders -------------------------------------------------------------

    def _order_entry(self, entry: JournalEntry) -> None:
        account, at = entry.account, entry.created
        target = str(entry.request.get("target_id") or "")
        result = entry.order_result()
        final = entry.state.value in _FINAL and result is not None
        if entry.action == "place":
            request = entry.order_request()
            self.rules.app_trades(account, request.symbol, request.side, at)
            if final and result is not None and result.accepted and (
                request.order_type is OrderType.MARKET
            ):
                at_level = f" at {fmt.level(result.level)}" if result.level is not None else ""
                size = result.size if result.size is not None else request.size
                self._emit("order_filled", "Order filled",
                           f"{request.side.value} {fmt.size(size)} {request.symbol}{at_level}"
                           f" · {self._where(account)}", self._connection_name(account.connection))
        elif entry.action == "close_all":
            self.rules.app_closes_all(account, at)
        elif entry.action in ("close", "cancel", "modify") and target:
            self.rules.app_acts_on(account, target, at)
            if final and result is not None and result.status is OrderStatus.REJECTED:
                self.rules.app_refused(account, target)

    # --- funding --------------------------------------------------------------------------

    def _funding_entry(self, entry: JournalEntry) -> None:
        result = entry.funding_result()
        status = result.status if result is not None else None
        if entry.state.value == "unknown" or status in (OrderStatus.PENDING,
                                                        OrderStatus.UNKNOWN):
            self._open_funding.add(entry.id)
            return
        if entry.state.value not in _FINAL or result is None:
            return
        later = (utc_now() - entry.created).total_seconds() >= SETTLED_LATER_S
        if entry.id not in self._open_funding and not later:
            return
        self._open_funding.discard(entry.id)
        try:
            label = KIND_LABELS.get(FundingKind(entry.action), entry.action)
        except ValueError:
            label = entry.action
        amount = str(entry.request.get("amount", ""))
        currency = str(entry.request.get("currency", ""))
        parts = [f"{amount} {currency}".strip(), self._where(entry.account)]
        if result.message:
            parts.append(result.message)
        if result.new_balance is not None:
            parts.append(f"new balance {fmt.money(result.new_balance)}")
        verdict = "accepted" if result.accepted else result.status.value
        self._emit("funding_settled", f"{label} {verdict}", " · ".join(p for p in parts if p),
                   self._connection_name(entry.connection), warning=not result.accepted)

    # --- connections ------------------------------------------------------------------------

    def _connection(self, event: ConnectionChanged) -> None:
        cid = event.connection_id
        if not any(c.profile.connection_id == cid for c in self.hub.connections()):
            # Removed (or the app is stopping): nothing was lost.
            self._connected.discard(cid)
            self._down.pop(cid, None)
            self.rules.forget(a for a in self.rules.accounts() if a.connection == cid)
            return
        if event.state is ConnectionState.CONNECTED:
            self._connected.add(cid)
            down = self._down.pop(cid, None)
            if down is not None and down[2]:
                gap = timedelta(seconds=int((utc_now() - down[0]).total_seconds()))
                name = self._connection_name(cid)
                self._emit("connection_lost", "Connection back",
                           f"{name} is connected again after {fmt.duration(gap)}.", name)
        elif cid in self._connected and cid not in self._down:
            self._down[cid] = (utc_now(), event.message, False)
        elif cid in self._down:
            since, _why, alerted = self._down[cid]
            self._down[cid] = (since, event.message, alerted)

    # --- findings -> alerts --------------------------------------------------------------------

    def _found(self, findings: list[Finding]) -> None:
        for finding in findings:
            if isinstance(finding, OrderFilled):
                order = finding.order
                self._emit("working_order_filled", "Working order filled",
                           f"{order_words(order, order.order_id)} · {self._where(order.account)}",
                           self._connection_name(order.account.connection))
            elif isinstance(finding, OrderCancelled):
                order = finding.order
                title = "Working order expired" if finding.expired else "Working order cancelled"
                how = ("" if finding.expired else
                       " (outside the app)" if finding.sure else
                       " or filled (its positions were not read since)")
                self._emit("working_order_cancelled", title,
                           f"{order_words(order, order.order_id)}{how}"
                           f" · {self._where(order.account)}",
                           self._connection_name(order.account.connection), warning=True)
            elif isinstance(finding, PositionClosed):
                self._position_closed(finding)

    def _position_closed(self, finding: PositionClosed) -> None:
        p = finding.position
        what = position_words(p, p.position_id)
        pnl = f"last P/L {fmt.signed_money(p.profit_loss)} {p.currency}".rstrip()
        if finding.reason is Closed.STOP_LOSS:
            title, text = "Stop loss hit", f"{what} closed at its stop ({fmt.level(p.stop_level)})"
        elif finding.reason is Closed.TAKE_PROFIT:
            title = "Take profit hit"
            text = f"{what} closed at its take profit ({fmt.level(p.profit_level)})"
        else:
            title = "Position closed by the broker"
            text = f"{what} was closed outside the app (a stop-out, or another platform)"
        self._emit("position_closed", title, f"{text} · {pnl} · {self._where(p.account)}",
                   self._connection_name(p.account.connection),
                   warning=finding.reason is not Closed.TAKE_PROFIT)

    def _emit(self, kind: str, title: str, text: str, source: str, *,
              warning: bool = False) -> None:
        notify = kind in self.prefs.enabled
        alert = Alert(kind, title, text, source or "app", warning, utc_now(), notify,
                      notify and self.prefs.sound)
        self.alerts.append(alert)
        del self.alerts[:-KEPT]
        self.alerted.emit(alert)

    # --- words ------------------------------------------------------------------------------

    def _where(self, account: AccountRef) -> str:
        context = account_context(self.hub, account)
        return context.text if context is not None else account.account_id

    def _connection_name(self, connection_id: str) -> str:
        return next((c.profile.name for c in self.hub.connections()
                     if c.profile.connection_id == connection_id), connection_id)

    def close(self) -> None:
        self._clock.stop()
        super().close()
