"""The status bar: each connection's state, how its prices come (streaming, polling,
reconnecting) and how much of its request budget is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.session.events import (
    ConnectionChanged,
    ConnectionState,
    PollFailed,
    PricesChanged,
)
from desktop_app.session.streams import PriceMode
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.base import HubViewModel

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

STATE_DOTS = {
    ConnectionState.CONNECTED: "●",
    ConnectionState.CONNECTING: "◌",
    ConnectionState.DEGRADED: "◐",
    ConnectionState.FAILED: "✖",
    ConnectionState.DISCONNECTED: "○",
}
# How a usable connection's prices come, in a word (none: no prices, or none on screen).
PRICE_WORDS = {
    PriceMode.STREAMING: "streaming",
    PriceMode.POLLING: "polling",
    PriceMode.CONNECTING: "opening stream…",
    PriceMode.RECONNECTING: "reconnecting…",
}


class StatusViewModel(HubViewModel):
    """``changed()`` when the texts change; ``message(text)`` for transient notes."""

    changed = Signal()
    message = Signal(str)

    def __init__(self, hub: Hub, parent: QObject | None = None, *, interval_ms: int = 1000):
        super().__init__(hub, parent)
        self.connection_text = ""
        self.connection_tooltip = ""
        self.budget_text = ""
        self.budget_tooltip = ""
        self.worst_state: ConnectionState | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def _broker_names(self) -> dict[str, str]:
        return {b.broker: b.display_name for b in self.hub.brokers()}

    def refresh(self) -> None:
        names = self._broker_names()
        usage = self.hub.budget_usage()
        conn_parts, conn_tips, budget_parts, budget_tips = [], [], [], []
        worst: ConnectionState | None = None
        priced = 0
        order = list(ConnectionState)
        for info in self.hub.connections():
            profile = info.profile
            label = profile.name or names.get(profile.broker, profile.broker)
            state = info.state
            dot = STATE_DOTS.get(state, "?")
            part = f"{label} {dot} {state.value}"
            tip = f"{label} ({names.get(profile.broker, profile.broker)}, "
            tip += f"{profile.environment.value}): {state.value}"
            if info.message:
                tip += f" — {info.message}"
            word_shown = False
            if state in (ConnectionState.CONNECTED, ConnectionState.DEGRADED):
                feed = self.hub.price_feed(profile.connection_id)
                word = PRICE_WORDS.get(feed.mode)
                word_shown = bool(word)
                if word:
                    # Connected goes without saying (the dot); how prices come does not.
                    part = (f"{label} {dot} prices {word}" if state is ConnectionState.CONNECTED
                            else f"{part} · prices {word}")
                if feed.detail:
                    tip += f"\n    Prices{' ' + word if word else ''}: {feed.detail}"
            # Where prices stream, poll or reconnect it is said first: an elided bar
            # still shows it.
            if word_shown:
                conn_parts.insert(priced, part)
                priced += 1
            else:
                conn_parts.append(part)
            conn_tips.append(tip)
            if state is not ConnectionState.CONNECTED and (
                worst is None or order.index(state) > order.index(worst)
            ):
                worst = state
            budgets = usage.get(profile.connection_id, [])
            if budgets:
                main = budgets[0]
                paused = f" (paused {main.paused_for:.0f} s)" if main.paused_for > 0 else ""
                budget_parts.append(
                    f"{label} · {main.used}/{main.limit} {fmt.period(main.period)}{paused}"
                )
                budget_tips.extend(
                    f"{label} · {b.name}: {b.used}/{b.limit} {fmt.period(b.period)}"
                    + (f", paused {b.paused_for:.1f} s" if b.paused_for > 0 else "")
                    for b in budgets
                )
        self.worst_state = worst
        texts = (
            "  |  ".join(conn_parts) or "No connections",
            "\n".join(conn_tips),
            "  |  ".join(budget_parts),
            "\n".join(budget_tips) or "Requests used in each broker's rate-limit window.",
        )
        current = (self.connection_text, self.connection_tooltip, self.budget_text,
                   self.budget_tooltip)
        if texts != current:
            (self.connection_text, self.connection_tooltip, self.budget_text,
             self.budget_tooltip) = texts
            self.changed.emit()

    def on_event(self, event: Any) -> None:
        if isinstance(event, ConnectionChanged):
            self.refresh()
            if event.state in (ConnectionState.FAILED, ConnectionState.DEGRADED) and event.message:
                self.message.emit(event.message)
            elif event.state is ConnectionState.CONNECTED:
                self.message.emit("")  # an earlier failure is over: its words go too
        elif isinstance(event, PollFailed):
            self.message.emit(event.message)
        elif isinstance(event, PricesChanged):
            self.refresh()

    def close(self) -> None:
        self._timer.stop()
        super().close()
