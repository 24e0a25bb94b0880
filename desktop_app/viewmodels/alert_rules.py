"""What happened in the background, read from the snapshots the hub publishes.

Brokers rarely say why a position or a working order went away; the app sees its lists
change between two polls. ``BackgroundChanges`` compares them and tells apart:

- what the app did itself: a close, cancel, change or close-all journalled from here,
  and the opposite positions an order placed from here closed at a broker that nets
  (each kept ``INTENT_TTL``);
- a working order that was **filled** (the positions of its instrument changed after it
  was last listed: a position opened, grew, shrank or closed) from one that was
  **cancelled** (a positions list read after it went shows no change; an order whose
  expiry passed is said to have expired). Positions and orders are read separately, so
  an order whose positions have not been read again yet waits for them (``SETTLE``);
- a position **closed** by its stop loss or take profit (the level nearer to the last
  price the table showed, when both are set) or by the broker otherwise (a stop-out, or
  a close on another platform); a position an order of the same instrument closed is
  that order's fill, not a second alert.

Plain Python: the view-model (``alerts_vm``) words and routes what this finds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from desktop_app.domain.types import AccountRef, Position, Side, WorkingOrder

INTENT_TTL = timedelta(seconds=120)
SETTLE = timedelta(seconds=30)


class Closed(StrEnum):
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    ELSEWHERE = "elsewhere"  # a stop-out, or closed on another platform


@dataclass(frozen=True, slots=True)
class OrderFilled:
    order: WorkingOrder


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    order: WorkingOrder
    expired: bool
    sure: bool  # False: no positions list was read since, so a fill cannot be ruled out


@dataclass(frozen=True, slots=True)
class PositionClosed:
    position: Position
    reason: Closed


Finding = OrderFilled | OrderCancelled | PositionClosed


@dataclass(slots=True)
class _GoneOrder:
    order: WorkingOrder
    listed_at: datetime  # the last orders list that held it
    gone_at: datetime  # the first one without it


@dataclass(slots=True)
class _GonePosition:
    position: Position
    listed_at: datetime
    gone_at: datetime


@dataclass(slots=True)
class _Account:
    positions: dict[str, Position] | None = None
    orders: dict[str, WorkingOrder] | None = None
    positions_at: datetime | None = None
    orders_at: datetime | None = None
    # When the positions of an instrument last changed (as of that list).
    changed: dict[str, datetime] = field(default_factory=dict)
    # When an order of an instrument last went from the list.
    orders_gone: dict[str, datetime] = field(default_factory=dict)


def close_reason(position: Position) -> Closed:
    """Which of its levels most likely closed ``position``, from the last price seen."""
    stop, profit, price = position.stop_level, position.profit_level, position.current_level
    buy = position.side is Side.BUY
    if stop is not None and (price <= stop if buy else price >= stop):
        return Closed.STOP_LOSS
    if profit is not None and (price >= profit if buy else price <= profit):
        return Closed.TAKE_PROFIT
    if stop is not None and profit is not None:
        nearer_stop = abs(price - stop) <= abs(profit - price)
        return Closed.STOP_LOSS if nearer_stop else Closed.TAKE_PROFIT
    if stop is not None:
        return Closed.STOP_LOSS
    if profit is not None:
        return Closed.TAKE_PROFIT
    return Closed.ELSEWHERE


def _changed_symbols(old: dict[str, Position], new: dict[str, Position]) -> set[str]:
    changed = {p.symbol for k, p in old.items() if k not in new or new[k].size != p.size}
    changed |= {p.symbol for k, p in new.items() if k not in old}
    return changed


class BackgroundChanges:
    def __init__(self, *, intent_ttl: timedelta = INTENT_TTL, settle: timedelta = SETTLE) -> None:
        self.intent_ttl = intent_ttl
        self.settle = settle
        self._accounts: dict[AccountRef, _Account] = {}
        self._targets: dict[tuple[AccountRef, str], datetime] = {}
        self._symbols: dict[tuple[AccountRef, str], tuple[datetime, Side]] = {}
        self._whole: dict[AccountRef, datetime] = {}
        self._gone_orders: list[tuple[AccountRef, _GoneOrder]] = []
        self._gone_positions: list[tuple[AccountRef, _GonePosition]] = []

    # --- what the app does itself -----------------------------------------------------

    def app_acts_on(self, account: AccountRef, target_id: str, at: datetime) -> None:
        """A close, cancel or change of this position or order, from the app."""
        self._targets[(account, target_id)] = at

    def app_trades(self, account: AccountRef, symbol: str, side: Side, at: datetime) -> None:
        """An order placed from the app: the opposite positions of this instrument it
        closes (a broker that nets) are its doing."""
        self._symbols[(account, symbol)] = (at, side)

    def app_closes_all(self, account: AccountRef, at: datetime) -> None:
        self._whole[account] = at

    def app_refused(self, account: AccountRef, target_id: str) -> None:
        """The broker refused the app's close or cancel: what happens to it later is news."""
        self._targets.pop((account, target_id), None)

    def _recent(self, at: datetime | None, since: datetime) -> bool:
        return at is not None and at >= since - self.intent_ttl

    def _closed_by_app(self, account: AccountRef, position: Position, at: datetime) -> bool:
        traded = self._symbols.get((account, position.symbol))
        netted = traded is not None and traded[1] is not position.side
        return (self._recent(self._targets.get((account, position.position_id)), at)
                or (netted and self._recent(traded[0] if traded else None, at))
                or self._recent(self._whole.get(account), at))

    # --- the lists ------------------------------------------------------------------------

    def forget(self, accounts: Iterable[AccountRef]) -> None:
        for ref in list(accounts):
            self._accounts.pop(ref, None)
        gone = set(accounts)
        self._gone_orders = [(a, g) for a, g in self._gone_orders if a not in gone]
        self._gone_positions = [(a, g) for a, g in self._gone_positions if a not in gone]

    def accounts(self) -> list[AccountRef]:
        return list(self._accounts)

    def positions(self, account: AccountRef, items: Iterable[Position],
                  as_of: datetime) -> list[Finding]:
        state = self._accounts.setdefault(account, _Account())
        new = {p.position_id: p for p in items}
        old, before = state.positions, state.positions_at
        state.positions, state.positions_at = new, as_of
        if old is not None:
            for symbol in _changed_symbols(old, new):
                state.changed[symbol] = as_of
            for key, position in old.items():
                if key in new or self._closed_by_app(account, position, as_of):
                    continue
                self._gone_positions.append(
                    (account, _GonePosition(position, before or as_of, as_of)))
        return self.decide(as_of)

    def orders(self, account: AccountRef, items: Iterable[WorkingOrder],
               as_of: datetime) -> list[Finding]:
        state = self._accounts.setdefault(account, _Account())
        new = {o.order_id: o for o in items}
        old, before = state.orders, state.orders_at
        state.orders, state.orders_at = new, as_of
        if old is not None:
            for key, order in old.items():
                if key in new:
                    continue
                state.orders_gone[order.symbol] = as_of
                if not self._recent(self._targets.get((account, key)), as_of):
                    self._gone_orders.append(
                        (account, _GoneOrder(order, before or as_of, as_of)))
        return self.decide(as_of)

    # --- deciding ------------------------------------------------------------------------

    def decide(self, now: datetime) -> list[Finding]:
        """Everything that can be told now (or has waited ``settle``)."""
        found: list[Finding] = []
        waiting_orders = []
        for account, gone in self._gone_orders:
            finding = self._order_outcome(account, gone, now)
            if finding is None:
                waiting_orders.append((account, gone))
            else:
                found.append(finding)
        self._gone_orders = waiting_orders
        waiting_positions = []
        for account, gone in self._gone_positions:
            outcome = self._position_outcome(account, gone, now)
            if outcome is False:
                waiting_positions.append((account, gone))
            elif outcome is not None:
                found.append(outcome)
        self._gone_positions = waiting_positions
        return found

    def _order_outcome(self, account: AccountRef, gone: _GoneOrder,
                       now: datetime) -> Finding | None:
        state = self._accounts.get(account)
        if state is None:
            return None
        order = gone.order
        changed = state.changed.get(order.symbol)
        if changed is not None and changed > gone.listed_at:
            return OrderFilled(order)
        expired = order.good_till is not None and order.good_till <= gone.gone_at
        if state.positions_at is not None and state.positions_at >= gone.gone_at:
            return OrderCancelled(order, expired, sure=True)
        if now - gone.gone_at >= self.settle:
            return OrderCancelled(order, expired, sure=False)
        return None

    def _position_outcome(self, account: AccountRef, gone: _GonePosition,
                          now: datetime) -> PositionClosed | bool | None:
        """The finding; None: an order's fill (said as such); False: not known yet."""
        state = self._accounts.get(account)
        if state is None:
            return None
        symbol = gone.position.symbol
        went = state.orders_gone.get(symbol)
        if went is not None and went >= gone.listed_at:
            return None  # a working order of this instrument filled and closed it
        listed = state.orders or {}
        if any(o.symbol == symbol for o in listed.values()) and (
            state.orders_at is None or state.orders_at < gone.gone_at
        ) and now - gone.gone_at < self.settle:
            return False  # an order of it may have filled: wait for the orders list
        return PositionClosed(gone.position, close_reason(gone.position))

    def expire(self, now: datetime) -> list[Finding]:
        """Forget old intents; decide what has waited long enough."""
        cutoff = now - self.intent_ttl
        for table in (self._targets, self._whole):
            for key in [k for k, at in table.items() if at < cutoff]:
                del table[key]  # type: ignore[attr-defined]
        for key in [k for k, (at, _side) in self._symbols.items() if at < cutoff]:
            del self._symbols[key]
        return self.decide(now)
