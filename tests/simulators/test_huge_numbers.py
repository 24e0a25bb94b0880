"""Absurd numbers in a request get each broker's own validation answer, never an HTTP 500
with a traceback (a size of 1e27 used to reach Decimal arithmetic that cannot hold it)."""

from __future__ import annotations

import pytest

from tests.simulators.capital_http import CapitalHttp
from tests.simulators.tradovate.tradovate_http import TradovateHttp

HUGE = 1e27


@pytest.mark.parametrize(("path", "body", "code"), [
    ("/positions", {"size": HUGE}, "error.invalid.size.maxvalue: 1000"),
    ("/positions", {"size": 10**30}, "error.invalid.size.maxvalue: 1000"),
    ("/positions", {"size": "1e27"}, "error.invalid.size.maxvalue: 1000"),
    ("/positions", {"size": 0.01, "stopLevel": HUGE}, "error.invalid.stoploss.maxvalue"),
    ("/positions", {"size": 0.01, "stopAmount": HUGE}, "error.invalid.stoploss.minvalue"),
    ("/positions", {"size": 0.01, "profitDistance": HUGE},
     "error.invalid.takeprofit.maxvalue"),
    ("/workingorders", {"size": HUGE, "type": "LIMIT", "level": 100},
     "error.invalid.size.maxvalue: 1000"),
    ("/workingorders", {"size": 0.01, "type": "LIMIT", "level": HUGE}, "error.invalid.level"),
])
def test_capital_answers_its_own_validation_errors(
    capital_sim, relaxed: CapitalHttp, path: str, body: dict, code: str
) -> None:
    response = relaxed.post(path, json={"epic": "BTCUSD", "direction": "BUY", **body})
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"].startswith(code)
    # The server is still there, and nothing was dealt.
    assert relaxed.get("/positions").json()["positions"] == []


def test_capital_publishes_the_largest_deal_it_takes(capital_sim, relaxed: CapitalHttp) -> None:
    rules = relaxed.get("/markets/BTCUSD").json()["dealingRules"]
    assert rules["maxDealSize"] == {"unit": "POINTS", "value": 1000}
    assert rules["minDealSize"]["value"] == 0.001
    taken = relaxed.post("/positions", json={"epic": "BTCUSD", "direction": "BUY",
                                             "size": 0.01})
    assert taken.status_code == 200


def test_capital_closes_no_huge_part_of_a_position(capital_sim, relaxed: CapitalHttp) -> None:
    relaxed.post("/positions", json={"epic": "BTCUSD", "direction": "BUY", "size": 0.01})
    (position,) = relaxed.get("/positions").json()["positions"]
    deal_id = position["position"]["dealId"]
    refused = relaxed.request("DELETE", "/positions", json={"dealId": deal_id, "size": HUGE})
    assert refused.status_code == 400
    assert refused.json()["errorCode"].startswith("error.invalid.size.maxvalue")
    assert len(relaxed.get("/positions").json()["positions"]) == 1


@pytest.mark.parametrize("qty", [HUGE, 10**30, 2**31])
def test_tradovate_answers_a_violation(tradovate_sim, qty) -> None:
    client = TradovateHttp(tradovate_sim.base_url, tradovate_sim.credentials)
    client.login()
    account_id = tradovate_sim.state.account_ids()[0]
    symbol = next(c.name for c in tradovate_sim.state.catalog.contracts.values()
                  if c.product.name == "ES" and c.maturity.is_front)
    body = {"accountId": account_id, "action": "Buy", "symbol": symbol, "orderQty": qty,
            "orderType": "Market", "isAutomated": True}
    response = client.post("/order/placeOrder", body)
    assert response.status_code == 200, response.text
    [violation] = response.json()["violations"]
    assert violation["constraint"] == "orderQty"
    assert violation["description"] == "orderQty is out of range (int32)"
    placed = client.ok("POST", "/order/placeOrder", {**body, "orderType": "Limit",
                                                     "orderQty": 1, "price": 1000})
    modified = client.post("/order/modifyOrder", {"orderId": placed["orderId"],
                                                  "orderQty": qty, "orderType": "Limit",
                                                  "price": 1000})
    assert modified.json()["violations"][0]["constraint"] == "orderQty"
    assert client.positions() == []
    client.close()
