"""Darwinex simulator: conditional orders and a position's stop loss / take profit."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.domain.exact_json import loads
from tests.simulators.darwinex.dx_http import ACCOUNTS, TRADING, DarwinexHttp


def _order(dx: DarwinexHttp, account: int, order_id: int) -> dict:
    response = dx.get(f"{ACCOUNTS}/investoraccounts/{account}/conditionalorders/{order_id}")
    assert response.status_code == 200, response.text
    return loads(response.content)


def test_conditional_buy_lifecycle(
    darwinex_sim, dx: DarwinexHttp, account: int, held: None
) -> None:
    state = darwinex_sim.state
    placed = dx.trade(account, "conditionalorders", {
        "amount": 500, "productName": "NTI.4.12", "quote": 95.0, "side": "BUY",
        "type": "LESS_THAN_EQUAL",
        "thresholdParameters": {"quoteStopLoss": 80.0, "quoteTakeProfit": 120.0},
    })
    assert placed.status_code == 200 and set(placed.json()) == {"orderId"}
    order_id = placed.json()["orderId"]
    pending = dx.conditional(account, "pending")
    assert [o["orderId"] for o in pending["content"]] == [order_id]
    order = pending["content"][0]
    assert (order["side"], order["type"], order["amount"], order["quote"], order["status"]) == (
        "BUY", "LESS_THAN_EQUAL", 500, 95, "PENDING")
    assert order["thresholdParameters"] == {"quoteStopLoss": 80, "quoteTakeProfit": 120}
    assert order["thresholdType"] is None

    path = f"{TRADING}/investoraccounts/{account}/conditionalorders/{order_id}"
    amended = dx.put(path, json={"amount": 600, "quote": 96.0})
    assert (amended.status_code, amended.content) == (200, b"")
    assert (_order(dx, account, order_id)["amount"], _order(dx, account, order_id)["quote"]) == (
        Decimal("600.00"), Decimal("96.00"))
    state.set_quote("NTI.4.12", "97.00")  # not crossed yet
    assert dx.positions(account) == [] and state.orders == []

    state.set_quote("NTI.4.12", "95.50")
    done = _order(dx, account, order_id)
    assert (done["status"], done["executionQuote"]) == ("EXECUTED", Decimal("95.50"))
    (filled,) = state.orders
    assert (filled.conditional_order_id, filled.amount, filled.quote, filled.type) == (
        order_id, Decimal("600.00"), Decimal("95.50"), "CONDITIONAL")
    assert done["executedOrderId"] == filled.order_id
    (position,) = dx.positions(account)
    assert sorted((t["type"], t["quote"]) for t in position["thresholds"]) == [
        ("STOP_LOSS", 80), ("TAKE_PROFIT", 120)]
    assert dx.conditional(account, "executed")["totalElements"] == 1
    assert dx.put(path, json={"quote": 90}).status_code == 409  # no longer pending
    assert dx.delete(path).status_code == 409


def test_cancel_and_validation(darwinex_sim, dx: DarwinexHttp, account: int, held: None) -> None:
    body = {"amount": 500, "productName": "LVS.4.20", "quote": 60, "side": "BUY",
            "type": "GREATER_THAN_EQUAL"}
    order_id = dx.trade(account, "conditionalorders", body).json()["orderId"]
    path = f"{TRADING}/investoraccounts/{account}/conditionalorders/{order_id}"
    cancelled = dx.delete(path)
    assert (cancelled.status_code, cancelled.content) == (200, b"")
    assert _order(dx, account, order_id)["status"] == "CANCELLED"
    assert [o["orderId"] for o in dx.conditional(account, "cancelled")["content"]] == [order_id]
    assert dx.conditional(account, "pending", productName="LVS.4.20")["empty"] is True
    darwinex_sim.state.set_quote("LVS.4.20", "70.00")
    assert darwinex_sim.state.orders == []  # a cancelled order never fills
    assert dx.delete(path.rsplit("/", 1)[0] + "/424242").status_code == 404

    for change, status in (({"side": "HOLD"}, 400), ({"type": "EQUAL"}, 400),
                           ({"amount": 100}, 400), ({"quote": None}, 400),
                           ({"productName": "XXX.1.1"}, 404),
                           ({"side": "SELL"}, 409),  # nothing held to sell
                           ({"productName": "DWC.4.20"}, 409)):  # takes no conditional buys
        refused = dx.trade(account, "conditionalorders", {**body, **change})
        assert refused.status_code == status, (change, refused.text)
        assert "status" in refused.json()
    # Conditional orders are taken while the market is closed, and wait for it to open.
    darwinex_sim.state.set_market_open(False)
    waiting = dx.trade(account, "conditionalorders", {**body, "quote": 65}).json()["orderId"]
    assert _order(dx, account, waiting)["status"] == "PENDING"
    darwinex_sim.state.set_market_open(True)
    assert _order(dx, account, waiting)["status"] == "EXECUTED"


def test_conditional_sell_and_rejection(
    darwinex_sim, dx: DarwinexHttp, account: int, held: None
) -> None:
    state = darwinex_sim.state
    dx.buy(account, "LVS.4.20", 1000)
    sell_id = dx.trade(account, "conditionalorders", {
        "amount": 400, "productName": "LVS.4.20", "quote": 55, "side": "SELL",
        "type": "GREATER_THAN_EQUAL"}).json()["orderId"]
    buy_id = dx.trade(account, "conditionalorders", {
        "amount": 400, "productName": "AEB.5.4", "quote": 1, "side": "BUY",
        "type": "GREATER_THAN_EQUAL"}).json()["orderId"]
    state.set_product_flags("AEB.5.4", buy=False)
    state.sync()
    rejected = _order(dx, account, buy_id)
    assert rejected["status"] == "REJECTED" and "AEB.5.4" in rejected["rejectReason"]
    state.set_quote("LVS.4.20", "55.00")
    assert _order(dx, account, sell_id)["status"] == "EXECUTED"
    (position,) = loads(dx.get(f"{ACCOUNTS}/investoraccounts/{account}/currentpositions").content)
    assert position["amount"] == Decimal("700.00")  # 1100 - 400
    assert dx.conditional(account, "rejected")["totalElements"] == 1


def test_thresholds_stop_loss_moves_and_fires(
    darwinex_sim, dx: DarwinexHttp, account: int, held: None
) -> None:
    state = darwinex_sim.state
    wrong = dx.buy(account, "NTI.4.12", 1000, thresholdParameters={"quoteStopLoss": 101})
    assert wrong.status_code == 400 and "quoteStopLoss" in wrong.json()["status"]
    assert dx.buy(account, "NTI.4.12", 1000,
                  thresholdParameters={"quoteStopLoss": 90, "quoteTakeProfit": 130}
                  ).status_code == 200
    dx.buy(account, "NTI.4.12", 500)
    (position,) = dx.positions(account)
    stop = next(t for t in position["thresholds"] if t["type"] == "STOP_LOSS")
    take = next(t for t in position["thresholds"] if t["type"] == "TAKE_PROFIT")
    assert (stop["quote"], stop["amount"]) == (90, 1500)  # covers the whole position
    listed = {o["orderId"]: o for o in dx.conditional(account, "pending")["content"]}
    assert listed[stop["orderId"]]["thresholdType"] == "STOP_LOSS"
    assert listed[stop["orderId"]]["side"] == "SELL"

    path = f"{TRADING}/investoraccounts/{account}/conditionalorders/{stop['orderId']}"
    assert dx.put(path, json={"amount": 1500, "quote": 95.0}).status_code == 200  # trail it up
    assert dx.put(path, json={"quote": 100.5}).status_code == 400  # above the quote
    state.set_quote("NTI.4.12", "94.00")
    assert dx.positions(account) == []
    assert _order(dx, account, stop["orderId"])["status"] == "EXECUTED"
    assert _order(dx, account, take["orderId"])["status"] == "DELETED"
    last = state.orders[-1]
    assert (last.side, last.type, last.amount) == ("SELL", "STOP_LOSS", Decimal("1410.00"))
