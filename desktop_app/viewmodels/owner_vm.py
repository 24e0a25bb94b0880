"""The account holder's name kept by the broker (LWork 3.12), changed from the
connection's profile. One press, one request: a second save while one is under way does
nothing."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.tasks import error_text, resolve_with

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

NAME_MAX = 100


def owner_rename_offered(hub: Hub, connection_id: str | None) -> tuple[bool, str]:
    """(offered, why not) for a connection."""
    caps = hub.capabilities(connection_id) if connection_id else None
    if caps is None:
        return False, "Connect first: the broker keeps the holder's name."
    if not caps.owner_rename:
        return False, caps.why_not("owner_rename")
    return True, ""


class OwnerViewModel(HubViewModel):
    nameLoaded = Signal(str)
    resultChanged = Signal(str, bool)
    busyChanged = Signal(bool)

    def __init__(self, hub: Hub, connection_id: str, parent: QObject | None = None) -> None:
        super().__init__(hub, parent, listen=False)
        self.connection_id = connection_id
        self.name = ""
        self.busy = False

    def load(self) -> asyncio.Future[str | None]:
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

        async def run() -> str | None:
            try:
                name = await self.hub.owner_name(self.connection_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.resultChanged.emit(error_text(exc), False)
                return None
            self.name = name
            self.nameLoaded.emit(name)
            return name

        resolve_with(self.tasks.start(run()), future)
        return future

    def validate(self, text: str) -> str:
        name = text.strip()
        if not name:
            return "Enter the holder's name."
        if len(name) > NAME_MAX:
            return f"A name has at most {NAME_MAX} characters."
        return ""

    def save(self, text: str) -> asyncio.Future[str | None]:
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        if self.busy:
            future.set_result(None)  # one press, one request
            return future
        if self.name and text.strip() == self.name:
            # Nothing to change (a second press after it was saved): said, not sent.
            self.resultChanged.emit(f"The holder's name is “{self.name}”.", True)
            future.set_result(None)
            return future
        problem = self.validate(text)
        if problem:
            self.resultChanged.emit(f"Not sent: {problem}", False)
            future.set_result(None)
            return future
        self._set_busy(True)
        self.resultChanged.emit("Sending…", True)

        async def run() -> str | None:
            try:
                renamed = await self.hub.rename_owner(self.connection_id, text)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.resultChanged.emit(error_text(exc), False)
                return None
            finally:
                self._set_busy(False)
            self.name = renamed
            self.nameLoaded.emit(renamed)
            self.resultChanged.emit(f"The holder's name is now “{renamed}”.", True)
            return renamed

        resolve_with(self.tasks.start(run()), future)
        return future

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)
