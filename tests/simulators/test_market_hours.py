"""Market hours in every simulator: refusals in each broker's words outside hours,
orders taken again once the session clock moves into hours, conditional orders where the
broker takes them, and the hours in each broker's own data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desktop_app.simulators.hours import (
    ALWAYS,
    CME_GLOBEX,
    DARWINS,
    FX,
    US_SHARES,
    SessionState,
)
from tests.simulators.capital_http import CapitalHttp

SATURDAY = datetime(2025, 1, 18, 12, 0, tzinfo=UTC)
WEDNESDAY = datetime(2025, 1, 15, 15, 0, tzinfo=UTC)
CME_BREAK = datetime(2025, 1, 15, 22, 20, tzinfo=UTC)  # 16:20 in Chicago (winter)
CME_PRE_OPEN = datetime(2025, 1, 15, 22, 50, tzinfo=UTC)  # 16:50 in Chicago
DARWIN_CLOSURE = datetime(2025, 1, 15, 22, 1, tzinfo=UTC)  # 17:01 in New York


def test_the_hours_follow_each_exchange_and_its_daylight_saving() -> None:
    assert FX.state(datetime(2025, 1, 19, 21, 59, tzinfo=UTC)) is SessionState.CLOSED
    assert FX.state(datetime(2025, 1, 19, 22, 0, tzinfo=UTC)) is SessionState.OPEN
    assert FX.state(datetime(2025, 1, 17, 22, 0, tzinfo=UTC)) is SessionState.CLOSED
    # CME: 17:00-16:00 Chicago, i.e. 23:00-22:00 UTC in January, 22:00-21:00 in July.
    assert CME_GLOBEX.state(CME_BREAK) is SessionState.CLOSED
    assert CME_GLOBEX.state(CME_PRE_OPEN) is SessionState.PRE_OPEN
    assert CME_GLOBEX.next_open(CME_BREAK) == datetime(2025, 1, 15, 23, 0, tzinfo=UTC)
    july_break = datetime(2025, 7, 16, 21, 20, tzinfo=UTC)
    assert CME_GLOBEX.state(july_break) is SessionState.CLOSED
    assert CME_GLOBEX.next_open(july_break) == datetime(2025, 7, 16, 22, 0, tzinfo=UTC)
    assert CME_GLOBEX.state(SATURDAY) is SessionState.CLOSED
    assert CME_GLOBEX.next_open(SATURDAY) == datetime(2025, 1, 19, 23, 0, tzinfo=UTC)
    assert DARWINS.state(DARWIN_CLOSURE) is SessionState.CLOSED
    assert DARWINS.next_open(DARWIN_CLOSURE) == datetime(2025, 1, 15, 22, 5, tzinfo=UTC)
    assert US_SHARES.next_open(SATURDAY) == datetime(2025, 1, 20, 14, 30, tzinfo=UTC)
    assert ALWAYS.is_open(SATURDAY) and ALWAYS.next_close(SATURDAY) is None


def _deal(client: CapitalHttp, path: str, body: dict) -> dict:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return client.get(f"/confirms/{response.json()['dealReference']}").json()


def test_capital_refuses_a_deal_on_a_closed_market_and_takes_it_when_open(
    capital_sim, relaxed: CapitalHttp
) -> None:
    clock = capital_sim.state.session_clock
    clock.move_to(SATURDAY)
    details = relaxed.get("/markets/EURUSD").json()
    assert details["snapshot"]["marketStatus"] == "CLOSED"
    hours = details["instrument"]["openingHours"]
    assert hours["zone"] == "UTC" and hours["sat"] == [] and hours["sun"] == ["22:00 - 00:00"]
    assert hours["fri"] == ["00:00 - 22:00"] and hours["wed"] == ["00:00 - 00:00"]
    bitcoin = relaxed.get("/markets/BTCUSD").json()
    assert bitcoin["snapshot"]["marketStatus"] == "TRADEABLE"  # crypto trades at weekends

    refused = _deal(relaxed, "/positions", {"epic": "EURUSD", "direction": "BUY", "size": 100})
    assert (refused["dealStatus"], refused["reason"]) == ("REJECTED", "MARKET_CLOSED")
    assert relaxed.get("/positions").json()["positions"] == []
    # A working order is taken while the market is closed; it waits for the open.
    level = float(details["snapshot"]["offer"]) * 0.9
    order = _deal(relaxed, "/workingorders", {"epic": "EURUSD", "direction": "BUY", "size": 100,
                                                "type": "LIMIT", "level": round(level, 5)})
    assert order["dealStatus"] == "ACCEPTED"
    assert len(relaxed.get("/workingorders").json()["workingOrders"]) == 1

    clock.move_to(WEDNESDAY)
    assert relaxed.get("/markets/EURUSD").json()["snapshot"]["marketStatus"] == "TRADEABLE"
    taken = _deal(relaxed, "/positions", {"epic": "EURUSD", "direction": "BUY", "size": 100})
    assert (taken["dealStatus"], taken["status"]) == ("ACCEPTED", "OPEN")

    clock.move_to(SATURDAY)
    (position,) = relaxed.get("/positions").json()["positions"]
    closing = relaxed.request("DELETE", f"/positions/{position['position']['dealId']}")
    closed = relaxed.get(f"/confirms/{closing.json()['dealReference']}").json()
    assert closed["reason"] == "MARKET_CLOSED"


def test_capital_shares_open_at_their_exchange_hours(capital_sim, relaxed: CapitalHttp) -> None:
    clock = capital_sim.state.session_clock
    clock.move_to(datetime(2025, 1, 15, 14, 0, tzinfo=UTC))  # 09:00 New York
    assert relaxed.get("/markets/AAPL").json()["snapshot"]["marketStatus"] == "CLOSED"
    refused = _deal(relaxed, "/positions", {"epic": "AAPL", "direction": "BUY", "size": 1})
    assert refused["reason"] == "MARKET_CLOSED"
    clock.shift(timedelta(minutes=31).total_seconds())  # 09:31
    taken = _deal(relaxed, "/positions", {"epic": "AAPL", "direction": "BUY", "size": 1})
    assert taken["dealStatus"] == "ACCEPTED"


