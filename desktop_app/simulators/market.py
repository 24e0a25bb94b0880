"""The shared market every broker simulator trades against.

Instruments with seeded random-walk prices (see ``pricepath``), accounts with a cash
ledger, positions with live profit/loss and working orders. Nothing runs in the
background: prices are a function of the clock, and ``sync()`` (called at the start of
every request) fills working orders and triggers stops that the price crossed since the
previous call. Money is Decimal, quantised to cents in the account currency.

Broker dialects (paths, field names, error codes) live in each broker's package; this
module speaks only the domain's vocabulary.
"""

from __future__ import annotations

import math
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

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
from desktop_app.simulators.instruments import (
    CLOSED,
    DAILY_VOL,
    DEFAULT_INSTRUMENTS,
    TRADEABLE,
    InstrumentSpec,
)
from desktop_app.simulators.pricepath import PricePath, stable_key, unit_noise

__all__ = [
    "CLOSED",
    "TRADEABLE",
    "AffectedDeal",
    "Bar",
    "DealResult",
    "Market",
    "MarketQuote",
]

CENT = Decimal("0.01")
_DAY = 86_400
_WEEK = 7 * _DAY
_MONDAY_OFFSET = 4 * _DAY  # 1970-01-01 was a Thursday; weekly bars start on Mondays.
_ACTIVITY_KEPT = 500
_ORDER = "WORKING_ORDER"

SUCCESS = "SUCCESS"
INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
MARKET_CLOSED = "MARKET_CLOSED"


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


@dataclass(frozen=True, slots=True)
class MarketQuote:
    symbol: str
    bid: Decimal
    offer: Decimal
    high: Decimal  # highest bid since 00:00 UTC
    low: Decimal
    net_change: Decimal  # bid now minus bid at 00:00 UTC
    percentage_change: Decimal
    status: str
    at: datetime

    @property
    def tradeable(self) -> bool:
        return self.status == TRADEABLE


@dataclass(frozen=True, slots=True)
class Bar:
    start: datetime
    open: Decimal  # bid prices; the offer is bid + spread
    high: Decimal
    low: Decimal
    close: Decimal
    spread: Decimal
    volume: int


@dataclass(frozen=True, slots=True)
class AffectedDeal:
    deal_id: str
    status: str  # OPENED, AMENDED, DELETED, FULLY_CLOSED, PARTIALLY_CLOSED


