"""Buys, sells, conditional orders, stop-outs; local refusals; lost replies reconciled."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from desktop_app.domain.errors import (
    NotSupported,
    RateLimited,
    Rejected,
    ValidationError,
)
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    OrderAmendment,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from desktop_app.net.http import MaybeSent
from tests.brokers.darwinex.conftest import BUY, SELL, TRADING, account_path, demo_ref

PRODUCT = "NTI.4.12"
CONDITIONAL = f"POST {TRADING}/conditionalorders"


def test_buy_with_stop_and_profit_then_sell(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.set_quote(PRODUCT, Decimal("100.00"))
    refs: list[str] = []
    bought = run(service.place_order(
        OrderRequest(ref, PRODUCT, Side.BUY, Decimal("1000.50"), stop_level=Decimal("92.5"),
                     profit_level=Decimal("120")),
        on_reference=refs.append,
    ))
    [order] = state.orders
    assert bought.status is OrderStatus.ACCEPTED
    assert refs == [bought.broker_ref] == [str(order.order_id)]
    assert bought.deal_ids == (bought.broker_ref,)
    assert (order.product, order.side, order.amount) == (PRODUCT, "BUY", Decimal("1000.50"))
    [position] = run(service.positions(ref))
    assert (position.stop_level, position.profit_level) == (Decimal("92.50"), Decimal("120.00"))

    sold = run(service.place_order(OrderRequest(ref, PRODUCT, Side.SELL, Decimal("400"))))
    assert sold.accepted and state.orders[-1].side == "SELL"
    [position] = run(service.positions(ref))
    assert position.size == Decimal("600.50")
    assert (state.stats[BUY], state.stats[SELL]) == (1, 1)


def test_conditional_order_create_amend_cancel(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.set_quote(PRODUCT, Decimal("100.00"))
    placed = run(service.place_order(OrderRequest(
        ref, PRODUCT, Side.BUY, Decimal("300"), OrderType.LIMIT, level=Decimal("95"))))
    assert placed.accepted and placed.broker_ref
    [working] = run(service.working_orders(ref))
    assert working.order_id == placed.broker_ref

    changed = run(service.modify_order(OrderAmendment(
        ref, working.order_id, level=Decimal("96.5"), profit_level=Decimal("130"))))
    assert changed.accepted
    [working] = run(service.working_orders(ref))
    # The amount went unchanged, the quote and take profit moved.
    assert (working.size, working.level) == (Decimal("300.00"), Decimal("96.50"))
    assert (working.stop_level, working.profit_level) == (None, Decimal("130.00"))
    run(service.modify_order(OrderAmendment(ref, working.order_id, size=Decimal("450"))))
    [working] = run(service.working_orders(ref))
    assert (working.size, working.level) == (Decimal("450.00"), Decimal("96.50"))

    # The quote crosses the limit: the order executes into a position.
    state.set_quote(PRODUCT, Decimal("96.00"))
    assert run(service.working_orders(ref)) == []
    [position] = run(service.positions(ref))
    assert position.size == Decimal("450.00") and position.profit_level == Decimal("130.00")

    again = run(service.place_order(OrderRequest(
        ref, PRODUCT, Side.SELL, Decimal("200"), OrderType.LIMIT, level=Decimal("120"))))
    cancelled = run(service.cancel_order(ref, again.broker_ref))
    assert cancelled.accepted and cancelled.deal_ids == (again.broker_ref,)
    assert run(service.working_orders(ref)) == []
    refused = run(service.cancel_order(ref, again.broker_ref))  # not pending any more
    assert refused.status is OrderStatus.REJECTED and "cancelled" in refused.reason
    with pytest.raises(NotSupported):
        run(service.modify_order(OrderAmendment(ref, again.broker_ref,
                                                stop_price=Decimal("1"))))


def test_stop_out_one_and_all(darwinex_sim, service, run) -> None:
    ref = demo_ref(darwinex_sim)
    for product in (PRODUCT, "AEB.5.4", "LVS.4.20"):
        assert run(service.place_order(OrderRequest(ref, product, Side.BUY, Decimal("500"))))
    closed = run(service.close_position(ref, PRODUCT))
    assert closed.accepted and closed.deal_ids == (PRODUCT,)
    assert {p.symbol for p in run(service.positions(ref))} == {"AEB.5.4", "LVS.4.20"}
    assert run(service.close_all_positions(ref)).accepted
    assert run(service.positions(ref)) == []
    assert [o.side for o in darwinex_sim.state.orders] == ["BUY"] * 3 + ["SELL"] * 3
    missing = run(service.close_position(ref, PRODUCT))  # nothing held any more
    assert missing.status is OrderStatus.REJECTED


def test_product_flags_refuse_locally(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))))
    sent = (state.stats[BUY], state.stats[SELL])

    # DWC.4.20 takes no new money: the quote says so (the ticket greys Buy) ...
    quote = run(service.quote(ref, "DWC.4.20"))
    assert (quote.buy_allowed, quote.sell_allowed) == (False, True)
    assert quote.note == "DWC.4.20 is closed to new investment."
    assert quote.bid == quote.offer > 0 and quote.market_status == "TRADEABLE"
    # ... and a buy is refused here with that reason.
    with pytest.raises(Rejected) as err:
        run(service.place_order(OrderRequest(ref, "DWC.4.20", Side.BUY, Decimal("500"))))
    assert err.value.message == "DWC.4.20 is closed to new investment."

    state.set_product_flags(PRODUCT, sell=False)
    with pytest.raises(Rejected) as err:
        run(service.place_order(OrderRequest(ref, PRODUCT, Side.SELL, Decimal("200"))))
    assert f"Selling {PRODUCT} is not possible" in err.value.message
    with pytest.raises(Rejected):
        run(service.close_position(ref, PRODUCT))
    assert (state.stats[BUY], state.stats[SELL]) == sent
    assert state.stats[f"POST {TRADING}/stopout/{{productName}}"] == 0


def test_a_closed_market_refuses_locally_and_says_when(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.set_market_open(False)
    quote = run(service.quote(ref, "AEB.5.4"))
    assert not quote.buy_allowed and not quote.sell_allowed
    assert "Darwinex accepts buy orders again at" in quote.note
    assert "UTC" in quote.note and "limit and stop orders are taken now" in quote.note
    assert quote.market_status == "TRADEABLE"  # conditional orders still go
    with pytest.raises(Rejected) as err:
        run(service.place_order(OrderRequest(ref, "AEB.5.4", Side.BUY, Decimal("500"))))
    assert err.value.message.startswith("Darwinex accepts buy orders again at")
    with pytest.raises(Rejected) as err:
        run(service.close_all_positions(ref))
    assert err.value.message.startswith("Darwinex accepts sell orders again at")
    # A conditional buy is still taken while the market is closed.
    assert run(service.place_order(OrderRequest(
        ref, "AEB.5.4", Side.BUY, Decimal("500"), OrderType.LIMIT, level=Decimal("1")))).accepted
    assert state.stats[BUY] == 0 and state.stats[f"POST {TRADING}/stopout"] == 0
    # The market status is read once and kept until its epochTimestampNextUpdate.
    assert state.stats["GET /trading/1.1/productmarket/status"] == 1


def test_amount_rules_are_checked_before_sending(darwinex_sim, service, run) -> None:
    ref = demo_ref(darwinex_sim)
    with pytest.raises(ValidationError) as err:
        run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("199.99"))))
    assert err.value.field == "size" and "at least 200" in err.value.message
    with pytest.raises(ValidationError) as err:
        run(service.place_order(OrderRequest(
            ref, PRODUCT, Side.SELL, Decimal("300"), stop_level=Decimal("1"))))
    assert "buys only" in err.value.message
    with pytest.raises(NotSupported):
        run(service.place_order(OrderRequest(
            ref, PRODUCT, Side.BUY, Decimal("300"), OrderType.STOP_LIMIT, level=Decimal("1"),
            stop_price=Decimal("2"))))
    # Darwinex's own refusal comes back as a rejected result in its words.
    result = run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("999999"))))
    assert result.status is OrderStatus.REJECTED
    assert "available to invest" in result.reason
    assert darwinex_sim.state.orders == []


def test_lost_buy_reply_is_reconciled_from_executed_orders(darwinex_sim, service, run):
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    # An identical older order must not be taken for the lost one.
    run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))))
    state.drop_reply_next(account_path(ref) + "/orders/buy")
    refs: list[str] = []
    request = OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))
    journalled_at = utc_now()
    with pytest.raises(MaybeSent):
        run(service.place_order(request, on_reference=refs.append))
    result = run(service.reconcile_order(request, "", since=journalled_at))
    assert result.status is OrderStatus.ACCEPTED
    assert result.broker_ref == str(state.orders[-1].order_id)
    assert result.broker_ref != str(state.orders[0].order_id)
    assert len(state.orders) == 2 and state.stats[BUY] == 2  # executed once, never resent


def test_lost_reply_without_an_order_is_unknown(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    # The request is refused (amount too high) and the refusal is lost on the way back.
    state.drop_reply_next(account_path(ref) + "/orders/buy")
    request = OrderRequest(ref, PRODUCT, Side.BUY, Decimal("999999"))
    journalled_at = utc_now()
    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    result = run(service.reconcile_order(request, "", since=journalled_at))
    assert result.status is OrderStatus.UNKNOWN
    assert "keeps looking" in result.reason
    assert state.stats[BUY] == 1 and state.orders == []


def test_lost_conditional_reply_is_reconciled(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.set_quote(PRODUCT, Decimal("100.00"))
    state.drop_reply_next(account_path(ref) + "/conditionalorders")
    request = OrderRequest(ref, PRODUCT, Side.BUY, Decimal("250"), OrderType.STOP,
                           level=Decimal("104"))
    journalled_at = utc_now()
    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    result = run(service.reconcile_order(request, "", since=journalled_at))
    [working] = run(service.working_orders(ref))
    assert result.status is OrderStatus.ACCEPTED and result.broker_ref == working.order_id
    assert state.stats[CONDITIONAL] == 1


def test_reconcile_after_a_restart(darwinex_sim, service, make_service, run) -> None:
    ref = demo_ref(darwinex_sim)
    since = utc_now()
    request = OrderRequest(ref, PRODUCT, Side.BUY, Decimal("800"))
    placed = run(service.place_order(request))
    limit = OrderRequest(ref, PRODUCT, Side.BUY, Decimal("300"), OrderType.LIMIT,
                         level=Decimal("1"))
    working = run(service.place_order(limit))

    restarted = make_service()
    by_ref = run(restarted.reconcile_order(request, placed.broker_ref, since=since))
    assert by_ref.accepted and by_ref.broker_ref == placed.broker_ref
    by_time = run(restarted.reconcile_order(request, "", since=since))
    assert by_time.accepted and by_time.broker_ref == placed.broker_ref
    assert run(restarted.reconcile_order(limit, working.broker_ref)).accepted
    assert run(restarted.reconcile_order(limit, "", since=since)).broker_ref == (
        working.broker_ref)
    # Not made since then: nothing is taken for it.
    later = run(restarted.reconcile_order(request, "", since=utc_now() + timedelta(minutes=1)))
    assert later.status is OrderStatus.UNKNOWN
    assert len(darwinex_sim.state.orders) == 1


def test_a_throttled_order_is_refused_not_resent(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.force_429(1, account_path(ref) + "/orders/buy")
    with pytest.raises(RateLimited) as err:
        run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))))
    assert "not executed" in err.value.message
    assert state.stats[BUY] == 1 and state.orders == []


def test_a_closed_market_says_when_it_opens(darwinex_sim, service, run) -> None:
    clock = darwinex_sim.state.session_clock
    clock.move_to(datetime(2025, 1, 18, 12, 0, tzinfo=UTC))  # a Saturday
    ref = demo_ref(darwinex_sim)
    quote = run(service.quote(ref, PRODUCT))
    # Darwinex's estimatedOpenDate (Sunday 17:05 New York), as the broker's clock reads.
    opens = clock.to_base(datetime(2025, 1, 19, 22, 5, tzinfo=UTC))
    assert quote.opens_at is not None and abs((quote.opens_at - opens).total_seconds()) < 5
    details = run(service.instrument_details(ref, PRODUCT))
    assert details.opens_at == quote.opens_at
    with pytest.raises(Rejected, match="accepts buy orders again"):
        run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))))
