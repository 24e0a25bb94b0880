"""Account preferences (hedging mode, leverage per asset class) of one account."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from desktop_app.domain.types import AccountPreferences, AccountRef, LeverageSetting
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.tasks import error_text

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

ASSET_CLASS_NAMES = {
    "SHARES": "Shares",
    "CURRENCIES": "Currencies",
    "INDICES": "Indices",
    "CRYPTOCURRENCIES": "Cryptocurrencies",
    "COMMODITIES": "Commodities",
}


def asset_class_label(key: str) -> str:
    return ASSET_CLASS_NAMES.get(key, key.replace("_", " ").title())


class PreferencesViewModel(HubViewModel):
    """Load, edit and save the preferences of ``account``.

    ``loaded`` fires with the broker's current values; ``saved(text)`` after a save,
    ``failed(text)`` when loading or saving did not work (the dialog shows it).

    One per dialog: the dialog adopts it (``setParent``) and closes it when it closes;
    after ``close()`` nothing is emitted any more, so an answer that comes late reaches
    no widget. ``closed`` fires once, when that happens.
    """

    loaded = Signal(object)  # AccountPreferences
    saved = Signal(str)
    failed = Signal(str)
    busyChanged = Signal(bool)
    closed = Signal()

    def __init__(self, hub: Hub, account: AccountRef, parent: QObject | None = None) -> None:
        super().__init__(hub, parent, listen=False)
        self.account = account
        self.preferences: AccountPreferences | None = None
        self.busy = False
        self.is_closed = False
        self._stopping: list[asyncio.Task[Any]] = []

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)

    def _fail(self, exc: BaseException) -> None:
        if not self.is_closed:
            self._set_busy(False)
            self.failed.emit(error_text(exc))

    def load(self) -> asyncio.Task[AccountPreferences] | None:
        if self.is_closed:
            return None
        self._set_busy(True)

        def done(prefs: AccountPreferences) -> None:
            if self.is_closed:
                return
            self._set_busy(False)
            self.preferences = prefs
            self.loaded.emit(prefs)

        return self.tasks.start(
            self.hub.preferences(self.account), on_result=done, on_error=self._fail
        )

    def build(self, hedging_mode: bool, leverages: dict[str, int]) -> AccountPreferences:
        """The preferences to send: chosen leverages, each one of the broker's offered values."""
        current = self.preferences.leverages if self.preferences else {}
        chosen: dict[str, LeverageSetting] = {}
        for key, value in leverages.items():
            offered = current.get(key)
            available = offered.available if offered else (value,)
            if value not in available:
                raise ValueError(f"{asset_class_label(key)}: {value}:1 is not offered.")
            chosen[key] = LeverageSetting(value, available)
        return AccountPreferences(hedging_mode=hedging_mode, leverages=chosen)

    def save(self, hedging_mode: bool, leverages: dict[str, int]):  # -> Task | None
        if self.is_closed:
            return None
        try:
            prefs = self.build(hedging_mode, leverages)
        except ValueError as exc:
            self.failed.emit(str(exc))
            return None
        self._set_busy(True)

        def done(result: AccountPreferences) -> None:
            if self.is_closed:
                return
            self._set_busy(False)
            self.preferences = result
            self.loaded.emit(result)
            self.saved.emit("Preferences saved.")

        return self.tasks.start(
            self.hub.set_preferences(self.account, prefs), on_result=done, on_error=self._fail
        )

    def close(self) -> None:
        """Cancel what is running and go quiet (the dialog closed, or the app quits)."""
        if self.is_closed:
            return
        self.is_closed = True
        # Kept as plain asyncio tasks: aclose() can await them even after Qt deleted
        # this object together with its dialog.
        self._stopping = self.tasks.cancel_all()
        super().close()
        if shiboken6.isValid(self):  # not when its dialog was deleted without closing it
            self.closed.emit()

    async def aclose(self) -> None:
        self.close()
        stopping, self._stopping = self._stopping, []
        if stopping:
            await asyncio.gather(*stopping, return_exceptions=True)
