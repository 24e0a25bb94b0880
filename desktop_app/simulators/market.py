"""The shared market every broker simulator trades against.

Accounts with a cash ledger, positions with live profit/loss and working orders, over
the instruments and prices of ``pricing``. Nothing runs in the background: prices are a
function of the clock, and ``sync()`` (called at the start of every request) fills
working orders and triggers stops that the price crossed since the previous call, while
their market is open. Money is Decimal, quantised to cents in the account currency.

Broker dialects (paths, field names, error codes) live in each broker's package; this
module speaks only the domain's vocabulary. ``market_state`` exports and imports it.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from desktop_app.domain.types import InstrumentKind, OrderType, Side
from desktop_app.simulators.accounts import (
    AccountFigures,
    LedgerEntry,
    Leverage,
    SimAccount,
    SimOrder,
    SimPosition,
    default_leverages,
)
from desktop_app.simulators.clock import SimClock
from desktop_app.simulators.deals import (
    CENT,
    INSUFFICIENT_FUNDS,
    MARKET_CLOSED,
    SUCCESS,
    AffectedDeal,
    Bar,
    DealResult,
    MarketQuote,
    money,
    utc,
)
from desktop_app.simulators.hours import SessionState
from desktop_app.simulators.instruments import (
    CLOSED,
    DEFAULT_INSTRUMENTS,
    TRADEABLE,
    InstrumentSpec,
)
from desktop_app.simulators.pricing import PriceBook

__all__ = [
    "CENT",
    "CLOSED",
    "MARKET_CLOSED",
    "TRADEABLE",
    "AffectedDeal",
    "Bar",
    "DealResult",
    "Market",
    "MarketQuote",
    "money",
]

_ACTIVITY_KEPT = 500
_ORDER = "WORKING_ORDER"


@dataclass(slots=True)
class _Trigger:
    """Lowest and highest bid/offer of one instrument over the interval being synced."""

    low_bid: Decimal
    high_bid: Decimal
    low_offer: Decimal
    high_offer: Decimal


class Market:
    """Instruments, prices and accounts; thread-safe (one lock around every operation)."""

    def __init__(
        self,
        seed: int,
        *,
        instruments: Iterable[InstrumentSpec] = DEFAULT_INSTRUMENTS,
        clock: Callable[[], float] = time.time,
        id_factory: Callable[[], str] | None = None,
        session_clock: SimClock | None = None,
        started_at: float | None = None,
    ) -> None:
        self.seed = seed
        self.clock = clock
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._id_factory = id_factory or self._uuid
        self.started_at = clock() if started_at is None else started_at
        self.last_sync = self.started_at
        self.session_clock = session_clock or SimClock(clock)
        self.prices = PriceBook(seed, instruments, clock, self.session_clock, self._lock,
                                self.started_at)
        self.instruments = self.prices.instruments
        self._accounts: dict[str, SimAccount] = {}
        self.activity: deque[DealResult] = deque(maxlen=_ACTIVITY_KEPT)

    # ----------------------------------------------------------------- identifiers
    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def new_id(self) -> str:
        with self._lock:
            return self._id_factory()

    # ----------------------------------------------------------------- prices and hours
    def spec(self, symbol: str) -> InstrumentSpec:
        return self.instruments[symbol]

    def status(self, symbol: str) -> str:
        return self.prices.status(symbol)

    def session(self, symbol: str) -> SessionState:
        return self.prices.session(symbol)

    def next_open(self, symbol: str) -> datetime | None:
        return self.prices.next_open(symbol)

    def set_status(self, symbol: str, status: str | None) -> None:
        """Test knob: e.g. ``set_status("GOLD", CLOSED)``; None follows the hours again."""
        self.prices.set_status(symbol, status)

    def set_price(self, symbol: str, mid: Decimal | float | str) -> None:
        self.prices.set_price(symbol, mid)

    def freeze_prices(self) -> None:
        self.prices.freeze_prices()

    def thaw_prices(self) -> None:
        self.prices.thaw_prices()

    def quote(self, symbol: str) -> MarketQuote:
        return self.prices.quote(symbol)

    def mid(self, symbol: str) -> Decimal:
        return self.prices.mid(symbol)

    def bars(self, symbol: str, resolution_seconds: int, *, start: float | None = None,
             end: float | None = None, count: int = 10) -> list[Bar]:
        return self.prices.bars(symbol, resolution_seconds, start=start, end=end, count=count)

    def convert(self, amount: Decimal, from_currency: str, to_currency: str) -> Decimal:
        return self.prices.convert(amount, from_currency, to_currency)

    # ----------------------------------------------------------------- accounts
    def add_account(
        self,
        account_id: str,
        name: str,
        currency: str,
        balance: Decimal,
        *,
        hedging: bool = False,
        preferred: bool = False,
        leverages: dict[InstrumentKind, Leverage] | None = None,
    ) -> SimAccount:
        with self._lock:
            account = SimAccount(
                account_id, name, currency, hedging, preferred, leverages or default_leverages()
            )
            self._accounts[account_id] = account
            if balance:
                self._ledger(account, balance, "DEPOSIT", "Deposit", self.new_id())
            return account

    def account(self, account_id: str) -> SimAccount:
        return self._accounts[account_id]

    def accounts(self) -> list[SimAccount]:
        return list(self._accounts.values())

    def _ledger(
        self, account: SimAccount, amount: Decimal, kind: str, note: str, ref: str, symbol: str = ""
    ) -> None:
        account.ledger.append(
            LedgerEntry(utc(self.clock()), money(amount), kind, note, ref, symbol)
        )

    def deposit(self, account_id: str, amount: Decimal, note: str = "Deposit") -> Decimal:
        """Credit (or, negative, debit) cash; returns the new cash balance."""
        with self._lock:
            account = self.account(account_id)
            self._ledger(account, amount, "DEPOSIT" if amount >= 0 else "WITHDRAWAL", note,
                         self.new_id())
            return account.cash

    def leverage_for(self, account: SimAccount, spec: InstrumentSpec) -> int:
        if spec.real_stock:
            return 1
        lev = account.leverages.get(spec.kind)
        return lev.current if lev else 1

    def exit_price(self, position_side: Side, symbol: str) -> Decimal:
        quote = self.quote(symbol)
        return quote.bid if position_side is Side.BUY else quote.offer

    def position_profit(self, account: SimAccount, position: SimPosition,
                        exit_level: Decimal | None = None, size: Decimal | None = None) -> Decimal:
        spec = self.spec(position.symbol)
        exit_level = exit_level if exit_level is not None else self.exit_price(
            position.side, position.symbol)
        sign = 1 if position.side is Side.BUY else -1
        gross = (exit_level - position.level) * sign * (size or position.size) * spec.lot_size
        return money(self.convert(gross, spec.currency, account.currency))

    def _margin(self, account: SimAccount, spec: InstrumentSpec, size: Decimal,
                price: Decimal, leverage: int) -> Decimal:
        notional = size * spec.lot_size * price
        return money(self.convert(notional / leverage, spec.currency, account.currency))

    def position_margin(self, account: SimAccount, position: SimPosition) -> Decimal:
        spec = self.spec(position.symbol)
        price = self.exit_price(position.side, position.symbol)
        return self._margin(account, spec, position.size, price, position.leverage)

    def figures(self, account_id: str) -> AccountFigures:
        with self._lock:
            account = self.account(account_id)
            cash = account.cash
            upl = sum((self.position_profit(account, p) for p in account.positions.values()),
                      Decimal(0))
            margin = sum((self.position_margin(account, p) for p in account.positions.values()),
                         Decimal(0))
            equity = cash + upl
            return AccountFigures(account.currency, money(cash), money(upl), money(equity),
                                  money(margin), money(equity - margin))

    # ----------------------------------------------------------------- dealing
    def _result(self, account: SimAccount, order_id: str, symbol: str, side: Side | None,
                size: Decimal | None, level: Decimal | None, *, status: str | None,
                reason: str = SUCCESS, affected: Iterable[AffectedDeal] = (),
                profit: Decimal | None = None, source: str = "USER",
                kind: str = "POSITION") -> DealResult:
        result = DealResult(
            reason == SUCCESS, reason, status, order_id, account.account_id, symbol, side, size,
            level, utc(self.clock()), tuple(affected), profit, account.currency, source, kind,
        )
        self.activity.append(result)
        return result

    def _rejected(self, account: SimAccount, order_id: str, symbol: str, side: Side | None,
                  size: Decimal | None, reason: str, source: str = "USER") -> DealResult:
        return self._result(account, order_id, symbol, side, size, None, status=None,
                            reason=reason, source=source)

    def open_position(
        self,
        account_id: str,
        symbol: str,
        side: Side,
        size: Decimal,
        *,
        stop_level: Decimal | None = None,
        profit_level: Decimal | None = None,
        guaranteed_stop: bool = False,
        fill_level: Decimal | None = None,
        order_id: str | None = None,
        source: str = "USER",
    ) -> DealResult:
        """A market deal. Without hedging, it first closes opposite positions (oldest first)."""
        with self._lock:
            account = self.account(account_id)
            spec = self.spec(symbol)
            order_id = order_id or self.new_id()
            if self.status(symbol) != TRADEABLE:
                return self._rejected(account, order_id, symbol, side, size, MARKET_CLOSED, source)
            quote = self.quote(symbol)
            price = fill_level if fill_level is not None else (
                quote.offer if side is Side.BUY else quote.bid)
            closes: list[tuple[SimPosition, Decimal]] = []
            remaining = size
            if not account.hedging:
                opposite = sorted(
                    (p for p in account.positions.values()
                     if p.symbol == symbol and p.side is not side),
                    key=lambda p: p.created_at,
                )
                for position in opposite:
                    if remaining <= 0:
                        break
                    qty = min(remaining, position.size)
                    closes.append((position, qty))
                    remaining -= qty
            leverage = self.leverage_for(account, spec)
            if remaining > 0:
                freed = sum(
                    (self._margin(account, spec, qty, price, p.leverage) for p, qty in closes),
                    Decimal(0),
                )
                required = self._margin(account, spec, remaining, price, leverage)
                if required > self.figures(account_id).available + freed:
                    return self._rejected(account, order_id, symbol, side, size,
                                          INSUFFICIENT_FUNDS, source)
            affected: list[AffectedDeal] = []
            profit = Decimal(0)
            for position, qty in closes:
                profit += self._close(account, position, qty, price, "Trade closed")
                status = "FULLY_CLOSED" if position.deal_id not in account.positions else (
                    "PARTIALLY_CLOSED")
                affected.append(AffectedDeal(position.deal_id, status))
            if remaining > 0:
                deal_id = self.new_id()
                account.positions[deal_id] = SimPosition(
                    deal_id, symbol, side, remaining, price, leverage, utc(self.clock()), order_id,
                    stop_level, profit_level, guaranteed_stop,
                )
                affected.append(AffectedDeal(deal_id, "OPENED"))
                status = "OPEN"
            elif any(a.status == "PARTIALLY_CLOSED" for a in affected):
                status = "PARTIALLY_CLOSED"
            else:
                status = "CLOSED"
            return self._result(account, order_id, symbol, side, size, price, status=status,
                                affected=affected, profit=money(profit) if closes else None,
                                source=source)

    def _close(self, account: SimAccount, position: SimPosition, qty: Decimal,
               level: Decimal, note: str) -> Decimal:
        realised = self.position_profit(account, position, level, qty)
        self._ledger(account, realised, "TRADE", note, position.deal_id, position.symbol)
        position.size -= qty
        if position.size <= 0:
            del account.positions[position.deal_id]
        return realised

    def close_position(self, account_id: str, deal_id: str, size: Decimal | None = None,
                       *, source: str = "USER", level: Decimal | None = None) -> DealResult:
        """Close all (or ``size`` of) a position at the market. KeyError if unknown."""
        with self._lock:
            account = self.account(account_id)
            position = account.positions[deal_id]
            closing_side = position.side.opposite
            qty = min(size, position.size) if size else position.size
            if self.status(position.symbol) != TRADEABLE and level is None:
                return self._rejected(account, deal_id, position.symbol, closing_side, qty,
                                      MARKET_CLOSED, source)
            price = level if level is not None else self.exit_price(position.side,
                                                                     position.symbol)
            note = {"SL": "Stop loss", "TP": "Take profit"}.get(source, "Trade closed")
            profit = self._close(account, position, qty, price, note)
            full = deal_id not in account.positions
            return self._result(
                account, deal_id, position.symbol, closing_side, qty, price,
                status="CLOSED" if full else "PARTIALLY_CLOSED",
                affected=[AffectedDeal(deal_id, "FULLY_CLOSED" if full else "PARTIALLY_CLOSED")],
                profit=profit, source=source,
            )

    def amend_position(self, account_id: str, deal_id: str, *, stop_level: Decimal | None,
                       profit_level: Decimal | None, guaranteed_stop: bool = False) -> DealResult:
        with self._lock:
            account = self.account(account_id)
            position = account.positions[deal_id]
            position.stop_level = stop_level
            position.profit_level = profit_level
            position.guaranteed_stop = guaranteed_stop
            return self._result(account, deal_id, position.symbol, position.side, position.size,
                                position.level, status="AMENDED",
                                affected=[AffectedDeal(deal_id, "AMENDED")])

    def place_order(
        self,
        account_id: str,
        symbol: str,
        side: Side,
        size: Decimal,
        order_type: OrderType,
        level: Decimal,
        *,
        good_till: datetime | None = None,
        stop_level: Decimal | None = None,
        profit_level: Decimal | None = None,
        guaranteed_stop: bool = False,
    ) -> DealResult:
        """A LIMIT or STOP working order; it fills on a later ``sync()`` once crossed."""
        if order_type not in (OrderType.LIMIT, OrderType.STOP):
            raise ValueError(f"working orders are LIMIT or STOP, not {order_type}")
        with self._lock:
            account = self.account(account_id)
            self.spec(symbol)
            deal_id = self.new_id()
            account.orders[deal_id] = SimOrder(
                deal_id, symbol, side, size, order_type, level, utc(self.clock()), good_till,
                stop_level, profit_level, guaranteed_stop,
            )
            return self._result(account, deal_id, symbol, side, size, level, status="OPEN",
                                affected=[AffectedDeal(deal_id, "OPENED")], kind=_ORDER)

    def amend_order(self, account_id: str, deal_id: str, *, level: Decimal | None = None,
                    good_till: datetime | None = None, stop_level: Decimal | None = None,
                    profit_level: Decimal | None = None,
                    guaranteed_stop: bool = False) -> DealResult:
        with self._lock:
            account = self.account(account_id)
            order = account.orders[deal_id]
            if level is not None:
                order.level = level
            order.good_till = good_till
            order.stop_level = stop_level
            order.profit_level = profit_level
            order.guaranteed_stop = guaranteed_stop
            return self._result(account, deal_id, order.symbol, order.side, order.size,
                                order.level, status="AMENDED",
                                affected=[AffectedDeal(deal_id, "AMENDED")], kind=_ORDER)

    def cancel_order(self, account_id: str, deal_id: str, *, source: str = "USER") -> DealResult:
        with self._lock:
            account = self.account(account_id)
            order = account.orders.pop(deal_id)
            return self._result(account, deal_id, order.symbol, order.side, order.size,
                                order.level, status="DELETED",
                                affected=[AffectedDeal(deal_id, "DELETED")], source=source,
                                kind=_ORDER)

    # ----------------------------------------------------------------- lazy matching
    def _triggers(self, symbol: str, start: float, end: float) -> _Trigger:
        return _Trigger(*self.prices.extremes(symbol, start, end))

    def sync(self) -> None:
        """Expire, fill and trigger whatever the price did since the previous sync."""
        with self._lock:
            now = self.prices.price_now()
            start = self.last_sync
            self.last_sync = now
            cache: dict[tuple[str, float], _Trigger] = {}

            def triggers(symbol: str, since: float) -> _Trigger:
                key = (symbol, since)
                if key not in cache:
                    cache[key] = self._triggers(symbol, since, now)
                return cache[key]

            for account in self._accounts.values():
                for order in list(account.orders.values()):
                    self._sync_order(account, order, start, triggers)
                for position in list(account.positions.values()):
                    self._sync_position(account, position, start, triggers)

    def _sync_order(self, account: SimAccount, order: SimOrder, start: float,
                    triggers: Callable[[str, float], _Trigger]) -> None:
        if order.good_till is not None and order.good_till.timestamp() <= self.clock():
            self.cancel_order(account.account_id, order.deal_id, source="SYSTEM")
            return
        if self.status(order.symbol) != TRADEABLE:
            return
        since = max(start, order.created_at.timestamp())
        window = triggers(order.symbol, since)
        quote = self.quote(order.symbol)
        buy = order.side is Side.BUY
        limit = order.order_type is OrderType.LIMIT
        # BUY fills at the offer, SELL at the bid; LIMIT wants a better price, STOP a worse one.
        if buy:
            now_price = quote.offer
            crossed = window.low_offer <= order.level if limit else window.high_offer >= order.level
            marketable = now_price <= order.level if limit else now_price >= order.level
        else:
            now_price = quote.bid
            crossed = window.high_bid >= order.level if limit else window.low_bid <= order.level
            marketable = now_price >= order.level if limit else now_price <= order.level
        if not crossed:
            return
        del account.orders[order.deal_id]
        self.open_position(
            account.account_id, order.symbol, order.side, order.size,
            stop_level=order.stop_level, profit_level=order.profit_level,
            guaranteed_stop=order.guaranteed_stop,
            fill_level=now_price if marketable else order.level,
            order_id=order.deal_id, source="SYSTEM",
        )

    def _sync_position(self, account: SimAccount, position: SimPosition, start: float,
                       triggers: Callable[[str, float], _Trigger]) -> None:
        if position.stop_level is None and position.profit_level is None:
            return
        if self.status(position.symbol) != TRADEABLE:
            return
        window = triggers(position.symbol, max(start, position.created_at.timestamp()))
        if position.side is Side.BUY:
            stop_hit = position.stop_level is not None and window.low_bid <= position.stop_level
            profit_hit = (position.profit_level is not None
                          and window.high_bid >= position.profit_level)
        else:
            stop_hit = position.stop_level is not None and window.high_offer >= position.stop_level
            profit_hit = (position.profit_level is not None
                          and window.low_offer <= position.profit_level)
        # When both were touched we cannot tell which came first; assume the worse.
        if stop_hit:
            self.close_position(account.account_id, position.deal_id, source="SL",
                                level=position.stop_level)
        elif profit_hit:
            self.close_position(account.account_id, position.deal_id, source="TP",
                                level=position.profit_level)
