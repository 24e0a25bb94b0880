"""The order ticket's rules: which order types and sides the broker allows now, and what
is wrong with the fields (the checks themselves are ``domain.order_checks``, shared with
the layers below; this reads the ticket's texts in the trader's locale).

A mixin of ``OrderTicketViewModel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from desktop_app.domain.order_checks import (
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
    size_error,
)
from desktop_app.domain.types import AccountRef, Instrument, OrderRequest, OrderType, Quote, Side
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.input_numbers import parse

if TYPE_CHECKING:
    from desktop_app.viewmodels.ticket_sizing import TicketSizing

TRADEABLE = "TRADEABLE"
TICKET_ORDER_TYPES = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT)


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
    # False for a broker that does not trade through its API (LWork): the whole ticket
    # is greyed out and ``trading_why`` says where to trade instead.
    trading: bool = True
    trading_why: str = ""

    def side(self, side: Side) -> tuple[bool, str]:
        if side is Side.BUY:
            return self.buy_enabled, self.buy_why
        return self.sell_enabled, self.sell_why


class TicketRules:
    account: AccountRef | None
    instrument: Instrument | None
    quote: Quote | None
    order_type: OrderType
    size_text: str
    level_text: str
    stop_text: str
    profit_text: str
    stop_price_text: str
    limits: OrderLimits
    busy: bool
    sizing: TicketSizing
    _pending: Any
    capabilities: Any
    profile: Any
    live: Any


    def market_status(self) -> str:
        if self.quote is not None:
            return self.quote.market_status
        return self.instrument.market_status if self.instrument else ""

    def opens_at(self) -> datetime | None:
        """When the closed market opens next, as the broker says (quote, else details)."""
        if self.quote is not None and self.quote.opens_at is not None:
            return self.quote.opens_at
        return self.instrument.opens_at if self.instrument else None

    def market_text(self) -> str:
        status = self.market_status()
        opens = self.opens_at()
        if opens is not None:
            return f"Market closed, opens at {fmt.local_time(opens)}"
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
        trading = caps is None or caps.trading
        if self.account is None:
            can_send, why = False, "Select an account first."
        elif caps is None:
            can_send, why = False, "The connection is not ready yet."
        elif not trading:
            can_send, why = False, caps.why_not("trading")
        elif self.instrument is None:
            can_send, why = False, "Choose an instrument first."
        elif status and status not in (TRADEABLE, "DELETED"):
            # (before "cannot be traded": a closed market's instrument is not tradeable)
            can_send, why = False, f"Market closed: the broker reports {status.lower()}."
            if (opens := self.opens_at()) is not None:
                why = f"{why[:-1]}; it opens at {fmt.local_time(opens)}."
        elif not self.instrument.tradeable:
            can_send, why = False, f"{self.instrument.symbol} cannot be traded on this account."
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
        if buy[0] and self.sizing.blocks(Side.BUY):  # the broker's buy acknowledgement
            buy = (False, self.sizing.blocks(Side.BUY))
        return TicketState(
            live=live, busy=busy, order_types=tuple(types),
            level_enabled=self.order_type in LEVEL_TYPES,
            stops_enabled=stops_enabled, stops_why=stops_why,
            can_send=buy[0] or sell[0], send_why=why or buy[1] or sell[1],
            market_status=status,
            stop_price_enabled=self.order_type is OrderType.STOP_LIMIT,
            buy_enabled=buy[0], buy_why=buy[1], sell_enabled=sell[0], sell_why=sell[1],
            trading=trading, trading_why=why if not trading else "",
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
        inst = self.sizing.sized(self.instrument)  # the size in the chosen unit
        state = self.state()
        if inst is None:
            errors[F_INSTRUMENT] = "Choose an instrument."
        # Named as the field is labelled ("Amount (EUR)", "Contracts"), not "Size".
        label = self.sizing.label((self.instrument.size_label if self.instrument else "")
                                  or "Size")
        size = self._parse(self.size_text, label, F_SIZE, errors)
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
            stop_price=stop_price, **self.sizing.request_fields(),
        )
