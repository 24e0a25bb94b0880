"""Products of the selected account's broker: search, the broker's screens, one
product's facts (scores) and price history, and "trade it" for the order ticket.

Facts and history are fetched for the selected product only, once per selection: some
brokers throttle them hard (Darwinex's D-Score), and their services cache them. The
selected product's price streams where its broker streams (``watched_symbols``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import AccountRef, Instrument, InstrumentScreen, PricePoint, Quote
from desktop_app.session.events import QuoteUpdated
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.keyed_table import Column, KeyedTableModel
from desktop_app.viewmodels.tasks import error_text

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

HISTORY_SPAN = timedelta(days=365)


def _flag(allowed: bool) -> str:
    return "yes" if allowed else "no"


PRODUCT_COLUMNS: tuple[Column[Instrument], ...] = (
    Column("Product", ("symbol",), lambda i: i.symbol, lambda i: i.symbol),
    Column("Name", ("name",), lambda i: i.name, lambda i: i.name),
    Column("Currency", ("currency",), lambda i: i.currency, lambda i: i.currency),
    Column("Status", ("market_status",), lambda i: i.market_status.lower().replace("_", " "),
           lambda i: i.market_status),
    Column("Buy", ("buy_allowed",), lambda i: _flag(i.buy_allowed), lambda i: i.buy_allowed),
    Column("Sell", ("sell_allowed",), lambda i: _flag(i.sell_allowed),
           lambda i: i.sell_allowed),
    Column("Details", ("facts",), lambda i: fmt.facts(i.facts), lambda i: fmt.facts(i.facts)),
)


class ProductsTableModel(KeyedTableModel[Instrument]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(PRODUCT_COLUMNS, "symbol", parent)

    def tooltip(self, item: Instrument, column: int) -> str | None:
        return item.note or None


class ProductsViewModel(HubViewModel):
    statusChanged = Signal(str)
    detailsChanged = Signal()
    historyChanged = Signal(list, list)  # epoch seconds, prices (floats, for the chart)
    stateChanged = Signal()
    tradeRequested = Signal(object)  # Instrument: the app hands it to the order ticket
    watchedChanged = Signal()  # the selected product changed: its price is on screen

    def __init__(self, hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(hub, parent)
        self.model = ProductsTableModel(self)
        self.account: AccountRef | None = None
        self.screen: InstrumentScreen | None = None
        self.text = ""
        self.selected: Instrument | None = None
        self.details_status = ""
        self.history: list[PricePoint] = []
        self.quote: Quote | None = None  # the selected product's latest price
        self._seq = 0
        self._detail_seq = 0
        self._showing_why = False  # the status says why nothing can be found (yet)

    def capabilities(self) -> Capabilities | None:
        return self.hub.capabilities(self.account.connection) if self.account else None

    def screens(self) -> tuple[InstrumentScreen, ...]:
        caps = self.capabilities()
        return caps.instrument_screens if caps else ()

    def availability(self) -> tuple[bool, str]:
        caps = self.capabilities()
        if self.account is None:
            return False, "Select an account first."
        if caps is None:
            return False, "The connection is not ready yet."
        if not caps.instrument_search and not caps.instrument_screens:
            return False, caps.why_not("instrument_search")
        return True, ""

    def set_account(self, account: AccountRef | None) -> None:
        if account == self.account:
            self.stateChanged.emit()
            return
        same_connection = (
            account is not None and self.account is not None
            and account.connection == self.account.connection
        )
        self.account = account
        if not same_connection:
            self.screen = None
            self.model.clear()
            self._select(None)
            self._seq += 1  # a search still on its way was for the other broker
            self.statusChanged.emit("")
            self._showing_why = False
        self._show_availability()
        self.stateChanged.emit()

    def refresh_capabilities(self) -> None:
        if self.screen is not None and self.screen not in self.screens():
            self.screen = None
        self._show_availability()
        self.stateChanged.emit()

    def _show_availability(self) -> None:
        """Say why nothing can be found while that is so, and stop saying it after."""
        ok, why = self.availability()
        if not ok:
            self.statusChanged.emit(why)
            self._showing_why = True
        elif self._showing_why:
            self.statusChanged.emit("")
            self._showing_why = False

    # --- finding products ----------------------------------------------------------

    def set_screen(self, screen: InstrumentScreen | None) -> asyncio.Task[list[Instrument]]:
        self.screen = screen
        return self.tasks.start(self.find(self.text))

    def search(self, text: str) -> asyncio.Task[list[Instrument]]:
        return self.tasks.start(self.find(text))

    async def find(self, text: str) -> list[Instrument]:
        """Search, or apply the chosen screen (narrowed by ``text``); stale answers drop."""
        self.text = text
        self._seq += 1
        seq = self._seq
        ok, why = self.availability()
        if not ok or self.account is None:
            self.statusChanged.emit(why)
            self._showing_why = True
            return []
        self._showing_why = False
        caps = self.capabilities()
        if self.screen is None and not text.strip():
            self.model.apply([])
            self.statusChanged.emit("Type a name, or pick a screen.")
            return []
        if self.screen is None and caps is not None and not caps.instrument_search:
            self.statusChanged.emit(caps.why_not("instrument_search"))
            return []
        self.statusChanged.emit("Searching…")
        try:
            if self.screen is not None:
                found = await self.hub.screen_instruments(self.account, self.screen, text.strip())
            else:
                found = await self.hub.search_instruments(self.account, text.strip())
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if seq == self._seq:
                self.statusChanged.emit(error_text(exc))
            return []
        if seq == self._seq:
            self.model.clear()  # a new query: the broker's order, not the last one's
            self.model.apply(found)
            self.statusChanged.emit(f"{len(found)} found" if found else "Nothing found.")
        return found

    # --- one product -------------------------------------------------------------------

    def select(self, symbol: str | None) -> asyncio.Task[None] | None:
        row = self.model.row_of(symbol) if symbol else -1
        instrument = self.model.item(row) if row >= 0 else None
        self._select(instrument)
        if instrument is None:
            return None
        return self.tasks.start(self._load(instrument))

    def _select(self, instrument: Instrument | None) -> None:
        changed = (instrument.symbol if instrument else None) != (
            self.selected.symbol if self.selected else None)
        self.selected = instrument
        self.quote = None
        self.history = []
        self.details_status = ""
        self.detailsChanged.emit()
        self.historyChanged.emit([], [])
        if changed:
            self.watchedChanged.emit()

    def watched_symbols(self) -> set[str]:
        """The symbol whose price the details show (streamed where the broker streams)."""
        return {self.selected.symbol} if self.selected is not None else set()

    def on_event(self, event: Any) -> None:
        if (isinstance(event, QuoteUpdated) and self.selected is not None
                and self.account is not None
                and event.account.connection == self.account.connection
                and event.quote.symbol == self.selected.symbol):
            self.quote = event.quote
            self.detailsChanged.emit()

    async def _load(self, instrument: Instrument) -> None:
        self._detail_seq += 1
        seq = self._detail_seq
        caps, account = self.capabilities(), self.account
        if caps is None or account is None:
            return
        notes: list[str] = []
        if caps.instrument_details:
            self.details_status = "Loading details…"
            self.detailsChanged.emit()
            try:
                details = await self.hub.instrument_details(account, instrument.symbol)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                notes.append(f"No details: {error_text(exc)}")
            else:
                if seq != self._detail_seq:
                    return
                self.selected = details
                if self.model.row_of(details.symbol) >= 0:
                    self.model.apply(
                        details if i.symbol == details.symbol else i
                        for i in self.model.items()
                    )
        if caps.quote_history:
            try:
                points = await self.hub.quote_history(
                    account, instrument.symbol, utc_now() - HISTORY_SPAN
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                notes.append(f"No price history: {error_text(exc)}")
            else:
                if seq != self._detail_seq:
                    return
                self.history = points
                self.historyChanged.emit(
                    [p.at.timestamp() for p in points], [float(p.price) for p in points]
                )
        if seq == self._detail_seq:
            self.details_status = " ".join(notes)
            self.detailsChanged.emit()

    @property
    def details_text(self) -> str:
        inst = self.selected
        if inst is None:
            return "Select a product to see its details."
        lines = [f"{inst.name} ({inst.symbol})" if inst.name else inst.symbol]
        quote = self.quote
        if quote is not None:
            price = (fmt.level(quote.bid) if quote.bid == quote.offer
                     else f"{fmt.level(quote.bid)} / {fmt.level(quote.offer)}")
            lines.append(f"Price {price} (as of {quote.as_of:%H:%M:%S} UTC)")
        if inst.facts:
            lines.append(fmt.facts(inst.facts))
        if inst.note:
            lines.append(inst.note)
        if self.details_status:
            lines.append(self.details_status)
        return "\n".join(lines)

    @property
    def details_hint(self) -> str:
        inst = self.selected
        if inst is None:
            return ""
        return "\n".join(f"{f.label}: {f.hint}" for f in inst.facts if f.hint)

    def trade(self) -> None:
        if self.selected is not None:
            self.tradeRequested.emit(self.selected)
