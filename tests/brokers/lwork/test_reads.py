"""Logging in, the accounts, account info and every paged list, against the simulator."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from desktop_app.brokers.lwork import LWorkClient
from desktop_app.domain.errors import ValidationError
from desktop_app.domain.money import utc_now
from tests.brokers.lwork.conftest import requests_to


def test_login_names_the_user_and_sends_the_tenant_headers(lwork_sim, make_client, run,
                                                           tap) -> None:
    client: LWorkClient = make_client()
    info = run(client.login())
    assert info.user_id == lwork_sim.credentials["user_id"] == client.user_id
    assert info.last_login is not None and info.last_login.tzinfo is not None
    sent = tap.last("/v1/api/user/login")
    assert sent.headers["x-api-tenantId"] == lwork_sim.credentials["tenant_id"]
    assert sent.headers["x-api-token"] == lwork_sim.credentials["api_token"]
    assert sent.headers["x-language"] == "en-US"
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == {"loginName": "trader@example.com",
                                        "password": lwork_sim.credentials["password"]}


def test_accounts_live_and_demo_with_platform_and_server(lwork_sim, client, run) -> None:
    listed = run(client.trading_accounts())
    assert [a.login for a in listed] == lwork_sim.state.account_ids()
    assert [(a.vendor, a.server_name, a.server_id, a.live) for a in listed] == [
        ("MT4", "MT4-Demo", "428", False), ("MT4", "MT4-Demo", "428", False),
        ("MT5", "MT5-Demo", "431", False)]
    assert listed[0].balance == Decimal("10000.00") and listed[0].currency == "USD"
    assert listed[0].group_name == "Sandbox traders"
    # Every request after the login names the user in its path.
    assert run(client.trading_account(listed[2].login)) == listed[2]


def test_every_request_carries_the_tenant_headers(client, accounts, run, tap) -> None:
    run(client.account_info(accounts["mt4"]))
    run(client.positions(accounts["mt4"]))
    assert tap.sent
    for request in tap.sent:
        assert request.headers["x-api-tenantId"] and request.headers["x-api-token"]


def test_account_info_sends_vendor_and_server_headers(lwork_sim, client, accounts, run,
                                                      tap) -> None:
    lwork_sim.state.market.freeze_prices()  # the figures are compared exactly
    for role in ("mt4", "mt5"):
        account = accounts[role]
        info = run(client.account_info(account))
        sent = tap.last(f"/v1/api/account/{account.login}")
        assert sent.headers["x-api-vendor"] == account.vendor
        assert sent.headers["x-api-serverid"] == account.server_id
        sim_account = lwork_sim.state.account(account.login)
        figures = lwork_sim.state.book.figures(sim_account)
        assert info["balance"] == sim_account.balance
        assert info["floatProfit"] == figures.floating
        assert info["marginFree"] == figures.free_margin
        assert info["group"] == sim_account.group and info["leverage"] == sim_account.leverage


def test_floating_profit_moves_with_the_market(lwork_sim, client, accounts, run) -> None:
    account = accounts["mt4"]
    state = lwork_sim.state
    state.market.freeze_prices()
    before = run(client.account_info(account))["floatProfit"]
    trade = state.account(account.login).positions[0]
    mid = state.market.mid({"XAUUSD": "GOLD"}.get(trade.symbol, trade.symbol))
    state.market.set_price({"XAUUSD": "GOLD"}.get(trade.symbol, trade.symbol),
                           mid * Decimal("1.01"))
    after = run(client.account_info(account))["floatProfit"]
    assert after != before
    assert (after > before) == (trade.kind == "Buy")


def test_an_unknown_server_id_is_said_before_anything_is_sent(make_client, run, tap) -> None:
    client = make_client(server_ids={"MT4-Demo": "428"})
    run(client.login())
    mt5 = next(a for a in run(client.trading_accounts()) if a.vendor == "MT5")
    assert mt5.server_id == ""
    sent = len(tap.sent)
    with pytest.raises(ValidationError, match="MT5-Demo"):
        run(client.account_info(mt5))
    assert len(tap.sent) == sent
    # A platform-wide entry serves every server of that platform.
    wide = make_client(server_ids={"MT5": "431", "MT4-Demo": "428"})
    run(wide.login())
    assert {a.server_id for a in run(wide.trading_accounts())} == {"428", "431"}


def test_history_is_read_over_every_page(lwork_sim, client, accounts, run) -> None:
    account = accounts["mt4"]
    since = date.today() - timedelta(days=90)
    rows = run(client.trade_history(account, since=since))
    expected = lwork_sim.state.account(account.login).history
    assert len(expected) == 23
    assert sorted(r["id"] for r in rows) == sorted(t.ticket for t in expected)
    route = "GET /v1/api/account/{userId}/{login}/history"
    assert requests_to(lwork_sim, route) == 3  # 10 + 10 + 3
    pages = [r for r in lwork_sim.state.stats["requests"] if "history" in r]
    assert pages == [route]


def test_the_range_asked_is_sent_as_days(client, accounts, run, tap) -> None:
    account = accounts["mt4"]
    rows = run(client.trade_history(account, since=date(2020, 1, 1),
                                    until=date(2020, 1, 31)))
    assert rows == []
    sent = tap.last("/history")
    assert sent.url.params["from"] == "2020-01-01" and sent.url.params["to"] == "2020-01-31"
    assert sent.url.params["page"] == "1" and sent.url.params["size"] == "10"


def test_positions_and_pending_orders(lwork_sim, client, accounts, run) -> None:
    account = accounts["mt4"]
    sim_account = lwork_sim.state.account(account.login)
    positions = run(client.positions(account))
    assert {p["id"] for p in positions} == {t.ticket for t in sim_account.positions}
    assert all(p["vendor"] == "MT4" and p["serverId"] == "428" for p in positions)
    pending = run(client.pending_orders(account))
    assert {p["id"] for p in pending} == {t.ticket for t in sim_account.pending}


def test_positions_over_several_pages(lwork_sim, make_client, accounts, run) -> None:
    small = make_client(page_size=1)
    run(small.login())
    account = accounts["mt4"]
    assert len(run(small.positions(account))) == 3
    assert requests_to(lwork_sim, "GET /v1/api/account/{userId}/{login}/position") == 3


def test_deposit_settings_and_demo_types(client, run) -> None:
    settings = run(client.deposit_settings("mt4"))
    assert settings["minDeposit"] == 10 and settings["maxDeposit"] == 50_000
    assert {r["payCurrency"] for r in settings["exchangeRateSettings"]} == {"USD", "CNY",
                                                                            "EUR"}
    types = run(client.demo_account_types("MT5"))
    assert types[0]["accountGroup"] == "demo\\forex" and types[0]["initAmount"] == 10_000
    with pytest.raises(ValidationError):
        run(client.deposit_settings("MT6"))


def test_cash_flow_is_empty_before_any_money_moved(client, accounts, run) -> None:
    assert run(client.cash_flow(accounts["mt5"], since=utc_now() - timedelta(days=3))) == []
