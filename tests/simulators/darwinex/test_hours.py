"""Darwinex simulator: DARWINs' hours; conditional orders are taken while closed."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.simulators.darwinex.dx_http import TRADING, DarwinexHttp

SATURDAY = datetime(2025, 1, 18, 12, 0, tzinfo=UTC)
WEDNESDAY = datetime(2025, 1, 15, 15, 0, tzinfo=UTC)
CME_BREAK = datetime(2025, 1, 15, 22, 20, tzinfo=UTC)  # 16:20 in Chicago (winter)
CME_PRE_OPEN = datetime(2025, 1, 15, 22, 50, tzinfo=UTC)  # 16:50 in Chicago
DARWIN_CLOSURE = datetime(2025, 1, 15, 22, 1, tzinfo=UTC)  # 17:01 in New York


def test_darwinex_refuses_buys_when_closed_but_takes_conditional_orders(
    darwinex_sim, dx: DarwinexHttp, account: int
) -> None:
    clock = darwinex_sim.state.session_clock
    clock.move_to(SATURDAY)
    market = dx.get(f"{TRADING}/productmarket/status").json()
    assert (market["allowBuy"], market["allowSell"]) == (False, False)
    assert (market["allowConditionalBuy"], market["allowConditionalSell"]) == (True, True)
    opens = datetime(2025, 1, 19, 22, 5, tzinfo=UTC)  # Sunday 17:05 New York
    expected_ms = int(clock.to_base(opens).timestamp() * 1000)
    assert abs(market["epochTimestampNextUpdate"] - expected_ms) < 5_000
    status = dx.get("/darwininfo/2.0/products/NTI.4.12/status").json()
    assert (status["buyAllowed"], status["sellAllowed"]) == (False, False)
    assert (status["conditionalBuyAllowed"], status["conditionalSellAllowed"]) == (True, True)
    assert abs(status["estimatedOpenDate"] - expected_ms) < 5_000

    refused = dx.buy(account, "NTI.4.12", 500)
    assert refused.status_code == 409
    assert refused.json() == {"status": "The DARWIN market is closed."}
    quote = darwinex_sim.state.quote("NTI.4.12")
    conditional = dx.trade(account, "conditionalorders", {
        "amount": 500, "productName": "NTI.4.12", "quote": float(quote * 2), "side": "BUY",
        "type": "GREATER_THAN_EQUAL"})
    assert conditional.status_code == 200 and "orderId" in conditional.json()

    clock.move_to(WEDNESDAY)
    assert dx.get(f"{TRADING}/productmarket/status").json()["allowBuy"] is True
    status = dx.get("/darwininfo/2.0/products/NTI.4.12/status").json()
    assert status["buyAllowed"] is True and status["estimatedOpenDate"] is None
    assert dx.buy(account, "NTI.4.12", 500).status_code == 200
    # The daily closure at 17:00 New York closes it again.
    clock.move_to(DARWIN_CLOSURE)
    assert dx.buy(account, "NTI.4.12", 500).status_code == 409
