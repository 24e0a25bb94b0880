"""Orders, positions, working orders, contracts and quotes against the simulator."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from desktop_app.brokers.tradovate.service import TradovateService
from desktop_app.domain.errors import NotFound, NotSupported, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    InstrumentKind,
    OrderAmendment,
    OrderRequest,
    OrderStatus,
    OrderType,
    Quote,
    Side,
)
from desktop_app.net.http import MaybeSent
from tests.brokers.tradovate.conftest import Tap, account_refs, front_month, requests

PLACE = "POST /order/placeorder"


def placed_bodies(sim) -> list[dict]:
    return list(sim.state.orders_placed)


def test_market_order_opens_a_named_position_with_pl_from_the_quote(
    service: TradovateService, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    handed: list[str] = []
    request = OrderRequest(usd, es, Side.BUY, Decimal(2))

    result = run(service.place_order(request, handed.append))

    assert result.status is OrderStatus.ACCEPTED
    assert handed == [result.broker_ref] and result.deal_ids == (result.broker_ref,)
    (body,) = placed_bodies(tradovate_sim)
    account = tradovate_sim.state.accounts[int(usd.account_id)]
    assert body == {
        "accountSpec": account.name, "accountId": account.account_id,
        "clOrdId": request.client_ref, "action": "Buy", "symbol": es, "orderQty": 2,
        "orderType": "Market", "isAutomated": False,
    }

    tradovate_sim.state.market.freeze_prices()
    # Real Tradovate prices come over the market-data stream only.
    streamed: list[Quote] = []
    stream = service.quote_stream()

    async def first_price() -> None:
        arrived = asyncio.Event()

        def take(quote: Quote) -> None:
            streamed.append(quote)
            arrived.set()

        await stream.open(take)
        assert await stream.subscribe([es]) == {}
        await asyncio.wait_for(arrived.wait(), 5)

    run(first_price())
    (position,) = run(service.positions(usd))
    run(stream.close())
    assert position.symbol == es and position.side is Side.BUY
    assert position.name.startswith("E-Mini S&P 500 ")
    assert position.size == Decimal(2)
    quote = tradovate_sim.state.market.quote(es)
    assert (streamed[-1].bid, streamed[-1].offer) == (quote.bid, quote.offer)
    assert position.current_level == quote.bid
    assert position.profit_loss == (quote.bid - position.open_level) * 2 * 50
    assert position.profit_loss == tradovate_sim.state.market.figures(usd.account_id).profit_loss
    assert {f.label for f in position.facts} >= {"Value per point", "Tick size"}
    record = next(iter(tradovate_sim.state.book.positions.values()))
    assert position.position_id == str(record.position_id)


def test_short_position_and_names_are_looked_up_once(
    service: TradovateService, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    cl = front_month(tradovate_sim, "CL")
    assert run(service.place_order(OrderRequest(usd, cl, Side.SELL, Decimal(1)))).accepted
    tradovate_sim.state.market.freeze_prices()
    tradovate_sim.state.rest_quotes = True  # the simulator's REST stand-in (not real)

    for _ in range(3):
        (position,) = run(service.positions(usd))
    assert position.side is Side.SELL and position.size == 1
    quote = tradovate_sim.state.market.quote(cl)
    assert position.current_level == quote.offer
    assert position.profit_loss == (quote.offer - position.open_level) * -1 * 1000
    # Contract and product details are cached for good; only the list and quotes repeat.
    assert requests(tradovate_sim, "GET /contract/items") == 1
    assert requests(tradovate_sim, "GET /product/find") == 1
    assert requests(tradovate_sim, "GET /position/list") == 3


@pytest.mark.parametrize(
    ("order_type", "wire", "fields"),
    [
        (OrderType.LIMIT, "Limit", {"price"}),
        (OrderType.STOP, "Stop", {"stopPrice"}),
        (OrderType.STOP_LIMIT, "StopLimit", {"price", "stopPrice"}),
    ],
)
def test_working_orders_are_listed_with_their_version_and_cancelled(
    service: TradovateService, tradovate_sim, run, order_type, wire, fields
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.market.freeze_prices()
    bid = tradovate_sim.state.market.quote(es).bid
    # Buy limit below the market; buy stops above it (they wait to be touched).
    level = bid - 100 if order_type is OrderType.LIMIT else bid + 100
    stop = bid + 90 if order_type is OrderType.STOP_LIMIT else None
    request = OrderRequest(usd, es, Side.BUY, Decimal(3), order_type, level=level,
                           stop_price=stop)

    placed = run(service.place_order(request))

    assert placed.accepted
    (body,) = placed_bodies(tradovate_sim)
    assert body["orderType"] == wire and body["isAutomated"] is False
    assert body["timeInForce"] == "GTC"
    assert {k for k in ("price", "stopPrice") if k in body} == fields
    (order,) = run(service.working_orders(usd))
    assert order.order_id == placed.broker_ref
    assert (order.order_type, order.side, order.size) == (order_type, Side.BUY, Decimal(3))
    assert order.level == level and order.stop_price == stop
    assert order.symbol == es and order.name.startswith("E-Mini S&P 500")

    cancelled = run(service.cancel_order(usd, order.order_id))
    assert cancelled.accepted and cancelled.broker_ref
    assert run(service.working_orders(usd)) == []
    assert run(service.cancel_order(usd, order.order_id)).status is OrderStatus.REJECTED


def test_modify_changes_price_and_size(service: TradovateService, tradovate_sim, run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.market.freeze_prices()
    bid = tradovate_sim.state.market.quote(es).bid
    placed = run(service.place_order(
        OrderRequest(usd, es, Side.BUY, Decimal(1), OrderType.LIMIT, level=bid - 50)))
    run(service.working_orders(usd))  # caches the first version

    changed = run(service.modify_order(OrderAmendment(
        usd, placed.broker_ref, level=bid - 60, size=Decimal(4))))

    assert changed.accepted
    (order,) = run(service.working_orders(usd))
    assert (order.level, order.size) == (bid - 60, Decimal(4))
    with pytest.raises(NotSupported):
        run(service.modify_order(OrderAmendment(usd, placed.broker_ref, stop_level=bid)))


def test_close_position_liquidates_it(service: TradovateService, tradovate_sim, run) -> None:
    usd, eur = account_refs(tradovate_sim, service)
    mes = front_month(tradovate_sim, "MES")
    assert run(service.place_order(OrderRequest(usd, mes, Side.BUY, Decimal(3)))).accepted
    assert run(service.place_order(OrderRequest(eur, mes, Side.SELL, Decimal(1)))).accepted
    (position,) = run(service.positions(usd))

    closed = run(service.close_position(usd, position.position_id))

    assert closed.accepted and closed.broker_ref
    assert run(service.positions(usd)) == []
    assert len(run(service.positions(eur))) == 1  # the other account's is untouched
    assert requests(tradovate_sim, "POST /order/liquidateposition") == 1
    gone = run(service.close_position(usd, position.position_id))
    assert gone.status is OrderStatus.REJECTED


def test_refusals_carry_the_brokers_words(service: TradovateService, tradovate_sim, run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.reject_next_order("MaxPosLimitReached", "Max position limit reached")

    refused = run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1))))
    assert refused.status is OrderStatus.REJECTED
    assert refused.reason == "Max position limit reached"

    off_tick = run(service.place_order(OrderRequest(
        usd, es, Side.BUY, Decimal(1), OrderType.LIMIT, level=Decimal("5000.10"))))
    assert off_tick.status is OrderStatus.REJECTED
    assert "tick size" in off_tick.reason

    unknown = run(service.place_order(OrderRequest(usd, "XXZ9", Side.BUY, Decimal(1))))
    assert unknown.status is OrderStatus.REJECTED and "XXZ9" in unknown.reason
    assert tradovate_sim.state.orders_placed == []


def test_bad_requests_are_refused_before_sending(service: TradovateService, tradovate_sim,
                                                 run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    with pytest.raises(ValidationError) as size:
        run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal("1.5"))))
    assert size.value.field == "size"
    with pytest.raises(ValidationError) as level:
        run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1), OrderType.LIMIT)))
    assert level.value.field == "level"
    with pytest.raises(ValidationError) as stop:
        run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1),
                                             OrderType.STOP_LIMIT, level=Decimal(5000))))
    assert stop.value.field == "stop_price"
    with pytest.raises(NotSupported):
        run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1),
                                             stop_level=Decimal(5000))))
    assert requests(tradovate_sim, PLACE) == 0


def test_search_find_details_and_quote(service: TradovateService, tradovate_sim, run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.rest_quotes = True  # the simulator's REST stand-in (not real)

    found = run(service.search_instruments(usd, "es"))
    assert es in [i.symbol for i in found]
    assert all(i.kind is InstrumentKind.FUTURE and i.size_label == "Contracts" for i in found)
    exact = run(service.search_instruments(usd, es))
    assert exact[0].symbol == es
    assert run(service.search_instruments(usd, "   ")) == []

    details = run(service.instrument_details(usd, es))
    facts = {f.label: f.value for f in details.facts}
    assert facts["Value per point"] == "50.00 USD"
    assert facts["Tick size"] == "0.25" and facts["Tick value"] == "12.50 USD"
    assert facts["Contract month"] in details.name

    tradovate_sim.state.market.freeze_prices()
    quote = run(service.quote(usd, es))
    market = tradovate_sim.state.market.quote(es)
    assert (quote.symbol, quote.bid, quote.offer) == (es, market.bid, market.offer)
    assert quote.as_of.utcoffset() is not None


def test_lost_reply_on_placeorder_is_reconciled_to_the_one_new_order(
    service: TradovateService, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    # An identical older order is not ours.
    older = run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1))))
    tradovate_sim.state.drop_reply_next("/order/placeorder")
    request = OrderRequest(usd, es, Side.BUY, Decimal(1))
    journalled_at = utc_now()

    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    result = run(service.reconcile_order(request, "", since=journalled_at))

    assert result.status is OrderStatus.ACCEPTED
    assert result.broker_ref and result.broker_ref != older.broker_ref
    assert "Found at Tradovate among the orders" in result.reason
    assert requests(tradovate_sim, PLACE) == 2  # never resent
    assert len(tradovate_sim.state.orders_placed) == 2


def test_lost_reply_with_nothing_placed_stays_unknown(
    service: TradovateService, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.reject_next_order("SessionClosed", "Market is closed")
    tradovate_sim.state.drop_reply_next("/order/placeorder")
    request = OrderRequest(usd, es, Side.BUY, Decimal(1))
    journalled_at = utc_now()

    with pytest.raises(MaybeSent):
        run(service.place_order(request))
    found = run(service.reconcile_order(request, "", since=journalled_at))

    assert found.status is OrderStatus.UNKNOWN and "No matching" in found.reason
    assert requests(tradovate_sim, PLACE) == 1


def test_unreadable_reply_is_reconciled_not_rejected(tapped: TradovateService, tap: Tap,
                                                     tradovate_sim, run) -> None:
    usd, _ = account_refs(tradovate_sim, tapped)
    es = front_month(tradovate_sim, "ES")
    tap.spoil_reply("/order/placeorder", b"<html>proxy hiccup</html>")
    request = OrderRequest(usd, es, Side.SELL, Decimal(2))
    journalled_at = utc_now()

    with pytest.raises(MaybeSent):
        run(tapped.place_order(request))
    result = run(tapped.reconcile_order(request, "", since=journalled_at))

    assert result.status is OrderStatus.ACCEPTED
    (order_id,) = tradovate_sim.state.book.orders
    assert result.broker_ref == str(order_id)
    assert len(tap.bodies("/order/placeorder")) == 1


def test_reconcile_order_after_a_restart(service: TradovateService, tradovate_sim, run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    request = OrderRequest(usd, es, Side.BUY, Decimal(1))
    before = utc_now()
    placed = run(service.place_order(request))

    by_ref = run(service.reconcile_order(request, placed.broker_ref))
    assert by_ref.accepted and by_ref.broker_ref == placed.broker_ref
    # A new session (after a restart) has seen no order listed yet.
    fresh = type(service)(service.profile, dict(service.fields))
    try:
        by_time = run(fresh.reconcile_order(request, "", since=before))
        assert by_time.accepted and by_time.broker_ref == placed.broker_ref
        guess = run(fresh.reconcile_order(request, ""))
        assert guess.status is OrderStatus.UNKNOWN
        later = OrderRequest(usd, es, Side.BUY, Decimal(1))
        # Sent "later": the existing order is older, so not this one's.
        too_old = run(fresh.reconcile_order(later, "", since=utc_now().replace(year=2099)))
        assert too_old.status is OrderStatus.UNKNOWN
    finally:
        run(fresh.close())
    assert requests(tradovate_sim, PLACE) == 1


def test_numbers_go_on_the_wire_exactly(tapped: TradovateService, tap: Tap, tradovate_sim,
                                        run) -> None:
    usd, _ = account_refs(tradovate_sim, tapped)
    cl = front_month(tradovate_sim, "CL")
    run(tapped.place_order(OrderRequest(usd, cl, Side.BUY, Decimal(1), OrderType.LIMIT,
                                        level=Decimal("10.01"))))
    (raw,) = tap.bodies("/order/placeorder")
    assert b'"price":10.01' in raw
    assert json.loads(raw)["orderQty"] == 1


def test_without_rest_quotes_positions_keep_their_entry_price(
    tapped: TradovateService, tap: Tap, tradovate_sim, run
) -> None:
    """Real Tradovate has no /md/getquote (quotes come over its WebSocket)."""
    usd, _ = account_refs(tradovate_sim, tapped)
    es = front_month(tradovate_sim, "ES")
    tap.as_real("/md/getquote", 404)
    assert run(tapped.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1)))).accepted

    (position,) = run(tapped.positions(usd))
    assert position.current_level == position.open_level and position.profit_loss == 0
    assert any(f.value == "no streamed price yet" for f in position.facts)
    assert tapped.capabilities.quotes is False  # the poller stops asking
    assert "WebSocket" in tapped.capabilities.why_not("quotes")
    with pytest.raises(NotSupported) as caught:
        run(tapped.quote(usd, es))
    assert "WebSocket" in caught.value.message
    run(tapped.positions(usd))
    assert len([p for _m, p, _b in tap.sent if p == "/md/getquote"]) == 1  # asked once


def test_unknown_contract_is_not_found(service: TradovateService, tradovate_sim, run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    with pytest.raises(NotFound) as caught:
        run(service.quote(usd, "QQZ9"))
    assert caught.value.message == "Tradovate knows no contract QQZ9."
    assert run(service.search_instruments(usd, "QQZ9")) == []
