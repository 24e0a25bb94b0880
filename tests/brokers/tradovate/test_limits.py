"""Budgets, penalty tickets, 423 and the 429 lock-out: waited out, never hammered."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from desktop_app.brokers.tradovate.budgets import SUSTAINED, tradovate_budgets
from desktop_app.brokers.tradovate.service import TradovateService
from desktop_app.domain.errors import RateLimited
from desktop_app.domain.types import OrderRequest, OrderStatus, Side
from desktop_app.net.limiter import Priority, context_priority
from tests.brokers.tradovate.conftest import Tap, account_refs, front_month, requests

PLACE = "POST /order/placeorder"
ACCOUNTS = "GET /account/list"


def test_the_default_budget_keeps_polling_inside_the_hourly_limit() -> None:
    budgets = tradovate_budgets()
    default = budgets[0]
    assert default.name == SUSTAINED
    # The most any hour can hold of the default budget, against 5,000 per hour.
    assert default.limit * (3600 / default.period) <= 5000 * 0.9
    by_name = {b.name: b for b in budgets}
    assert by_name["hour"].limit < 5000 and by_name["hour"].period == 3600
    assert by_name["minute"].limit < 5000 and by_name["second"].limit < 1000
    assert by_name["auth"].limit < 10 and by_name["auth"].period == 60


def test_polls_count_against_the_default_and_clicks_do_not(
    service: TradovateService, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, service)

    def used() -> dict[str, int]:
        return {u.name: u.used for u in service.limiter.usage()}

    before = used()
    run(service.accounts())  # a poll: list + two snapshots
    polled = used()
    assert polled[SUSTAINED] - before[SUSTAINED] == 3
    assert polled["hour"] - before["hour"] == 3

    async def click() -> None:
        token = context_priority.set(Priority.INTERACTIVE)  # as the hub sets it
        try:
            await service.search_instruments(usd, "MNQ")
        finally:
            context_priority.reset(token)

    run(click())
    clicked = used()
    assert clicked[SUSTAINED] == polled[SUSTAINED]
    assert clicked["hour"] > polled["hour"]


def test_a_penalised_order_is_resent_with_its_ticket_and_placed_once(
    tapped: TradovateService, tap: Tap, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, tapped)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.penalty_next("/order/placeorder", p_time=0.4)
    run(tapped.accounts())

    started = time.monotonic()
    result = run(tapped.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1))))
    waited = time.monotonic() - started

    assert result.status is OrderStatus.ACCEPTED
    assert len(tradovate_sim.state.orders_placed) == 1  # exactly one order
    assert waited >= 0.35  # p-time was waited out
    first, second = (json.loads(b) for b in tap.bodies("/order/placeorder"))
    assert "p-ticket" not in first
    ticket = second.pop("p-ticket")
    assert ticket and second == first  # the identical body plus the ticket
    assert tradovate_sim.state.stats["penalties"][PLACE] == 1
    assert tapped.limiter.pauses >= 1


def test_a_penalty_on_a_read_makes_other_requests_wait_too(
    service: TradovateService, tradovate_sim, run
) -> None:
    tradovate_sim.state.penalty_next("/account/list", p_time=0.4)
    started = time.monotonic()
    run(service.accounts())
    assert time.monotonic() - started >= 0.35
    assert requests(tradovate_sim, ACCOUNTS) == 2
    assert tradovate_sim.state.stats["penalties"][ACCOUNTS] == 1


def test_a_captcha_penalty_on_an_order_is_not_resent(
    service: TradovateService, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.penalty_next("/order/placeorder", p_time=3600, captcha=True)

    with pytest.raises(RateLimited) as caught:
        run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1))))

    assert "captcha" in caught.value.message and "nothing was resent" in caught.value.message
    assert "hour" in caught.value.user_text()
    assert requests(tradovate_sim, PLACE) == 1
    assert tradovate_sim.state.orders_placed == []
    with pytest.raises(RateLimited):  # that endpoint is left alone meanwhile ...
        run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1))))
    assert requests(tradovate_sim, PLACE) == 1
    assert run(service.accounts())  # ... the rest carries on


def test_a_long_penalty_on_an_order_is_refused_not_waited(
    service: TradovateService, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.penalty_next("/order/placeorder", p_time=30)

    with pytest.raises(RateLimited) as caught:
        run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1))), timeout=5)

    assert "30 s" in caught.value.message and "Nothing was placed" in caught.value.user_text()
    assert requests(tradovate_sim, PLACE) == 1 and tradovate_sim.state.orders_placed == []


def test_423_pauses_then_repeats_a_read(service: TradovateService, tradovate_sim, run) -> None:
    tradovate_sim.state.force_423(count=1, path="/account/list")
    started = time.monotonic()
    assert len(run(service.accounts())) == 2
    assert time.monotonic() - started >= 0.15  # the pause (0.2 s in these tests)
    assert requests(tradovate_sim, ACCOUNTS) == 2
    assert tradovate_sim.state.stats["423"][ACCOUNTS] == 1


def test_423_on_an_order_is_refused_and_not_resent(
    service: TradovateService, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.force_423(count=1, path="/order/placeorder")

    with pytest.raises(RateLimited) as caught:
        run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1))))

    assert "HTTP 423" in caught.value.message and "not resent" in caught.value.message
    assert requests(tradovate_sim, PLACE) == 1 and tradovate_sim.state.orders_placed == []


def test_429_locks_out_every_call_for_the_hour_without_hammering(
    service: TradovateService, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    tradovate_sim.state.force_429(count=1, path="/account/list")

    with pytest.raises(RateLimited) as caught:
        run(service.accounts())
    assert "locked this login out" in caught.value.message
    assert "hour" in caught.value.message
    assert caught.value.retry_after == pytest.approx(3600, abs=5)

    total = sum(tradovate_sim.state.stats["requests"].values())
    for call in (service.accounts(), service.positions(usd), service.quote(usd, es),
                 service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1)))):
        with pytest.raises(RateLimited) as again:
            run(call, timeout=5)
        assert "min left" in again.value.message
    assert sum(tradovate_sim.state.stats["requests"].values()) == total  # nothing sent
    assert tradovate_sim.state.stats["429"][ACCOUNTS] == 1
    assert all(u.paused_for > 3500 for u in service.limiter.usage())
