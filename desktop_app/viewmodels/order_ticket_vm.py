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

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.errors import DuplicateOrder
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
    price_error,
    protection_errors,
    size_ceiling,
    size_error,
    unusual_order,
)
from desktop_app.domain.types import (
    AccountRef,
    Instrument,
    OrderRequest,
    OrderResult,
    OrderType,
    Quote,
    Side,
)
from desktop_app.session.events import (
    AccountsUpdated,
    BalanceUpdated,
    ConnectionChanged,
    QuoteUpdated,
)
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.account_context import AccountContext, account_context, equity_of
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.confirmation import LIVE_REASON, Confirmation
from desktop_app.viewmodels.input_numbers import field_text, parse
from desktop_app.viewmodels.instrument_models import InstrumentListModel, LazyTreeModel
from desktop_app.viewmodels.tasks import error_text
from desktop_app.viewmodels.ticket_search import SEARCH_DEBOUNCE_MS, TicketSearch
from desktop_app.viewmodels.ticket_texts import button_text, describe, describe_result

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

__all__ = [
    "F_LEVEL", "F_PROFIT", "F_SIZE", "F_STOP", "F_STOP_PRICE", "SEARCH_DEBOUNCE_MS",
    "TICKET_ORDER_TYPES", "OrderTicketViewModel", "TicketState",
]

TRADEABLE = "TRADEABLE"
TICKET_ORDER_TYPES = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT)
# Texts of the ticket that are progress, not outcomes (the activity log skips them).
PROGRESS_PREFIXES = ("Sending", "LIVE order waiting", "Waiting for your confirmation")


@dataclass(frozen=True, slots=True)
class TicketState:
    """What the ticket's controls may do right now, and why not."""

    live: bool
    busy: bool
    order_types: tuple[tuple[OrderType, bool, str], ...]
    level_enabled: bool
    stops_enabled: bool
    stops_why: str
    can_send: bool
    send_why: str
    market_status: str
    stop_price_enabled: bool = False
    # Per side: the broker may allow buying but not selling now (e.g. Darwinex flags).
    buy_enabled: bool = True
    buy_why: str = ""
    sell_enabled: bool = True
    sell_why: str = ""

    def side(self, side: Side) -> tuple[bool, str]:
        if side is Side.BUY:
            return self.buy_enabled, self.buy_why
        return self.sell_enabled, self.sell_why


@dataclass(slots=True)
class _Pending:
    """An order held for the trader's answer: "confirm" (LIVE or unusual) or
    "duplicate" (the hub saw the same order moments ago)."""

    kind: str
    request: OrderRequest
    future: asyncio.Future[OrderResult | None]
    question: Confirmation


