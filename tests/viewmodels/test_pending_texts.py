"""What the ticket and the positions panel say about writes a broker takes now and
settles later (Upvest answers 202 and fills asynchronously): taken, not refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from desktop_app.domain.types import (
    AccountRef,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Position,
    Side,
    SizeUnit,
    WorkingOrder,
)
from desktop_app.viewmodels import position_texts as texts
from desktop_app.viewmodels.ticket_texts import describe_result

ACC = AccountRef("c", "upvest", "A1")
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
APPLE = "US0378331005"
POSITION = Position(ACC, f"A1:{APPLE}", APPLE, "Apple Inc.", Side.BUY, Decimal("0.138919"),
                    Decimal("179.961"), Decimal("180.03"), Decimal("0.01"), "EUR", NOW)


def test_a_pending_close_or_cancel_is_taken_not_refused():
    pending = OrderResult(OrderStatus.PENDING, "O1", ("O1",), reason="Selling all shares.")
    assert texts.close_result(POSITION, POSITION.position_id, pending) == (
        f"Closing BUY 0.138919 {APPLE} · Selling all shares.")
    order = WorkingOrder(ACC, "O2", APPLE, "Apple", Side.BUY, Decimal(2), OrderType.LIMIT,
                         Decimal("1.00"), NOW)
    assert texts.cancel_result(order, "O2", OrderResult(OrderStatus.PENDING)).startswith(
        "Cancelling BUY limit 2 ")


def test_an_order_by_amount_is_described_as_the_amount():
    request = OrderRequest(ACC, APPLE, Side.BUY, Decimal("25.00"), size_unit=SizeUnit.CASH,
                           currency="EUR")
    pending = OrderResult(OrderStatus.PENDING, "O1", reason="Upvest accepted the order (NEW).")
    assert describe_result(request, pending) == (
        f"Pending: BUY 25.00 EUR {APPLE} · Upvest accepted the order (NEW).")
    filled = OrderResult(OrderStatus.ACCEPTED, "O1", ("E1",), size=Decimal("0.138919"))
    assert describe_result(request, filled).startswith(
        f"Confirmed: BUY 25.00 EUR (0.138919 filled) {APPLE}")
