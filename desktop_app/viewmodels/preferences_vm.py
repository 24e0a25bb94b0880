"""Account preferences (hedging mode, leverage per asset class) of one account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.types import AccountPreferences, AccountRef, LeverageSetting
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.tasks import error_text

if TYPE_CHECKING:
    import asyncio

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
    """

    loaded = Signal(object)  # AccountPreferences
    saved = Signal(str)
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, hub: Hub, account: AccountRef, parent: QObject | None = None) -> None:
        super().__init__(hub, parent, listen=False)
        self.account = account
        self.preferences: AccountPreferences | None = None
        self.busy = False

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busyChanged.emit(busy)

    def load(self) -> asyncio.Task[AccountPreferences]:
        self._set_busy(True)

        def done(prefs: AccountPreferences) -> None:
            self._set_busy(False)
            self.preferences = prefs
            self.loaded.emit(prefs)

        def fail(exc: BaseException) -> None:
            self._set_busy(False)
            self.failed.emit(error_text(exc))

        return self.tasks.start(
            self.hub.preferences(self.account), on_result=done, on_error=fail
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
        try:
            prefs = self.build(hedging_mode, leverages)
        except ValueError as exc:
            self.failed.emit(str(exc))
            return None
        self._set_busy(True)

        def done(result: AccountPreferences) -> None:
            self._set_busy(False)
            self.preferences = result
            self.loaded.emit(result)
            self.saved.emit("Preferences saved.")

        def fail(exc: BaseException) -> None:
            self._set_busy(False)
            self.failed.emit(error_text(exc))

        return self.tasks.start(
            self.hub.set_preferences(self.account, prefs), on_result=done, on_error=fail
        )
