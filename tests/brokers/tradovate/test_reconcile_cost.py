"""What a lost reply's look-up costs in requests (issue 9: the fault suite hung at 100
orders).

Each look-up read every recent order's version one request at a time, so it cost as
many requests as orders made since the send; the session's follow-ups of a few dozen
lost replies then spent Tradovate's hourly budget (5,000 a user) within a minute and
the limiter held every request for the rest of the hour. A look-up now reads the
versions in one ``/orderVersion/ldeps`` call, whatever the number of orders.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.brokers.tradovate.service import TradovateService
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import OrderRequest, OrderStatus, Side
from desktop_app.net.http import MaybeSent
from tests.brokers.tradovate.conftest import account_refs, front_month

OTHERS = 12


def _total(sim) -> int:
    return sum(sim.state.stats["requests"].values())


def test_a_look_up_costs_the_same_few_requests_however_many_orders_followed(
    service: TradovateService, tradovate_sim, run
) -> None:
    _, account = account_refs(tradovate_sim, service)  # the $50,000 one: room for margin
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.drop_reply_next("/order/placeorder")
    request = OrderRequest(account, es, Side.BUY, Decimal(1))
    journalled_at = utc_now()
    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    [ours] = list(tradovate_sim.state.book.orders)
    # Orders of the same contract and side made after it (of another size: only their
    # versions tell them apart from the lost one).
    for _ in range(OTHERS):
        assert run(service.place_order(OrderRequest(account, es, Side.BUY, Decimal(2)))).accepted

    reads = {}
    for look in ("first", "again"):
        before = _total(tradovate_sim)
        result = run(service.reconcile_order(request, "", since=journalled_at, final=True))
        reads[look] = _total(tradovate_sim) - before
        assert result.status is OrderStatus.ACCEPTED, result.reason
        assert result.broker_ref == str(ours)
    # The order list and the versions of the orders like it: two requests (three with
    # the contract, when it is not known yet), not one per order.
    assert reads["first"] <= 3, reads
    assert reads["again"] <= 2, reads
    assert len(tradovate_sim.state.orders_placed) == OTHERS + 1  # nothing resent
