"""Tradovate simulator: what the spec requires where the simulator used to be kinder."""

from __future__ import annotations

from tests.simulators.tradovate.tradovate_http import TradovateHttp


def test_rest_quotes_are_a_simulator_knob(tradovate_sim, client: TradovateHttp) -> None:
    es = next(c.name for c in tradovate_sim.state.catalog.contracts.values()
              if c.product.name == "ES" and c.maturity.is_front)
    assert tradovate_sim.state.rest_quotes is False  # real Tradovate: no such path
    gone = client.get("/md/getquote", params={"symbol": es})
    assert (gone.status_code, gone.json()) == (404, {"errorText": "Unknown path /md/getquote"})
    anonymous = client.get("/md/getquote", params={"symbol": es}, token="nobody")
    assert anonymous.status_code == 404  # unknown before the token is looked at, as any path
    tradovate_sim.state.rest_quotes = True  # the tests' stand-in
    assert client.get("/md/getquote", params={"symbol": es}).status_code == 200


def test_liquidate_position_requires_admin(tradovate_sim, client: TradovateHttp,
                                           account_id: int) -> None:
    es = next(c for c in tradovate_sim.state.catalog.contracts.values()
              if c.product.name == "ES" and c.maturity.is_front)
    client.place(account_id, es.name, "Buy", 1)
    body = {"accountId": account_id, "contractId": es.contract_id}
    refused = client.ok("POST", "/order/liquidatePosition", body)
    assert refused == {"violations": [{"constraint": "admin", "value": "",
                                       "description": "admin should be specified"}]}
    assert client.positions()[0]["netPos"] == 1  # nothing was liquidated
    tradovate_sim.state.liquidate_requires_admin = False
    assert set(client.ok("POST", "/order/liquidatePosition", body)) == {"orderId"}
    assert client.positions()[0]["netPos"] == 0
