"""Tradovate simulator replies against the schemas of Tradovate's OpenAPI spec.

The schemas (required keys, types, enums, bounds) are in
tests/fixtures/tradovate/openapi_subset.json, taken from TradeWithIt/Tradovate's
openapi.yaml (see tests/fixtures/README.md). Each reply of a call the simulator serves is
validated with jsonschema against the response schema the spec gives that path.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft4Validator

from tests.simulators.public_examples import load
from tests.simulators.tradovate.tradovate_http import TradovateHttp

SPEC = load("tradovate/openapi_subset.json")


def errors_for(path: str, reply: Any) -> list[str]:
    """OpenAPI 3.0 schemas are JSON Schema draft 4 with extras (nullable, int64...)."""
    schema = {**SPEC["paths"][path]["response"], "components": {"schemas": SPEC["schemas"]}}
    validator = Draft4Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(reply)]


def test_the_fixture_is_the_spec_subset_we_serve() -> None:
    assert SPEC["source"]["repository"] == "TradeWithIt/Tradovate"
    assert len(SPEC["paths"]) == 28
    assert SPEC["schemas"]["LiquidatePosition"]["required"] == ["accountId", "contractId",
                                                                "admin"]


@pytest.fixture
def replies(tradovate_sim, client: TradovateHttp, account_id: int) -> dict[str, Any]:
    """One reply of every call in the fixture, from a session that trades a little."""
    state = tradovate_sim.state
    state.market.freeze_prices()
    es = next(c for c in state.catalog.contracts.values()
              if c.product.name == "ES" and c.maturity.is_front)
    got: dict[str, Any] = {"POST /auth/accesstokenrequest": client.last_login}
    got["GET /auth/renewaccesstoken"] = client.ok("GET", "/auth/renewAccessToken")
    got["GET /auth/me"] = client.ok("GET", "/auth/me")
    got["GET /account/list"] = client.accounts()
    got["GET /account/item"] = client.ok("GET", "/account/item", params={"id": account_id})
    got["GET /account/deps"] = client.ok("GET", "/account/deps",
                                         params={"masterid": client.last_login["userId"]})
    got["POST /cashBalance/getcashbalancesnapshot"] = client.snapshot(account_id)
    got["GET /contract/find"] = client.ok("GET", "/contract/find", params={"name": es.name})
    got["GET /contract/item"] = client.ok("GET", "/contract/item", params={"id": es.contract_id})
    got["GET /contract/suggest"] = client.ok("GET", "/contract/suggest", params={"t": "ES"})
    got["GET /contractMaturity/item"] = client.ok(
        "GET", "/contractMaturity/item", params={"id": es.maturity.maturity_id})
    got["GET /product/find"] = client.ok("GET", "/product/find", params={"name": "ES"})
    got["GET /product/deps"] = client.ok("GET", "/product/deps",
                                         params={"masterid": es.product.exchange_id})
    got["GET /currency/list"] = client.ok("GET", "/currency/list")
    got["GET /exchange/list"] = client.ok("GET", "/exchange/list")
    got["GET /exchange/find"] = client.ok("GET", "/exchange/find", params={"name": "CME"})
    bid = state.market.quote(es.name).bid
    got["POST /order/placeorder"] = client.place(account_id, es.name, "Buy", 2)
    working = client.place(account_id, es.name, "Buy", 1, "Limit", price=str(bid - 50))
    got["POST /order/modifyorder"] = client.ok("POST", "/order/modifyOrder", {
        "orderId": working["orderId"], "orderQty": 2, "orderType": "Limit",
        "price": str(bid - 60)})
    got["POST /order/cancelorder"] = client.ok("POST", "/order/cancelOrder",
                                               {"orderId": working["orderId"]})
    got["GET /order/list"] = client.ok("GET", "/order/list")
    got["GET /orderVersion/deps"] = client.ok("GET", "/orderVersion/deps",
                                              params={"masterid": working["orderId"]})
    got["GET /fill/list"] = client.ok("GET", "/fill/list")
    got["GET /executionReport/deps"] = client.ok("GET", "/executionReport/deps",
                                                 params={"masterid": working["orderId"]})
    got["GET /position/list"] = client.positions()
    balances = client.ok("GET", "/cashBalance/list")
    got["GET /cashBalance/list"] = balances
    got["GET /cashBalance/item"] = client.ok("GET", "/cashBalance/item",
                                             params={"id": balances[0]["id"]})
    got["GET /cashBalance/deps"] = client.ok("GET", "/cashBalance/deps",
                                             params={"masterid": account_id})
    got["POST /order/liquidateposition"] = client.ok("POST", "/order/liquidatePosition", {
        "accountId": account_id, "contractId": es.contract_id, "admin": False})
    return got


def test_every_reply_matches_its_schema(replies: dict[str, Any]) -> None:
    assert set(replies) == set(SPEC["paths"])
    for path, reply in replies.items():
        assert reply, f"{path}: the flow produced nothing to check"
        assert errors_for(path, reply) == [], path


def test_the_checks_can_fail() -> None:
    """A reply that breaks the schema is caught (missing required key, bad enum, type)."""
    order = {"id": 1, "accountId": 2, "timestamp": "2024-01-01T00:00:00.000Z",
             "action": "Buy", "ordStatus": "Working", "admin": False}
    assert errors_for("GET /order/list", [order]) == []
    assert errors_for("GET /order/list", [{**order, "ordStatus": "Pending"}])
    assert errors_for("GET /order/list", [{k: v for k, v in order.items() if k != "admin"}])
    assert errors_for("GET /order/list", [{**order, "accountId": "2"}])
    balance = {"id": 3, "accountId": 2, "timestamp": "2024-01-01T00:00:00.000Z",
               "tradeDate": {"year": 2024, "month": 1, "day": 1}, "currencyId": 1, "amount": 5}
    assert errors_for("GET /cashBalance/list", [balance]) == []
    assert errors_for("GET /cashBalance/list", [{k: v for k, v in balance.items()
                                                 if k != "currencyId"}])
