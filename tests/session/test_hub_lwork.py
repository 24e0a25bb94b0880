"""Hub flows against the LWork simulator through the real service: funding journalled and
followed until it settles (pending -> paid, without a restart), a lost deposit reply,
order actions refused before anything is journalled, the focused account polled only,
opening accounts and the holder's name, private funding details in the keyring."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest

from desktop_app.domain.errors import NotSupported
from desktop_app.domain.types import (
    AccountOpening,
    AccountRef,
    FundingKind,
    FundingRequest,
    OrderStatus,
)
from desktop_app.sandbox import sandbox_connection
from desktop_app.session.events import JournalChanged, Topic
from desktop_app.session.hub import Hub
from desktop_app.session.hub_followup import FollowPolicy
from desktop_app.session.poll_config import PollConfig
from desktop_app.simulators.runner import RunningSimulator, start_simulator
from desktop_app.storage.journal import EntryState, Journal, OrderAction
from desktop_app.storage.secrets import SecretStore
from tests.session.conftest import wait_for

CID = "sandbox-lwork"
FAST = FollowPolicy(first=0.2, factor=2.0, longest=0.5, attempts=40)


@pytest.fixture
def lwork_sim() -> Iterator[RunningSimulator]:
    sim = start_simulator("lwork", port=0, seed=5)
    sim.state.deposit_pay_after = None  # paid on the knob
    yield sim
    sim.stop()


async def connect(hub: Hub, sim: RunningSimulator) -> list[AccountRef]:
    hub.follow_policy = FAST
    await hub.start()
    profile, credentials = sandbox_connection("lwork", sim)
    await hub.add_connection(profile, credentials, persist=False)
    await wait_for(lambda: len([a for a in hub.accounts() if a.ref.connection == CID
                                and a.balance is not None]) == 3, within=10)
    return [AccountRef(CID, "lwork", login) for login in sim.state.account_ids()]


def balance(hub: Hub, ref: AccountRef) -> Decimal | None:
    found = next((a for a in hub.accounts() if a.ref == ref), None)
    return found.balance.balance if found and found.balance else None


def test_a_deposit_goes_pending_then_paid_and_the_balance_rises(lwork_sim, run,
                                                                make_hub) -> None:
    hub = make_hub()
    events: list[object] = []
    hub.subscribe(events.append)

    async def go() -> None:
        mt4, _, _ = await connect(hub, lwork_sim)
        hub.set_focus(mt4, {Topic.BALANCES, Topic.POSITIONS}, set())
        before = balance(hub, mt4)
        assert before is not None
        rules = hub.funding_rules(mt4, FundingKind.DEPOSIT)
        assert rules is not None and rules.conversions
        result = await hub.fund(FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("250"),
                                               "USD", details={"payCurrency": "EUR"}))
        assert result.status is OrderStatus.PENDING
        (entry,) = hub.funding_journal()
        assert entry.state is EntryState.COMPLETED
        assert entry.funding_result().status is OrderStatus.PENDING
        assert entry.request["details"] == {"payCurrency": "EUR"}
        await asyncio.sleep(1.0)  # followed, still pending: nothing changes
        assert hub.funding_journal()[0].funding_result().status is OrderStatus.PENDING
        assert balance(hub, mt4) == before
        (deposit,) = lwork_sim.state.entries("Deposit")
        seen = len(events)
        lwork_sim.state.pay_deposit(deposit.job_id)
        await wait_for(lambda: hub.funding_journal()[0].funding_result().status
                       is OrderStatus.ACCEPTED, within=10)
        settled = hub.funding_journal()[0]
        assert settled.funding_result().new_balance == before + 250
        # Announced once written (the journal writer announces after the write lands).
        await wait_for(lambda: any(isinstance(e, JournalChanged) and e.kind == "funding"
                                   and e.entry_id == entry.id for e in events[seen:]),
                       within=5)
        await wait_for(lambda: balance(hub, mt4) == before + 250, within=10)
        assert len(lwork_sim.state.entries("Deposit")) == 1

    run(go(), timeout=60)


def test_a_lost_deposit_reply_is_reconciled_from_the_cash_flow(lwork_sim, run,
                                                               make_hub) -> None:
    hub = make_hub()

    async def go() -> None:
        mt4, _, _ = await connect(hub, lwork_sim)
        lwork_sim.state.drop_reply_next("/v2/api/account/")
        result = await hub.fund(FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("100"),
                                               "USD", details={"payCurrency": "CNY"}))
        (deposit,) = lwork_sim.state.entries("Deposit")  # one deposit at LWork
        assert result.status is OrderStatus.PENDING
        assert result.broker_ref == deposit.record_id
        (entry,) = hub.funding_journal()
        assert entry.state is EntryState.RECONCILED and entry.broker_ref == deposit.record_id
        lwork_sim.state.pay_deposit(deposit.job_id)
        await wait_for(lambda: hub.funding_journal()[0].funding_result().status
                       is OrderStatus.ACCEPTED, within=10)
        assert len(lwork_sim.state.entries("Deposit")) == 1

    run(go(), timeout=60)


def test_a_transfer_and_a_withdrawal_through_the_hub(lwork_sim, run, make_hub) -> None:
    hub = make_hub()
    bank = {"bankAccountName": "Jane Payee", "bankAccountNumber": "6226000012345678",
            "bankName": "ICBC"}

    async def go() -> None:
        mt4, mt4b, _ = await connect(hub, lwork_sim)
        before = (balance(hub, mt4), balance(hub, mt4b))
        moved = await hub.fund(FundingRequest(mt4, FundingKind.TRANSFER, Decimal("50"),
                                              "USD", destination=mt4b))
        assert moved.status is OrderStatus.ACCEPTED
        await wait_for(lambda: (balance(hub, mt4), balance(hub, mt4b)) == (
            before[0] - 50, before[1] + 50), within=10)
        out = await hub.fund(FundingRequest(mt4b, FundingKind.WITHDRAW, Decimal("20"), "USD",
                                            private_details=bank))
        assert out.status is OrderStatus.PENDING
        entry = hub.funding_journal()[0]
        assert "6226000012345678" not in str(entry.request) + entry.message
        lwork_sim.state.advance_clock(6)  # the broker approves it
        await wait_for(lambda: hub.funding_journal()[0].funding_result().status
                       is OrderStatus.ACCEPTED, within=10)
        await wait_for(lambda: balance(hub, mt4b) == before[1] + 30, within=10)

    run(go(), timeout=60)


def test_pending_funding_left_by_a_previous_run_is_followed(lwork_sim, run, make_hub,
                                                            tmp_path) -> None:
    path = tmp_path / "journal.sqlite3"
    first = make_hub(journal=Journal(path))

    async def go() -> None:
        mt4, _, _ = await connect(first, lwork_sim)
        first.follow_policy = FollowPolicy(first=3600)  # this run does not look again
        result = await first.fund(FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("40")))
        assert result.status is OrderStatus.PENDING
        await first.stop()
        (deposit,) = lwork_sim.state.entries("Deposit")
        lwork_sim.state.pay_deposit(deposit.job_id)
        second = make_hub(journal=Journal(path))
        await connect(second, lwork_sim)
        await wait_for(lambda: second.funding_journal()[0].funding_result().status
                       is OrderStatus.ACCEPTED, within=10)

    run(go(), timeout=60)


def test_order_actions_are_refused_before_anything_is_journalled(lwork_sim, run,
                                                                 make_hub) -> None:
    hub = make_hub()

    async def go() -> None:
        mt4, _, _ = await connect(hub, lwork_sim)
        order = lwork_sim.state.account(mt4.account_id).pending[0].ticket
        for call in (hub.cancel_order(mt4, order), hub.close_position(mt4, "1"),
                     hub.close_all_positions(mt4)):
            with pytest.raises(NotSupported, match="MT4/MT5 terminal"):
                await call
        assert hub.order_journal() == []

    run(go(), timeout=60)


def test_positions_are_polled_for_the_focused_account_only(lwork_sim, run,
                                                           make_hub) -> None:
    # Background polling as eager as the focused account's: LWork's accounts are still
    # not polled unless focused.
    eager = PollConfig(background={Topic.BALANCES: 10.0, Topic.POSITIONS: 1.0,
                                   Topic.WORKING_ORDERS: 1.0, Topic.QUOTES: None})
    hub = make_hub(poll_config=eager)

    async def go() -> None:
        _, _, mt5 = await connect(hub, lwork_sim)
        hub.set_focus(mt5, {Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS}, set())
        await wait_for(lambda: hub.positions(mt5), within=10)
        hub.poller.started.clear()

        def account_polls() -> list[str]:
            return [key[2] for _at, key, _prio in hub.poller.started
                    if key[1] in (Topic.POSITIONS, Topic.WORKING_ORDERS)]

        # What the poller plans to read at all: the focused account's lists only.
        planned = {job.account.account_id for job, _prio, _every in hub.poller._plan()
                   if job.conn == CID and job.account is not None}
        assert planned == {mt5.account_id}
        # Several rounds (within LWork's own budget of 2 requests a second).
        await wait_for(lambda: len(account_polls()) >= 6, within=20)
        assert set(account_polls()) == {mt5.account_id}

    run(go(), timeout=60)


def test_a_demo_account_is_opened_and_appears(lwork_sim, run, make_hub) -> None:
    hub = make_hub()

    async def go() -> None:
        await connect(hub, lwork_sim)
        forms = await hub.account_opening_forms(CID)
        demo = next(f for f in forms if f.kind == "demo")
        values = {f.name: f.default for f in demo.fields}
        values |= {"accountName": "Hub demo", "phone": "15912345678"}
        result = await hub.open_account(AccountOpening(CID, "demo", values))
        assert result.status is OrderStatus.ACCEPTED and result.account is not None
        entry = hub.order_journal()[0]
        assert entry.action == OrderAction.OPEN_ACCOUNT and entry.state is EntryState.COMPLETED
        await wait_for(lambda: any(a.ref == result.account and a.name == "Hub demo"
                                   for a in hub.accounts()), within=10)

    run(go(), timeout=60)


def test_the_holders_name_and_private_details(lwork_sim, run, make_hub) -> None:
    secrets = SecretStore()
    hub = make_hub(secrets=secrets)

    async def go() -> None:
        await connect(hub, lwork_sim)
        assert await hub.owner_name(CID) == "Demo Trader"
        await hub.rename_owner(CID, "Jane Trader")
        await wait_for(lambda: {a.owner for a in hub.accounts()
                                if a.ref.connection == CID} == {"Jane Trader"}, within=10)
        await hub.remember_details(CID, {"bankAccountNumber": "6226", "SWIFT": ""})
        assert await hub.remembered_details(CID, ["bankAccountNumber", "SWIFT"]) == {
            "bankAccountNumber": "6226"}
        assert secrets.get(CID, "funding.bankAccountNumber") == "6226"
        await hub.remember_details(CID, {"bankAccountNumber": ""})
        assert await hub.remembered_details(CID, ["bankAccountNumber"]) == {}

    run(go(), timeout=60)
