"""The order ticket: find an instrument, watch its bid/offer, validate and send orders.

Driving it from code (the app's ``--smoke`` mode, tests)::

    ticket = app_vm.ticket
    ticket.choose(instrument)               # e.g. from ``await ticket.search(text)``
    ticket.set_size_text("1")
    result = await ticket.submit(Side.BUY)  # OrderResult, or None if nothing was accepted

``submit(side)`` returns an ``asyncio.Future`` that resolves to the broker's
``OrderResult`` (accepted or rejected), or to ``None`` when nothing was sent
(validation errors, a declined live confirmation) or the hub raised; ``result_text``
then says why. For a LIVE profile the future stays pending until ``confirm(True)``
or ``confirm(False)`` answers ``confirmationRequested``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import (
    AccountRef,
    Instrument,
    MarketNode,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Quote,
    Side,
)
from desktop_app.session.events import QuoteUpdated
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.base import HubViewModel
from desktop_app.viewmodels.instrument_models import InstrumentListModel, LazyTreeModel
from desktop_app.viewmodels.tasks import error_text, send_and_report
from desktop_app.viewmodels.ticket_sizing import TicketSizing

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub

SEARCH_DEBOUNCE_MS = 300
TRADEABLE = "TRADEABLE"
TICKET_ORDER_TYPES = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT)
LEVEL_TYPES = (OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT)

# Keys of ``errors``: the UI shows each message next to its field.
F_INSTRUMENT = "instrument"
F_SIZE = "size"
F_LEVEL = "level"
F_STOP = "stop"
F_PROFIT = "profit"
F_STOP_PRICE = "stop_price"


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


def _parse(text: str, label: str, errors: dict[str, str], key: str) -> Decimal | None:
    try:
        return fmt.parse_decimal(text)
    except ValueError:
        errors[key] = f"{label}: “{text.strip()}” is not a number."
        return None


class OrderTicketViewModel(HubViewModel):
    instrumentChanged = Signal(object)  # Instrument | None
    quoteChanged = Signal(object, int)  # Quote | None, direction of the last move (-1, 0, 1)
    errorsChanged = Signal(dict)  # field -> message
    stateChanged = Signal()
    resultChanged = Signal(str, bool)  # text, ok
    confirmationRequested = Signal(str)  # summary of a LIVE order waiting for confirm()
    quoteSymbolsChanged = Signal()
    searchStatus = Signal(str)
    # A field's value changed (typed, or set from code): the panel shows the values it
    # does not show yet. Only emitted on a real change, so the round trip ends there.
    inputsChanged = Signal()
    factsChanged = Signal()

    def __init__(self, hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(hub, parent)
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
        self._pending: tuple[OrderRequest, asyncio.Future[OrderResult | None]] | None = None
        self._search_text = ""
        self._search_seq = 0
        self._sources_for: tuple[AccountRef | None, bool, bool] | None = None
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.sizing.changed.connect(self._revalidate)

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
        profile = self.profile()
        return bool(profile and profile.is_live)

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
        if not same_connection:
            self.results.set_items([])
            if self.instrument is not None:
                self.choose(None)
        elif self.instrument is not None:
            self._fetch_quote()
        self._sources_for = None
        self.refresh_capabilities()

    def refresh_capabilities(self) -> None:
        """Re-read capabilities (a connection came up) and (re)load the browse sources."""
        caps = self.capabilities()
        key = (
            self.account,
            bool(caps and caps.market_navigation),
            bool(caps and caps.watchlists),
        )
        if key != self._sources_for:
            self._sources_for = key
            account = self.account
            self.navigation.set_fetch(
                (lambda node: self.hub.market_navigation(account, node))
                if account is not None and key[1] else None
            )
            self.watchlists.set_fetch(self._watchlist_fetch(account) if key[2] else None)
        self._revalidate()

    def _watchlist_fetch(self, account: AccountRef | None):
        if account is None:
            return None

        async def fetch(node: str | None) -> tuple[list[MarketNode], list[Instrument]]:
            if node is None:
                lists = await self.hub.watchlists(account)
                return [MarketNode(w.watchlist_id, w.name) for w in lists], []
            return [], await self.hub.watchlist_instruments(account, node)

        return fetch

    # --- search ----------------------------------------------------------------------

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
        text = text.strip()
        if not text or self.account is None:
            self.results.set_items([])
            self.searchStatus.emit("")
            return []
        if caps is not None and not caps.instrument_search:
            self.searchStatus.emit(caps.why_not("instrument_search"))
            return []
        self.searchStatus.emit("Searching…")
        try:
            found = await self.hub.search_instruments(self.account, text)
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

    # --- instrument and quote -------------------------------------------------------

    def choose(self, instrument: Instrument | None) -> None:
        self.instrument = instrument
        self.quote = None
        self.sizing.set_instrument(instrument)
        self.instrumentChanged.emit(instrument)
        self.quoteChanged.emit(None, 0)
        self.quoteSymbolsChanged.emit()
        self.factsChanged.emit()
        if instrument is not None:
            self._fetch_quote()
            self._fetch_details()
        self._revalidate()

    @property
    def size_label(self) -> str:
        return self.sizing.label((self.instrument.size_label if self.instrument else "")
                                 or "Size")

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
                self.instrument = details
                self.sizing.set_instrument(details)
                self.instrumentChanged.emit(details)
                self.factsChanged.emit()
                self._revalidate()

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
        if (
            isinstance(event, QuoteUpdated) and self.instrument is not None
            and event.quote.symbol == self.instrument.symbol
            and self.account is not None and event.account.connection == self.account.connection
        ):
            self._set_quote(event.quote)

    @property
    def bid_text(self) -> str:
        return fmt.level(self.quote.bid) if self.quote else "—"

    @property
    def offer_text(self) -> str:
        return fmt.level(self.quote.offer) if self.quote else "—"

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
        live = bool(profile and profile.is_live)
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
        elif live and profile is not None and not profile.live_opt_in:
            can_send = False
            why = "Live trading is off for this profile: turn on the live opt-in to trade."
        elif self.busy:
            can_send, why = False, "An order is being sent…"
        buy = self._side_allowed(Side.BUY) if can_send else (False, why)
        sell = self._side_allowed(Side.SELL) if can_send else (False, why)
        if buy[0] and self.sizing.blocks(Side.BUY):
            buy = (False, self.sizing.blocks(Side.BUY))
        return TicketState(
            live=live, busy=self.busy, order_types=tuple(types),
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

    def validate(self, side: Side | None = None) -> tuple[dict[str, str], OrderRequest | None]:
        """Field errors, and the request when there are none and ``side`` is given."""
        errors: dict[str, str] = {}
        inst = self.instrument
        state = self.state()
        if inst is None:
            errors[F_INSTRUMENT] = "Choose an instrument."
        size = _parse(self.size_text, "Size", errors, F_SIZE)
        # In the chosen unit (cents for an amount).
        low, step = self.sizing.limits(inst) if inst is not None else (Decimal(0), Decimal(0))
        if F_SIZE not in errors:
            if size is None:
                errors[F_SIZE] = "Enter a size."
            elif size <= 0:
                errors[F_SIZE] = "Size must be greater than 0."
            elif low and size < low:
                errors[F_SIZE] = f"Size must be at least {fmt.size(low)}."
            elif step and size % step != 0:
                errors[F_SIZE] = f"Size must be a multiple of {fmt.size(step)}."
        level: Decimal | None = None
        kind = self.order_type.value.lower().replace("_", "-")
        if state.level_enabled:
            level = _parse(self.level_text, "Level", errors, F_LEVEL)
            if F_LEVEL not in errors:
                if level is None:
                    errors[F_LEVEL] = f"A {kind} order needs a level."
                elif level <= 0:
                    errors[F_LEVEL] = "Level must be greater than 0."
        stop_price: Decimal | None = None
        if state.stop_price_enabled:
            stop_price = _parse(self.stop_price_text, "Stop price", errors, F_STOP_PRICE)
            if F_STOP_PRICE not in errors:
                if stop_price is None:
                    errors[F_STOP_PRICE] = "A stop-limit order needs a stop (trigger) price."
                elif stop_price <= 0:
                    errors[F_STOP_PRICE] = "Stop price must be greater than 0."
        stop = profit = None
        if state.stops_enabled:
            stop = _parse(self.stop_text, "Stop loss", errors, F_STOP)
            profit = _parse(self.profit_text, "Take profit", errors, F_PROFIT)
            checks = ((F_STOP, stop, "Stop loss"), (F_PROFIT, profit, "Take profit"))
            for key, value, label in checks:
                if key not in errors and value is not None and value <= 0:
                    errors[key] = f"{label} must be greater than 0."
        if side is not None and not errors:
            self._check_sides(side, level, stop, profit, errors)
        if side is None or errors or inst is None or self.account is None or size is None:
            return errors, None
        return errors, OrderRequest(
            account=self.account, symbol=inst.symbol, side=side, size=size,
            order_type=self.order_type, level=level if state.level_enabled else None,
            stop_level=stop, profit_level=profit,
            stop_price=stop_price if state.stop_price_enabled else None,
            **self.sizing.request_fields(),
        )

    def _check_sides(
        self, side: Side, level: Decimal | None, stop: Decimal | None, profit: Decimal | None,
        errors: dict[str, str],
    ) -> None:
        if stop is None and profit is None:
            return
        if level is not None:
            ref, what = level, "the order level"
        elif self.quote is not None:
            ref = self.quote.offer if side is Side.BUY else self.quote.bid
            what = "the offer" if side is Side.BUY else "the bid"
        else:
            errors[F_STOP if stop is not None else F_PROFIT] = (
                "Waiting for a price to check the stop loss / take profit against."
            )
            return
        shown = fmt.level(ref)
        if side is Side.BUY:
            if stop is not None and stop >= ref:
                errors[F_STOP] = f"For a buy, the stop loss must be below {shown} ({what})."
            if profit is not None and profit <= ref:
                errors[F_PROFIT] = f"For a buy, the take profit must be above {shown} ({what})."
        else:
            if stop is not None and stop <= ref:
                errors[F_STOP] = f"For a sell, the stop loss must be above {shown} ({what})."
            if profit is not None and profit >= ref:
                errors[F_PROFIT] = f"For a sell, the take profit must be below {shown} ({what})."

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
        self.result_text, self.result_ok = text, ok
        self.resultChanged.emit(text, ok)

    # --- sending ----------------------------------------------------------------------

    def submit(self, side: Side) -> asyncio.Future[OrderResult | None]:
        """What Buy and Sell do. See the module docstring for the contract."""
        future: asyncio.Future[OrderResult | None] = asyncio.get_running_loop().create_future()
        state = self.state()
        if not state.can_send:
            self._set_result(f"Not sent: {state.send_why}", False)
            future.set_result(None)
            return future
        allowed, why_not = state.side(side)
        if not allowed:
            self._set_result(f"Not sent: {why_not}", False)
            future.set_result(None)
            return future
        errors, request = self.validate(side)
        self._set_errors(errors)
        if errors or request is None:
            first = next(iter(errors.values()), "check the order.")
            self._set_result(f"Not sent: {first}", False)
            future.set_result(None)
            return future
        if state.live:
            self._cancel_pending("Not sent: replaced by a newer order.")
            self._pending = (request, future)
            self._set_result("LIVE order waiting for your confirmation…", False)
            self.confirmationRequested.emit(self.describe(request))
            return future
        self._send(request, future)
        return future

    def describe(self, request: OrderRequest) -> str:
        inst = self.instrument
        name = inst.name if inst and inst.name else request.symbol
        size = fmt.size(request.size)
        if inst is not None and (self.sizing.is_amount
                                 or inst.size_label.lower().startswith("amount")):
            size = f"{fmt.money(request.size)} {inst.currency}".strip()
        parts = [f"{request.side.value} {size} {name}",
                 request.order_type.value.lower().replace("_", "-")]
        if request.stop_price is not None:
            parts.append(f"stop {fmt.level(request.stop_price)}")
        if request.level is not None:
            parts.append(f"at {fmt.level(request.level)}")
        if request.stop_level is not None:
            parts.append(f"stop loss {fmt.level(request.stop_level)}")
        if request.profit_level is not None:
            parts.append(f"take profit {fmt.level(request.profit_level)}")
        env = "LIVE" if self.live else "demo"
        return f"{' · '.join(parts)} on {env} account {request.account.account_id}"

    def confirm(self, accepted: bool) -> None:
        """The answer to ``confirmationRequested``."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        request, future = pending
        if not accepted:
            self._set_result("Not sent: the order was not confirmed.", False)
            if not future.done():
                future.set_result(None)
            return
        self._send(request, future)

    @property
    def awaiting_confirmation(self) -> bool:
        return self._pending is not None

    def _cancel_pending(self, why: str) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._set_result(why, False)
            if not pending[1].done():
                pending[1].set_result(None)

    def _send(self, request: OrderRequest, future: asyncio.Future[OrderResult | None]) -> None:
        self.busy = True
        self._set_result(f"Sending: {self.describe(request)}…", True)
        self.stateChanged.emit()

        send_and_report(
            self.tasks, self.hub.place_order(request), future,
            describe=lambda result: self.describe_result(request, result),
            show=self._set_result, finish=self._sent,
        )

    def _sent(self) -> None:
        self.busy = False
        self.stateChanged.emit()

    @staticmethod
    def describe_result(request: OrderRequest, result: OrderResult) -> str:
        what = f"{request.side.value} {fmt.size(result.size or request.size)} {request.symbol}"
        if result.accepted:
            working = request.order_type is not OrderType.MARKET
            parts = [f"{'Accepted' if working else 'Confirmed'}: {what}"]
            if result.level is not None:
                parts.append(f"level {fmt.level(result.level)}")
            if result.deal_ids:
                parts.append("deal id " + ", ".join(result.deal_ids))
            elif result.broker_ref:
                parts.append(f"reference {result.broker_ref}")
            return " · ".join(parts)
        if result.status is OrderStatus.REJECTED:
            return f"Rejected: {what} · {result.reason or 'the broker gave no reason'}"
        return f"{result.status.value.title()}: {what} · {result.reason or 'outcome not known yet'}"

    def close(self) -> None:
        self._search_timer.stop()
        self._cancel_pending("Not sent: the app is closing.")
        super().close()
