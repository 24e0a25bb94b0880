"""Capital.com simulator: /history/activity (with FIQL filter) and /history/transactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from desktop_app.simulators.market import CLOSED
from tests.simulators.capital_http import CapitalHttp


def _activities(client: CapitalHttp, **params: str) -> list[dict]:
    response = client.get("/history/activity", params=params)
    assert response.status_code == 200, response.text
    return response.json()["activities"]


def _day_text(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S")


def test_activity_follows_what_happened(capital_sim, relaxed: CapitalHttp, still) -> None:
    client = relaxed
    (gold,) = client.deal("/positions", {"epic": "GOLD", "direction": "BUY",
                                         "size": 1})["affectedDeals"]
    bid = Decimal(str(client.get("/markets/GOLD").json()["snapshot"]["bid"]))
    client.deal(f"/positions/{gold['dealId']}", {"stopLevel": str(bid - 50)}, method="PUT")
    offer = Decimal(str(client.get("/markets/SILVER").json()["snapshot"]["offer"]))
    order = client.deal("/workingorders", {"epic": "SILVER", "direction": "BUY", "size": 1,
                                           "level": str(offer - 2), "type": "LIMIT"})
    client.deal(f"/workingorders/{order['dealId']}", {}, method="DELETE")
    capital_sim.state.market.set_status("OIL_CRUDE", CLOSED)
    client.deal("/positions", {"epic": "OIL_CRUDE", "direction": "SELL", "size": 1})
    client.deal(f"/positions/{gold['dealId']}", {}, method="DELETE")

    rows = _activities(client)
    assert [(r["epic"], r["type"], r["status"], r["source"]) for r in rows] == [
        ("GOLD", "POSITION", "ACCEPTED", "USER"),  # closed
        ("OIL_CRUDE", "POSITION", "REJECTED", "USER"),
        ("SILVER", "WORKING_ORDER", "CANCELLED", "USER"),
        ("SILVER", "WORKING_ORDER", "ACCEPTED", "USER"),
        ("GOLD", "EDIT_STOP_AND_LIMIT", "ACCEPTED", "USER"),
        ("GOLD", "POSITION", "ACCEPTED", "USER"),  # opened
    ]
    assert all(set(r) == {"date", "dateUTC", "epic", "dealId", "source", "type", "status"}
               for r in rows)
    detailed = _activities(client, detailed="true", dealId=gold["dealId"])
    assert [r["dealId"] for r in detailed] == [gold["dealId"]] * 3
    assert detailed[-1]["details"] == {
        "dealReference": f"p_{gold['dealId']}", "marketName": "Gold", "currency": "USD",
        "size": 1, "direction": "BUY", "level": detailed[-1]["details"]["level"],
        "guaranteedStop": False}


def test_the_fiql_filter(capital_sim, relaxed: CapitalHttp) -> None:
    client = relaxed
    client.deal("/positions", {"epic": "GOLD", "direction": "BUY", "size": 1})
    client.deal("/positions", {"epic": "EURUSD", "direction": "BUY", "size": 100})
    capital_sim.state.market.set_status("OIL_CRUDE", CLOSED)
    client.deal("/positions", {"epic": "OIL_CRUDE", "direction": "BUY", "size": 1})
    by_epic = _activities(client, filter="epic==OIL_CRUDE,GOLD")
    assert {r["epic"] for r in by_epic} == {"OIL_CRUDE", "GOLD"}
    rejected = _activities(client, filter="source!=DEALER;status==REJECTED;epic==OIL_CRUDE,GOLD")
    assert [(r["epic"], r["status"]) for r in rejected] == [("OIL_CRUDE", "REJECTED")]
    not_gold = _activities(client, filter="epic!=GOLD,OIL_CRUDE")
    assert [r["epic"] for r in not_gold] == ["EURUSD"]
    none = _activities(client, filter="type!=POSITION")
    assert none == []
    bad = client.get("/history/activity", params={"filter": "colour==RED"})
    assert (bad.status_code, bad.json()) == (400, {"errorCode": "error.invalid.filter"})


def test_activity_periods(capital_sim, relaxed: CapitalHttp) -> None:
    client = relaxed
    client.deal("/positions", {"epic": "GOLD", "direction": "BUY", "size": 1})
    now = datetime.now(UTC)
    window = {"from": _day_text(now - timedelta(minutes=5)),
              "to": _day_text(now + timedelta(minutes=5))}
    assert len(_activities(client, **window)) == 1
    old = {"from": _day_text(now - timedelta(hours=3)), "to": _day_text(now - timedelta(hours=2))}
    assert _activities(client, **old) == []
    assert len(_activities(client, **{"from": _day_text(now - timedelta(hours=1))})) == 1
    too_long = client.get("/history/activity", params={
        "from": _day_text(now - timedelta(days=2)), "to": _day_text(now)})
    assert (too_long.status_code, too_long.json()) == (400, {"errorCode": "error.invalid.from"})
    bare_date = client.get("/history/activity", params={"from": "2022-01-17"})
    assert (bare_date.status_code, bare_date.json()) == (400, {"errorCode": "error.invalid.from"})
    assert client.get("/history/activity", params={"lastPeriod": 86_401}).status_code == 400
    assert len(_activities(client, lastPeriod="86400")) == 1


def test_transactions_are_the_cash_ledger(capital_sim, relaxed: CapitalHttp, still) -> None:
    client = relaxed
    (opened,) = client.deal("/positions", {"epic": "GOLD", "direction": "BUY",
                                           "size": 1})["affectedDeals"]
    closed = client.deal(f"/positions/{opened['dealId']}", {}, method="DELETE")
    assert client.post("/accounts/topUp", json={"amount": 250}).status_code == 200
    rows = client.get("/history/transactions").json()["transactions"]
    assert [(r["transactionType"], r["note"]) for r in rows] == [
        ("DEPOSIT", "Demo top up"), ("TRADE", "Trade closed"), ("DEPOSIT", "Deposit")]
    trade = rows[1]
    assert trade["instrumentName"] == "GOLD" and trade["currency"] == "USD"
    assert Decimal(trade["size"]) == Decimal(str(closed["profit"]))
    assert all(isinstance(r["size"], str) for r in rows)
    assert "instrumentName" not in rows[0]
    deposits = client.get("/history/transactions", params={"type": "DEPOSIT"}).json()
    assert [r["size"] for r in deposits["transactions"]] == ["250.00", "10000.00"]
    recent = client.get("/history/transactions", params={"lastPeriod": 3600}).json()
    assert len(recent["transactions"]) == 3
