"""The shared market on its own, with a hand-driven clock."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

import pytest

from desktop_app.domain.types import OrderType, Side
from desktop_app.simulators.instruments import CLOSED
from desktop_app.simulators.market import Market

T0 = 1_717_000_000.0  # a Wednesday


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def market(clock: FakeClock) -> Market:
    m = Market(11, clock=clock)
    m.add_account("usd", "USD", "USD", Decimal("10000"))
    m.add_account("eur", "EUR", "EUR", Decimal("10000"), hedging=True)
    return m


def test_prices_are_seeded_move_with_time_and_keep_the_spread(clock: FakeClock) -> None:
    a, b, other = Market(5, clock=clock), Market(5, clock=clock), Market(6, clock=clock)
    clock.now += 3600
    assert a.quote("EURUSD").bid == b.quote("EURUSD").bid
    assert a.quote("EURUSD").bid != other.quote("EURUSD").bid
    first = a.quote("GOLD")
    clock.now += 60
    later = a.quote("GOLD")
    assert later.bid != first.bid
    for quote in (first, later):
        assert quote.offer - quote.bid == Decimal("0.30")
        assert quote.bid.as_tuple().exponent == -2
        assert quote.low <= quote.bid <= quote.high


def test_price_starts_at_the_catalogue_level(market: Market) -> None:
    quote = market.quote("US500")
    assert abs(quote.bid - Decimal("5200.0")) <= Decimal("0.5")


def test_bars_agree_with_the_live_quote(market: Market, clock: FakeClock) -> None:
    clock.now += 600
    bars = market.bars("SILVER", 60, count=5)
    assert len(bars) == 5
    assert [b.start.timestamp() % 60 for b in bars] == [0] * 5
    assert bars[-1].close == market.quote("SILVER").bid
    for bar in bars:
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
    for previous, nxt in pairwise(bars):
        assert previous.close == nxt.open
    # Bars start on whole 5-minute marks: the first one at or after ``start``.
    from_start = market.bars("SILVER", 300, start=T0 - 3000, count=3)
    first = (T0 - 3000) // 300 * 300 + 300
    assert [b.start.timestamp() for b in from_start] == [first, first + 300, first + 600]


def test_netting_account_closes_opposite_positions_first(market: Market) -> None:
    opened = market.open_position("usd", "GOLD", Side.BUY, Decimal("2"))
    assert opened.accepted and opened.status == "OPEN"
    long_id = opened.affected[0].deal_id
    partial = market.open_position("usd", "GOLD", Side.SELL, Decimal("0.5"))
    assert partial.status == "PARTIALLY_CLOSED"
    assert [(a.deal_id, a.status) for a in partial.affected] == [(long_id, "PARTIALLY_CLOSED")]
    assert market.account("usd").positions[long_id].size == Decimal("1.5")
    flip = market.open_position("usd", "GOLD", Side.SELL, Decimal("2"))
    statuses = [a.status for a in flip.affected]
    assert statuses == ["FULLY_CLOSED", "OPENED"]
    (short,) = market.account("usd").positions.values()
    assert short.side is Side.SELL and short.size == Decimal("0.5")


def test_hedging_account_keeps_both_sides(market: Market) -> None:
    market.open_position("eur", "GOLD", Side.BUY, Decimal("1"))
    market.open_position("eur", "GOLD", Side.SELL, Decimal("1"))
    sides = sorted(p.side.value for p in market.account("eur").positions.values())
    assert sides == ["BUY", "SELL"]


def test_closing_books_the_profit_in_the_account_currency(market: Market, clock: FakeClock) -> None:
    opened = market.open_position("eur", "US500", Side.BUY, Decimal("1"))
    deal_id = opened.affected[0].deal_id
    entry = opened.level
    clock.now += 1
    market.set_price("US500", entry + Decimal("100"))
    exit_bid = market.quote("US500").bid
    usd_per_eur = market.mid("EURUSD")
    closed = market.close_position("eur", deal_id)
    expected_usd = exit_bid - entry
    assert closed.profit == (expected_usd / usd_per_eur).quantize(Decimal("0.01"))
    assert closed.profit > Decimal("80")
    assert market.figures("eur").cash == Decimal("10000") + closed.profit
    assert market.account("eur").ledger[-1].kind == "TRADE"


def test_rejections_change_nothing(market: Market) -> None:
    too_big = market.open_position("usd", "BTCUSD", Side.BUY, Decimal("100"))
    assert not too_big.accepted and too_big.reason == "INSUFFICIENT_FUNDS"
    market.set_status("GOLD", CLOSED)
    closed = market.open_position("usd", "GOLD", Side.BUY, Decimal("1"))
    assert closed.reason == "MARKET_CLOSED" and closed.status is None
    assert market.account("usd").positions == {}
    assert market.figures("usd").cash == Decimal("10000")


def test_figures_follow_open_profit_and_margin(market: Market, clock: FakeClock) -> None:
    market.open_position("usd", "EURUSD", Side.BUY, Decimal("10000"))
    clock.now += 30
    figures = market.figures("usd")
    position = next(iter(market.account("usd").positions.values()))
    assert figures.equity == figures.cash + figures.profit_loss
    assert figures.profit_loss == market.position_profit(market.account("usd"), position)
    # 10,000 EUR at 1:30 leverage needs about 362 USD of margin.
    assert Decimal("340") < figures.margin < Decimal("390")
    assert figures.available == figures.equity - figures.margin


def test_limit_order_fills_when_the_price_crosses_between_syncs(
    market: Market, clock: FakeClock
) -> None:
    offer = market.quote("SILVER").offer
    placed = market.place_order("usd", "SILVER", Side.BUY, Decimal("1"), OrderType.LIMIT,
                                offer - Decimal("0.500"))
    order_id = placed.order_id
    market.sync()
    assert order_id in market.account("usd").orders
    clock.now += 5
    market.set_price("SILVER", offer - Decimal("1"))
    clock.now += 5
    market.set_price("SILVER", offer)  # back above: only the interval shows the dip
    clock.now += 5
    market.sync()
    assert market.account("usd").orders == {}
    (position,) = market.account("usd").positions.values()
    assert position.order_id == order_id
    assert position.level == offer - Decimal("0.500")


def test_stop_loss_and_expiry_are_applied_lazily(market: Market, clock: FakeClock) -> None:
    bid = market.quote("OIL_CRUDE").bid
    opened = market.open_position("usd", "OIL_CRUDE", Side.BUY, Decimal("10"), stop_level=bid - 1)

    market.place_order("usd", "GOLD", Side.SELL, Decimal("1"), OrderType.LIMIT, Decimal("9999"),
                       good_till=datetime.fromtimestamp(clock.now + 10, UTC))
    clock.now += 20
    market.set_price("OIL_CRUDE", bid - 2)
    clock.now += 1
    market.sync()
    account = market.account("usd")
    assert account.positions == {} and account.orders == {}
    assert account.ledger[-1].note == "Stop loss"
    # Closed at the stop level: bought at the offer, so the spread is lost too.
    assert account.ledger[-1].amount == (bid - 1 - opened.level) * 10
    assert [r.source for r in market.activity][-2:] == ["SYSTEM", "SL"]
