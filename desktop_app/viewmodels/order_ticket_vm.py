"""The order ticket: find an instrument, watch its bid/offer, validate and send orders.

Driving it from code (the app's ``--smoke`` mode, tests)::

    ticket = app_vm.ticket
    ticket.choose(instrument)               # e.g. from ``await ticket.search(text)``
    ticket.set_size_text("1")
    result = await ticket.submit(Side.BUY)  # OrderResult, or None if nothing was accepted

``submit(side)`` returns an ``asyncio.Future`` that resolves to the broker's
``OrderResult`` (accepted or rejected), or to ``None`` when nothing was sent
(validation errors, a declined confirmation, a second press while one order is under
way) or the hub raised; ``result_text`` then says why.

What protects money lives here, not in the widgets:

- one order at a time: while one is being sent or waits for an answer, ``submit`` does
  nothing (a double click, a held key);
- a LIVE account, or an order far from the market (``order_checks.unusual_order``),
  waits for ``confirm(True)`` / ``confirm(False)`` after ``confirmationRequested``;
- when the hub refuses an identical order sent moments ago (``DuplicateOrder``), the
  order waits for ``confirm_duplicate(True)`` after ``duplicateSuspected`` and is then
  resent with ``allow_duplicate``; nothing is resent without that answer;
- every new instrument, account or broker starts with a clean ticket (size: the
  trader's last size for that instrument, else its minimum; market; no levels).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.order_checks import (
    DEFAULT_LIMITS,
    F_INSTRUMENT,
    F_LEVEL,
    F_PROFIT,
    F_SIZE,
    F_STOP,
    F_STOP_PRICE,
    LEVEL_TYPES,
    OrderLimits,
    size_ceiling,
)
from desktop_app.domain.types import (
    AccountRef,
    Instrument,
    OrderRequest,
    OrderStatus,
    OrderType,
    Quote,
    Side,
)
from desktop_app.session.events import (
    AccountsUpdated,
    BalanceUpdated,
    ConnectionChanged,
    JournalChanged,
    QuoteUpdated,
)
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.account_context import AccountContext, account_context, equity_of
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.input_numbers import field_text, parse
from desktop_app.viewmodels.instrument_models import InstrumentListModel, LazyTreeModel
from desktop_app.viewmodels.once_after import OnceAfter
from desktop_app.viewmodels.tasks import error_text
from desktop_app.viewmodels.ticket_rules import TICKET_ORDER_TYPES, TicketRules, TicketState
from desktop_app.viewmodels.ticket_search import SEARCH_DEBOUNCE_MS, TicketSearch
from desktop_app.viewmodels.ticket_sending import HeldOrder, TicketSending
from desktop_app.viewmodels.ticket_sizing import TicketSizing, sized_key
from desktop_app.viewmodels.ticket_texts import button_text

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

__all__ = [
    "F_LEVEL", "F_PROFIT", "F_SIZE", "F_STOP", "F_STOP_PRICE", "SEARCH_DEBOUNCE_MS",
    "TICKET_ORDER_TYPES", "OrderTicketViewModel", "TicketState",
]



# A placement's journalled status that ends it (filled, or refused).
_ENDED = frozenset({OrderStatus.ACCEPTED.value, OrderStatus.REJECTED.value})


class OrderTicketViewModel(TicketRules, TicketSending, TicketSearch, HubViewModel):
    instrumentChanged = Signal(object)  # Instrument | None
    quoteChanged = Signal(object, int)  # Quote | None, direction of the last move (-1, 0, 1)
    errorsChanged = Signal(dict)  # field -> message
    stateChanged = Signal()
    resultChanged = Signal(str, bool)  # what the ticket shows ('' clears it), ok
    # Every final outcome of an order (also one that ends after the account changed and
    # so is no longer shown in the ticket): for the activity log.
    orderOutcome = Signal(str, bool)
    confirmationRequested = Signal(object)  # Confirmation: answer with confirm()
    duplicateSuspected = Signal(object)  # Confirmation: answer with confirm_duplicate()
    confirmationWithdrawn = Signal()  # the held order was dropped (account changed ...)
    quoteSymbolsChanged = Signal()
    searchStatus = Signal(str)
    # A field's value changed (typed, or set from code): the panel shows the values it
    # does not show yet. Only emitted on a real change, so the round trip ends there.
    inputsChanged = Signal()
    factsChanged = Signal()

    def __init__(
        self, hub: Hub, parent: QObject | None = None, *, limits: OrderLimits = DEFAULT_LIMITS
    ) -> None:
        super().__init__(hub, parent)
        self.limits = limits
        self.results = InstrumentListModel(self)
        # Size unit (amount or quantity) and the broker's buy acknowledgement.
        self.sizing = TicketSizing(self)
        self.navigation = LazyTreeModel(self.tasks, self)
        self.watchlists = LazyTreeModel(self.tasks, self)
        self.navigation.failed.connect(self.searchStatus)
        self.watchlists.failed.connect(self.searchStatus)
        self.account: AccountRef | None = None
        self.instrument: Instrument | None = None
        self.quote: Quote | None = None
        self.order_type = OrderType.MARKET
        self.size_text = ""
        self.level_text = ""
        self.stop_text = ""
        self.profit_text = ""
        self.stop_price_text = ""
        self.errors: dict[str, str] = {}
        self.result_text = ""
        self.result_ok = False
        self.busy = False
        self._pending: HeldOrder | None = None
        # The trader's last accepted size per (broker, symbol): the next ticket for the
        # same instrument starts with it.
        self._last_sizes: dict[tuple[str, str], Decimal] = {}
        self._auto_size = ""  # the size the ticket filled in itself
        self._equity: tuple[Decimal | None, str] = (None, "")
        # A new account re-validates once, not at each step of the change.
        self._revalidation = OnceAfter(self._revalidate_now)
        self._init_search()
        self._sized_unit = self.sizing.unit
        self.sizing.changed.connect(self._sizing_changed)

    # --- account and capabilities ----------------------------------------------------

    def capabilities(self) -> Capabilities | None:
        return self.hub.capabilities(self.account.connection) if self.account else None

    def profile(self) -> ConnectionProfile | None:
        if self.account is None:
            return None
        for info in self.hub.connections():
            if info.profile.connection_id == self.account.connection:
                return info.profile
        return None

    @property
    def live(self) -> bool:
        return self.account is not None and self.hub.is_live(self.account)

    @property
    def context(self) -> AccountContext | None:
        """The account this ticket sends to, in words (shown above the form)."""
        return account_context(self.hub, self.account)

    def set_account(self, account: AccountRef | None) -> None:
        if account == self.account:
            self.refresh_capabilities()
            return
        same_connection = (
            account is not None and self.account is not None
            and account.connection == self.account.connection
        )
        with self._revalidation:
            self.account = account
            self._cancel_pending("Not sent: the selected account changed.")
            self._equity = equity_of(self.hub, account)
            if not same_connection:
                self._reset_search()
                if self.instrument is not None:
                    self._set_instrument(None)
            elif self.instrument is not None:
                self.quote = None
                self.quoteChanged.emit(None, 0)
                self._fetch_quote()
            self._reset_fields()
            self._sources_for = None
            self.refresh_capabilities()

    def refresh_capabilities(self) -> None:
        """Re-read capabilities (a connection came up) and (re)load the browse sources."""
        self._refresh_sources()
        self._revalidate()

    # --- instrument and quote -------------------------------------------------------

    def choose(self, instrument: Instrument | None) -> None:
        """The trader picked ``instrument``: a new one starts a clean ticket; the same
        one again (the products view handing it over) only refreshes its facts."""
        if (instrument is not None and self.instrument is not None
                and instrument.symbol == self.instrument.symbol):
            self._take_details(instrument)
            return
        self._cancel_pending("Not sent: the instrument changed.")
        self._set_instrument(instrument)
        self._reset_fields()
        if instrument is not None:
            self._fetch_quote()
            self._fetch_details()

    def _set_instrument(self, instrument: Instrument | None) -> None:
        self.instrument = instrument
        self.quote = None
        self.sizing.set_instrument(instrument)
        self.instrumentChanged.emit(instrument)
        self.quoteChanged.emit(None, 0)
        self.quoteSymbolsChanged.emit()
        self.factsChanged.emit()

    def _take_details(self, details: Instrument) -> None:
        """Richer facts about the chosen instrument (minimum size, scores...)."""
        self.instrument = details
        self.sizing.set_instrument(details)
        self.instrumentChanged.emit(details)
        self.factsChanged.emit()
        if self.size_text == self._auto_size:  # untouched: follow the (new) minimum
            size = self._start_size(details)
            self._auto_size = size
            self._set_input("size_text", size)
        self._revalidate()

    def _sizing_changed(self) -> None:
        """Another size unit (an amount or a quantity): the size starts again in it, never
        an amount read as shares."""
        if self.sizing.unit is not self._sized_unit:
            self._sized_unit = self.sizing.unit
            size = self._start_size(self.instrument)
            self._auto_size = size
            self._set_input("size_text", size)
        self._revalidate()

    def _start_size(self, instrument: Instrument | None) -> str:
        instrument = self.sizing.sized(instrument)
        if instrument is None or self.account is None:
            return ""
        last = self._last_sizes.get(
            (self.account.broker, sized_key(instrument.symbol, self.sizing.unit)))
        if last is not None:
            return field_text(last)
        if self.sizing.is_amount:
            return ""  # an amount is the trader's to choose, not the cent the rules allow
        return field_text(instrument.min_size) if instrument.min_size > 0 else ""

    def usual_size(self) -> Decimal | None:
        if self.instrument is None or self.account is None:
            return None
        return self._last_sizes.get(
            (self.account.broker, sized_key(self.instrument.symbol, self.sizing.unit)))

    def _reset_fields(self) -> None:
        """A clean ticket: size from the trader's last one (or the minimum), market, no
        levels, no messages."""
        size = self._start_size(self.instrument)
        self._auto_size = size
        values = {"order_type": OrderType.MARKET, "size_text": size, "level_text": "",
                  "stop_text": "", "profit_text": "", "stop_price_text": ""}
        changed = any(getattr(self, name) != value for name, value in values.items())
        for name, value in values.items():
            setattr(self, name, value)
        self._set_result("", True)
        self._set_errors({})
        if changed:
            self.inputsChanged.emit()
        self._revalidate()

    @property
    def size_label(self) -> str:
        return self.sizing.label((self.instrument.size_label if self.instrument else "")
                                 or "Size")

    @property
    def size_rules_text(self) -> str:
        """Minimum, step and ceiling of the size (the ceiling is this app's own bound)."""
        inst = self.sizing.sized(self.instrument)
        if inst is None:
            return ""  # no instrument: no rules to state yet
        parts = []
        if inst.min_size > 0:
            parts.append(f"min {fmt.size(inst.min_size)}")
        if inst.size_step > 0:
            parts.append(f"step {fmt.size(inst.size_step)}")
        parts.append(f"max {fmt.grouped(size_ceiling(inst, self.limits))}")
        return " · ".join(parts)

    @property
    def facts_text(self) -> str:
        """The instrument's facts (D-Score, tick value, ...) in one wrapped paragraph."""
        if self.instrument is None:
            return ""
        return fmt.facts(self.instrument.facts)

    @property
    def facts_hint(self) -> str:
        if self.instrument is None:
            return ""
        return "\n".join(f"{f.label}: {f.hint}" for f in self.instrument.facts if f.hint)

    def _fetch_details(self) -> None:
        """Scores and other facts, where the broker has them: once per choice (the
        service caches what the broker throttles)."""
        caps = self.capabilities()
        account, instrument = self.account, self.instrument
        if account is None or instrument is None or caps is None or not caps.instrument_details:
            return

        def done(details: Instrument) -> None:
            if self.instrument is instrument and self.account == account:
                self._take_details(details)

        def fail(exc: BaseException) -> None:
            if self.instrument is instrument:
                self.searchStatus.emit(
                    f"No details for {instrument.symbol}: {error_text(exc)}"
                )

        self.tasks.start(
            self.hub.instrument_details(account, instrument.symbol),
            on_result=done, on_error=fail,
        )

    def quote_symbols(self) -> set[str]:
        return {self.instrument.symbol} if self.instrument else set()

    def _fetch_quote(self) -> None:
        account, instrument = self.account, self.instrument
        if account is None or instrument is None:
            return
        caps = self.capabilities()
        if caps is not None and not caps.quotes:
            # Nothing to ask. Where prices stream (Tradovate) they come without asking
            # (the status bar says how the stream is); else (Upvest: prices are a
            # separate contract) say why, once.
            if not caps.streaming_quotes:
                self.searchStatus.emit(f"No live prices here: {caps.why_not('quotes')}")
            return

        def done(quote: Quote) -> None:
            if self.instrument is instrument and self.account == account:
                self._set_quote(quote)

        def fail(exc: BaseException) -> None:
            if self.instrument is instrument:
                self.searchStatus.emit(f"No quote for {instrument.symbol}: {error_text(exc)}")

        self.tasks.start(self.hub.quote(account, instrument.symbol), on_result=done, on_error=fail)

    def _set_quote(self, quote: Quote) -> None:
        old = self.quote
        direction = 0
        if old is not None:
            mid_old, mid_new = old.bid + old.offer, quote.bid + quote.offer
            direction = (mid_new > mid_old) - (mid_new < mid_old)
        self.quote = quote
        self.quoteChanged.emit(quote, direction)
        if old is None or (old.market_status, old.buy_allowed, old.sell_allowed, old.note) != (
            quote.market_status, quote.buy_allowed, quote.sell_allowed, quote.note
        ):
            self._revalidate()

    def on_event(self, event: Any) -> None:
        account = self.account
        if account is None:
            return
        if isinstance(event, QuoteUpdated):
            if (self.instrument is not None and event.quote.symbol == self.instrument.symbol
                    and event.account.connection == account.connection):
                self._set_quote(event.quote)
        elif isinstance(event, BalanceUpdated) and event.account == account:
            self._equity = (event.balance.equity, event.balance.currency)
        elif isinstance(event, ConnectionChanged) and event.connection_id == account.connection:
            # What the ticket said belongs to the connection as it was.
            if not self.busy and self._pending is None:
                self._set_result("", True)
            self.stateChanged.emit()
        elif isinstance(event, AccountsUpdated) and event.connection_id == account.connection:
            self.stateChanged.emit()  # the account's name, currency or environment
        elif (isinstance(event, JournalChanged) and event.kind == "order"
              and self._settling is not None and event.extra.get("action") == "place"
              and event.extra.get("status") in _ENDED):
            # Read again only for a placement that says it ended (the hub has the row
            # in hand: it named its status).
            self.order_settled(self.hub.journal.order(event.entry_id))

    @property
    def bid_text(self) -> str:
        return fmt.level(self.quote.bid) if self.quote else "—"

    @property
    def offer_text(self) -> str:
        return fmt.level(self.quote.offer) if self.quote else "—"

    def button_text(self, side: Side) -> str:
        """Buy/Sell labels: the market price for a market order, the order's own level
        for a limit or stop order (never a price it will not get)."""
        level = None
        if self.order_type in LEVEL_TYPES:
            try:
                level = parse(self.level_text)
            except ValueError:
                level = None
        return button_text(side, self.order_type, self.quote, level)

    # --- fields -------------------------------------------------------------------

    def set_order_type(self, order_type: OrderType) -> None:
        self._set_input("order_type", order_type)

    def set_size_text(self, text: str) -> None:
        self._set_input("size_text", text)

    def set_level_text(self, text: str) -> None:
        self._set_input("level_text", text)

    def set_stop_text(self, text: str) -> None:
        self._set_input("stop_text", text)

    def set_profit_text(self, text: str) -> None:
        self._set_input("profit_text", text)

    def set_stop_price_text(self, text: str) -> None:
        self._set_input("stop_price_text", text)

    def _set_input(self, name: str, value: object) -> None:
        changed = getattr(self, name) != value
        setattr(self, name, value)
        self._revalidate()
        if changed:
            self.inputsChanged.emit()

    def _revalidate(self) -> None:
        self._revalidation.request()

    def _revalidate_now(self) -> None:
        errors, _ = self.validate(None)
        # Before anything was typed, say nothing about empty fields.
        if not self.size_text.strip():
            errors.pop(F_SIZE, None)
        if not self.level_text.strip():
            errors.pop(F_LEVEL, None)
        if not self.stop_price_text.strip():
            errors.pop(F_STOP_PRICE, None)
        errors.pop(F_INSTRUMENT, None)
        self._set_errors(errors)
        self.stateChanged.emit()

    def check(self) -> str:
        """Enter in the ticket: every field checked and its message shown (the empty ones
        too); what to fix first, or '' when the order can go once a side is chosen."""
        state = self.state()
        if not state.can_send:
            return state.send_why
        errors, _ = self.validate(None)
        self._set_errors({k: v for k, v in errors.items() if k != F_INSTRUMENT})
        return next(iter(errors.values()), "")

    def _set_errors(self, errors: dict[str, str]) -> None:
        if errors != self.errors:
            self.errors = errors
            self.errorsChanged.emit(dict(errors))

    def _set_result(self, text: str, ok: bool) -> None:
        if (text, ok) == (self.result_text, self.result_ok):
            return
        self.result_text, self.result_ok = text, ok
        self.resultChanged.emit(text, ok)

    def _outcome(self, request: OrderRequest, text: str, ok: bool) -> None:
        """A final outcome: always logged; shown only while the ticket is on its account."""
        self.orderOutcome.emit(text, ok)
        if request.account == self.account:
            self._set_result(text, ok)

    def close(self) -> None:
        self._search_timer.stop()
        self._cancel_pending("Not sent: the app is closing.")
        super().close()
