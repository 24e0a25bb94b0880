"""Tradovate simulator: orders, fills, positions (netting, P/L) and order failures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from desktop_app.simulators.instruments import CLOSED
from desktop_app.simulators.tradovate.trading import trade_date_start
from tests.simulators.tradovate.tradovate_http import TradovateHttp


def _front(sim, product: str) -> str:
    return next(c.name for c in sim.state.catalog.contracts.values()
                if c.product.name == product and c.maturity.is_front)


@pytest.fixture
def es(tradovate_sim, still) -> str:
    """The front E-mini S&P contract, quoted 5000.00 / 5000.25 and held there."""
    name = _front(tradovate_sim, "ES")
    tradovate_sim.state.market.set_price(name, "5000.125")
    return name


def _quote_at(sim, symbol: str, bid: str) -> None:
    """Move the market so that the bid is ``bid`` (the offer one tick above)."""
    tick = sim.state.catalog.contract(symbol).product.tick_size
    sim.state.market.set_price(symbol, Decimal(bid) + tick / 2)


def _order(client: TradovateHttp, order_id: int) -> dict:
    return client.ok("GET", "/order/item", params={"id": order_id})


def _version(client: TradovateHttp, order_id: int) -> dict:
    return client.ok("GET", "/orderVersion/deps", params={"masterid": order_id})[-1]


def _money(value: float) -> Decimal:
    return Decimal(str(value))


def test_market_orders_net_per_contract_with_futures_pnl(
    tradovate_sim, client: TradovateHttp, account_id: int, es: str
) -> None:
    bought = client.place(account_id, es, "Buy", 2)
    contract_id = client.contract_id(es)
    assert set(bought) == {"orderId"}
    (position,) = client.positions()
    assert (position["accountId"], position["contractId"]) == (account_id, contract_id)
    assert (position["netPos"], position["netPrice"]) == (2, 5000.25)
    assert (position["bought"], position["boughtValue"], position["sold"]) == (2, 10000.5, 0)
    assert set(position["tradeDate"]) == {"year", "month", "day"}

    _quote_at(tradovate_sim, es, "5010.00")
    snapshot = client.snapshot(account_id)
    # (5010.00 - 5000.25) points * $50 * 2 contracts
    assert _money(snapshot["openPnL"]) == Decimal("975.00")
    assert _money(snapshot["netLiq"]) == Decimal("25975.00")
    assert snapshot["initialMargin"] > 0

    client.place(account_id, es, "Sell", 3)  # closes 2 at the bid, opens 1 short
    (position,) = client.positions()
    assert (position["netPos"], position["netPrice"]) == (-1, 5010.0)
    assert (position["sold"], position["soldValue"]) == (3, 15030.0)
    snapshot = client.snapshot(account_id)
    assert _money(snapshot["realizedPnL"]) == Decimal("975.00")
    assert _money(snapshot["totalCashValue"]) == Decimal("25975.00")
    assert _money(snapshot["totalCashValueSOD"]) == Decimal("25000.00")

    fills = client.ok("GET", "/fill/list")
    assert [(f["action"], f["qty"], f["price"]) for f in fills] == [
        ("Buy", 2, 5000.25), ("Sell", 3, 5010.0)]
    assert all(f["contractId"] == contract_id and f["active"] for f in fills)
    assert [o["ordStatus"] for o in client.ok("GET", "/order/list")] == ["Filled", "Filled"]
    assert len(tradovate_sim.state.orders_placed) == 2
    assert tradovate_sim.state.orders_placed[0]["isAutomated"] is True


def test_micro_contract_value_per_point(tradovate_sim, client: TradovateHttp, account_id: int,
                                        still) -> None:
    mes = _front(tradovate_sim, "MES")
    _quote_at(tradovate_sim, mes, "5000.00")
    client.place(account_id, mes, "Buy", 3)  # at 5000.25
    _quote_at(tradovate_sim, mes, "5004.25")
    assert _money(client.snapshot(account_id)["openPnL"]) == Decimal("60.00")  # 4 * $5 * 3


def test_limit_order_works_until_crossed(tradovate_sim, client: TradovateHttp,
                                         account_id: int, es: str) -> None:
    order_id = client.place(account_id, es, "Buy", 1, "Limit", price=4990,
                            timeInForce="GTC", clOrdId="my-1", text="dip")["orderId"]
    order = _order(client, order_id)
    assert order["ordStatus"] == "Working" and order["action"] == "Buy"
    assert order["accountId"] == account_id and order["contractId"] == client.contract_id(es)
    version = _version(client, order_id)
    assert (version["orderQty"], version["orderType"], version["price"]) == (1, "Limit", 4990)
    assert version["timeInForce"] == "GTC" and version["text"] == "dip"
    assert client.positions() == []

    _quote_at(tradovate_sim, es, "4992.00")
    assert _order(client, order_id)["ordStatus"] == "Working"
    _quote_at(tradovate_sim, es, "4989.75")  # the offer reaches 4990.00
    assert _order(client, order_id)["ordStatus"] == "Filled"
    (fill,) = client.ok("GET", "/fill/deps", params={"masterid": order_id})
    assert (fill["qty"], fill["price"]) == (1, 4990.0)
    reports = client.ok("GET", "/executionReport/deps", params={"masterid": order_id})
    assert [(r["execType"], r["ordStatus"]) for r in reports] == [
        ("New", "Working"), ("Trade", "Filled")]
    assert reports[-1]["cumQty"] == 1 and reports[-1]["avgPx"] == 4990.0


def test_marketable_limit_fills_at_the_touch(client: TradovateHttp, account_id: int,
                                             es: str) -> None:
    order_id = client.place(account_id, es, "Buy", 1, "Limit", price=5003)["orderId"]
    assert _order(client, order_id)["ordStatus"] == "Filled"
    assert client.ok("GET", "/fill/list")[0]["price"] == 5000.25


def test_stop_and_stop_limit_orders(tradovate_sim, client: TradovateHttp, account_id: int,
                                    es: str) -> None:
    stop = client.place(account_id, es, "Sell", 1, "Stop", stopPrice=4980)["orderId"]
    stop_limit = client.place(account_id, es, "Buy", 2, "StopLimit", stopPrice=5010,
                              price=5011)["orderId"]
    assert _version(client, stop_limit)["stopPrice"] == 5010
    _quote_at(tradovate_sim, es, "5010.00")  # offer 5010.25 touches the buy stop
    assert _order(client, stop_limit)["ordStatus"] == "Filled"
    assert _order(client, stop)["ordStatus"] == "Working"
    _quote_at(tradovate_sim, es, "4979.50")
    assert _order(client, stop)["ordStatus"] == "Filled"
    prices = {f["orderId"]: f["price"] for f in client.ok("GET", "/fill/list")}
    assert prices == {stop_limit: 5010.25, stop: 4979.5}
    (position,) = client.positions()
    assert position["netPos"] == 1


def test_cancel_and_modify(tradovate_sim, client: TradovateHttp, account_id: int,
                           es: str) -> None:
    first = client.place(account_id, es, "Buy", 1, "Limit", price=4990)["orderId"]
    cancelled = client.ok("POST", "/order/cancelOrder", {"orderId": first})
    assert set(cancelled) == {"commandId"}
    assert _order(client, first)["ordStatus"] == "Canceled"
    again = client.ok("POST", "/order/cancelorder", {"orderId": first})
    assert again["failureReason"] == "TooLate" and again["failureText"]
    unknown = client.ok("POST", "/order/cancelorder", {"orderId": 1})
    assert set(unknown) == {"failureReason", "failureText"}

    second = client.place(account_id, es, "Buy", 1, "Limit", price=4990)["orderId"]
    modified = client.ok("POST", "/order/modifyOrder", {"orderId": second, "orderQty": 2,
                                                        "orderType": "Limit", "price": 4995})
    assert set(modified) == {"commandId"} and modified["commandId"] != cancelled["commandId"]
    versions = client.ok("GET", "/orderVersion/deps", params={"masterid": second})
    assert [(v["orderQty"], v["price"]) for v in versions] == [(1, 4990), (2, 4995)]
    _quote_at(tradovate_sim, es, "4994.75")
    assert _order(client, second)["ordStatus"] == "Filled"
    assert client.positions()[0]["netPos"] == 2
    bad = client.ok("POST", "/order/modifyorder", {"orderId": second, "orderQty": 1,
                                                   "orderType": "Limit", "price": 4990})
    assert bad["failureReason"] == "TooLate"
    missing = client.ok("POST", "/order/modifyorder", {"orderId": second})
    assert {v["constraint"] for v in missing["violations"]} == {"orderQty", "orderType"}


def test_liquidate_position_flattens_and_cancels(tradovate_sim, client: TradovateHttp,
                                                 account_id: int, es: str) -> None:
    contract_id = client.contract_id(es)
    client.place(account_id, es, "Buy", 3)
    working = client.place(account_id, es, "Sell", 1, "Limit", price=5100)["orderId"]
    answer = client.ok("POST", "/order/liquidatePosition",
                       {"accountId": account_id, "contractId": contract_id, "admin": False})
    assert set(answer) == {"orderId"}
    assert _order(client, working)["ordStatus"] == "Canceled"
    liquidation = _order(client, answer["orderId"])
    assert liquidation["ordStatus"] == "Filled" and liquidation["action"] == "Sell"
    (position,) = client.positions()
    assert position["netPos"] == 0 and "netPrice" not in position
    flat = client.ok("POST", "/order/liquidateposition",
                     {"accountId": account_id, "contractId": contract_id, "admin": False})
    assert set(flat) == {"failureReason", "failureText"}
    assert len(tradovate_sim.state.orders_placed) == 2  # liquidation is not a placeorder


def test_time_in_force(tradovate_sim, client: TradovateHttp, account_id: int, es: str) -> None:
    state = tradovate_sim.state
    ioc = client.place(account_id, es, "Buy", 1, "Limit", price=4990,
                       timeInForce="IOC")["orderId"]
    assert _order(client, ioc)["ordStatus"] == "Expired"
    expire = (state.now() + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    gtd = client.place(account_id, es, "Buy", 1, "Limit", price=4990, timeInForce="GTD",
                       expireTime=expire)["orderId"]
    day = client.place(account_id, es, "Buy", 1, "Limit", price=4990)["orderId"]
    assert _version(client, day)["timeInForce"] == "Day"
    assert _version(client, gtd)["expireTime"].startswith(expire[:19])
    no_expiry = client.ok("POST", "/order/placeorder", {
        "accountId": account_id, "action": "Buy", "symbol": es, "orderQty": 1,
        "orderType": "Limit", "price": 4990, "timeInForce": "GTD"})
    assert no_expiry["failureReason"] == "UnknownReason"
    # Prices stay frozen while the clock moves: these orders can only expire.
    state.advance_clock(11 * 60)
    assert _order(client, gtd)["ordStatus"] == "Expired"
    day_ends = trade_date_start(state.now() - timedelta(minutes=11)) + timedelta(days=1)
    assert _order(client, day)["ordStatus"] == (
        "Expired" if state.now() >= day_ends else "Working")
    state.advance_clock(24 * 3600)
    client.login()  # the token did not outlive the day
    assert _order(client, day)["ordStatus"] == "Expired"
    reports = client.ok("GET", "/executionReport/deps", params={"masterid": gtd})
    assert reports[-1]["execType"] == "Expired"


@pytest.mark.parametrize("extra, reason", [
    ({"symbol": "XYZ9"}, "InvalidContract"),
    ({"accountId": 12345}, "Unauthorized"),
    ({"accountSpec": "DEMO0"}, "Unauthorized"),
    ({"orderType": "Limit"}, "InvalidPrice"),
    ({"orderType": "Limit", "price": 4990.1}, "InvalidPrice"),
    ({"orderType": "Stop"}, "InvalidPrice"),
    ({"orderType": "MIT", "price": 4990}, "Unsupported"),
    ({"orderQty": 100}, "OtherExecutionRelated"),  # margin for 100 ES is beyond 25,000
])
def test_order_failures(tradovate_sim, client: TradovateHttp, account_id: int, es: str,
                        extra: dict, reason: str) -> None:
    body = {"accountId": account_id, "action": "Buy", "symbol": es, "orderQty": 1,
            "orderType": "Market", "isAutomated": True, **extra}
    answer = client.ok("POST", "/order/placeorder", body)
    assert answer["failureReason"] == reason and answer["failureText"]
    assert "orderId" not in answer
    assert client.ok("GET", "/order/list") == [] and client.positions() == []
    assert tradovate_sim.state.orders_placed == []


def test_account_by_spec_and_closed_accounts(tradovate_sim, client: TradovateHttp,
                                             account_id: int, es: str) -> None:
    spec = client.accounts()[0]["name"]
    answer = client.ok("POST", "/order/placeorder", {
        "accountSpec": spec, "accountId": account_id, "action": "Buy", "symbol": es,
        "orderQty": 1, "orderType": "Market", "isAutomated": False})
    assert "orderId" in answer
    by_spec_only = client.ok("POST", "/order/placeorder", {
        "accountSpec": spec.lower(), "action": "Sell", "symbol": es, "orderQty": 1,
        "orderType": "Market"})
    assert "orderId" in by_spec_only
    other = tradovate_sim.state.account_ids()[1]
    mismatch = client.ok("POST", "/order/placeorder", {
        "accountSpec": spec, "accountId": other, "action": "Buy", "symbol": es,
        "orderQty": 1, "orderType": "Market"})
    assert mismatch["failureReason"] == "Unauthorized"
    tradovate_sim.state.close_account(other)
    closed = client.place(other, es, "Buy", 1)
    assert closed["failureReason"] == "AccountClosed"


def test_closed_market_reject_knob_and_environments(tradovate_sim, client: TradovateHttp,
                                                    account_id: int, es: str) -> None:
    state = tradovate_sim.state
    state.market.set_status(es, CLOSED)
    assert client.place(account_id, es, "Buy", 1)["failureReason"] == "SessionClosed"
    assert client.place(account_id, es, "Buy", 1, "Limit",
                        price=4990)["failureReason"] == "SessionClosed"
    state.market.set_status(es, "TRADEABLE")
    state.reject_next_order("MaxPosLimitReached", "Position limit reached")
    assert client.place(account_id, es, "Buy", 1) == {
        "failureReason": "MaxPosLimitReached", "failureText": "Position limit reached"}
    assert "orderId" in client.place(account_id, es, "Buy", 1)  # only the next one
    state.environment = "replay"
    assert client.place(account_id, es, "Buy", 1)["failureReason"] == "SessionClosed"
    state.environment = "live"
    assert "orderId" in client.place(account_id, es, "Buy", 1)  # logged in with a deviceId
    client.login(deviceId=None)
    live_without_device = client.post("/order/placeorder", {
        "accountId": account_id, "action": "Buy", "symbol": es, "orderQty": 1,
        "orderType": "Market"})
    assert live_without_device.status_code == 401
    assert len(state.orders_placed) == 2


def test_malformed_order_bodies(tradovate_sim, client: TradovateHttp, account_id: int) -> None:
    empty = client.ok("POST", "/order/placeorder", {})
    assert {v["constraint"] for v in empty["violations"]} == {
        "action", "symbol", "orderQty", "orderType", "accountId"}
    wrong = client.ok("POST", "/order/placeorder", {
        "accountId": account_id, "action": "buy", "symbol": "ESZ6", "orderQty": 0,
        "orderType": "market"})
    assert {v["constraint"] for v in wrong["violations"]} == {"action", "orderQty", "orderType"}
    assert client.request("POST", "/order/placeorder", content=b"not json").status_code == 400
    assert client.get("/order/placeorder").status_code == 405
    assert client.get("/order/nosuchthing").status_code == 404
    assert client.get("/order/item", params={"id": 1}).status_code == 404
    assert tradovate_sim.state.orders_placed == []
