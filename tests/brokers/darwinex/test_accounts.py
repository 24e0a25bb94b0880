"""Investor accounts, balances, positions with thresholds, working orders, leverage."""

import asyncio
from decimal import Decimal

import pytest

from desktop_app.domain.errors import PermissionDenied, Rejected
from desktop_app.domain.types import (
    AccountPreferences,
    Environment,
    LeverageSetting,
    OrderRequest,
    OrderType,
    Side,
)
from tests.brokers.darwinex.conftest import demo_ref

PRODUCT = "NTI.4.12"


def test_accounts_and_balances(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    [account] = run(service.accounts())
    assert account.ref == ref and account.currency == "EUR" and account.name == "DEMO"
    assert account.environment is Environment.DEMO
    balance = account.balance
    assert balance is not None
    assert balance.equity == balance.balance == Decimal("50000.00")
    assert balance.profit_loss == 0 and balance.currency == "EUR"

    state.set_quote(PRODUCT, Decimal("100.00"))
    run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("10000"))))
    state.set_quote(PRODUCT, Decimal("110.00"))  # +10 %: +1,000 open
    [account] = run(service.accounts())
    balance = account.balance
    assert balance is not None
    assert balance.profit_loss == Decimal("1000.00")
    assert balance.equity == Decimal("51000.00")
    # Darwinex gives equity and openPnL; the balance is what is left without the open result.
    assert balance.balance == balance.equity - balance.profit_loss == Decimal("50000.00")
    details = {f.label: f.value for f in balance.details}
    assert details["Invested"] == "10,000.00 EUR"
    assert details["Leverage"] == "3"
    assert list(details) == ["Available to invest", "Invested", "Leverage", "Max risk", "Risk"]


def test_a_pinned_investor_account_is_the_only_one_shown(darwinex_sim, make_service, run):
    state = darwinex_sim.state
    second = state.add_account("DEMO", "USD", "20000")
    every = make_service()
    assert {a.ref.account_id for a in run(every.accounts())} == {
        str(i) for i in state.account_ids()}
    pinned = make_service(investor_account_id=str(second))
    run(pinned.connect())
    [account] = run(pinned.accounts())
    assert account.ref.account_id == str(second) and account.currency == "USD"

    unknown = make_service(investor_account_id="123")
    with pytest.raises(PermissionDenied) as err:
        run(unknown.connect())
    assert "123 is not among this token's accounts" in err.value.message


def test_positions_carry_thresholds_and_scores_come_later(darwinex_sim, service, run):
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.set_quote(PRODUCT, Decimal("100.00"))
    run(service.place_order(OrderRequest(
        ref, PRODUCT, Side.BUY, Decimal("1000"), stop_level=Decimal("90"),
        profit_level=Decimal("125.5"))))
    state.set_quote(PRODUCT, Decimal("105.00"))

    [position] = run(service.positions(ref))
    assert (position.position_id, position.symbol, position.side) == (PRODUCT, PRODUCT, Side.BUY)
    assert position.size == Decimal("1000.00")  # the amount invested
    assert position.open_level == Decimal("100.00")
    assert position.current_level == Decimal("105.00")
    assert position.profit_loss == Decimal("50.00")
    assert position.currency == "EUR"
    assert (position.stop_level, position.profit_level) == (Decimal("90.00"), Decimal("125.50"))
    assert ("Current value", "1,050.00 EUR") in {(f.label, f.value) for f in position.facts}

    # The stop loss and take profit are conditional orders at Darwinex: shown on the
    # position, not as working orders; the raw list still has them.
    assert run(service.working_orders(ref)) == []
    raw = run(service.conditional_orders(ref, "pending"))
    assert sorted(o["thresholdType"] for o in raw) == ["STOP_LOSS", "TAKE_PROFIT"]

    # The D-Score of a position's product is fetched in the background, once.
    score = state.catalogue.products[PRODUCT].dscore
    wanted = ("D-Score", f"{Decimal(str(score)).normalize():f}")

    async def scored() -> None:
        for _ in range(100):
            [position] = await service.positions(ref)
            if wanted in {(f.label, f.value) for f in position.facts}:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("no D-Score on the position")

    run(scored())
    run(service.positions(ref))
    assert state.stats["GET /darwininfo/2.0/products/{productName}/dxscore"] == 1


