"""What every view-model over the hub shares: its task runner and its hub subscription."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.viewmodels.tasks import TaskRunner, error_text

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

log = logging.getLogger(__name__)


class HubViewModel(QObject):
    """A view-model that listens to hub events (on the loop thread) and runs hub calls.

    ``error(text)`` carries the trader-facing text of anything that failed; the app
    view-model routes it to the status bar and the activity log.
    """

    error = Signal(str)

    def __init__(self, hub: Hub, parent: QObject | None = None, *, listen: bool = True) -> None:
        super().__init__(parent)
        self.hub = hub
        self.tasks = TaskRunner(self)
        self.tasks.failed.connect(self.error)
        self._unsubscribe = hub.subscribe(self._dispatch) if listen else None

    def _dispatch(self, event: Any) -> None:
        # A bug in one view-model must not break the hub's other listeners.
        try:
            self.on_event(event)
        except Exception as exc:
            log.exception("view-model failed on %s", type(event).__name__)
            self.error.emit(error_text(exc))

    def on_event(self, event: Any) -> None:
        """Handle one hub event; subclasses override."""

    def close(self) -> None:
        """Stop listening and cancel running work (synchronous part of shutdown)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.tasks.cancel_all()

    async def aclose(self) -> None:
        self.close()
        await self.tasks.aclose()
