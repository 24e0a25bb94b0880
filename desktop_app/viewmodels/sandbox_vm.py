"""The Sandbox one click away: open it beside real connections, reset it, cut its price
streams for a while (to try a broker's outage), and the hint that tells the trader where
it is.

The entry point hands in the controller (``desktop_app.sandbox.SandboxControl``); this
view-model knows it only through the ``SandboxController`` protocol, so it owns no
simulator code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from desktop_app.session.events import ConnectionChanged
from desktop_app.viewmodels.base import HubViewModel

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub
    from desktop_app.storage.settings import Settings

FIRST_RUN_HINT = (
    "You are on the Sandbox: simulated brokers with demo money, kept between runs. "
    "To add a real account: Connections → Add / edit connections…"
)
BESIDE_HINT = (
    "The Sandbox runs beside your connections (Connections → Reset Sandbox… starts it over)."
)
CLOSED_HINT = (
    "The Sandbox (simulated brokers, demo money) is one click away: Connections → Open Sandbox."
)


class SandboxController(Protocol):
    @property
    def running(self) -> bool: ...

    async def open(self) -> str: ...

    async def reset(self) -> str: ...

    async def drop_streams(self) -> str: ...


class SandboxViewModel(HubViewModel):
    changed = Signal()
    message = Signal(str)

    def __init__(self, hub: Hub, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(hub, parent)
        self.settings = settings
        self._controller: SandboxController | None = None
        self._busy = False

    def set_controller(self, controller: SandboxController) -> None:
        self._controller = controller
        self.changed.emit()

    @property
    def available(self) -> bool:
        return self._controller is not None

    @property
    def running(self) -> bool:
        return self._controller is not None and self._controller.running

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def can_open(self) -> bool:
        return self.available and not self.running and not self._busy

    @property
    def can_reset(self) -> bool:
        return self.available and not self._busy

    @property
    def hint(self) -> str:
        if self._controller is None:
            return ""
        if not self.settings.profiles:
            return FIRST_RUN_HINT if self.running else CLOSED_HINT
        return BESIDE_HINT if self.running else CLOSED_HINT

    def open_sandbox(self) -> None:
        if self._controller is not None and self.can_open:
            self._run(self._controller.open(), "Opening the Sandbox…")

    def reset_sandbox(self) -> None:
        """Start the Sandbox over (the window asks the trader first)."""
        if self._controller is not None and self.can_reset:
            self._run(self._controller.reset(), "Resetting the Sandbox…")

    @property
    def can_drop_streams(self) -> bool:
        return self.running and not self._busy

    def drop_streams(self) -> None:
        """Cut the simulators' price streams for a while (to try what the app does)."""
        if self._controller is not None and self.can_drop_streams:
            self._run(self._controller.drop_streams(), "Cutting the Sandbox's price streams…")

    def _run(self, work: Any, starting: str) -> None:
        self._busy = True
        self.changed.emit()
        self.message.emit(starting)
        self.tasks.start(work, on_result=self._done, on_error=self._failed)

    def _done(self, text: str) -> None:
        self._busy = False
        self.changed.emit()
        self.message.emit(text)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.changed.emit()
        self.tasks.report(exc)

    def on_event(self, event: Any) -> None:
        if isinstance(event, ConnectionChanged):  # a profile added or removed: a new hint
            self.changed.emit()
