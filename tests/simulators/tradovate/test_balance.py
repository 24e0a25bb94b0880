"""Tradovate simulator: accounts, cash balance snapshots and every changeDemoBalance rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.simulators.tradovate.tradovate_http import TradovateHttp

CHANGE = "/cashBalance/changeDemoBalance"
SNAPSHOT_FIELDS = {
    "totalCashValue", "totalPnL", "initialMargin", "maintenanceMargin", "netLiq", "openPnL",
    "realizedPnL", "weekRealizedPnL", "netLiqSOD", "totalCashValueSOD", "cashUSD",
}


def test_accounts_list_item_find(tradovate_sim, client: TradovateHttp) -> None:
    accounts = client.accounts()
    assert [a["id"] for a in accounts] == tradovate_sim.state.account_ids()
    first = accounts[0]
    assert first["name"].startswith("DEMO") and first["active"] is True
    assert first["userId"] == tradovate_sim.state.user_id
    assert first["accountType"] == "Customer" and first["marginAccountType"] == "Speculator"
    assert client.ok("GET", "/account/item", params={"id": first["id"]}) == first
    assert client.ok("GET", "/account/items",
                     params={"ids": f"{accounts[1]['id']},{first['id']}"}) == accounts[::-1]
    assert client.ok("GET", "/account/find", params={"name": first["name"]}) == first
    assert client.get("/account/item", params={"id": 1}).status_code == 404
    assert client.get("/account/find", params={"name": "DEMO0"}).status_code == 404
    assert client.get("/account/item").status_code == 400


def test_snapshot_of_a_fresh_account(client: TradovateHttp, account_id: int) -> None:
    snapshot = client.snapshot(account_id)
    assert set(snapshot) >= SNAPSHOT_FIELDS and "errorText" not in snapshot
    assert snapshot["totalCashValue"] == snapshot["netLiq"] == snapshot["cashUSD"] == 25_000
    assert snapshot["totalCashValueSOD"] == snapshot["netLiqSOD"] == 25_000
    assert snapshot["openPnL"] == snapshot["realizedPnL"] == snapshot["initialMargin"] == 0
    unknown = client.snapshot(999)
    assert set(unknown) == {"errorText"}
    missing = client.ok("POST", "/cashBalance/getCashBalanceSnapshot", {})
    assert missing["violations"][0]["constraint"] == "accountId"


def test_change_adds_to_the_cash_and_is_recorded(tradovate_sim, client: TradovateHttp,
                                                 account_id: int) -> None:
    state = tradovate_sim.state
    assert state.demo_balance_mode == "change"
    answer = client.ok("POST", CHANGE, {"accountId": account_id, "cashChange": 1500.5})
    assert "errorText" not in answer
    assert Decimal(str(answer["totalCashValue"])) == Decimal("26500.50")
    assert client.snapshot(account_id)["totalCashValue"] == 26500.5
    assert client.snapshot(account_id)["totalCashValueSOD"] == 25_000  # changed during the day
    (change,) = state.balance_changes
    assert (change.account, change.amount, change.comment) == (
        account_id, Decimal("1500.5"), "Demo Change")
    assert change.delta == Decimal("1500.50") and change.balance == Decimal("26500.50")
    assert change.at.tzinfo is not None


def test_replace_mode_sets_the_cash(tradovate_sim, client: TradovateHttp,
                                    account_id: int) -> None:
    state = tradovate_sim.state
    state.demo_balance_mode = "replace"
    answer = client.ok("POST", CHANGE, {"accountId": account_id, "cashChange": 40000,
                                        "comment": "new challenge"})
    assert answer["totalCashValue"] == 40_000
    (change,) = state.balance_changes
    assert (change.amount, change.delta, change.comment) == (
        Decimal(40000), Decimal("15000.00"), "new challenge")
    state.advance_clock(3600)
    over = client.ok("POST", CHANGE, {"accountId": account_id, "cashChange": 50000.01})
    assert "50,000" in over["errorText"] or "50000" in over["errorText"]
    assert client.snapshot(account_id)["totalCashValue"] == 40_000


@pytest.mark.parametrize("mode", ["change", "replace"])
def test_every_rule_has_its_own_error_text(tradovate_sim, client: TradovateHttp,
                                           account_id: int, mode: str) -> None:
    state = tradovate_sim.state
    state.demo_balance_mode = mode
    second = state.account_ids()[1]
    errors: dict[str, str] = {}

    def refused(rule: str, body: dict) -> None:
        answer = client.ok("POST", CHANGE, body)
        assert set(answer) == {"errorText"}, (rule, answer)
        errors[rule] = answer["errorText"]

    refused("account id > 0", {"accountId": 0, "cashChange": 100})
    refused("not this user's", {"accountId": 12345, "cashChange": 100})
    refused("range high", {"accountId": account_id, "cashChange": 1_000_000})
    refused("range low", {"accountId": account_id, "cashChange": -1_000_000})
    refused("comment", {"accountId": account_id, "cashChange": 100, "comment": "x" * 65})
    # The second account already holds 50,000: any rise goes over the cap.
    refused("cap", {"accountId": second,
                    "cashChange": 1 if mode == "change" else 50_000.01})
    state.close_account(second)
    refused("inactive", {"accountId": second, "cashChange": -100})
    state.environment = "live"
    refused("live", {"accountId": account_id, "cashChange": 100})
    state.environment = "replay"
    refused("replay", {"accountId": account_id, "cashChange": 100})
    state.environment = "demo"
    assert errors["range high"] == errors["range low"]
    assert errors["live"] == errors["replay"]
    distinct = {errors[r] for r in ("account id > 0", "not this user's", "range high",
                                    "comment", "cap", "inactive", "live")}
    assert len(distinct) == 7
    assert state.balance_changes == []
    for account in (account_id, second):
        assert client.snapshot(account)["totalCashValue"] in (25_000, 50_000)

    # Within range and cap: accepted once, then the hourly cooldown refuses the next.
    ok_value = 24_999.99 if mode == "change" else 49_999.99
    accepted = client.ok("POST", CHANGE, {"accountId": account_id, "cashChange": ok_value,
                                          "comment": "y" * 64})
    assert "errorText" not in accepted and accepted["totalCashValue"] == 49_999.99
    soon = client.ok("POST", CHANGE, {"accountId": account_id, "cashChange": -1})
    assert set(soon) == {"errorText"} and soon["errorText"] not in distinct
    state.advance_clock(3599)
    assert "errorText" in client.ok("POST", CHANGE, {"accountId": account_id, "cashChange": -1})
    state.advance_clock(2)
    later = client.ok("POST", CHANGE, {"accountId": account_id,
                                       "cashChange": -1 if mode == "change" else 49_998.99})
    assert later["totalCashValue"] == 49_998.99
    assert [c.comment for c in state.balance_changes] == ["y" * 64, "Demo Change"]


def test_cooldown_and_cap_are_knobs(tradovate_sim, client: TradovateHttp,
                                    account_id: int) -> None:
    state = tradovate_sim.state
    state.balance_change_cooldown = 0
    state.max_demo_balance = Decimal(100_000)
    for _ in range(3):
        client.ok("POST", CHANGE, {"accountId": account_id, "cashChange": 20_000})
    assert client.snapshot(account_id)["totalCashValue"] == 85_000
    assert len(state.balance_changes) == 3


def test_malformed_bodies(tradovate_sim, client: TradovateHttp, account_id: int) -> None:
    missing = client.ok("POST", CHANGE, {"comment": "no amount"})
    assert {v["constraint"] for v in missing["violations"]} == {"accountId", "cashChange"}
    wrong_type = client.ok("POST", CHANGE, {"accountId": account_id, "cashChange": "lots"})
    assert wrong_type["violations"] == [{"constraint": "cashChange", "value": "lots",
                                         "description": "cashChange should be a number"}]
    not_json = client.request("POST", CHANGE, content=b"{accountId: 1",
                              headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    assert tradovate_sim.state.balance_changes == []
