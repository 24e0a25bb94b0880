"""The Darwinex reply fields no public source confirms, read strictly: a real account
whose fields are named otherwise shows positions that could not be read (never size 0
and P/L 0), history rows that say so, and no lost reply is matched on a field that was
not there. The simulator's ``field_names`` knob renames the fields as such a server
would."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from desktop_app.domain.money import utc_now
from desktop_app.domain.types import OrderRequest, OrderStatus, OrderType, Side
from desktop_app.net.http import MaybeSent
from tests.brokers.darwinex.conftest import BUY, account_path, demo_ref

PRODUCT = "NTI.4.12"


def test_positions_read_as_the_simulator_names_them(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.set_quote(PRODUCT, Decimal("100.00"))
    run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))))
    state.set_quote(PRODUCT, Decimal("110.00"))
    [position] = run(service.positions(ref))
    assert not position.unreadable
    assert (position.size, position.open_level, position.current_level) == (
        Decimal("500"), Decimal("100.00"), Decimal("110.00"))
    assert position.profit_loss == Decimal("50.00")
    trade = next(iter(state.book.accounts[int(ref.account_id)].open_trades.values()))
    assert position.opened_at.timestamp() * 1000 == pytest.approx(trade.opened_ms, abs=1)


def test_a_position_with_other_field_names_is_shown_unreadable(
    darwinex_sim, service, run, caplog
) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))))
    state.field_names["position"] = {
        "invested": "investedAmount", "amount": "currentAmount", "pnl": None,
    }
    with caplog.at_level(logging.WARNING):
        [position] = run(service.positions(ref))
    assert position.symbol == PRODUCT  # it can still be closed by its product
    assert "Could not be read" in position.unreadable
    assert "invested" in position.unreadable and "amount or pnl" in position.unreadable
    # The log names the fields Darwinex did send (names only), so they can be reported.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "investedAmount" in logged and "currentAmount" in logged
    assert "500" not in logged  # no values
    # Only the P/L missing (value and cost sent): computed, not unreadable.
    state.field_names["position"] = {"pnl": None}
    [position] = run(service.positions(ref))
    assert not position.unreadable and position.size == Decimal("500")


def test_a_position_with_an_unreadable_number_is_not_zero(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))))
    state.field_names["position"] = {"openDate": None}
    [position] = run(service.positions(ref))
    assert "openDate" in position.unreadable  # not "opened now"


def test_history_rows_that_cannot_be_read_say_so(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    since = utc_now()
    run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))))
    run(service.close_position(ref, PRODUCT))
    entries = run(service.history(ref, since.replace(year=since.year - 1)))
    kinds = sorted(e.kind for e in entries)
    assert kinds == ["Executed", "Stop-out", "Trade closed"]
    closed = next(e for e in entries if e.kind == "Trade closed")
    assert closed.size == Decimal("500") and closed.profit_loss is not None

    state.field_names["executed"] = {"amount": "investedAmount"}
    state.field_names["trade"] = {"pnl": "profit", "closeDate": None}
    entries = run(service.history(ref, since.replace(year=since.year - 1)))
    unreadable = [e for e in entries if e.kind == "Could not be read"]
    assert len(unreadable) == 3 and len(entries) == 3
    notes = " ".join(e.note for e in unreadable)
    assert "executed order without usable amount" in notes
    assert "closed trade without usable pnl, closeDate" in notes
    assert all(e.symbol == PRODUCT and e.size is None and e.profit_loss is None
               for e in unreadable)


def test_a_lost_reply_is_never_matched_on_a_field_that_was_not_sent(
    darwinex_sim, service, run
) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.drop_reply_next(account_path(ref) + "/orders/buy")
    request = OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))
    journalled_at = utc_now()
    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    # The order was executed, but the listing names its amount otherwise: no match.
    state.field_names["executed"] = {"amount": "investedAmount"}
    result = run(service.reconcile_order(request, "", since=journalled_at))
    assert result.status is OrderStatus.UNKNOWN and "keeps looking" in result.reason
    # Read as documented, the same listing finds it.
    state.field_names.clear()
    found = run(service.reconcile_order(request, "", since=journalled_at))
    assert found.accepted and found.broker_ref == str(state.orders[-1].order_id)
    assert state.stats[BUY] == 1  # never resent


def test_a_conditional_order_without_its_time_never_matches(darwinex_sim, service, run):
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.set_quote(PRODUCT, Decimal("100.00"))
    state.drop_reply_next(account_path(ref) + "/conditionalorders")
    request = OrderRequest(ref, PRODUCT, Side.BUY, Decimal("250"), OrderType.LIMIT,
                           level=Decimal("90"))
    journalled_at = utc_now()
    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    state.field_names["conditional"] = {"creationDate": None}
    result = run(service.reconcile_order(request, "", since=journalled_at))
    assert result.status is OrderStatus.UNKNOWN


def test_an_order_reply_without_its_id_is_reconciled(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.field_names["order_reply"] = {"orderId": "id"}
    request = OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))
    journalled_at = utc_now()
    with pytest.raises(MaybeSent, match="no order id"):
        run(service.place_order(request))
    result = run(service.reconcile_order(request, "", since=journalled_at))
    assert result.accepted and result.broker_ref == str(state.orders[-1].order_id)
    assert result.size == Decimal("500")
