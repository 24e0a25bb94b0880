"""Opening demo (3.6) and real (3.5) accounts, and renaming the owner (3.12)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.brokers.lwork import RealAccountApplication
from desktop_app.domain.errors import NotFound, Rejected


def test_a_demo_account_of_a_listed_type_appears_with_its_amount(lwork_sim, client,
                                                                 run) -> None:
    before = {a.login for a in run(client.trading_accounts())}
    vip = run(client.demo_account_types("MT4"))[1]
    run(client.open_demo_account(vendor="MT4", demo_account_type=vip["typeId"],
                                 account_name="Fresh demo", phone="15912345678"))
    (new,) = [a for a in run(client.trading_accounts()) if a.login not in before]
    assert (new.vendor, new.server_name, new.live, new.name) == (
        "MT4", "MT4-Demo", False, "Fresh demo")
    info = run(client.account_info(new))
    assert info["balance"] == vip["initAmount"] == 50_000
    assert info["leverage"] == vip["leverage"] and info["group"] == vip["accountGroup"]
    with pytest.raises(NotFound, match="demo account type"):
        run(client.open_demo_account(vendor="MT5", demo_account_type=vip["typeId"],
                                     account_name="x", phone="15912345678"))


def test_a_real_account_is_opened_on_a_live_server(lwork_sim, client, run) -> None:
    application = RealAccountApplication(
        vendor="mt5", server_id="432", group="real\\forex", leverage=100,
        account_name="Jane Real", email="jane@example.com", country_code="86",
        phone="18602920465")
    opened = run(client.open_real_account(application))
    login = str(opened["login"])
    assert opened["group"] == "real\\forex" and opened["leverage"] == 100
    listed = run(client.trading_account(login))
    assert (listed.vendor, listed.live, listed.server_id, listed.balance) == (
        "MT5", True, "432", Decimal("0.00"))
    with pytest.raises(Rejected, match="Email format error"):
        run(client.open_real_account(RealAccountApplication(
            "MT4", "430", "liveforex", 100, "x", "not-an-email", "86", "18602920465")))
    with pytest.raises(NotFound, match="server does not exist"):
        run(client.open_real_account(RealAccountApplication(
            "MT4", "432", "liveforex", 100, "x", "a@b.co", "86", "18602920465")))
    secret = RealAccountApplication("MT4", "430", "liveforex", 100, "x", "a@b.co", "86",
                                    "18602920465", password="Secret-Pass-1")
    assert "Secret-Pass-1" not in repr(secret)


def test_the_owners_name_changes(lwork_sim, client, run) -> None:
    run(client.update_owner_base_info(account_name="Renamed Trader"))
    assert run(client.owner_info())["base"]["accountName"] == "Renamed Trader"
    assert run(client.user_detail()).nickname == "Renamed Trader"
