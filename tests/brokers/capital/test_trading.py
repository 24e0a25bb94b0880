"""Positions, working orders, confirms, reconciliation and demo top-up against the simulator."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from desktop_app.brokers.capital.service import CapitalService
from desktop_app.domain.errors import (
    NotSupported,
    Unavailable,
    ValidationError,
)
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    FundingKind,
    FundingRequest,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from desktop_app.net.http import MaybeSent
from tests.brokers.capital.conftest import account_refs

SIZE = Decimal("0.01")  # Bitcoin: trades around the clock, minimum size 0.001


def sim_positions(sim, account_id: str):
    return list(sim.state.market.account(account_id).positions.values())


def test_open_confirm_and_close_a_position(service: CapitalService, capital_sim, run) -> None:
    usd, _ = account_refs(capital_sim, service)
    result = run(service.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)))

    assert result.status is OrderStatus.ACCEPTED
    assert result.broker_ref.startswith("o_")
    assert result.size == SIZE and result.level is not None
    (deal_id,) = result.deal_ids
    positions = run(service.positions(usd))
    assert [p.position_id for p in positions] == [deal_id]
    position = positions[0]
    assert (position.symbol, position.side, position.size) == ("BTCUSD", Side.BUY, SIZE)
    assert position.open_level == result.level
    assert position.opened_at.utcoffset() == timedelta(0)
    assert abs(utc_now() - position.opened_at) < timedelta(seconds=30)
    assert capital_sim.state.stats["requests"]["GET /confirms/{dealReference}"] == 1

    closed = run(service.close_position(usd, deal_id))
    assert closed.status is OrderStatus.ACCEPTED
    assert deal_id in closed.deal_ids
    assert run(service.positions(usd)) == []
    assert sim_positions(capital_sim, usd.account_id) == []


def test_confirm_not_ready_is_polled(service: CapitalService, capital_sim, run) -> None:
    usd, _ = account_refs(capital_sim, service)
    capital_sim.state.fail_next(404, "error.not-found.dealReference", "/confirms", count=1)
    capital_sim.state.fail_next(400, "error.invalid.dealReference", "/confirms", count=1)
    result = run(service.place_order(OrderRequest(usd, "BTCUSD", Side.SELL, SIZE)))
    assert result.status is OrderStatus.ACCEPTED
    assert capital_sim.state.stats["requests"]["GET /confirms/{dealReference}"] == 3


def test_rejected_confirm_becomes_a_rejected_result(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    # Far more than the demo balance can margin: the broker accepts the request and
    # rejects the deal in the confirm.
    result = run(service.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, Decimal("100"))))
    assert result.status is OrderStatus.REJECTED
    assert result.broker_ref.startswith("o_")
    assert "INSUFFICIENT_FUNDS" in result.reason
    assert sim_positions(capital_sim, usd.account_id) == []


@pytest.mark.parametrize("order_type", [OrderType.LIMIT, OrderType.STOP])
def test_working_orders_create_list_cancel(
    service: CapitalService, capital_sim, run, order_type: OrderType
) -> None:
    usd, _ = account_refs(capital_sim, service)
    quote = run(service.quote(usd, "GOLD"))
    # A buy limit waits below the market, a buy stop above it.
    factor = Decimal("0.95") if order_type is OrderType.LIMIT else Decimal("1.05")
    level = (quote.offer * factor).quantize(Decimal("0.01"))
    stop = (level * Decimal("0.97")).quantize(Decimal("0.01"))
    good_till = (utc_now() + timedelta(days=2)).replace(microsecond=0)
    request = OrderRequest(
        usd, "GOLD", Side.BUY, Decimal("1"), order_type, level=level, stop_level=stop,
        good_till=good_till,
    )
    placed = run(service.place_order(request))
    assert placed.status is OrderStatus.ACCEPTED
    (order_id,) = placed.deal_ids

    orders = run(service.working_orders(usd))
    assert [o.order_id for o in orders] == [order_id]
    order = orders[0]
    assert order.order_type is order_type
    assert (order.symbol, order.side, order.size, order.level) == (
        "GOLD", Side.BUY, Decimal("1"), level
    )
    assert order.stop_level == stop
    assert order.good_till == good_till
    assert order.created_at.utcoffset() == timedelta(0)

    cancelled = run(service.cancel_order(usd, order_id))
    assert cancelled.status is OrderStatus.ACCEPTED
    assert run(service.working_orders(usd)) == []
    assert capital_sim.state.market.account(usd.account_id).orders == {}


def test_stop_limit_and_bad_requests_are_refused_locally(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    with pytest.raises(NotSupported):
        run(service.place_order(
            OrderRequest(usd, "GOLD", Side.BUY, Decimal("1"), OrderType.STOP_LIMIT,
                         level=Decimal(1))
        ))
    with pytest.raises(ValidationError):
        run(service.place_order(OrderRequest(usd, "GOLD", Side.BUY, Decimal("1"), OrderType.LIMIT)))
    with pytest.raises(ValidationError):
        run(service.place_order(OrderRequest(usd, "GOLD", Side.BUY, Decimal("0"))))
    assert capital_sim.state.stats["requests"]["POST /positions"] == 0
    assert capital_sim.state.stats["requests"]["POST /workingorders"] == 0


def test_stop_loss_on_a_real_stock_is_refused_with_the_brokers_reason(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    quote = run(service.quote(usd, "AAPL"))
    stop = (quote.bid * Decimal("0.9")).quantize(Decimal("0.01"))
    result = run(service.place_order(
        OrderRequest(usd, "AAPL", Side.BUY, Decimal("1"), stop_level=stop)
    ))
    assert result.status is OrderStatus.REJECTED
    assert "Stop loss is not allowed" in result.reason
    assert sim_positions(capital_sim, usd.account_id) == []


def test_stop_loss_too_close_quotes_the_brokers_bound(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    quote = run(service.quote(usd, "BTCUSD"))
    result = run(service.place_order(
        OrderRequest(usd, "BTCUSD", Side.BUY, SIZE, stop_level=quote.bid - Decimal("0.01"))
    ))
    assert result.status is OrderStatus.REJECTED
    assert result.reason.startswith("Stop loss level too high: maximum is ")
    assert result.reason.endswith("(too close to the market for a buy)")
    bound = Decimal(result.reason.split("maximum is ")[1].split(" ")[0])
    assert bound < quote.bid


def test_demo_top_up_and_its_rules(service: CapitalService, capital_sim, run) -> None:
    _, eur = account_refs(capital_sim, service)
    run(service.accounts())
    rules = service.funding_rules(eur, FundingKind.DEMO_TOPUP)
    assert rules is not None
    assert rules.currency == "EUR"
    assert rules.min_amount > 0 and rules.max_amount == capital_sim.state.topup.max_amount
    assert "not documented" in rules.notes
    assert service.funding_rules(eur, FundingKind.DEPOSIT) is None

    before = capital_sim.state.market.figures(eur.account_id).cash
    result = run(service.fund(FundingRequest(eur, FundingKind.DEMO_TOPUP, Decimal("1234.56"))))
    assert result.accepted
    assert result.new_balance == before + Decimal("1234.56")
    assert capital_sim.state.market.figures(eur.account_id).cash == result.new_balance
    accounts = {a.ref.account_id: a for a in run(service.accounts())}
    assert accounts[eur.account_id].balance.balance == result.new_balance

    refused = run(service.fund(FundingRequest(eur, FundingKind.DEMO_TOPUP, Decimal("50000"))))
    assert refused.status is OrderStatus.REJECTED
    assert capital_sim.state.market.figures(eur.account_id).cash == result.new_balance


def test_lost_reply_on_open_is_reconciled_to_exactly_one_position(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    run(service.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)))  # an older twin
    run(service.positions(usd))  # listed here before the next order is sent
    capital_sim.state.drop_reply_next("/positions")
    request = OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)
    journalled_at = utc_now()

    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    result = run(service.reconcile_order(request, "", since=journalled_at))

    assert result.status is OrderStatus.ACCEPTED
    assert capital_sim.state.stats["requests"]["POST /positions"] == 2  # never resent
    positions = sim_positions(capital_sim, usd.account_id)
    assert len(positions) == 2
    newest = max(positions, key=lambda p: p.created_at)
    assert result.deal_ids == (newest.deal_id,)


def test_lost_reply_of_a_refused_order_is_found_refused_in_the_history(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    # The broker never got to open it (a closed market rejects); the reply is lost too.
    capital_sim.state.market.set_status("BTCUSD", "CLOSED")
    capital_sim.state.drop_reply_next("/positions")
    request = OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)
    journalled_at = utc_now()
    with pytest.raises(MaybeSent) as caught:
        run(service.place_order(request))
    assert caught.value.message
    found = run(service.reconcile_order(request, "", since=journalled_at))
    # The dealing history shows the refusal: nothing was done, said so, never resent.
    assert found.status is OrderStatus.REJECTED and "refused" in found.reason
    assert capital_sim.state.stats["requests"]["POST /positions"] == 1


def test_a_write_that_met_an_expired_session_is_sent_again_once(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    opened = run(service.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)))
    (deal_id,) = opened.deal_ids
    capital_sim.state.fail_next(401, "error.invalid.session.token", f"/positions/{deal_id}")

    closed = run(service.close_position(usd, deal_id))

    assert closed.status is OrderStatus.ACCEPTED
    assert service.client.logins == 2
    assert capital_sim.state.stats["requests"]["DELETE /positions/{dealId}"] == 2
    assert sim_positions(capital_sim, usd.account_id) == []


def test_reconcile_order_from_the_journal(service: CapitalService, capital_sim, run) -> None:
    usd, _ = account_refs(capital_sim, service)
    request = OrderRequest(usd, "BTCUSD", Side.SELL, SIZE)
    journalled_at = utc_now()
    placed = run(service.place_order(request))

    by_ref = run(service.reconcile_order(request, placed.broker_ref))
    assert by_ref.status is OrderStatus.ACCEPTED
    assert by_ref.deal_ids == placed.deal_ids

    by_match = run(service.reconcile_order(request, "", since=journalled_at))
    assert by_match.status is OrderStatus.ACCEPTED
    assert by_match.deal_ids == placed.deal_ids

    other = OrderRequest(usd, "ETHUSD", Side.BUY, Decimal("0.5"))
    assert run(service.reconcile_order(other, "", since=journalled_at)).status is (
        OrderStatus.UNKNOWN)


def test_trading_on_the_second_account_switches_first(
    service: CapitalService, capital_sim, run
) -> None:
    usd, eur = account_refs(capital_sim, service)
    result = run(service.place_order(OrderRequest(eur, "BTCUSD", Side.BUY, SIZE)))
    assert result.accepted
    assert len(sim_positions(capital_sim, eur.account_id)) == 1
    assert sim_positions(capital_sim, usd.account_id) == []
    assert [p.position_id for p in run(service.positions(eur))] == list(result.deal_ids)
    assert run(service.positions(usd)) == []


def test_lost_reply_on_close_is_reconciled_from_the_positions(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    (deal_id,) = run(service.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, SIZE))).deal_ids
    capital_sim.state.drop_reply_next(f"/positions/{deal_id}")
    closed = run(service.close_position(usd, deal_id))
    assert closed.status is OrderStatus.ACCEPTED
    assert closed.deal_ids == (deal_id,)
    assert capital_sim.state.stats["requests"]["DELETE /positions/{dealId}"] == 1
    assert sim_positions(capital_sim, usd.account_id) == []


def test_lost_reply_on_top_up_is_reconciled_from_the_balance(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    before = capital_sim.state.market.figures(usd.account_id).cash
    capital_sim.state.drop_reply_next("/accounts/topUp")
    result = run(service.fund(FundingRequest(usd, FundingKind.DEMO_TOPUP, Decimal("100"))))
    assert result.accepted
    assert result.new_balance == before + 100
    assert capital_sim.state.stats["requests"]["POST /accounts/topUp"] == 1
    assert capital_sim.state.market.figures(usd.account_id).cash == before + 100


def test_closed_service_refuses_calls(make_service, capital_sim, run) -> None:
    service = make_service()
    run(service.connect())
    run(service.close())
    run(service.close())  # idempotent
    assert capital_sim.state.stats["requests"]["DELETE /session"] == 1
    assert capital_sim.state.sessions == {}
    with pytest.raises(Unavailable):
        run(service.accounts())
