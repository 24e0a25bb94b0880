"""The LWork service against its simulator: accounts with their MT figures, positions,
pending orders, history read over several pages, and what it does not do."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from desktop_app.brokers.lwork.core import NO_TRADING
from desktop_app.brokers.registry import get_spec
from desktop_app.domain.errors import NotSupported, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import (
    AccountStatus,
    Environment,
    OrderRequest,
    OrderType,
    Side,
)
from tests.brokers.lwork.conftest import requests_to

INFO = "GET /v1/api/account/{account}"
POSITIONS = "GET /v1/api/account/{userId}/{login}/position"


def test_the_spec_is_registered_and_creates_the_service(lwork_sim, run) -> None:
    spec = get_spec("lwork")
    assert spec.smoke is None  # LWork does not trade
    assert {f.name for f in spec.credential_fields if f.secret} == {
        "api_token", "password", "private_key"}
    (key,) = [f for f in spec.credential_fields if f.private_key]
    assert key.name == "private_key" and key.secret
    from desktop_app.net.request_log import RequestLog
    from desktop_app.sandbox import sandbox_connection
    profile, credentials = sandbox_connection("lwork", lwork_sim)
    assert "BEGIN" in credentials["private_key"] and "private_key" not in profile.fields
    service = spec.create(profile, credentials, RequestLog())
    assert isinstance(service, BrokerService)
    run(service.close())


def test_a_bad_language_is_refused_before_anything_is_sent(make_service) -> None:
    with pytest.raises(ValidationError, match="en-US or zh-CN"):
        make_service(language="de-DE", connect=False)


def test_mt4_and_mt5_accounts_with_platform_server_group_owner_and_figures(
        lwork_sim, service, run) -> None:
    lwork_sim.state.market.freeze_prices()
    accounts = run(service.accounts())
    state = lwork_sim.state
    assert [a.ref.account_id for a in accounts] == state.account_ids()
    assert [a.kind for a in accounts] == ["MT4 demo", "MT4 demo", "MT5 demo"]
    assert [a.group for a in accounts] == ["MT4-Demo / demoforex", "MT4-Demo / demoforex",
                                           "MT5-Demo / demo\\forex"]
    assert {a.owner for a in accounts} == {"Demo Trader"}
    assert all(a.environment is Environment.DEMO and a.status is AccountStatus.ENABLED
               for a in accounts)
    mt4 = accounts[0]
    sim = state.account(mt4.ref.account_id)
    figures = state.book.figures(sim)
    balance = mt4.balance
    assert balance is not None
    assert (balance.balance, balance.equity, balance.available, balance.profit_loss) == (
        sim.balance, sim.balance + sim.credit + figures.floating, figures.free_margin,
        figures.floating)
    facts = {f.label: f.value for f in balance.details}
    assert facts["Leverage"] == "1:100" and facts["MT group"] == "demoforex"
    assert facts["Free margin"] == f"{figures.free_margin:,} USD"
    assert facts["Credit"] == "0.00 USD"


def test_account_info_is_read_for_the_focused_account_only(lwork_sim, service,
                                                           run) -> None:
    accounts = run(service.accounts())  # the first listing reads every account once
    assert requests_to(lwork_sim, INFO) == 3
    run(service.positions(accounts[2].ref))  # the trader looks at the MT5 account
    for _ in range(3):
        listed = run(service.accounts())
    assert requests_to(lwork_sim, INFO) == 3 + 3
    # The others keep their figures, with the time they were read.
    assert listed[0].balance is not None and listed[2].balance is not None
    assert listed[0].balance.as_of < listed[2].balance.as_of


def test_positions_with_pl_swap_and_commission(lwork_sim, service, run) -> None:
    state = lwork_sim.state
    accounts = run(service.accounts())
    for account in (accounts[0], accounts[2]):
        positions = run(service.positions(account.ref))
        sim = state.account(account.ref.account_id)
        assert sorted(p.position_id for p in positions) == sorted(
            t.ticket for t in sim.positions)
        assert positions
        for position in positions:
            trade = next(t for t in sim.positions if t.ticket == position.position_id)
            facts = {f.label: f.value for f in position.facts}
            assert facts["Swap"] == f"{trade.swap:,} USD"
            assert facts["Commission"] == f"{trade.commission:,} USD"
            assert position.side is (Side.BUY if trade.kind == "Buy" else Side.SELL)
            assert position.size == trade.volume and position.open_level == trade.open_price
            assert position.opened_at.tzinfo is not None


def test_pending_orders_are_working_orders(lwork_sim, service, run) -> None:
    accounts = run(service.accounts())
    orders = run(service.working_orders(accounts[0].ref))
    sim = lwork_sim.state.account(accounts[0].ref.account_id)
    assert {o.order_id for o in orders} == {t.ticket for t in sim.pending}
    assert {o.order_type for o in orders} <= {OrderType.LIMIT, OrderType.STOP}


def test_history_reads_every_page_of_trades_and_cash_flow(lwork_sim, make_service,
                                                          run) -> None:
    service = make_service(page_size=5)
    accounts = run(service.accounts())
    ref = accounts[0].ref
    since = utc_now() - timedelta(days=90)
    entries = run(service.history(ref, since))
    sim = lwork_sim.state.account(ref.account_id)
    trades = [e for e in entries if e.kind == "Closed trade"]
    assert {e.entry_id for e in trades} == {t.ticket for t in sim.history}
    assert len(trades) == 23  # five pages of five
    assert requests_to(lwork_sim, "GET /v1/api/account/{userId}/{login}/history") == 5
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert all(e.profit_loss is not None for e in trades)


def test_positions_over_several_pages(lwork_sim, make_service, run) -> None:
    service = make_service(page_size=2)
    accounts = run(service.accounts())
    positions = run(service.positions(accounts[0].ref))
    assert len(positions) == 3
    assert requests_to(lwork_sim, POSITIONS) == 2


def test_no_trading_through_lwork(service, run) -> None:
    caps = service.capabilities
    assert not caps.trading and caps.why_not("trading") == NO_TRADING
    assert "terminal" in NO_TRADING
    assert not caps.poll_all_accounts and caps.working_orders and caps.history
    accounts = run(service.accounts())
    with pytest.raises(NotSupported, match="terminal"):
        run(service.place_order(OrderRequest(accounts[0].ref, "EURUSD", Side.BUY,
                                             Decimal("0.1"))))
    with pytest.raises(NotSupported, match="terminal"):
        run(service.cancel_order(accounts[0].ref, "1"))
    with pytest.raises(NotSupported, match="terminal"):
        run(service.search_instruments(accounts[0].ref, "EUR"))


def test_the_other_accounts_figures_are_kept_current_oldest_first(
        lwork_sim, service, run, monkeypatch) -> None:
    """Accounts not in focus are read again once their figures are OTHERS_EVERY old, the
    oldest first, at most OTHERS_PER_LISTING a listing: their balances never go stale
    while the connection is listed, at a few requests more."""
    from desktop_app.brokers.lwork import reads

    accounts = run(service.accounts())
    run(service.positions(accounts[2].ref))  # focus: the MT5 account
    monkeypatch.setattr(reads, "OTHERS_EVERY", timedelta(0))
    monkeypatch.setattr(reads, "OTHERS_PER_LISTING", 1)
    first = {a.ref.account_id: a.balance.as_of for a in accounts}
    before = requests_to(lwork_sim, INFO)
    listed = run(service.accounts())  # the focused one and the older of the other two
    assert requests_to(lwork_sim, INFO) == before + 2
    fresh = [a.ref.account_id for a in listed[:2] if a.balance.as_of > first[a.ref.account_id]]
    oldest = min(accounts[:2], key=lambda a: a.balance.as_of).ref.account_id
    assert fresh == [oldest]
    listed = run(service.accounts())  # then the other one
    assert requests_to(lwork_sim, INFO) == before + 4
    assert all(a.balance.as_of > first[a.ref.account_id] for a in listed)
