"""A lost order reply on a busy account: Darwinex's executed orders are read past the
first page before "not executed" is concluded (issue 9: orders executed at the broker
were settled as not executed because only the newest page of ``orders/executed`` was
read)."""

from decimal import Decimal

import pytest

from desktop_app.brokers.darwinex import client as darwinex_client
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import OrderRequest, OrderStatus, Side
from desktop_app.net.http import MaybeSent
from desktop_app.simulators.darwinex.book import Thresholds
from tests.brokers.darwinex.conftest import BUY, account_path, demo_ref

PRODUCT = "NTI.4.12"


def _trade_elsewhere(sim, account_id: str, count: int) -> None:
    """Orders of the same DARWIN made after ours by another app on the account: they
    push ours off the first page (the list runs newest first)."""
    state = sim.state
    with state.lock:
        account = state.book.accounts[int(account_id)]
        for _ in range(count):
            state.book.buy(account, PRODUCT, Decimal("300"), Thresholds())


def _lose_a_buy(sim, service, run) -> tuple[OrderRequest, object]:
    ref = demo_ref(sim)
    sim.state.drop_reply_next(account_path(ref) + "/orders/buy")
    request = OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))
    journalled_at = utc_now()
    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    return request, journalled_at


def test_an_order_beyond_the_first_page_is_found(darwinex_sim, service, run) -> None:
    request, since = _lose_a_buy(darwinex_sim, service, run)
    [ours] = darwinex_sim.state.orders
    _trade_elsewhere(darwinex_sim, request.account.account_id,
                     darwinex_client.PER_PAGE + 10)
    # "final": the broker has had time to list it, and its record is complete; the
    # order is on the second page, so one page read would say "not executed".
    result = run(service.reconcile_order(request, "", since=since, final=True))
    assert result.status is OrderStatus.ACCEPTED, result.reason
    assert result.broker_ref == str(ours.order_id)
    assert darwinex_sim.state.stats[BUY] == 1  # never resent


def test_identical_orders_in_doubt_are_settled_from_every_page(
    darwinex_sim, service, run
) -> None:
    """The fault suite's case: identical orders in doubt settled together count every
    deal made since the first of them, not only the newest page's."""
    first, since_first = _lose_a_buy(darwinex_sim, service, run)
    second, since_second = _lose_a_buy(darwinex_sim, service, run)
    mine = [str(o.order_id) for o in darwinex_sim.state.orders]
    _trade_elsewhere(darwinex_sim, first.account.account_id, darwinex_client.PER_PAGE + 10)
    peers = (since_first, since_second)
    results = [
        run(service.reconcile_order(request, "", since=since, final=True, peers=peers,
                                    rank=rank))
        for rank, (request, since) in enumerate(((first, since_first),
                                                 (second, since_second)))
    ]
    assert [r.status for r in results] == [OrderStatus.ACCEPTED, OrderStatus.ACCEPTED], [
        r.reason for r in results]
    assert [r.broker_ref for r in results] == mine


def test_a_record_too_long_to_read_proves_nothing_missing(
    darwinex_sim, service, run, monkeypatch
) -> None:
    """When the pages that may be read end before the list does, an order not found is
    still unknown, never "not executed"."""
    # One page may be read and every order on it is newer than ours: the record read
    # does not reach back to the send.
    monkeypatch.setattr("desktop_app.brokers.darwinex.orders.MAX_PAGES", 1, raising=False)
    request, since = _lose_a_buy(darwinex_sim, service, run)
    _trade_elsewhere(darwinex_sim, request.account.account_id,
                     darwinex_client.PER_PAGE + 10)
    result = run(service.reconcile_order(request, "", since=since, final=True))
    assert result.status is OrderStatus.UNKNOWN, result.reason
