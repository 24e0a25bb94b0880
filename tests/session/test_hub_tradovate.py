"""Hub flows against the Tradovate simulator through the real service."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.errors import (
    NotSupported,
    PermissionDenied,
    Rejected,
    ValidationError,
)
from desktop_app.domain.types import (
    AccountRef,
    Environment,
    FundingKind,
    FundingRequest,
    OrderAmendment,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from desktop_app.session.events import ConnectionState, JournalChanged, Topic
from desktop_app.storage.journal import EntryState
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from tests.session.conftest import wait_for

CID = "tv-sb"
TOPUP = FundingKind.DEMO_TOPUP
PUBLIC = ("name", "app_id", "app_version", "cid")


def tradovate_profile(sim, *, cid: str = CID, environment: Environment = Environment.DEMO,
                      device_id: str = "hub-test-device") -> ConnectionProfile:
    fields = {k: sim.credentials[k] for k in PUBLIC}
    if device_id:
        fields["device_id"] = device_id
    return ConnectionProfile(
        connection_id=cid, broker="tradovate", name="Tradovate Sandbox",
        environment=environment, fields=fields, base_url=sim.base_url, sandbox=True,
    )


def tradovate_secrets(sim) -> dict[str, str]:
    return {"password": sim.credentials["password"], "sec": sim.credentials["sec"]}


def front_month(sim, product: str) -> str:
    return next(c.name for c in sim.state.catalog.contracts.values()
                if c.product.name == product and c.maturity.is_front)


async def tradovate_accounts(hub, sim, cid: str = CID) -> list[AccountRef]:
    """Wait for the first balances; the simulator's accounts in its order."""
    await wait_for(lambda: len([a for a in hub.accounts()
                                if a.ref.connection == cid and a.balance is not None]) == 2)
    return [AccountRef(cid, "tradovate", str(i)) for i in sim.state.account_ids()]


def test_connect_trade_close_cancel_modify_are_journalled(tradovate_sim, run, make_hub):
    hub = make_hub()
    events: list[object] = []
    hub.subscribe(events.append)
    sim = tradovate_sim
    es, mes = front_month(sim, "ES"), front_month(sim, "MES")

    async def go() -> None:
        await hub.start()
        await hub.add_connection(tradovate_profile(sim), tradovate_secrets(sim), persist=False)
        first, _second = await tradovate_accounts(hub, sim)
        account = next(a for a in hub.accounts() if a.ref == first)
        assert account.balance is not None and account.balance.balance == Decimal("25000.00")
        assert account.balance.currency == "USD" and account.balance.details
        hub.set_focus(first, {Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS}, {es})

        placed = await hub.place_order(OrderRequest(first, es, Side.BUY, Decimal(2)))
        assert placed.accepted and placed.broker_ref
        entry = hub.order_journal()[0]
        assert (entry.action, entry.state) == ("place", EntryState.COMPLETED)
        assert entry.broker_ref == placed.broker_ref
        await wait_for(lambda: hub.positions(first), 5)
        (position,) = hub.positions(first)
        assert (position.symbol, position.size, position.side) == (es, 2, Side.BUY)

        closed = await hub.close_position(first, position.position_id)
        assert closed.accepted
        entry = hub.order_journal()[0]
        assert (entry.action, entry.state) == ("close", EntryState.COMPLETED)
        await wait_for(lambda: not hub.positions(first), 5)

        # Real Tradovate has no REST quotes: the ticket's symbol is streamed.
        hub.set_focus(first, {Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS}, {mes})
        quote = await hub.quote(first, mes)
        working = await hub.place_order(OrderRequest(
            first, mes, Side.BUY, Decimal(1), OrderType.LIMIT, level=quote.bid - 40))
        assert working.accepted
        await wait_for(lambda: hub.working_orders(first), 5)
        (order,) = hub.working_orders(first)
        changed = await hub.modify_order(OrderAmendment(first, order.order_id,
                                                        level=quote.bid - 45))
        assert changed.accepted
        assert hub.order_journal()[0].action == "modify"
        await wait_for(lambda: hub.working_orders(first)
                       and hub.working_orders(first)[0].level == quote.bid - 45, 5)
        cancelled = await hub.cancel_order(first, order.order_id)
        assert cancelled.accepted
        assert (hub.order_journal()[0].action, hub.order_journal()[0].state) == (
            "cancel", EntryState.COMPLETED)
        await wait_for(lambda: not hub.working_orders(first), 5)

        with pytest.raises(NotSupported):  # one liquidation per contract, no close-all
            await hub.close_all_positions(first)

    run(go(), timeout=30)
    requests = sim.state.stats["requests"]
    assert requests["POST /order/placeorder"] == 2
    assert requests["POST /order/liquidateposition"] == 1
    assert requests["POST /order/modifyorder"] == 1
    assert requests["POST /order/cancelorder"] == 1
    assert all(body["isAutomated"] is False for body in sim.state.orders_placed)
    assert sum(sim.state.stats["423"].values()) + sum(sim.state.stats["429"].values()) == 0
    assert sum(sim.state.stats["penalties"].values()) == 0
    assert sim.state.stats["logins"] == 1
    assert any(isinstance(e, JournalChanged) for e in events)