@dataclass(frozen=True, slots=True)
class DealResult:
    """Outcome of one dealing request, kept so a broker can confirm it later."""

    accepted: bool
    reason: str  # SUCCESS or why it was rejected
    status: str | None  # OPEN, CLOSED, PARTIALLY_CLOSED, AMENDED, DELETED; None if rejected
    order_id: str
    account_id: str
    symbol: str
    side: Side | None
    size: Decimal | None
    level: Decimal | None
    at: datetime
    affected: tuple[AffectedDeal, ...] = ()
    profit: Decimal | None = None
    currency: str = ""
    source: str = "USER"  # USER, SYSTEM (order fill or expiry), SL, TP
    kind: str = "POSITION"  # POSITION or WORKING_ORDER


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
    ) -> None:
        self.seed = seed
        self.clock = clock
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._id_factory = id_factory or self._uuid
        self.started_at = clock()
        self._frozen_at: float | None = None
        self._last_sync = self.started_at
        self.instruments: dict[str, InstrumentSpec] = {s.symbol: s for s in instruments}
        self._status = dict.fromkeys(self.instruments, TRADEABLE)
        self._paths = {
            spec.symbol: PricePath(
                stable_key(seed, spec.symbol),
                float(spec.price),
                DAILY_VOL.get(spec.kind, 0.01),
                self.started_at,
            )
            for spec in self.instruments.values()
        }
        self._accounts: dict[str, SimAccount] = {}
        self._grid_cache: dict[str, tuple[float, tuple[float, float, float]]] = {}
        self.activity: deque[DealResult] = deque(maxlen=_ACTIVITY_KEPT)

    # ----------------------------------------------------------------- identifiers
    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def new_id(self) -> str:
        with self._lock:
            return self._id_factory()

    # ----------------------------------------------------------------- prices
    def spec(self, symbol: str) -> InstrumentSpec:
        return self.instruments[symbol]

    def status(self, symbol: str) -> str:
        return self._status[symbol]

    def set_status(self, symbol: str, status: str) -> None:
        """Test knob: e.g. ``set_status("GOLD", CLOSED)``."""
        with self._lock:
            self.spec(symbol)
            self._status[symbol] = status

    def set_price(self, symbol: str, mid: Decimal | float | str) -> None:
        """Test knob: move the mid price to ``mid`` now; the walk goes on from there."""
        with self._lock:
            self._paths[symbol].shock_to(self._price_now(), float(mid))
            self._grid_cache.pop(symbol, None)

    def freeze_prices(self) -> None:
        """Test knob: hold every price where it is now (set_price still moves them)."""
        with self._lock:
            self._frozen_at = self._price_now()

    def thaw_prices(self) -> None:
        with self._lock:
            self._frozen_at = None

    def _price_now(self) -> float:
        frozen = self._frozen_at
        return frozen if frozen is not None else self.clock()

    def _bid_offer(self, spec: InstrumentSpec, mid: float) -> tuple[Decimal, Decimal]:
        bid = spec.on_grid(Decimal(repr(mid)) - spec.spread / 2)
        return bid, bid + spec.spread

    def _day_grid(self, symbol: str, now: float) -> tuple[float, float, float]:
        """(open, low, high) mid of the day so far on a 5-minute grid, cached per grid step."""
        day_start = math.floor(now / _DAY) * _DAY
        grid_end = math.floor(now / 300.0) * 300.0
        cached = self._grid_cache.get(symbol)
        if cached is not None and cached[0] == grid_end:
            return cached[1]
        mids = self._paths[symbol].mids(np.arange(day_start, grid_end + 1, 300.0))
        stats = (float(mids[0]), float(mids.min()), float(mids.max()))
        self._grid_cache[symbol] = (grid_end, stats)
        return stats

    def quote(self, symbol: str) -> MarketQuote:
        spec = self.spec(symbol)
        with self._lock:
            now = self._price_now()
            mid = self._paths[symbol].mid(now)
            day_open_mid, low_mid, high_mid = self._day_grid(symbol, now)
        bid, offer = self._bid_offer(spec, mid)
        day_open, _ = self._bid_offer(spec, day_open_mid)
        high, _ = self._bid_offer(spec, max(high_mid, mid))
        low, _ = self._bid_offer(spec, min(low_mid, mid))
        change = bid - day_open
        pct = (change / day_open * 100).quantize(Decimal("0.0001")) if day_open else Decimal(0)
        return MarketQuote(
            symbol, bid, offer, high, low, change, pct, self._status[symbol], utc(self.clock())
        )

    def mid(self, symbol: str) -> Decimal:
        return Decimal(repr(self._paths[symbol].mid(self._price_now())))

    def bars(
        self,
        symbol: str,
        resolution_seconds: int,
        *,
        start: float | None = None,
        end: float | None = None,
        count: int = 10,
    ) -> list[Bar]:
        """Bars whose start lies in [start, end]; the last ``count`` if only ``end`` binds.

        With ``start`` given, the first ``count`` bars from it. The current bar is partial.
        """
        spec = self.spec(symbol)
        now = self._price_now()
        last_bucket = self._bucket(min(end, now) if end is not None else now, resolution_seconds)
        if start is not None:
            first_bucket = self._bucket(start, resolution_seconds)
            if first_bucket < start:
                first_bucket += resolution_seconds
            buckets = np.arange(first_bucket, last_bucket + 1, resolution_seconds)[:count]
        else:
            buckets = np.arange(last_bucket - (count - 1) * resolution_seconds,
                                last_bucket + 1, resolution_seconds)
        if len(buckets) == 0:
            return []
        points = 8
        times = buckets[:, None] + resolution_seconds * np.arange(points + 1) / points
        times = np.minimum(times, now)
        mids = self._paths[symbol].mids(times.ravel()).reshape(times.shape)
        key = stable_key(self.seed, symbol, resolution_seconds)
        scale = math.sqrt(resolution_seconds / 60)
        bars = []
        for bucket, row in zip(buckets, mids, strict=True):
            o, _ = self._bid_offer(spec, float(row[0]))
            c, _ = self._bid_offer(spec, float(row[-1]))
            h, _ = self._bid_offer(spec, float(row.max()))
            lo, _ = self._bid_offer(spec, float(row.min()))
            volume = int((40 + 160 * unit_noise(key, int(bucket))) * scale)
            bars.append(Bar(utc(float(bucket)), o, h, lo, c, spec.spread, volume))
        return bars

    @staticmethod
    def _bucket(t: float, resolution_seconds: int) -> int:
        if resolution_seconds == _WEEK:
            return math.floor((t - _MONDAY_OFFSET) / _WEEK) * _WEEK + _MONDAY_OFFSET
        return math.floor(t / resolution_seconds) * resolution_seconds

    # ----------------------------------------------------------------- currencies
    def _usd_per(self, currency: str) -> Decimal:
        if currency == "USD":
            return Decimal(1)
        direct, inverse = f"{currency}USD", f"USD{currency}"
        if direct in self._paths:
            return self.mid(direct)
        if inverse in self._paths:
            return 1 / self.mid(inverse)
        raise KeyError(f"no exchange rate for {currency}")

    def convert(self, amount: Decimal, from_currency: str, to_currency: str) -> Decimal:
        if from_currency == to_currency:
            return amount
        return amount * self._usd_per(from_currency) / self._usd_per(to_currency)

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
            if self._status[symbol] != TRADEABLE:
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
            if self._status[position.symbol] != TRADEABLE and level is None:
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
        spec = self.spec(symbol)
        low, high = self._paths[symbol].extremes(start, end)
        low_bid, low_offer = self._bid_offer(spec, low)
        high_bid, high_offer = self._bid_offer(spec, high)
        return _Trigger(low_bid, high_bid, low_offer, high_offer)

    def sync(self) -> None:
        """Expire, fill and trigger whatever the price did since the previous sync."""
        with self._lock:
            now = self._price_now()
            start = self._last_sync
            self._last_sync = now
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
        if self._status[order.symbol] != TRADEABLE:
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
        if self._status[position.symbol] != TRADEABLE:
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
