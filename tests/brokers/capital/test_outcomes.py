"""Once Capital.com may have taken a write, an unreadable outcome is UNKNOWN, never REJECTED.

Also: reconciliation never claims an older identical deal, and numbers go on the wire
exactly as the Decimals they are.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from desktop_app.brokers.capital.service import CapitalService
from desktop_app.domain import exact_json
from desktop_app.domain.errors import OutcomeUnknown
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
from tests.brokers.capital.conftest import Tap, account_refs

SIZE = Decimal("0.01")  # Bitcoin: trades around the clock
CONFIRMS = "GET /confirms/{dealReference}"


def backdate(sim, account_id: str, deal_id: str, minutes: int) -> None:
    """Make a deal older at the simulator: its position and its dealing history."""
    market = sim.state.market
    market.account(account_id).positions[deal_id].created_at -= timedelta(minutes=minutes)
    for i, result in enumerate(market.activity):
        if any(a.deal_id == deal_id for a in result.affected):
            market.activity[i] = replace(result, at=result.at - timedelta(minutes=minutes))


def sim_positions(sim, account_id: str):
    return list(sim.state.market.account(account_id).positions.values())


def fail_reads(sim, path_prefix: str) -> None:
    """A server error on the next read and on every retry of it."""
    sim.state.fail_next(503, "error.service.unavailable", path_prefix, count=4)


def test_unreadable_confirm_after_the_order_was_taken_is_unknown_with_its_reference(
    tapped: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, tapped)
    fail_reads(capital_sim, "/confirms")
    handed: list[tuple[str, int]] = []

    def on_reference(ref: str) -> None:
        handed.append((ref, capital_sim.state.stats["requests"][CONFIRMS]))

    result = run(tapped.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, SIZE), on_reference))

    assert result.status is OrderStatus.UNKNOWN
    assert result.broker_ref.startswith("o_")
    assert handed == [(result.broker_ref, 0)]  # handed over before any confirm was asked
    assert "confirmation could not be read" in result.reason
    assert "Nothing was resent" in result.reason
    assert capital_sim.state.stats["requests"]["POST /positions"] == 1
    assert len(sim_positions(capital_sim, usd.account_id)) == 1  # the broker did take it


def test_success_without_a_deal_reference_is_maybe_sent_then_unknown_not_rejected(
    tapped: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, tapped)
    # HTTP 200 with a body that holds no dealReference (and the order was not processed).
    capital_sim.state.fail_next(200, "", "/positions", count=1)
    handed: list[str] = []
    request = OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)
    journalled_at = utc_now()

    with pytest.raises(MaybeSent):
        run(tapped.place_order(request, handed.append))
    found = run(tapped.reconcile_order(request, "", since=journalled_at))

    assert found.status is OrderStatus.UNKNOWN  # still looking: never "not executed"
    assert "No matching BTCUSD order" in found.reason
    assert handed == []
    assert capital_sim.state.stats["requests"]["POST /positions"] == 1  # never resent
    assert capital_sim.state.stats["requests"]["GET /history/activity"] >= 1  # it looked


def test_unreadable_success_reply_is_reconciled_to_the_new_position(
    tapped: CapitalService, tap: Tap, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, tapped)
    tap.spoil_reply("/positions", b"<html>proxy hiccup</html>")
    request = OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)
    journalled_at = utc_now()

    with pytest.raises(MaybeSent):
        run(tapped.place_order(request))
    result = run(tapped.reconcile_order(request, "", since=journalled_at))

    assert result.status is OrderStatus.ACCEPTED
    (position,) = sim_positions(capital_sim, usd.account_id)
    assert result.deal_ids == (position.deal_id,)
    assert capital_sim.state.stats["requests"]["POST /positions"] == 1


def test_lost_reply_never_claims_an_older_identical_position(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    request = OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)
    (old_id,) = run(service.place_order(request)).deal_ids
    backdate(capital_sim, usd.account_id, old_id, 10)  # opened well before this order
    capital_sim.state.market.set_status("BTCUSD", "CLOSED")  # the new one is not opened
    capital_sim.state.drop_reply_next("/positions")
    journalled_at = utc_now()

    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    by_time = run(service.reconcile_order(request, "", since=journalled_at))
    guess = run(service.reconcile_order(request, ""))

    # The history shows the new one refused (market closed), never the older twin.
    assert by_time.status is OrderStatus.REJECTED and old_id not in by_time.deal_ids
    assert guess.status is OrderStatus.UNKNOWN and guess.deal_ids == ()
    assert [p.deal_id for p in sim_positions(capital_sim, usd.account_id)] == [old_id]


def test_a_deal_claimed_by_another_journal_entry_is_not_counted(
    service: CapitalService, capital_sim, run
) -> None:
    """Two identical orders within the clock margin (a confirmed double): the first one's
    deal is claimed by its own entry, so the lost second finds only its own."""
    usd, _ = account_refs(capital_sim, service)
    request = OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)
    journalled_at = utc_now()
    (first,) = run(service.place_order(request)).deal_ids
    (second,) = run(service.place_order(request)).deal_ids

    both = run(service.reconcile_order(request, "", since=journalled_at))
    mine = run(service.reconcile_order(request, "", since=journalled_at,
                                       exclude=frozenset({first})))

    assert both.status is OrderStatus.UNKNOWN and "2 BTCUSD deals" in both.reason
    assert mine.status is OrderStatus.ACCEPTED and mine.deal_ids == (second,)


def test_reconcile_by_time_finds_the_new_deal_beside_an_older_twin(
    service: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, service)
    request = OrderRequest(usd, "BTCUSD", Side.SELL, SIZE)
    (old_id,) = run(service.place_order(request)).deal_ids
    backdate(capital_sim, usd.account_id, old_id, 10)
    journalled_at = utc_now()
    (new_id,) = run(service.place_order(request)).deal_ids

    found = run(service.reconcile_order(request, "", since=journalled_at))

    assert found.status is OrderStatus.ACCEPTED
    assert found.deal_ids == (new_id,)


def test_unreadable_reconcile_is_unknown(tapped: CapitalService, capital_sim, run) -> None:
    usd, _ = account_refs(capital_sim, tapped)
    request = OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)
    fail_reads(capital_sim, "/confirms")
    by_ref = run(tapped.reconcile_order(request, "o_lost"))
    assert by_ref.status is OrderStatus.UNKNOWN
    assert by_ref.broker_ref == "o_lost"

    fail_reads(capital_sim, "/history")
    by_time = run(tapped.reconcile_order(request, "", since=utc_now()))
    assert by_time.status is OrderStatus.UNKNOWN
    assert "deals could not be read" in by_time.reason


@pytest.mark.parametrize("target", ["position", "order"])
def test_close_or_cancel_whose_target_is_still_listed_is_unknown(
    service: CapitalService, capital_sim, run, target: str
) -> None:
    usd, _ = account_refs(capital_sim, service)
    if target == "position":
        placed = run(service.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, SIZE)))
    else:
        level = (run(service.quote(usd, "BTCUSD")).offer * Decimal("0.5")).quantize(
            Decimal("0.01")
        )
        placed = run(service.place_order(
            OrderRequest(usd, "BTCUSD", Side.BUY, SIZE, OrderType.LIMIT, level=level)
        ))
    (deal_id,) = placed.deal_ids
    # The DELETE meets a server error: it may or may not have been carried out.
    path = f"/positions/{deal_id}" if target == "position" else f"/workingorders/{deal_id}"
    capital_sim.state.fail_next(500, "error.internal", path)

    if target == "position":
        result = run(service.close_position(usd, deal_id))
        still_there = [p.deal_id for p in sim_positions(capital_sim, usd.account_id)]
    else:
        result = run(service.cancel_order(usd, deal_id))
        still_there = list(capital_sim.state.market.account(usd.account_id).orders)

    assert result.status is OrderStatus.UNKNOWN
    assert result.deal_ids == (deal_id,)
    assert "Nothing was resent" in result.reason
    assert still_there == [deal_id]


def test_close_whose_confirm_is_unreadable_is_settled_from_the_list(
    tapped: CapitalService, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, tapped)
    (deal_id,) = run(tapped.place_order(OrderRequest(usd, "BTCUSD", Side.BUY, SIZE))).deal_ids
    fail_reads(capital_sim, "/confirms")

    closed = run(tapped.close_position(usd, deal_id))

    assert closed.status is OrderStatus.ACCEPTED
    assert closed.broker_ref
    assert sim_positions(capital_sim, usd.account_id) == []


def test_top_up_taken_but_balance_unreadable_is_accepted_without_a_balance(
    tapped: CapitalService, tap: Tap, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, tapped)
    before = capital_sim.state.market.figures(usd.account_id).cash
    tap.after("/accounts/topUp", lambda: fail_reads(capital_sim, "/accounts"))

    result = run(tapped.fund(FundingRequest(usd, FundingKind.DEMO_TOPUP, Decimal("1234.56"))))

    assert result.status is OrderStatus.ACCEPTED
    assert result.new_balance is None
    assert "could not be read" in result.message
    assert capital_sim.state.market.figures(usd.account_id).cash == before + Decimal("1234.56")
    (body,) = tap.bodies("POST", "/accounts/topUp")
    assert body == b'{"amount":1234.56}'


def test_lost_top_up_reply_with_unreadable_balance_is_outcome_unknown(
    tapped: CapitalService, tap: Tap, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, tapped)
    before = capital_sim.state.market.figures(usd.account_id).cash
    capital_sim.state.drop_reply_next("/accounts/topUp")
    tap.after("/accounts/topUp", lambda: fail_reads(capital_sim, "/accounts"))

    with pytest.raises(OutcomeUnknown) as caught:
        run(tapped.fund(FundingRequest(usd, FundingKind.DEMO_TOPUP, Decimal("100"))))

    assert "balance could not be read" in caught.value.message
    assert "Nothing was resent" in caught.value.user_text()
    assert capital_sim.state.stats["requests"]["POST /accounts/topUp"] == 1
    assert capital_sim.state.market.figures(usd.account_id).cash == before + 100


def test_sizes_and_levels_go_on_the_wire_exactly(
    tapped: CapitalService, tap: Tap, capital_sim, run
) -> None:
    usd, _ = account_refs(capital_sim, tapped)
    request = OrderRequest(
        usd, "BTCUSD", Side.BUY, Decimal("0.1"), OrderType.LIMIT, level=Decimal("1.08503")
    )
    placed = run(tapped.place_order(request))
    assert placed.status is OrderStatus.ACCEPTED

    (body,) = tap.bodies("POST", "/workingorders")
    assert b'"size":0.1,' in body
    assert b'"level":1.08503,' in body
    assert json.loads(body, parse_float=Decimal)["level"] == Decimal("1.08503")
    (order,) = capital_sim.state.market.account(usd.account_id).orders.values()
    assert order.size == Decimal("0.1")


def test_wire_json_keeps_every_digit_and_refuses_floats() -> None:
    precise = Decimal("1.0850300000000000001")  # more digits than a float holds
    assert exact_json.dumps({"level": precise, "size": Decimal("1E+2"), "on": True}) == (
        b'{"level":1.0850300000000000001,"size":100,"on":true}'
    )
    assert exact_json.loads(b'{"level":1.0850300000000000001}')["level"] == precise
    with pytest.raises(TypeError):
        exact_json.dumps({"size": 0.1})