def test_demo_balance_rules_are_checked_before_sending(tradovate_sim, run, make_hub) -> None:
    hub = make_hub()
    sim = tradovate_sim

    async def go() -> None:
        await hub.start()
        await hub.add_connection(tradovate_profile(sim), tradovate_secrets(sim), persist=False)
        first, second = await tradovate_accounts(hub, sim)

        rules = hub.funding_rules(first, TOPUP)
        assert rules is not None and rules.next_allowed_at is None
        assert rules.allow_negative and rules.max_resulting_balance == 50000

        async def refused(request: FundingRequest, field: str, words: str) -> None:
            with pytest.raises(ValidationError) as caught:
                await hub.fund(request)
            assert caught.value.field == field
            assert words in caught.value.message

        await refused(FundingRequest(first, TOPUP, Decimal(0)), "amount", "above zero")
        await refused(FundingRequest(first, TOPUP, Decimal("0.001")), "amount", "between")
        await refused(FundingRequest(first, TOPUP, Decimal(1_000_000)), "amount", "between")
        await refused(FundingRequest(first, TOPUP, Decimal(-1_000_000)), "amount", "between")
        await refused(FundingRequest(first, TOPUP, Decimal(25_001)), "amount",
                      "at most 50,000.00 USD")
        await refused(FundingRequest(second, TOPUP, Decimal(1)), "amount",
                      "at most 50,000.00 USD")
        await refused(FundingRequest(first, TOPUP, Decimal(-25_001)), "amount", "below zero")
        await refused(FundingRequest(first, TOPUP, Decimal(10), comment="c" * 65), "comment",
                      "64 characters")
        assert sim.state.stats["requests"]["POST /cashbalance/changedemobalance"] == 0

        done = await hub.fund(FundingRequest(first, TOPUP, Decimal(-2500), comment="reset"))
        assert done.accepted and done.new_balance == Decimal(22500)
        entry = hub.funding_journal()[0]
        assert entry.state is EntryState.COMPLETED
        assert entry.funding_result().new_balance == Decimal(22500)

        assert hub.funding_rules(second, TOPUP).next_allowed_at is None
        assert (await hub.fund(FundingRequest(second, TOPUP, Decimal(-1)))).accepted

        # One change per account per hour: the journal knows when the next is allowed
        # (the funding panel shows it) ...
        rules = hub.funding_rules(first, TOPUP)
        assert rules is not None and rules.next_allowed_at is not None
        # ... and the hub refuses a second change before sending it.
        sent = sim.state.stats["requests"]["POST /cashbalance/changedemobalance"]
        with pytest.raises(ValidationError) as caught:
            await hub.fund(FundingRequest(first, TOPUP, Decimal(10)))
        assert "next is allowed at" in caught.value.message
        assert sim.state.stats["requests"]["POST /cashbalance/changedemobalance"] == sent

    run(go(), timeout=30)
    assert [c.comment for c in sim.state.balance_changes] == ["reset", "Demo Change"]
    assert sim.state.market.account(str(sim.state.account_ids()[0])).cash == Decimal(22500)


