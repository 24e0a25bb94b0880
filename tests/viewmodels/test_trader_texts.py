"""What the ticket and the positions panel say, from the results brokers give."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from desktop_app.domain.types import (
    AccountRef,
    OrderAmendment,
    OrderResult,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    WorkingOrder,
)
from desktop_app.viewmodels import position_texts as texts
from desktop_app.viewmodels.accounts_model import short
from desktop_app.viewmodels.ticket_texts import button_text

ACC = AccountRef("c", "capital", "A1")
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
POSITION = Position(ACC, "D1", "BTCUSD", "Bitcoin/USD", Side.BUY, Decimal("0.01"),
                    Decimal("65000"), Decimal("65100"), Decimal("1.00"), "USD", NOW)
ORDER = WorkingOrder(ACC, "O1", "ESM6", "E-mini", Side.BUY, Decimal(1), OrderType.LIMIT,
                     Decimal("5000"), NOW)


def test_a_close_says_what_at_what_price_and_with_which_profit_or_loss():
    realised = OrderResult(OrderStatus.ACCEPTED, deal_ids=("X",), level=Decimal("65100.5"),
                           profit_loss=Decimal("1.005"), currency="USD")
    assert texts.close_result(POSITION, "D1", realised) == (
        "Closed BUY 0.01 BTCUSD · at 65100.5 · realised P/L +1.00 USD · deal X")
    shown = OrderResult(OrderStatus.ACCEPTED, level=Decimal("65100.5"))
    assert texts.close_result(POSITION, "D1", shown) == (
        "Closed BUY 0.01 BTCUSD · at 65100.5 · last shown P/L +1.00 USD")
    refused = OrderResult(OrderStatus.REJECTED, reason="market closed")
    assert texts.close_result(None, "D9", refused) == "Not closed: D9 · market closed"
    assert texts.close_all_result((POSITION,), shown) == (
        "Closed all 1 position · BTCUSD · last shown P/L +1.00 USD")


def test_cancel_and_change_name_the_order():
    done = OrderResult(OrderStatus.ACCEPTED)
    assert texts.cancel_result(ORDER, "O1", done) == "Cancelled BUY limit 1 ESM6 at 5000"
    change = OrderAmendment(ACC, "O1", level=Decimal("5050"))
    assert texts.modify_result(ORDER, change, done) == (
        "Changed BUY limit 1 ESM6 at 5000: level 5000 → 5050")


def test_buy_and_sell_show_the_price_the_order_would_get():
    quote = Quote("ESM6", Decimal("5000.00"), Decimal("5000.25"), NOW)
    assert button_text(Side.BUY, OrderType.MARKET, quote, None) == "Buy 5000.25"
    assert button_text(Side.SELL, OrderType.MARKET, quote, None) == "Sell 5000.00"
    # A limit order shows its level, never the market price it will not get.
    assert button_text(Side.BUY, OrderType.LIMIT, quote, Decimal("4900")) == "Buy limit 4900"
    assert button_text(Side.BUY, OrderType.STOP, quote, None) == "Buy stop"


def test_a_long_connection_error_is_cut_short_in_its_cell():
    error = "The API key was not accepted. " * 10
    cell = short(error)
    assert len(cell) <= 48 and cell.endswith("…")
    assert short("Timed out\nwhile connecting") == "Timed out"
