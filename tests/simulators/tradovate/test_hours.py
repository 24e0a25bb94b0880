"""Tradovate simulator: CME Globex hours, the daily break and the pre-open."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.simulators.tradovate.tradovate_http import TradovateHttp

SATURDAY = datetime(2025, 1, 18, 12, 0, tzinfo=UTC)
WEDNESDAY = datetime(2025, 1, 15, 15, 0, tzinfo=UTC)
CME_BREAK = datetime(2025, 1, 15, 22, 20, tzinfo=UTC)  # 16:20 in Chicago (winter)
CME_PRE_OPEN = datetime(2025, 1, 15, 22, 50, tzinfo=UTC)  # 16:50 in Chicago
DARWIN_CLOSURE = datetime(2025, 1, 15, 22, 1, tzinfo=UTC)  # 17:01 in New York


def _front(tradovate_sim, product: str) -> str:
    return next(c.name for c in tradovate_sim.state.catalog.contracts.values()
                if c.product.name == product and c.maturity.is_front)


def test_tradovate_refuses_outside_cme_hours_and_takes_limits_in_the_pre_open(
    tradovate_sim, client: TradovateHttp, account_id: int
) -> None:
    es = _front(tradovate_sim, "ES")
    clock = tradovate_sim.state.session_clock
    clock.move_to(CME_BREAK)
    refused = client.place(account_id, es, "Buy", 1)
    assert refused == {"failureReason": "SessionClosed", "failureText": "Market is closed"}
    level = tradovate_sim.state.market.quote(es).bid - 100
    limit = client.place(account_id, es, "Buy", 1, "Limit", price=float(level))
    assert limit["failureReason"] == "SessionClosed"  # the maintenance halt takes no orders

    clock.move_to(CME_PRE_OPEN)
    assert client.place(account_id, es, "Buy", 1)["failureReason"] == "SessionClosed"
    working = client.place(account_id, es, "Buy", 1, "Limit", price=float(level))
    assert "orderId" in working  # taken in the pre-open, works from the open

    clock.move_to(WEDNESDAY)
    filled = client.place(account_id, es, "Buy", 1)
    assert "orderId" in filled
    assert [p["netPos"] for p in client.positions() if p["netPos"]] == [1]


def test_tradovate_lists_each_products_session(tradovate_sim, client: TradovateHttp) -> None:
    product = client.ok("GET", "/product/find", params={"name": "ES"})
    (session,) = client.ok("GET", "/productSession/deps", params={"masterid": product["id"]})
    assert session["startTime"] == {"hour": 17, "minute": 0}
    assert session["stopTime"] == {"hour": 16, "minute": 0}
    assert session["openTime"] == {"hour": 16, "minute": 45}
    assert session["sundayOpenTime"] == {"hour": 16, "minute": 0}


