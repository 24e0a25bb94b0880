"""The Upvest service's orders against the simulator over loopback: a fractional EUR buy
(202 PENDING) filled and seen by webhook, positions with their quantities and value,
limit orders working and cancelled, refusals in Upvest's words, a sale closing a
position, history, and a lost reply settled by the reference and the idempotency key."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from desktop_app.domain.errors import NotSupported, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    SizeUnit,
)
from desktop_app.net.http import MaybeSent
from tests.brokers.upvest.conftest import wait_for

APPLE = "US0378331005"
SIEMENS = "DE0007236101"
ORDERS = "POST /orders"


@pytest.fixture
def karl(service, run):
    return next(a for a in run(service.accounts())
                if a.owner == "Karl Schmidt" and a.name == "Main account").ref


def buy(account, amount: str = "25.00", **changes) -> OrderRequest:
    values = {"size_unit": SizeUnit.CASH, "currency": "EUR", "acknowledged": True, **changes}
    return OrderRequest(account, APPLE, Side.BUY, Decimal(amount), **values)


async def holding(service, account, isin=APPLE):
    return next((p for p in await service.positions(account) if p.symbol == isin), None)


def test_instruments_offer_amount_and_quantity_and_ask_the_acknowledgement(service, karl,
                                                                           run):
    found = run(service.search_instruments(karl, "865985"))  # Apple's WKN
    assert [i.symbol for i in found] == [APPLE]
    apple = found[0]
    assert apple.size_units == (SizeUnit.CASH, SizeUnit.UNITS)
    assert apple.size_label == "Amount (EUR)" and "may not fit" in apple.buy_acknowledgement
    siemens = run(service.instrument_details(karl, SIEMENS))
    assert siemens.size_units == (SizeUnit.UNITS,) and siemens.size_label == "Quantity"
    assert {c.label: c.value for c in siemens.codes} == {"ISIN": SIEMENS, "WKN": "723610"}


def test_a_fractional_cash_buy_is_pending_then_filled_and_seen_by_webhook(
        service, upvest_sim, karl, run):
    upvest_sim.state.settlement_delay = 600.0  # held off: the position is pending settlement
    refs: list[str] = []
    result = run(service.place_order(buy(karl), refs.append))
    assert result.status is OrderStatus.PENDING and "NEW" in result.reason
    assert refs == [result.broker_ref] and result.deal_ids == (result.broker_ref,)
    run(wait_for(lambda: holding(service, karl), within=10))
    # The fill was told by webhook: the account's positions were reported changed.
    assert "positions" in service.changes.topics_for(karl.account_id)
    position = run(holding(service, karl))
    assert position is not None and position.side is Side.BUY
    assert Decimal(0) < position.size < 1  # a fraction of a share
    assert position.size * position.open_level == pytest.approx(Decimal("25.00"),
                                                                abs=Decimal("0.01"))
    facts = {f.label: f.value for f in position.facts}
    assert Decimal(facts["Pending settlement"]) == position.size  # bought, not settled
    assert position.name == "Apple Inc." and position.position_id == f"{karl.account_id}:{APPLE}"
    assert run(service.working_orders(karl)) == []
    # Equity: the group's cash and this account's shares at their valuation.
    listed = next(a for a in run(service.accounts()) if a.ref == karl)
    shares = (position.size * position.current_level).quantize(Decimal("0.01"))
    assert listed.balance.equity == listed.balance.balance + shares
    filled = run(service.reconcile_order(buy(karl), result.broker_ref))
    assert filled.status is OrderStatus.ACCEPTED and filled.size == position.size
    history = run(service.history(karl, utc_now() - timedelta(minutes=5)))
    assert [h.kind for h in history] == ["Filled"] and history[0].note == "25.00 EUR"


def test_refusals_before_sending_and_in_upvests_words(service, upvest_sim, karl, run):
    with pytest.raises(ValidationError, match="two decimals"):
        run(service.place_order(buy(karl, "10.005")))
    with pytest.raises(NotSupported, match="MARKET, LIMIT and STOP"):
        run(service.place_order(buy(karl, order_type=OrderType.STOP_LIMIT,
                                    level=Decimal(1), stop_price=Decimal(2))))
    with pytest.raises(ValidationError, match="in EUR"):
        run(service.place_order(buy(karl, currency="USD")))
    assert upvest_sim.state.stats["requests"][ORDERS] == 0
    refused = run(service.place_order(buy(karl, acknowledged=False)))
    assert refused.status is OrderStatus.REJECTED
    assert "user_instrument_fit_acknowledgement is required" in refused.reason
    whole = run(service.place_order(OrderRequest(karl, SIEMENS, Side.BUY, Decimal("0.5"),
                                                 acknowledged=True)))
    assert whole.status is OrderStatus.REJECTED and "whole shares" in whole.reason


def test_a_limit_order_works_until_cancelled(service, upvest_sim, karl, run):
    request = OrderRequest(karl, APPLE, Side.BUY, Decimal("2"), OrderType.LIMIT,
                           level=Decimal("1.00"), acknowledged=True)
    placed = run(service.place_order(request))
    assert placed.status is OrderStatus.PENDING
    working = run(service.working_orders(karl))
    assert [(o.order_type, o.level, o.size) for o in working] == [
        (OrderType.LIMIT, Decimal("1.00"), Decimal("2"))]
    cancelled = run(service.cancel_order(karl, working[0].order_id))
    assert cancelled.status is OrderStatus.ACCEPTED
    assert run(service.working_orders(karl)) == []
    again = run(service.cancel_order(karl, working[0].order_id))
    assert again.status is OrderStatus.REJECTED and "Only NEW orders" in again.reason
    entry = run(service.history(karl, utc_now() - timedelta(minutes=5)))[0]
    assert entry.kind == "Cancelled" and entry.note == "CANCELLED_BY_CLIENT"


def test_closing_a_position_sells_what_is_available(service, upvest_sim, karl, run):
    run(service.place_order(buy(karl, "100.00")))
    run(wait_for(lambda: holding(service, karl), within=10))
    position = run(holding(service, karl))
    closed = run(service.close_position(karl, position.position_id))
    assert closed.status in (OrderStatus.PENDING, OrderStatus.ACCEPTED)
    assert f"Selling all {position.size} shares" in closed.reason
    run(wait_for(lambda: _gone(service, karl), within=10))
    sells = [o for o in upvest_sim.state.orders.values() if o.side == "SELL"]
    assert [o.quantity for o in sells] == [position.size]


async def _gone(service, account) -> bool:
    return await holding(service, account) is None


def test_a_lost_reply_is_found_by_its_reference_and_never_made_twice(service, upvest_sim,
                                                                     karl, run):
    for _ in range(3):  # the request and the client's two asks under the same key
        upvest_sim.state.drop_reply_next("/orders")
    request = buy(karl)
    sent = utc_now()
    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    assert upvest_sim.state.stats["requests"][ORDERS] == 3
    assert upvest_sim.state.created[ORDERS] == 1
    found = run(service.reconcile_order(request, "", since=sent))
    assert found.status in (OrderStatus.PENDING, OrderStatus.ACCEPTED)
    assert "Found by its reference." in found.reason
    assert upvest_sim.state.stats["requests"][ORDERS] == 3  # looked up, not sent


def test_a_request_that_never_arrived_is_made_once_under_its_key(service, upvest_sim,
                                                                 karl, run):
    request = buy(karl, "30.00")
    made = run(service.reconcile_order(request, "", since=utc_now()))
    assert made.status is OrderStatus.PENDING
    assert "same idempotency key" in made.reason
    again = run(service.reconcile_order(request, "", since=utc_now()))
    assert again.broker_ref == made.broker_ref
    assert upvest_sim.state.created[ORDERS] == 1
    late = run(service.reconcile_order(buy(karl, "31.00"), "",
                                       since=utc_now() - timedelta(minutes=2)))
    assert late.status is OrderStatus.UNKNOWN and "keeps looking" in late.reason
    assert upvest_sim.state.created[ORDERS] == 1
