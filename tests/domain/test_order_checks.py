"""The ticket's field rules and its far-from-market detection, without Qt."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from desktop_app.domain.order_checks import (
    F_LEVEL,
    F_PROFIT,
    F_SIZE,
    F_STOP,
    F_STOP_PRICE,
    OrderLimits,
    notional,
    order_errors,
    size_error,
    unusual_order,
)
from desktop_app.domain.types import (
    AccountRef,
    Instrument,
    OrderRequest,
    OrderType,
    Quote,
    Side,
    SizeUnit,
)

ACC = AccountRef("c", "capital", "A1")
EURUSD = Instrument("EURUSD", "EUR/USD", currency="USD", min_size=Decimal(100),
                    size_step=Decimal(1))
ES = Instrument("ESM6", "E-mini S&P", currency="USD", min_size=Decimal(1),
                size_step=Decimal(1), size_label="Contracts")
DARWIN = Instrument("AEB.5.4", "AEB", currency="EUR", min_size=Decimal(200),
                    size_step=Decimal("0.01"), size_label="Amount (EUR)")
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)


def quote(bid: str, offer: str, symbol: str = "EURUSD") -> Quote:
    return Quote(symbol, Decimal(bid), Decimal(offer), NOW)


def order(size: str, side: Side = Side.BUY, order_type: OrderType = OrderType.MARKET,
          symbol: str = "EURUSD", **kw) -> OrderRequest:
    return OrderRequest(ACC, symbol, side, Decimal(size), order_type, **kw)


def test_size_bounds_come_before_any_arithmetic():
    # 1e28 % 1 raises InvalidOperation in Decimal's default context: never reached.
    assert size_error(Decimal("1e28"), EURUSD) == "Size must be at most 100,000,000."
    assert size_error(Decimal("1e28"), EURUSD, OrderLimits(max_size=Decimal("1e30"))) is None
    tiny_step = Instrument("X", "X", size_step=Decimal("1e-40"))
    assert size_error(Decimal("99999999.5"), tiny_step) is None
    assert size_error(Decimal("0"), EURUSD) == "Size must be greater than 0."
    assert size_error(None, EURUSD) == "Enter a size."
    assert size_error(Decimal("50"), EURUSD) == "Size must be at least 100."
    assert size_error(Decimal("100.5"), EURUSD) == "Size must be a multiple of 1."
    assert size_error(Decimal("NaN"), EURUSD) == "Size must be a number."
    assert size_error(Decimal("1000"), EURUSD) is None


def test_order_errors_levels_and_protection_sides():
    q = quote("1.08500", "1.08510")
    assert order_errors(order("1000", order_type=OrderType.LIMIT), EURUSD, q) == {
        F_LEVEL: "A limit order needs a level."
    }
    assert order_errors(
        order("1000", order_type=OrderType.STOP_LIMIT, level=Decimal("1.1")), EURUSD, q
    ) == {F_STOP_PRICE: "A stop-limit order needs a stop (trigger) price."}
    errors = order_errors(order("1000", stop_level=Decimal("1.09"),
                                profit_level=Decimal("1.07")), EURUSD, q)
    assert errors[F_STOP].startswith("For a buy, the stop loss must be below 1.08510")
    assert errors[F_PROFIT].startswith("For a buy, the take profit must be above")
    errors = order_errors(order("1000", Side.SELL, stop_level=Decimal("1.08"),
                                profit_level=Decimal("1.09")), EURUSD, q)
    assert set(errors) == {F_STOP, F_PROFIT} and "above 1.08500 (the bid)" in errors[F_STOP]
    assert order_errors(order("1000", stop_level=Decimal("1.07")), EURUSD, None) == {
        F_STOP: "Waiting for a price to check the stop loss / take profit against."
    }
    assert order_errors(order("1000", level=Decimal("-1"), order_type=OrderType.LIMIT),
                        EURUSD, q) == {F_LEVEL: "Level must be greater than 0."}
    assert order_errors(order("1000", level=Decimal("1e12"), order_type=OrderType.LIMIT),
                        EURUSD, q) == {F_LEVEL: "Level must be at most 1,000,000,000."}
    assert order_errors(order("1000", stop_level=Decimal("1.07")), EURUSD, q) == {}


def test_a_level_far_through_the_market_is_a_concern():
    q = quote("5150.00", "5150.25", "ESM6")
    # ES's 5150 as a EURUSD buy limit: it would fill at once, at the market.
    far = unusual_order(order("1000", order_type=OrderType.LIMIT, level=Decimal("5150")),
                        EURUSD, quote("1.08500", "1.08510"))
    assert far and far[0].field == F_LEVEL and "would fill at once" in far[0].text
    # A buy limit a little above the offer, or well below it, is an ordinary order.
    for level in ("5160", "4900"):
        assert unusual_order(order("1", symbol="ESM6", order_type=OrderType.LIMIT,
                                   level=Decimal(level)), ES, q) == []
    # A buy stop 5 % below the offer triggers at once; a sell stop above the bid too.
    concerns = unusual_order(order("1", symbol="ESM6", order_type=OrderType.STOP,
                                   level=Decimal("4890")), ES, q)
    assert concerns and "would trigger at once" in concerns[0].text
    concerns = unusual_order(order("1", Side.SELL, symbol="ESM6", order_type=OrderType.STOP,
                                   level=Decimal("5400")), ES, q)
    assert concerns and "above the bid" in concerns[0].text
    # 515 for 5150: a resting level 90 % away is probably a typo.
    concerns = unusual_order(order("1", symbol="ESM6", order_type=OrderType.LIMIT,
                                   level=Decimal("515")), ES, q)
    assert concerns and "90.0 % below the offer" in concerns[0].text
    # A stop-limit's trigger is checked as a stop, its limit only for distance.
    concerns = unusual_order(order("1", symbol="ESM6", order_type=OrderType.STOP_LIMIT,
                                   level=Decimal("5200"), stop_price=Decimal("4000")), ES, q)
    assert [c.field for c in concerns] == [F_STOP_PRICE]


def test_size_many_times_the_usual_and_value_many_times_the_account():
    q = quote("1.08500", "1.08510")
    assert unusual_order(order("1000"), EURUSD, q, usual_size=Decimal(1000)) == []
    concerns = unusual_order(order("10000"), EURUSD, q, usual_size=Decimal(1000))
    assert [c.field for c in concerns] == [F_SIZE]
    assert "10× your last size for EURUSD (1,000)" in concerns[0].text
    # 1,000,000 EURUSD on a 10,000 account: about 108× its equity.
    concerns = unusual_order(order("1000000"), EURUSD, q, equity=Decimal(10_000),
                             equity_currency="USD")
    assert len(concerns) == 1 and "1,085,100.00 USD, 109× this account's equity" in (
        concerns[0].text)
    assert unusual_order(order("100000"), EURUSD, q, equity=Decimal(10_000)) == []
    limits = OrderLimits(max_notional=Decimal(50_000))
    concerns = unusual_order(order("100000"), EURUSD, q, limits=limits)
    assert concerns and "above 50,000.00" in concerns[0].text


def test_notional_of_an_amount_is_the_amount():
    assert notional(order("500", symbol="AEB.5.4"), DARWIN, None) == Decimal(500)
    cash = OrderRequest(ACC, "X", Side.BUY, Decimal(300), size_unit=SizeUnit.CASH)
    assert notional(cash, None, None) == Decimal(300)
    assert notional(order("2", order_type=OrderType.LIMIT, level=Decimal("1.1")),
                    EURUSD, None) == Decimal("2.2")
    assert notional(order("2"), EURUSD, None) is None