def test_a_broker_refusal_is_journalled_as_rejected_in_its_words(tradovate_sim, run,
                                                                 make_hub) -> None:
    hub = make_hub()
    sim = tradovate_sim

    async def go() -> None:
        await hub.start()
        await hub.add_connection(tradovate_profile(sim), tradovate_secrets(sim), persist=False)
        first, _ = await tradovate_accounts(hub, sim)
        sim.state.environment = "replay"  # the server sees a replay session
        with pytest.raises(Rejected) as caught:
            await hub.fund(FundingRequest(first, TOPUP, Decimal(10)))
        assert "demo environment only" in caught.value.message

    run(go(), timeout=30)
    entry = hub.funding_journal()[0]
    assert entry.state is EntryState.COMPLETED
    result = entry.funding_result()
    assert result is not None and result.status is OrderStatus.REJECTED
    assert "demo environment only" in result.message
    # Refused: it does not start the hour's cooldown.
    assert hub.funding_rules(entry.account, TOPUP).next_allowed_at is None


def test_live_connection_cannot_fund_and_needs_the_opt_in(tradovate_sim, run, make_hub):
    hub = make_hub()
    sim = tradovate_sim

    async def go() -> None:
        await hub.start()
        live = tradovate_profile(sim, cid="tv-live", environment=Environment.LIVE)
        await hub.add_connection(live, tradovate_secrets(sim), persist=False)
        first, _ = await tradovate_accounts(hub, sim, "tv-live")
        assert hub.funding_rules(first, TOPUP) is None
        with pytest.raises(NotSupported) as caught:
            await hub.fund(FundingRequest(first, TOPUP, Decimal(10)))
        assert "demo environment only" in caught.value.user_text()
        with pytest.raises(PermissionDenied):
            await hub.place_order(OrderRequest(first, front_month(sim, "ES"), Side.BUY,
                                               Decimal(1)))

    run(go(), timeout=30)
    assert sim.state.stats["requests"]["POST /order/placeorder"] == 0
    assert sim.state.stats["requests"]["POST /cashbalance/changedemobalance"] == 0


def test_a_generated_device_id_is_kept_in_the_profile(tradovate_sim, run, make_hub) -> None:
    secrets = SecretStore()
    hub = make_hub(secrets=secrets)
    sim = tradovate_sim

    async def go() -> None:
        await hub.start()
        await hub.add_connection(tradovate_profile(sim, device_id=""), {
            **tradovate_secrets(sim), **{k: sim.credentials[k] for k in PUBLIC}})
        assert hub.connections()[0].state is ConnectionState.CONNECTED
        await asyncio.sleep(0.1)  # the profile is saved off the loop
        await hub.stop()

    run(go())
    (saved,) = Settings.load().profiles
    device_id = saved.fields.get("device_id", "")
    assert len(device_id) == 36
    assert secrets.get(CID, "password") == sim.credentials["password"]
    assert sim.credentials["password"] not in str(saved) and sim.credentials["sec"] not in str(
        saved)



def test_an_order_the_broker_never_received_is_not_sent_not_unknown(tradovate_sim, run,
                                                                    make_hub) -> None:
    """The simulator is gone when the order goes out: no connection, so nothing reached the
    broker. The entry is settled at once as refused with that reason (not 'unknown' to be
    looked up for a week), and the trader is told nothing was taken."""
    from desktop_app.domain.errors import NotSent

    hub = make_hub()
    sim = tradovate_sim
    es = front_month(sim, "ES")

    async def go() -> str:
        await hub.start()
        await hub.add_connection(tradovate_profile(sim), tradovate_secrets(sim), persist=False)
        first, _second = await tradovate_accounts(hub, sim)
        await hub.instrument_details(first, es)  # known before the server goes away
        await asyncio.to_thread(sim.stop)
        with pytest.raises(NotSent) as caught:
            await hub.place_order(OrderRequest(first, es, Side.BUY, Decimal(1)))
        return caught.value.user_text()

    text = run(go(), timeout=60)
    assert "nothing was taken" in text.lower()
    entry = hub.order_journal()[0]
    assert (entry.action, entry.state) == ("place", EntryState.COMPLETED)
    result = entry.order_result()
    assert result is not None and result.status is OrderStatus.REJECTED
    assert "Cannot reach Tradovate" in result.reason
