"""Tradovate simulator: contract library (front months, ticks, values) and the quote read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from desktop_app.simulators.tradovate.catalog import Catalog
from tests.simulators.tradovate.tradovate_http import TradovateHttp


def test_front_months_follow_the_date() -> None:
    names = lambda today: {c.name for c in Catalog(7, today).contracts.values()}  # noqa: E731
    late_november = names(date(2026, 11, 23))
    assert {"ESZ6", "ESH7", "MESZ6", "NQZ6", "MNQH7", "6EZ6", "ZNZ6", "ZNH7"} <= late_november
    assert {"CLF7", "CLG7", "GCZ6", "GCG7"} <= late_november
    assert "CLZ6" not in late_november  # crude's December contract stopped on the 20th
    # After the third Friday of December the March contract is the front month.
    after_expiry = names(date(2026, 12, 19))
    assert {"ESH7", "ESM7"} <= after_expiry and "ESZ6" not in after_expiry
    assert {c.contract_id for c in Catalog(7, date(2026, 11, 23)).contracts.values()} == {
        c.contract_id for c in Catalog(7, date(2026, 11, 23)).contracts.values()}


def test_contract_reads(tradovate_sim, client: TradovateHttp) -> None:
    front = next(c for c in tradovate_sim.state.catalog.contracts.values()
                 if c.product.name == "ES" and c.maturity.is_front)
    found = client.ok("GET", "/contract/find", params={"name": front.name})
    assert found["name"] == front.name and found["id"] == front.contract_id
    assert found["providerTickSize"] == 0.25
    assert client.ok("GET", "/contract/find", params={"name": front.name.lower()}) == found
    assert client.ok("GET", "/contract/item", params={"id": found["id"]}) == found
    micro = "MES" + front.name[2:]
    es_mes = client.ok("GET", "/contract/items",
                       params={"ids": f"{found['id']},{client.contract_id(micro)}"})
    assert [c["name"] for c in es_mes] == [front.name, micro]
    assert client.get("/contract/find", params={"name": "ESZ9"}).status_code == 404
    assert client.get("/contract/item", params={"id": 1}).status_code == 404

    maturity = client.ok("GET", "/contractMaturity/item",
                         params={"id": found["contractMaturityId"]})
    assert maturity["isFront"] is True
    assert str(maturity["expirationMonth"]).startswith("20")
    product = client.ok("GET", "/product/item", params={"id": maturity["productId"]})
    assert product == client.ok("GET", "/product/find", params={"name": "es"})
    assert (product["name"], product["valuePerPoint"], product["tickSize"]) == ("ES", 50, 0.25)
    assert product["productType"] == "Futures"
    values = {p["name"]: p["valuePerPoint"] for p in client.ok("GET", "/product/list")}
    assert values == {"ES": 50, "MES": 5, "NQ": 20, "MNQ": 2, "CL": 1000, "GC": 100,
                      "6E": 125000, "ZN": 1000}
    assert client.get("/product/find", params={"name": "XX"}).status_code == 404


def test_suggest(client: TradovateHttp) -> None:
    names = [c["name"] for c in client.ok("GET", "/contract/suggest", params={"t": "ES", "l": 10})]
    assert len(names) == 4 and names[0].startswith("ES") and names[2].startswith("MES")
    assert len(client.ok("GET", "/contract/suggest", params={"t": "ES", "l": 1})) == 1
    gold = client.ok("GET", "/contract/suggest", params={"t": "gold", "l": 10})
    assert {c["name"][:2] for c in gold} == {"GC"}
    assert client.ok("GET", "/contract/suggest", params={"t": "nothing", "l": 5}) == []


def test_quote_stand_in(tradovate_sim, client: TradovateHttp, still) -> None:
    name = next(c.name for c in tradovate_sim.state.catalog.contracts.values()
                if c.product.name == "ES")
    tradovate_sim.state.rest_quotes = True  # the simulator's own, off by default
    tradovate_sim.state.market.set_price(name, "5000.125")
    quote = client.ok("GET", "/md/getQuote", params={"symbol": name})
    assert quote["contractId"] == client.contract_id(name)
    entries = quote["entries"]
    assert Decimal(str(entries["Bid"]["price"])) == Decimal("5000.00")
    assert Decimal(str(entries["Offer"]["price"])) == Decimal("5000.25")
    assert entries["Bid"]["size"] >= 1 and entries["Offer"]["size"] >= 1
    assert entries["Trade"]["price"] in (5000.0, 5000.25)
    assert quote["timestamp"].endswith("Z")
    by_id = client.ok("GET", "/md/getquote", params={"contractId": quote["contractId"]})
    assert by_id["entries"]["Bid"] == entries["Bid"]
    # Prices stay on the tick grid whatever the walk does.
    tradovate_sim.state.market.thaw_prices()
    for contract in tradovate_sim.state.catalog.contracts.values():
        book = client.ok("GET", "/md/getquote", params={"symbol": contract.name})["entries"]
        bid, offer = (Decimal(str(book[side]["price"])) for side in ("Bid", "Offer"))
        assert bid % contract.product.tick_size == 0
        assert offer - bid == contract.product.tick_size
    unknown = client.get("/md/getquote", params={"symbol": "XXZ9"})
    assert unknown.status_code == 404 and unknown.json()["errorText"]