def test_working_orders_map_limit_and_stop(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    ref = demo_ref(darwinex_sim)
    state.set_quote(PRODUCT, Decimal("100.00"))
    run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("1000"))))
    orders = [
        OrderRequest(ref, PRODUCT, Side.BUY, Decimal("300"), OrderType.LIMIT,
                     level=Decimal("95"), stop_level=Decimal("80")),
        OrderRequest(ref, PRODUCT, Side.BUY, Decimal("400"), OrderType.STOP, level=Decimal("105")),
        OrderRequest(ref, PRODUCT, Side.SELL, Decimal("500"), OrderType.LIMIT,
                     level=Decimal("110")),
        OrderRequest(ref, PRODUCT, Side.SELL, Decimal("600"), OrderType.STOP,
                     level=Decimal("90")),
    ]
    for request in orders:
        assert run(service.place_order(request)).accepted
    found = {o.size: o for o in run(service.working_orders(ref))}
    assert {s: (o.side, o.order_type, o.level) for s, o in found.items()} == {
        Decimal("300.00"): (Side.BUY, OrderType.LIMIT, Decimal("95.00")),
        Decimal("400.00"): (Side.BUY, OrderType.STOP, Decimal("105.00")),
        Decimal("500.00"): (Side.SELL, OrderType.LIMIT, Decimal("110.00")),
        Decimal("600.00"): (Side.SELL, OrderType.STOP, Decimal("90.00")),
    }
    assert found[Decimal("300.00")].stop_level == Decimal("80.00")
    # On the wire: buy at or below / sell at or above is a limit, the others stops.
    raw = {Decimal(str(o["amount"])): o["type"] for o in run(service.conditional_orders(ref))
           if not o["thresholdType"]}
    assert raw == {Decimal(300): "LESS_THAN_EQUAL", Decimal(400): "GREATER_THAN_EQUAL",
                   Decimal(500): "GREATER_THAN_EQUAL", Decimal(600): "LESS_THAN_EQUAL"}


def test_leverage_preferences(darwinex_sim, service, run) -> None:
    ref = demo_ref(darwinex_sim)
    prefs = run(service.preferences(ref))
    assert prefs.hedging_mode is False
    assert prefs.leverages == {"account": LeverageSetting(3, tuple(range(1, 11)))}
    changed = run(service.set_preferences(
        ref, AccountPreferences(False, {"account": LeverageSetting(5, ())})))
    assert changed.leverages["account"].current == 5
    account = darwinex_sim.state.book.accounts[int(ref.account_id)]
    assert account.leverage == Decimal("5.0")
    with pytest.raises(Rejected) as err:
        run(service.set_preferences(
            ref, AccountPreferences(False, {"account": LeverageSetting(11, ())})))
    assert "between 1 and 10" in err.value.message


def test_executed_orders_and_trades_are_readable(darwinex_sim, service, run) -> None:
    ref = demo_ref(darwinex_sim)
    placed = run(service.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("700"))))
    executed = run(service.executed_orders(ref))
    assert [str(o["orderId"]) for o in executed] == [placed.broker_ref]
    assert executed[0]["productName"] == PRODUCT and executed[0]["side"] == "BUY"
    trades = run(service.trades(ref, "open"))
    assert [t["productName"] for t in trades] == [PRODUCT]


def test_live_writes_need_the_opt_in(darwinex_sim, make_service, run) -> None:
    svc = make_service(environment=Environment.LIVE)
    ref = demo_ref(darwinex_sim)
    with pytest.raises(PermissionDenied) as err:
        run(svc.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500"))))
    assert "Allow live trading" in err.value.user_text()
    with pytest.raises(PermissionDenied):
        run(svc.set_preferences(ref, AccountPreferences(False, {"account": LeverageSetting(
            2, ())})))
    with pytest.raises(PermissionDenied):
        run(svc.close_all_positions(ref))
    assert darwinex_sim.state.stats.total() == 0  # nothing was sent