class OrderTicketViewModel(TicketSearch, HubViewModel):
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
        self._pending: _Pending | None = None
        # The trader's last accepted size per (broker, symbol): the next ticket for the
        # same instrument starts with it.
        self._last_sizes: dict[tuple[str, str], Decimal] = {}
        self._auto_size = ""  # the size the ticket filled in itself
        self._equity: tuple[Decimal | None, str] = (None, "")
        self._init_search()

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
        self.instrumentChanged.emit(instrument)
        self.quoteChanged.emit(None, 0)
        self.quoteSymbolsChanged.emit()
        self.factsChanged.emit()

    def _take_details(self, details: Instrument) -> None:
        """Richer facts about the chosen instrument (minimum size, scores...)."""
        self.instrument = details
        self.instrumentChanged.emit(details)
        self.factsChanged.emit()
        if self.size_text == self._auto_size:  # untouched: follow the (new) minimum
            size = self._start_size(details)
            self._auto_size = size
            self._set_input("size_text", size)
        self._revalidate()

    def _start_size(self, instrument: Instrument | None) -> str:
        if instrument is None or self.account is None:
            return ""
        last = self._last_sizes.get((self.account.broker, instrument.symbol))
        if last is not None:
            return field_text(last)
        return field_text(instrument.min_size) if instrument.min_size > 0 else ""

    def usual_size(self) -> Decimal | None:
        if self.instrument is None or self.account is None:
            return None
        return self._last_sizes.get((self.account.broker, self.instrument.symbol))

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
        return (self.instrument.size_label if self.instrument else "") or "Size"

    @property
    def size_rules_text(self) -> str:
        """Minimum, step and ceiling of the size (the ceiling is this app's own bound)."""
        inst = self.instrument
        parts = []
        if inst is not None and inst.min_size > 0:
            parts.append(f"min {fmt.size(inst.min_size)}")
        if inst is not None and inst.size_step > 0:
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

    # --- rules --------------------------------------------------------------------

    def market_status(self) -> str:
        if self.quote is not None:
            return self.quote.market_status
        return self.instrument.market_status if self.instrument else ""

    def market_text(self) -> str:
        status = self.market_status()
        if not status:
            return ""
        if status == TRADEABLE:
            return "Market open"
        return f"Market {status.lower().replace('_', ' ')}: orders cannot be sent"

    def state(self) -> TicketState:
        caps = self.capabilities()
        profile = self.profile()
        live = self.live
        types = []
        for ot in TICKET_ORDER_TYPES:
            if caps is None:
                types.append((ot, ot is OrderType.MARKET, "No connected account selected."))
            elif ot in caps.order_types:
                types.append((ot, True, ""))
            else:
                why = caps.reasons.get(ot.value) or caps.why_not("order_types")
                types.append((ot, False, why))
        stops_enabled, stops_why = True, "Optional; leave empty for none."
        if caps is not None and not caps.stops_and_limits:
            stops_enabled, stops_why = False, caps.why_not("stops_and_limits")
        elif self.instrument is not None and not self.instrument.stops_allowed:
            stops_enabled = False
            stops_why = f"{self.instrument.symbol} does not accept a stop loss or take profit."
        status = self.market_status()
        busy = self.busy or self._pending is not None
        can_send, why = True, ""
        if self.account is None:
            can_send, why = False, "Select an account first."
        elif caps is None:
            can_send, why = False, "The connection is not ready yet."
        elif self.instrument is None:
            can_send, why = False, "Choose an instrument first."
        elif not self.instrument.tradeable:
            can_send, why = False, f"{self.instrument.symbol} cannot be traded on this account."
        elif status and status != TRADEABLE:
            can_send, why = False, f"Market closed: the broker reports {status.lower()}."
        elif self.order_type not in caps.order_types:
            can_send = False
            why = caps.reasons.get(self.order_type.value) or caps.why_not("order_types")
        elif profile is not None and profile.is_live and not profile.live_opt_in:
            can_send = False
            why = "Live trading is off for this profile: turn on the live opt-in to trade."
        elif self.busy:
            can_send, why = False, "An order is being sent…"
        elif self._pending is not None:
            can_send, why = False, "An order is waiting for your answer."
        buy = self._side_allowed(Side.BUY) if can_send else (False, why)
        sell = self._side_allowed(Side.SELL) if can_send else (False, why)
        return TicketState(
            live=live, busy=busy, order_types=tuple(types),
            level_enabled=self.order_type in LEVEL_TYPES,
            stops_enabled=stops_enabled, stops_why=stops_why,
            can_send=buy[0] or sell[0], send_why=why or buy[1] or sell[1],
            market_status=status,
            stop_price_enabled=self.order_type is OrderType.STOP_LIMIT,
            buy_enabled=buy[0], buy_why=buy[1], sell_enabled=sell[0], sell_why=sell[1],
        )

    def _side_allowed(self, side: Side) -> tuple[bool, str]:
        """The broker's own flags for buying or selling this instrument now."""
        quote = self.quote
        if self.order_type is not OrderType.MARKET and quote is not None:
            flag = (quote.conditional_buy_allowed if side is Side.BUY
                    else quote.conditional_sell_allowed)
            if flag is not None:  # the broker says so for limit/stop orders themselves
                kind = "limit or stop buy" if side is Side.BUY else "limit or stop sell"
                return (True, "") if flag else (
                    False, f"The broker takes no {kind} orders now. {quote.note}".strip()
                )
        for source in (self.instrument, quote):
            if source is None:
                continue
            allowed = source.buy_allowed if side is Side.BUY else source.sell_allowed
            if not allowed:
                verb = "Buying" if side is Side.BUY else "Selling"
                return False, source.note or f"{verb} is not possible now."
        return True, ""

    @staticmethod
    def _parse(text: str, label: str, key: str, errors: dict[str, str]) -> Decimal | None:
        try:
            return parse(text)
        except ValueError as exc:
            errors[key] = f"{label}: {exc}"
            return None

    def validate(self, side: Side | None = None) -> tuple[dict[str, str], OrderRequest | None]:
        """Field errors, and the request when there are none and ``side`` is given."""
        errors: dict[str, str] = {}
        inst = self.instrument
        state = self.state()
        if inst is None:
            errors[F_INSTRUMENT] = "Choose an instrument."
        size = self._parse(self.size_text, "Size", F_SIZE, errors)
        if F_SIZE not in errors and (message := size_error(size, inst, self.limits)):
            errors[F_SIZE] = message
        kind = self.order_type.value.lower().replace("_", "-")
        level = stop_price = stop = profit = None
        if state.level_enabled:
            level = self._parse(self.level_text, "Level", F_LEVEL, errors)
            if F_LEVEL not in errors and level is None:
                errors[F_LEVEL] = f"A {kind} order needs a level."
        if state.stop_price_enabled:
            stop_price = self._parse(self.stop_price_text, "Stop price", F_STOP_PRICE, errors)
            if F_STOP_PRICE not in errors and stop_price is None:
                errors[F_STOP_PRICE] = "A stop-limit order needs a stop (trigger) price."
        if state.stops_enabled:
            stop = self._parse(self.stop_text, "Stop loss", F_STOP, errors)
            profit = self._parse(self.profit_text, "Take profit", F_PROFIT, errors)
        for key, value, label in ((F_LEVEL, level, "Level"),
                                  (F_STOP_PRICE, stop_price, "Stop price"),
                                  (F_STOP, stop, "Stop loss"), (F_PROFIT, profit, "Take profit")):
            if key not in errors and (message := price_error(value, label, self.limits)):
                errors[key] = message
        if side is not None and not errors:
            errors.update(protection_errors(side, level, self.quote, stop, profit))
        if side is None or errors or inst is None or self.account is None or size is None:
            return errors, None
        return errors, OrderRequest(
            account=self.account, symbol=inst.symbol, side=side, size=size,
            order_type=self.order_type, level=level, stop_level=stop, profit_level=profit,
            stop_price=stop_price,
        )

    def _revalidate(self) -> None:
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

    # --- sending ----------------------------------------------------------------------

    def _done(self, value: OrderResult | None = None) -> asyncio.Future[OrderResult | None]:
        future: asyncio.Future[OrderResult | None] = asyncio.get_running_loop().create_future()
        future.set_result(value)
        return future

    def _refuse(self, why: str) -> asyncio.Future[OrderResult | None]:
        text = f"Not sent: {why}"
        self._set_result(text, False)
        self.orderOutcome.emit(text, False)
        return self._done()

    def submit(self, side: Side) -> asyncio.Future[OrderResult | None]:
        """What Buy and Sell do. See the module docstring for the contract."""
        if self.busy or self._pending is not None:
            return self._done()  # one order at a time: a second press does nothing
        state = self.state()
        if not state.can_send:
            return self._refuse(state.send_why)
        allowed, why_not = state.side(side)
        if not allowed:
            return self._refuse(why_not)
        errors, request = self.validate(side)
        self._set_errors(errors)
        if errors or request is None:
            return self._refuse(next(iter(errors.values()), "check the order."))
        equity, currency = self._equity
        concerns = unusual_order(
            request, self.instrument, self.quote, usual_size=self.usual_size(),
            equity=equity, equity_currency=currency, limits=self.limits,
        )
        future: asyncio.Future[OrderResult | None] = asyncio.get_running_loop().create_future()
        if state.live or concerns:
            reasons = ([LIVE_REASON] if state.live else []) + [c.text for c in concerns]
            money = " with real money" if state.live else ""
            question = Confirmation(
                title="Confirm LIVE order" if state.live else "Check this order",
                summary=f"Send this order{money}?\n\n{self.describe(request)}",
                reasons=tuple(reasons), live=state.live, yes_text="Send order",
            )
            self._hold("confirm", request, future, question)
            self._set_result(
                "LIVE order waiting for your confirmation…" if state.live
                else "Waiting for your confirmation…", False,
            )
            self.confirmationRequested.emit(question)
            return future
        self._send(request, future)
        return future

    def _hold(self, kind: str, request: OrderRequest,
              future: asyncio.Future[OrderResult | None], question: Confirmation) -> None:
        self._pending = _Pending(kind, request, future, question)
        self.stateChanged.emit()

    def describe(self, request: OrderRequest) -> str:
        context = account_context(self.hub, request.account)
        return describe(request, self.instrument, context.text if context else "")

    def _answer(self, kind: str, accepted: bool, refusal: str) -> None:
        pending = self._pending
        if pending is None or pending.kind != kind:
            return
        self._pending = None
        if not accepted:
            self.stateChanged.emit()
            self._outcome(pending.request, refusal, False)
            if not pending.future.done():
                pending.future.set_result(None)
            return
        self._send(pending.request, pending.future, allow_duplicate=kind == "duplicate")

    def confirm(self, accepted: bool) -> None:
        """The answer to ``confirmationRequested``."""
        self._answer("confirm", accepted, "Not sent: the order was not confirmed.")

    def confirm_duplicate(self, accepted: bool) -> None:
        """The answer to ``duplicateSuspected``: send the same order a second time?"""
        self._answer("duplicate", accepted, "Not sent: the same order was not sent again.")

    @property
    def awaiting_confirmation(self) -> bool:
        return self._pending is not None

    @property
    def pending_question(self) -> Confirmation | None:
        return self._pending.question if self._pending is not None else None

    def _cancel_pending(self, why: str) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self.orderOutcome.emit(why, False)
            if not pending.future.done():
                pending.future.set_result(None)
            self.confirmationWithdrawn.emit()

    def _send(self, request: OrderRequest, future: asyncio.Future[OrderResult | None],
              *, allow_duplicate: bool = False) -> None:
        self.busy = True
        self._set_result(f"Sending: {self.describe(request)}…", True)
        self.stateChanged.emit()
        task = self.tasks.start(self._place(request, future, allow_duplicate))
        task.add_done_callback(lambda t: future.cancel() if t.cancelled() else None)

    async def _place(self, request: OrderRequest, future: asyncio.Future[OrderResult | None],
                     allow_duplicate: bool) -> None:
        try:
            result = await self.hub.place_order(request, allow_duplicate=allow_duplicate)
        except asyncio.CancelledError:
            self._sent()
            raise
        except DuplicateOrder as exc:
            self._sent()
            self._suspect_duplicate(request, future, exc)
            return
        except Exception as exc:
            self._sent()
            self._outcome(request, f"Failed: {error_text(exc)}", False)
            if not future.done():
                future.set_result(None)
            return
        self._sent()
        if result.accepted:
            self._last_sizes[(request.account.broker, request.symbol)] = request.size
        self._outcome(request, describe_result(request, result), result.accepted)
        if not future.done():
            future.set_result(result)

    def _suspect_duplicate(self, request: OrderRequest,
                           future: asyncio.Future[OrderResult | None],
                           exc: DuplicateOrder) -> None:
        if request.account != self.account or self._pending is not None:
            # The trader moved on: nothing was sent, nothing is asked.
            self._outcome(request, f"Not sent: {exc.message}", False)
            if not future.done():
                future.set_result(None)
            return
        live = self.hub.is_live(request.account)
        question = Confirmation(
            title="Send the same order again?",
            summary=f"{exc.message}\n\nSend it a second time?\n\n{self.describe(request)}",
            reasons=(
                "Nothing was sent this time. A double click or a repeated key would send "
                "the same order twice: send it again only if you want a second one.",
                *([LIVE_REASON] if live else []),
            ),
            live=live, yes_text="Send it again",
        )
        self._hold("duplicate", request, future, question)
        self._set_result(f"Not sent: {exc.message} Confirm to send it again.", False)
        self.duplicateSuspected.emit(question)

    def _sent(self) -> None:
        self.busy = False
        self.stateChanged.emit()

    def close(self) -> None:
        self._search_timer.stop()
        self._cancel_pending("Not sent: the app is closing.")
        super().close()
