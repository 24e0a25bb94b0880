"""The order ticket's instrument sources: debounced search, market browse, watchlists.

A mixin of ``OrderTicketViewModel`` (it uses the ticket's hub, tasks, account, results
model and signals); kept apart so the ticket's order logic stays readable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from desktop_app.domain.types import AccountRef, Instrument, MarketNode
from desktop_app.viewmodels.tasks import error_text

if TYPE_CHECKING:
    from desktop_app.domain.capabilities import Capabilities
    from desktop_app.session.hub import Hub
    from desktop_app.viewmodels.instrument_models import InstrumentListModel, LazyTreeModel
    from desktop_app.viewmodels.tasks import TaskRunner

SEARCH_DEBOUNCE_MS = 300


class TicketSearch:
    hub: Hub
    tasks: TaskRunner
    account: AccountRef | None
    results: InstrumentListModel
    navigation: LazyTreeModel
    watchlists: LazyTreeModel
    searchStatus: Any
    inputsChanged: Any
    capabilities: Callable[[], Capabilities | None]

    def _init_search(self) -> None:
        self._search_text = ""
        self._search_seq = 0
        self._sources_for: tuple[AccountRef | None, bool, bool] | None = None
        self._search_timer = QTimer(self)  # type: ignore[arg-type]
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._run_search)

    def _reset_search(self) -> None:
        """Another broker: its instruments, not the last one's (the box is emptied too)."""
        self._search_timer.stop()
        self._search_seq += 1  # an answer still on its way is dropped
        self.results.set_items([])
        self.searchStatus.emit("")
        if self._search_text:
            self._search_text = ""
            self.inputsChanged.emit()

    def _refresh_sources(self) -> None:
        """(Re)load the browse sources when the account or what it offers changed."""
        caps = self.capabilities()
        key = (
            self.account,
            bool(caps and caps.market_navigation),
            bool(caps and caps.watchlists),
        )
        if key == self._sources_for:
            return
        self._sources_for = key
        account = self.account
        self.navigation.set_fetch(
            (lambda node: self.hub.market_navigation(account, node))
            if account is not None and key[1] else None
        )
        self.watchlists.set_fetch(self._watchlist_fetch(account) if key[2] else None)

    def _watchlist_fetch(self, account: AccountRef | None):
        if account is None:
            return None

        async def fetch(node: str | None) -> tuple[list[MarketNode], list[Instrument]]:
            if node is None:
                lists = await self.hub.watchlists(account)
                return [MarketNode(w.watchlist_id, w.name) for w in lists], []
            return [], await self.hub.watchlist_instruments(account, node)

        return fetch

    @property
    def search_text(self) -> str:
        return self._search_text

    def set_search_text(self, text: str) -> None:
        """Debounced: the search runs once typing pauses."""
        if text == self._search_text:
            return  # the box showing what was searched from code: nothing new to search
        self._search_text = text
        self._search_timer.start()
        self.inputsChanged.emit()

    def search_now(self, text: str) -> None:
        """Enter pressed: search at once instead of after the typing pause."""
        self._search_timer.stop()
        self._search_text = text
        self.inputsChanged.emit()
        self._run_search()

    def _run_search(self) -> None:
        self.tasks.start(self.search(self._search_text))

    async def search(self, text: str) -> list[Instrument]:
        """Search now (no debounce); fills ``results``; stale answers are dropped."""
        if text != self._search_text:  # searched from code: the box shows it
            self._search_timer.stop()
            self._search_text = text
            self.inputsChanged.emit()
        self._search_seq += 1
        seq = self._search_seq
        caps = self.capabilities()
        account = self.account
        text = text.strip()
        if not text or account is None:
            self.results.set_items([])
            self.searchStatus.emit("")
            return []
        if caps is not None and not caps.instrument_search:
            self.searchStatus.emit(caps.why_not("instrument_search"))
            return []
        self.searchStatus.emit("Searching…")
        try:
            found = await self.hub.search_instruments(account, text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if seq == self._search_seq:
                self.searchStatus.emit(error_text(exc))
            return []
        if seq == self._search_seq:
            self.results.set_items(found)
            self.searchStatus.emit(f"{len(found)} found" if found else "Nothing found.")
        return found
