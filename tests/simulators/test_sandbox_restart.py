"""The Sandbox keeps its state across restarts: trade and fund through the hub and the
real adapters, stop, start again, and everything is still there (same account ids,
positions, working orders, funding, logins); a reset starts over on purpose; a damaged
or newer state file is moved aside, never deleted."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    SizeUnit,
)
from desktop_app.sandbox import OPEN_SESSION, Sandbox, SandboxControl
from desktop_app.sandbox_state import BEFORE_RESET, STATE_FILE
from desktop_app.session.events import Topic
from desktop_app.session.hub import Hub
from desktop_app.storage.journal import Journal
from desktop_app.storage.paths import sandbox_dir
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from tests.session.conftest import wait_for

TOPUP = FundingKind.DEMO_TOPUP
KEPT = ("capital", "tradovate", "darwinex", "lwork", "upvest")  # those that keep their state
# Accounts with a balance once every kept simulator is listed (LWork: MT4, MT4, MT5;
# Upvest: the desk's four accounts).
LISTED = 12


def _ref(hub: Hub, broker: str, index: int = 0) -> AccountRef:
    refs = sorted((a.ref for a in hub.accounts() if a.ref.broker == broker),
                  key=lambda r: r.account_id)
    return refs[index]


async def _opened(state_dir: Path) -> tuple[Hub, SandboxControl]:
    hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal())
    await hub.start()
    control = SandboxControl(hub, state_dir=state_dir, announce=False,
                             session_time=OPEN_SESSION)
    await control.open()
    await wait_for(lambda: len([a for a in hub.accounts()
                                if a.balance is not None and a.ref.broker in KEPT]) == LISTED,
                   30)
    return hub, control


async def _closed(hub: Hub, control: SandboxControl) -> None:
    await hub.stop()
    hub.journal.close()
    await control.close()


def _credentials(control: SandboxControl) -> dict[str, dict[str, str]]:
    assert control.sandbox is not None
    # LWork makes a fresh tenant key pair at each start (its PEM file's path is printed
    # anew and the Sandbox profile reads it); the logins themselves stay.
    return {b: {k: v for k, v in s.credentials.items() if k != "private_key_file"}
            for b, s in control.sandbox.simulators.items() if b in KEPT}


def test_a_restart_keeps_accounts_positions_orders_and_funding(run) -> None:
    state_dir = sandbox_dir()

    async def first_run() -> dict[str, Any]:
        hub, control = await _opened(state_dir)
        assert control.sandbox is not None
        capital, tradovate = _ref(hub, "capital"), _ref(hub, "tradovate")
        darwinex = _ref(hub, "darwinex")
        es = next(c.name for c in control.sandbox.simulators["tradovate"].state.catalog
                  .contracts.values() if c.product.name == "ES" and c.maturity.is_front)
        assert (await hub.place_order(OrderRequest(capital, "EURUSD", Side.BUY,
                                                   Decimal(1000)))).accepted
        quote = await hub.quote(capital, "GOLD")
        assert (await hub.place_order(OrderRequest(
            capital, "GOLD", Side.BUY, Decimal(1), OrderType.LIMIT,
            level=(quote.bid * Decimal("0.9")).quantize(Decimal("0.01"))))).accepted
        assert (await hub.place_order(OrderRequest(tradovate, es, Side.BUY, Decimal(2)))).accepted
        assert (await hub.place_order(OrderRequest(darwinex, "AEB.5.4", Side.BUY,
                                                   Decimal(500)))).accepted
        assert (await hub.fund(FundingRequest(capital, TOPUP, Decimal(250)))).accepted
        assert (await hub.fund(FundingRequest(tradovate, TOPUP, Decimal(-1000)))).accepted
        for ref in (capital, tradovate, darwinex):
            await wait_for(lambda r=ref: hub.positions(r), 10)
        await wait_for(lambda: hub.working_orders(capital), 10)
        # LWork: a deposit paid, a transfer to the other MT4 account, one still pending.
        mt4, mt4b = _ref(hub, "lwork", 0), _ref(hub, "lwork", 1)
        lwork = control.sandbox.simulators["lwork"].state
        paid = await hub.fund(FundingRequest(mt4, FundingKind.DEPOSIT, Decimal(100)))
        lwork.pay_deposit(lwork.entries("Deposit")[0].job_id)
        await hub.fund(FundingRequest(mt4, FundingKind.TRANSFER, Decimal(40), destination=mt4b))
        lwork.deposit_pay_after = None
        await hub.fund(FundingRequest(mt4b, FundingKind.DEPOSIT, Decimal(30)))
        assert paid.broker_ref
        # Upvest: a fractional EUR buy, filled (a position), and an account opened.
        upvest = next(a.ref for a in hub.accounts()
                      if a.ref.broker == "upvest" and a.name == "Main account")
        apple = (await hub.search_instruments(upvest, "Apple"))[0]
        assert (await hub.place_order(OrderRequest(
            upvest, apple.symbol, Side.BUY, Decimal("25.00"), size_unit=SizeUnit.CASH,
            currency="EUR", acknowledged=True))).status in (OrderStatus.PENDING,
                                                             OrderStatus.ACCEPTED)
        hub.set_focus(upvest, {Topic.POSITIONS}, set())
        await wait_for(lambda: hub.positions(upvest), 10)
        seen = {
            "ids": control.sandbox.account_ids(),
            "credentials": _credentials(control),
            "positions": {r.broker: sorted((p.position_id, p.symbol, p.size)
                                           for p in hub.positions(r))
                          for r in (capital, tradovate, darwinex, upvest)},
            "order": [(o.order_id, o.level) for o in hub.working_orders(capital)],
            "cooldown": hub.funding_rules(tradovate, TOPUP).next_allowed_at,
            "lwork": (lwork.account(mt4.account_id).balance,
                      lwork.account(mt4b.account_id).balance,
                      [(e.kind, e.record_id, e.amount, e.pay_status) for e in lwork.cash]),
        }
        await _closed(hub, control)
        return seen

    async def second_run(before: dict[str, Any]) -> None:
        hub, control = await _opened(state_dir)
        assert control.sandbox is not None
        assert control.sandbox.account_ids() == before["ids"]
        assert _credentials(control) == before["credentials"]
        capital, tradovate = _ref(hub, "capital"), _ref(hub, "tradovate")
        darwinex = _ref(hub, "darwinex")
        upvest = next(a.ref for a in hub.accounts()
                      if a.ref.broker == "upvest" and a.name == "Main account")
        for ref in (capital, tradovate, darwinex, upvest):
            hub.set_focus(ref, {Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS}, set())
            await wait_for(lambda r=ref: hub.positions(r), 10)
            assert sorted((p.position_id, p.symbol, p.size) for p in hub.positions(ref)) == (
                before["positions"][ref.broker])
        hub.set_focus(capital, {Topic.POSITIONS, Topic.WORKING_ORDERS}, set())
        await wait_for(lambda: hub.working_orders(capital), 10)
        assert [(o.order_id, o.level) for o in hub.working_orders(capital)] == before["order"]
        balances = {a.ref: a.balance for a in hub.accounts()}
        tv_ledger = control.sandbox.simulators["tradovate"].state.market.account(
            tradovate.account_id).ledger
        assert [e.amount for e in tv_ledger if e.kind != "TRADE"] == [
            Decimal("25000.00"), Decimal("-1000.00")]
        cap_ledger = control.sandbox.simulators["capital"].state.market.account(
            capital.account_id).ledger
        assert Decimal("250.00") in [e.amount for e in cap_ledger]
        assert balances[capital] is not None
        # One demo balance change an hour: the simulator still knows when the last was.
        state = control.sandbox.simulators["tradovate"].state
        assert state.last_balance_change(int(tradovate.account_id)) is not None
        lwork = control.sandbox.simulators["lwork"].state
        mt4, mt4b = _ref(hub, "lwork", 0), _ref(hub, "lwork", 1)
        assert (lwork.account(mt4.account_id).balance, lwork.account(mt4b.account_id).balance,
                [(e.kind, e.record_id, e.amount, e.pay_status) for e in lwork.cash]
                ) == before["lwork"]
        # The deposit still pending is followed on: paid now, the balance rises.
        lwork.pay_deposit(lwork.entries("Deposit")[-1].job_id)
        await wait_for(lambda: hub.funding_journal()[0].funding_result().accepted, 20)
        await _closed(hub, control)

    before = run(first_run(), timeout=90)
    saved = json.loads((state_dir / STATE_FILE).read_text())
    assert saved["version"] == 1 and set(saved["simulators"]) == set(KEPT)
    run(second_run(before), timeout=90)


def test_reset_starts_over_and_keeps_the_old_state_aside(run) -> None:
    state_dir = sandbox_dir()

    async def go() -> None:
        hub, control = await _opened(state_dir)
        assert control.sandbox is not None
        old_ids, old_seed = control.sandbox.account_ids(), control.sandbox.seed
        capital = _ref(hub, "capital")
        assert (await hub.place_order(OrderRequest(capital, "EURUSD", Side.BUY,
                                                   Decimal(1000)))).accepted
        await control.reset()
        assert control.sandbox is not None and control.sandbox.seed != old_seed
        new_ids = control.sandbox.account_ids()
        assert all(set(new_ids[b]).isdisjoint(old_ids[b]) for b in new_ids)
        await wait_for(lambda: {a.ref.account_id for a in hub.accounts() if a.ref.broker in KEPT}
                       == {i for ids in new_ids.values() for i in ids}, 30)
        for account in hub.accounts():
            assert not hub.positions(account.ref)
        await _closed(hub, control)
        again = await Sandbox.start(announce=False, state_dir=state_dir)
        try:
            assert again.account_ids() == new_ids  # the reset state is what was kept
        finally:
            await again.stop()

    run(go(), timeout=120)
    backup = json.loads((state_dir / BEFORE_RESET).read_text())
    assert any(a["positions"] for a in backup["simulators"]["capital"]["market"]["accounts"])


def test_a_damaged_state_file_is_moved_aside_and_a_fresh_sandbox_starts(run) -> None:
    state_dir = sandbox_dir()
    (state_dir / STATE_FILE).write_text('{"version": 1, "seed": 4, "simul')

    async def go() -> Sandbox:
        sandbox = await Sandbox.start(announce=False, state_dir=state_dir)
        await sandbox.stop()
        return sandbox

    sandbox = run(go(), timeout=60)
    assert sandbox.notice and "could not be read" in sandbox.notice
    aside = sorted(state_dir.glob("state.damaged-*.json"))
    assert len(aside) == 1 and aside[0].read_text() == '{"version": 1, "seed": 4, "simul'
    assert json.loads((state_dir / STATE_FILE).read_text())["seed"] == sandbox.seed


def test_a_state_that_does_not_fit_the_simulators_is_moved_aside(run) -> None:
    state_dir = sandbox_dir()
    (state_dir / STATE_FILE).write_text(json.dumps(
        {"version": 1, "seed": 4, "simulators": {"capital": {"origin": 1.0, "market": {}}}}))

    async def go() -> Sandbox:
        sandbox = await Sandbox.start(announce=False, state_dir=state_dir)
        await sandbox.stop()
        return sandbox

    sandbox = run(go(), timeout=60)
    assert sandbox.notice and "could not be restored" in sandbox.notice
    assert len(list(state_dir.glob("state.damaged-*.json"))) == 1


def test_a_newer_state_file_is_moved_aside(run) -> None:
    state_dir = sandbox_dir()
    (state_dir / STATE_FILE).write_text(json.dumps({"version": 99, "seed": 1, "simulators": {}}))

    async def go() -> Sandbox:
        sandbox = await Sandbox.start(("capital",), announce=False, state_dir=state_dir)
        await sandbox.stop()
        return sandbox

    sandbox = run(go(), timeout=60)
    assert sandbox.notice and "newer version" in sandbox.notice
    (aside,) = state_dir.glob("state.newer-*.json")
    assert json.loads(aside.read_text())["version"] == 99
