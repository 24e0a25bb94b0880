"""Capital.com simulator: market search and details, navigation, watchlists, price bars."""

from __future__ import annotations

from tests.simulators.capital_http import CapitalHttp

SUMMARY_FIELDS = {
    "delayTime", "epic", "netChange", "lotSize", "expiry", "instrumentType", "instrumentName",
    "high", "low", "percentageChange", "updateTime", "updateTimeUTC", "bid", "offer",
    "streamingPricesAvailable", "marketStatus", "scalingFactor",
}


def test_market_search_epics_and_all(relaxed: CapitalHttp) -> None:
    client = relaxed
    found = client.get("/markets", params={"searchTerm": "gold"}).json()["markets"]
    assert [m["epic"] for m in found] == ["GOLD"]
    assert set(found[0]) == SUMMARY_FIELDS
    by_name = client.get("/markets", params={"searchTerm": "Apple"}).json()["markets"]
    assert [m["epic"] for m in by_name] == ["AAPL"]
    empty = client.get("/markets", params={"searchTerm": ""})
    assert (empty.status_code, empty.json()) == (400, {"errorCode": "error.null.searchTerm"})

    details = client.get("/markets", params={"epics": "SILVER,NATURALGAS"}).json()
    assert [d["instrument"]["epic"] for d in details["marketDetails"]] == ["SILVER", "NATURALGAS"]
    too_many = client.get("/markets", params={"epics": ",".join(["GOLD"] * 51)})
    assert too_many.status_code == 400

    everything = client.get("/markets").json()["markets"]
    epics = {m["epic"] for m in everything}
    assert {"EURUSD", "GBPUSD", "USDJPY", "AUDUSD", "GOLD", "SILVER", "OIL_CRUDE", "NATURALGAS",
            "US500", "US100", "UK100", "DE40", "AAPL", "TSLA", "MSFT", "AMZN", "BTCUSD",
            "ETHUSD"} <= epics
    types = {m["epic"]: m["instrumentType"] for m in everything}
    assert (types["EURUSD"], types["DE40"], types["TSLA"], types["ETHUSD"]) == (
        "CURRENCIES", "INDICES", "SHARES", "CRYPTOCURRENCIES")


def test_single_market_details(relaxed: CapitalHttp) -> None:
    client = relaxed
    answer = client.get("/markets/UK100").json()
    instrument, rules, snapshot = answer["instrument"], answer["dealingRules"], answer["snapshot"]
    assert (instrument["name"], instrument["currency"], instrument["type"]) == (
        "UK 100", "GBP", "INDICES")
    assert instrument["openingHours"]["zone"] == "UTC"
    assert rules["minDealSize"] == {"unit": "POINTS", "value": 0.1}
    assert rules["minStepDistance"] == {"unit": "POINTS", "value": 0.1}
    assert snapshot["marketStatus"] == "TRADEABLE" and snapshot["decimalPlacesFactor"] == 1
    assert round(snapshot["offer"] - snapshot["bid"], 1) == 1.0
    missing = client.get("/markets/NOPE")
    assert (missing.status_code, missing.json()) == (404, {"errorCode": "error.not-found.epic"})


def test_market_navigation(relaxed: CapitalHttp) -> None:
    client = relaxed
    nodes = client.get("/marketnavigation").json()["nodes"]
    ids = [n["id"] for n in nodes]
    assert "hierarchy_v1.commodities_group" in ids
    children = client.get("/marketnavigation/hierarchy_v1.commodities_group").json()["nodes"]
    metals = next(n for n in children if n["name"] == "Metals")
    leaf = client.get(f"/marketnavigation/{metals['id']}", params={"limit": 1}).json()
    assert leaf["nodes"] == [] and [m["epic"] for m in leaf["markets"]] == ["GOLD"]
    shares = client.get("/marketnavigation/hierarchy_v1.shares.us").json()["markets"]
    assert {"AAPL", "TSLA", "MSFT", "AMZN"} <= {m["epic"] for m in shares}
    bad = client.get(f"/marketnavigation/{metals['id']}", params={"limit": 0})
    assert bad.json() == {"errorCode": "error.invalid.limit"}


def test_watchlists(relaxed: CapitalHttp) -> None:
    client = relaxed
    lists = client.get("/watchlists").json()["watchlists"]
    assert {"id", "name", "editable", "deleteable", "defaultSystemWatchlist"} == set(lists[0])
    first = client.get(f"/watchlists/{lists[0]['id']}").json()["markets"]
    assert first and set(first[0]) == SUMMARY_FIELDS
    missing = client.get("/watchlists/00001")
    assert (missing.status_code, missing.json()) == (404, {"errorCode": "error.invalid.watchlist"})
    created = client.post("/watchlists", json={"name": "Mine", "epics": ["GOLD", "NOPE"]}).json()
    assert created["status"] == "SUCCESS_NOT_ALL_INSTRUMENTS_ADDED"
    assert client.put(f"/watchlists/{created['watchlistId']}",
                      json={"epic": "US500"}).json() == {"status": "SUCCESS"}
    markets = client.get(f"/watchlists/{created['watchlistId']}").json()["markets"]
    assert [m["epic"] for m in markets] == ["GOLD", "US500"]
    long_name = client.post("/watchlists", json={"name": "x" * 21})
    assert long_name.json() == {"errorCode": "error.size.createwatchlistrequest.name"}


def test_price_bars(relaxed: CapitalHttp) -> None:
    client = relaxed
    default = client.get("/prices/SILVER").json()
    assert default["instrumentType"] == "COMMODITIES"
    bars = default["prices"]
    assert len(bars) == 10
    first = bars[0]
    assert set(first) == {"snapshotTime", "snapshotTimeUTC", "openPrice", "closePrice",
                          "highPrice", "lowPrice", "lastTradedVolume"}
    assert round(first["openPrice"]["ask"] - first["openPrice"]["bid"], 3) == 0.02
    assert first["snapshotTimeUTC"].endswith(":00")
    hourly = client.get("/prices/SILVER", params={"resolution": "HOUR", "max": 3,
                                                  "from": "2024-02-24T00:00:00"}).json()
    assert [b["snapshotTimeUTC"] for b in hourly["prices"]] == [
        "2024-02-24T00:00:00", "2024-02-24T01:00:00", "2024-02-24T02:00:00"]
    # snapshotTime is the client's local time (UTC+3 in the documented examples).
    assert hourly["prices"][0]["snapshotTime"] == "2024-02-24T03:00:00"
    for query, code in (({"resolution": "MINUTE_3"}, "error.invalid.resolution"),
                        ({"max": 1001}, "error.invalid.max"),
                        ({"from": "2022-01-17"}, "error.invalid.from"),
                        ({"to": "soon"}, "error.invalid.to")):
        response = client.get("/prices/SILVER", params=query)
        assert (response.status_code, response.json()) == (400, {"errorCode": code})


def test_client_sentiment(relaxed: CapitalHttp) -> None:
    client = relaxed
    both = client.get("/clientsentiment", params={"marketIds": "SILVER,NATURALGAS"}).json()
    for entry in both["clientSentiments"]:
        assert round(entry["longPositionPercentage"] + entry["shortPositionPercentage"], 2) == 100
    one = client.get("/clientsentiment/SILVER").json()
    assert one == both["clientSentiments"][0]
    assert client.get("/clientsentiment/NOPE").status_code == 404
