"""Tradovate's product session read into the ticket: outside it (the daily break, the
weekend, the pre-open) the quote says when trading starts; an order outside hours gets
Tradovate's own refusal."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from desktop_app.brokers.tradovate.hours import SessionState, session_now
from desktop_app.domain.types import OrderRequest, OrderStatus, Side
from tests.brokers.tradovate.conftest import account_refs, front_month

ES_SESSION = {"openTime": {"hour": 16, "minute": 45}, "startTime": {"hour": 17, "minute": 0},
              "stopTime": {"hour": 16, "minute": 0}, "closeTime": {"hour": 16, "minute": 0},
              "sundayOpenTime": {"hour": 16, "minute": 0}}
SATURDAY = datetime(2025, 1, 18, 12, 0, tzinfo=UTC)
WEDNESDAY = datetime(2025, 1, 15, 15, 0, tzinfo=UTC)
CME_BREAK = datetime(2025, 1, 15, 22, 20, tzinfo=UTC)  # 16:20 in Chicago (winter)
CME_PRE_OPEN = datetime(2025, 1, 15, 22, 50, tzinfo=UTC)  # 16:50 in Chicago
SUNDAY_PRE_OPEN = datetime(2025, 7, 20, 21, 30, tzinfo=UTC)  # 16:30 in Chicago (summer)


def test_the_session_in_exchange_time() -> None:
    assert session_now(ES_SESSION, WEDNESDAY).state is SessionState.OPEN
    assert session_now(ES_SESSION, WEDNESDAY).opens_at is None
    broken = session_now(ES_SESSION, CME_BREAK)
    assert broken.state is SessionState.CLOSED
    assert broken.opens_at == datetime(2025, 1, 15, 23, 0, tzinfo=UTC)
    pre = session_now(ES_SESSION, CME_PRE_OPEN)
    assert pre.state is SessionState.PRE_OPEN and pre.opens_at == broken.opens_at
    weekend = session_now(ES_SESSION, SATURDAY)
    assert weekend.state is SessionState.CLOSED
    assert weekend.opens_at == datetime(2025, 1, 19, 23, 0, tzinfo=UTC)  # Sunday 17:00 CT
    sunday = session_now(ES_SESSION, SUNDAY_PRE_OPEN)  # daylight saving: 22:00 UTC
    assert sunday.state is SessionState.PRE_OPEN
    assert sunday.opens_at == datetime(2025, 7, 20, 22, 0, tzinfo=UTC)
    assert session_now({}, WEDNESDAY) is None


def test_the_ticket_data_says_when_it_opens_and_the_broker_refuses(tradovate_sim, service, run):
    tradovate_sim.state.session_clock.move_to(CME_BREAK)
    service.now = lambda: CME_BREAK  # the exchange's clock, as the simulator's reads
    ref = account_refs(tradovate_sim, service)[0]
    es = front_month(tradovate_sim, "ES")
    details = run(service.instrument_details(ref, es))
    assert details.opens_at == datetime(2025, 1, 15, 23, 0, tzinfo=UTC)
    # Said, not enforced: Tradovate's own answer decides.
    result = run(service.place_order(OrderRequest(ref, es, Side.BUY, Decimal(1))))
    assert result.status is OrderStatus.REJECTED
    assert "Market is closed" in result.reason  # Tradovate's own failureText

    tradovate_sim.state.session_clock.move_to(WEDNESDAY)
    service.now = lambda: WEDNESDAY
    details = run(service.instrument_details(ref, es))
    assert details.opens_at is None
