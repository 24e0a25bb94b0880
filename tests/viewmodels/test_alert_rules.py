"""How background changes are told apart from two lists read at different times: the
order in which positions and orders arrive, the app's own actions, the levels of a
position that went. (The alerts themselves are made at the simulator in test_alerts.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from desktop_app.domain.types import AccountRef, OrderType, Position, Side, WorkingOrder
from desktop_app.viewmodels.alert_rules import (
    SETTLE,
    BackgroundChanges,
    Closed,
    OrderCancelled,
    OrderFilled,
    PositionClosed,
    close_reason,
)

ACC = AccountRef("c", "capital", "A1")
T0 = datetime(2025, 1, 15, 15, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def position(pid: str, side: Side = Side.BUY, size: str = "1", *, price: str = "100",
             stop: str | None = None, profit: str | None = None,
             symbol: str = "EURUSD") -> Position:
    return Position(ACC, pid, symbol, symbol, side, Decimal(size), Decimal("100"),
                    Decimal(price), Decimal("0"), "USD", T0,
                    Decimal(stop) if stop else None, Decimal(profit) if profit else None)


def order(oid: str, side: Side = Side.BUY, *, symbol: str = "EURUSD",
          good_till: datetime | None = None) -> WorkingOrder:
    return WorkingOrder(ACC, oid, symbol, symbol, side, Decimal("1"), OrderType.LIMIT,
                        Decimal("99"), T0, good_till=good_till)


def test_first_lists_are_the_baseline() -> None:
    rules = BackgroundChanges()
    assert rules.positions(ACC, [position("p1")], at(0)) == []
    assert rules.orders(ACC, [order("o1")], at(0)) == []


def test_an_order_gone_after_its_positions_changed_is_filled() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [], at(0))
    rules.orders(ACC, [order("o1")], at(0))
    # Positions read first (the fill's position is there), then the orders.
    assert rules.positions(ACC, [position("p9")], at(1)) == []
    found = rules.orders(ACC, [], at(1.1))
    assert found == [OrderFilled(order("o1"))]


def test_an_order_gone_before_its_positions_are_read_waits_for_them() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [], at(0))
    rules.orders(ACC, [order("o1"), order("o2", symbol="GOLD")], at(0))
    assert rules.orders(ACC, [], at(1)) == []  # not known yet
    found = rules.positions(ACC, [position("p9")], at(1.2))
    assert OrderFilled(order("o1")) in found
    assert OrderCancelled(order("o2", symbol="GOLD"), expired=False, sure=True) in found


def test_an_order_whose_positions_are_never_read_again_is_said_with_doubt() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [], at(0))
    rules.orders(ACC, [order("o1")], at(0))
    assert rules.orders(ACC, [], at(1)) == []
    assert rules.expire(at(1) + SETTLE / 2) == []
    found = rules.expire(at(1) + SETTLE)
    assert found == [OrderCancelled(order("o1"), expired=False, sure=False)]


def test_an_expired_order_is_said_expired() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [], at(0))
    rules.orders(ACC, [order("o1", good_till=at(0.5))], at(0))
    rules.orders(ACC, [], at(1))
    assert rules.positions(ACC, [], at(1.5)) == [
        OrderCancelled(order("o1", good_till=at(0.5)), expired=True, sure=True)]


def test_the_apps_own_cancel_close_and_close_all_are_no_findings() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [position("p1"), position("p2"), position("p3")], at(0))
    rules.orders(ACC, [order("o1")], at(0))
    rules.app_acts_on(ACC, "o1", at(0.5))
    rules.app_acts_on(ACC, "p1", at(0.5))
    assert rules.orders(ACC, [], at(1)) == []
    assert rules.positions(ACC, [position("p2"), position("p3")], at(1)) == []
    rules.app_closes_all(ACC, at(2))
    assert rules.positions(ACC, [], at(3)) == []
    assert rules.expire(at(60)) == []


def test_a_refused_close_makes_the_later_close_news_again() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [], at(0))
    rules.positions(ACC, [position("p1", stop="90")], at(0))
    rules.app_acts_on(ACC, "p1", at(1))
    rules.app_refused(ACC, "p1")
    found = rules.positions(ACC, [], at(5))
    assert found == [PositionClosed(position("p1", stop="90"), Closed.STOP_LOSS)]


def test_an_app_order_netting_an_opposite_position_is_no_close_but_its_own_side_is() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [position("p1", Side.BUY), position("p2", Side.SELL)], at(0))
    rules.app_trades(ACC, "EURUSD", Side.SELL, at(0.5))
    found = rules.positions(ACC, [], at(1))
    # The SELL from the app closed the BUY; the SELL position going is news.
    assert found == [PositionClosed(position("p2", Side.SELL), Closed.ELSEWHERE)]


def test_a_position_closed_by_a_working_orders_fill_is_that_fill_only() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [position("p1", Side.BUY)], at(0))
    rules.orders(ACC, [order("o1", Side.SELL)], at(0))
    # The positions list comes first: the order of this instrument may have filled.
    assert rules.positions(ACC, [], at(1)) == []
    found = rules.orders(ACC, [], at(1.1))
    assert found == [OrderFilled(order("o1", Side.SELL))]
    assert rules.expire(at(1.1) + SETTLE) == []


def test_a_position_gone_with_no_order_of_its_instrument_is_decided_at_once() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [position("p1")], at(0))
    rules.orders(ACC, [order("o1", symbol="GOLD")], at(0))
    assert rules.positions(ACC, [], at(1)) == [PositionClosed(position("p1"), Closed.ELSEWHERE)]


def test_which_level_closed_a_position() -> None:
    assert close_reason(position("p", price="89", stop="90")) is Closed.STOP_LOSS
    assert close_reason(position("p", price="111", profit="110")) is Closed.TAKE_PROFIT
    sell = position("p", Side.SELL, price="111", stop="110", profit="90")
    assert close_reason(sell) is Closed.STOP_LOSS
    # Between both (the close came between two reads): the nearer one.
    assert close_reason(position("p", price="97", stop="95", profit="110")) is Closed.STOP_LOSS
    assert close_reason(position("p", price="108", stop="95", profit="110")) is (
        Closed.TAKE_PROFIT)
    assert close_reason(position("p", price="100", stop="95")) is Closed.STOP_LOSS
    assert close_reason(position("p", price="100")) is Closed.ELSEWHERE


def test_an_account_forgotten_has_nothing_pending() -> None:
    rules = BackgroundChanges()
    rules.positions(ACC, [], at(0))
    rules.orders(ACC, [order("o1")], at(0))
    rules.orders(ACC, [], at(1))
    rules.forget([ACC])
    assert rules.expire(at(1) + SETTLE) == [] and rules.accounts() == []
