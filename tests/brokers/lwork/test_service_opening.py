"""Opening accounts through the LWork service (demo 3.6 with the 1.7 types, real 3.5 on
the profile's live servers) and the holder's name (3.12)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.brokers.lwork.opening import live_servers
from desktop_app.brokers.lwork.wire import TradingAccount
from desktop_app.domain.errors import Rejected, ValidationError
from desktop_app.domain.types import AccountOpening, Environment, OrderStatus


def form_values(form) -> dict[str, str]:
    return {f.name: f.default for f in form.fields}


def test_forms_offer_the_demo_types_and_the_live_servers(service, run) -> None:
    forms = {f.kind: f for f in run(service.account_opening_forms())}
    assert set(forms) == {"demo", "real"}
    (types,) = [f for f in forms["demo"].fields if f.name == "demoAccountType"]
    labels = [label for _value, label in types.choices]
    assert len(labels) == 3 and labels[0].startswith("MT4 · General User: 10,000.00")
    assert any(label.startswith("MT5") for label in labels)
    (server,) = [f for f in forms["real"].fields if f.name == "server"]
    assert [value for value, _ in server.choices] == ["MT4:430", "MT5:432"]


def test_a_demo_account_is_opened_and_listed(lwork_sim, service, run) -> None:
    demo = next(f for f in run(service.account_opening_forms()) if f.kind == "demo")
    values = form_values(demo) | {"accountName": "Fresh demo", "phone": "15912345678"}
    mt5_type = next(v for v, _ in demo.fields[0].choices if v.startswith("MT5:"))
    result = run(service.open_account(AccountOpening(
        service.connection_id, "demo", values | {"demoAccountType": mt5_type})))
    assert result.status is OrderStatus.ACCEPTED and result.account is not None
    assert "MT5 demo account" in result.message
    listed = {a.ref: a for a in run(service.accounts())}
    opened = listed[result.account]
    assert (opened.name, opened.kind, opened.environment) == (
        "Fresh demo", "MT5 demo", Environment.DEMO)
    assert opened.balance is not None and opened.balance.balance == Decimal(10_000)
    with pytest.raises(ValidationError, match="account name"):
        run(service.open_account(AccountOpening(service.connection_id, "demo",
                                                values | {"accountName": " "})))


def test_a_real_account_is_opened_on_a_live_server(lwork_sim, service, run) -> None:
    real = next(f for f in run(service.account_opening_forms()) if f.kind == "real")
    values = form_values(real) | {
        "group": "liveforex", "accountName": "Jane Real", "email": "jane@example.com",
        "countryCode": "+86", "phone": "18602920465"}
    handed: list[str] = []
    result = run(service.open_account(AccountOpening(service.connection_id, "real",
                                                     values), handed.append))
    assert result.status is OrderStatus.ACCEPTED and result.account is not None
    assert handed == [result.account.account_id]
    listed = {a.ref: a for a in run(service.accounts())}
    assert listed[result.account].environment is Environment.LIVE
    assert listed[result.account].kind == "MT4 live"
    with pytest.raises(Rejected, match="Email format error"):
        run(service.open_account(AccountOpening(service.connection_id, "real",
                                                values | {"email": "nope"})))


def test_live_servers_come_from_the_profiles_server_ids() -> None:
    demo = TradingAccount("1", "d", "MT4", "MT4-Demo", "428", False, "USD", 100, None, True)
    live = TradingAccount("2", "l", "MT5", "Acme-Real", "9", True, "USD", 100, None, True)
    found = live_servers({"MT4-Demo": "428", "Acme-Real": "9", "MT4-Live": "430",
                          "Other": "7"}, [demo, live])
    assert found == [("MT5", "9", "Acme-Real"), ("MT4", "430", "MT4-Live")]


def test_the_holders_name_is_changed(lwork_sim, service, run) -> None:
    assert run(service.owner_name()) == "Demo Trader"
    assert run(service.rename_owner("  Jane Q. Trader ")) == "Jane Q. Trader"
    assert run(service.owner_name()) == "Jane Q. Trader"
    assert {a.owner for a in run(service.accounts())} == {"Jane Q. Trader"}
    assert lwork_sim.state.user.base["accountName"] == "Jane Q. Trader"
