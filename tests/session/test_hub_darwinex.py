"""Hub flows against the Darwinex simulator through the real service."""

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest

from desktop_app.brokers.darwinex.service import DarwinexService
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import AccountMoved, Rejected, ValidationError
from desktop_app.domain.types import (
    AccountRef,
    OrderAmendment,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from desktop_app.net.request_log import RequestLog
from desktop_app.session.connection import Backoff
from desktop_app.session.events import ConnectionState, Topic
from desktop_app.session.hub import Hub
from desktop_app.storage.journal import EntryState, Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from tests.session.conftest import connected_accounts, wait_for

CID = "dx-sb"
PRODUCT = "NTI.4.12"
TRADING = "/trading/1.1/investoraccounts/{accountId}"


def darwinex_profile(sim, *, pinned: str = "") -> ConnectionProfile:
    fields = {"consumer_key": sim.credentials["consumer_key"]}
    if pinned:
        fields["investor_account_id"] = pinned
    return ConnectionProfile(
        connection_id=CID, broker="darwinex", name="Darwinex Sandbox", fields=fields,
        base_url=sim.base_url, sandbox=True,
    )


def darwinex_secrets(sim) -> dict[str, str]:
    return {k: v for k, v in sim.credentials.items() if k != "consumer_key"}


@pytest.fixture
def fast_hub(darwinex_sim, run) -> Iterator[Hub]:
    """A hub whose Darwinex services keep 5x faster budgets against a simulator whose
    windows run 20x faster: real flows without waiting out real minutes."""
    darwinex_sim.state.time_scale = 20.0

    def factory(profile: ConnectionProfile, credentials: Credentials, log: RequestLog):
        return DarwinexService(profile, credentials, log, time_scale=5.0)

    hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal(),
              service_factory=factory, connect_backoff=Backoff(initial=0.05, maximum=0.2))
    yield hub
    run(hub.stop())
    hub.journal.close()


def test_invest_change_cancel_and_close_are_journalled(darwinex_sim, run, fast_hub) -> None:
    state = darwinex_sim.state
    stats = state.stats
    hub = fast_hub

    async def go() -> None:
        await hub.start()
        await hub.add_connection(darwinex_profile(darwinex_sim), darwinex_secrets(darwinex_sim),
                                 persist=False)
        [ref] = await connected_accounts(hub, CID)
        [account] = [a for a in hub.accounts() if a.ref == ref]
        assert account.currency == "EUR" and account.balance is not None
        assert account.balance.equity == Decimal("50000.00")
        caps = hub.capabilities(CID)
        assert caps is not None and caps.close_all and caps.modify_orders
        hub.set_focus(ref, {Topic.POSITIONS, Topic.WORKING_ORDERS, Topic.BALANCES}, {PRODUCT})

        state.set_quote(PRODUCT, Decimal("100.00"))
        placed = await hub.place_order(OrderRequest(
            ref, PRODUCT, Side.BUY, Decimal("1000"), stop_level=Decimal("80")))
        assert placed.accepted
        entry = hub.order_journal()[0]
        assert (entry.action, entry.state) == ("place", EntryState.COMPLETED)
        assert entry.broker_ref == placed.broker_ref == str(state.orders[0].order_id)
        await wait_for(lambda: [p.symbol for p in hub.positions(ref)] == [PRODUCT], 5.0)
        assert hub.positions(ref)[0].stop_level == Decimal("80.00")

        limit = await hub.place_order(OrderRequest(
            ref, "AEB.5.4", Side.BUY, Decimal("300"), OrderType.LIMIT, level=Decimal("1")))
        await wait_for(lambda: hub.working_orders(ref), 5.0)
        [working] = hub.working_orders(ref)
        assert working.order_id == limit.broker_ref and working.order_type is OrderType.LIMIT
        changed = await hub.modify_order(OrderAmendment(ref, working.order_id,
                                                        level=Decimal("2")))
        assert changed.accepted
        assert hub.order_journal()[0].action == "modify"
        await wait_for(lambda: hub.working_orders(ref)[0].level == Decimal("2.00"), 5.0)
        cancelled = await hub.cancel_order(ref, working.order_id)
        assert cancelled.accepted and hub.order_journal()[0].action == "cancel"
        await wait_for(lambda: not hub.working_orders(ref), 5.0)

        closed = await hub.close_position(ref, PRODUCT)
        assert closed.accepted and hub.order_journal()[0].action == "close"
        await wait_for(lambda: not hub.positions(ref), 5.0)

        for product in (PRODUCT, "LVS.4.20"):
            assert (await hub.place_order(OrderRequest(
                ref, product, Side.BUY, Decimal("250")))).accepted
        await wait_for(lambda: len(hub.positions(ref)) == 2, 5.0)
        everything = await hub.close_all_positions(ref)
        assert everything.accepted and hub.order_journal()[0].action == "close_all"
        await wait_for(lambda: not hub.positions(ref), 5.0)

    run(go(), timeout=40)
    journal = hub.order_journal()
    assert [e.action for e in reversed(journal)] == [
        "place", "place", "modify", "cancel", "close", "place", "place", "close_all"]
    assert all(e.state is EntryState.COMPLETED for e in journal)
    assert stats[f"POST {TRADING}/orders/buy"] == 3
    assert stats[f"POST {TRADING}/conditionalorders"] == 1
    assert stats[f"POST {TRADING}/stopout"] == 1
    assert stats["throttled"] == 0


def test_refusals_are_journalled_and_nothing_is_sent(darwinex_sim, run, make_hub) -> None:
    state = darwinex_sim.state
    hub = make_hub()

    async def go() -> None:
        await hub.start()
        await hub.add_connection(darwinex_profile(darwinex_sim), darwinex_secrets(darwinex_sim),
                                 persist=False)
        [ref] = await connected_accounts(hub, CID)
        quote = await hub.quote(ref, "DWC.4.20")
        assert not quote.buy_allowed and "closed to new investment" in quote.note
        with pytest.raises(Rejected) as err:
            await hub.place_order(OrderRequest(ref, "DWC.4.20", Side.BUY, Decimal("500")))
        assert "closed to new investment" in err.value.user_text()
        with pytest.raises(ValidationError):
            await hub.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("150")))

    run(go(), timeout=30)
    entries = hub.order_journal()
    assert [e.state for e in entries] == [EntryState.COMPLETED] * 2
    assert all(e.order_result().status is OrderStatus.REJECTED for e in entries)
    assert state.stats[f"POST {TRADING}/orders/buy"] == 0


def test_rotated_tokens_and_a_moved_account_are_kept(darwinex_sim, run, make_hub) -> None:
    state = darwinex_sim.state
    secrets = SecretStore()  # stands in for the keyring, which outlives the process
    old_id = str(state.account_ids()[0])
    first_refresh = darwinex_sim.credentials["refresh_token"]

    async def first_run() -> str:
        hub = make_hub(secrets=secrets)
        await hub.start()
        await hub.add_connection(
            darwinex_profile(darwinex_sim, pinned=old_id),
            {**darwinex_secrets(darwinex_sim),
             "consumer_key": darwinex_sim.credentials["consumer_key"]},
        )
        [ref] = await connected_accounts(hub, CID)
        assert ref.account_id == old_id
        # The token expires: the poller's next read renews it, and the rotated refresh
        # token is in the keyring at once.
        state.expire_all_tokens()
        hub.poller.refresh(CID, ref, (Topic.BALANCES,))
        await wait_for(lambda: secrets.get(CID, "refresh_token") != first_refresh, 5.0)

        state.new_account_access_delay = 0.0
        new_id = str(state.reset_demo_account())
        with pytest.raises(AccountMoved) as err:
            await hub.place_order(OrderRequest(ref, PRODUCT, Side.BUY, Decimal("500")))
        assert err.value.new_id == new_id
        assert "Nothing was sent" in err.value.user_text()
        entry = hub.order_journal()[0]
        assert entry.state is EntryState.COMPLETED
        assert entry.order_result().status is OrderStatus.REJECTED

        # The pinned id moved in the saved profile; the account list follows.
        await wait_for(lambda: (Settings.load().profile(CID) or darwinex_profile(
            darwinex_sim)).fields.get("investor_account_id") == new_id, 5.0)
        await wait_for(lambda: [a.ref.account_id for a in hub.accounts()] == [new_id], 5.0)
        new_ref = AccountRef(CID, "darwinex", new_id)
        assert (await hub.place_order(OrderRequest(
            new_ref, PRODUCT, Side.BUY, Decimal("500")))).accepted
        await hub.stop()
        return new_id

    new_id = run(first_run(), timeout=30)
    saved = secrets.get(CID, "refresh_token")
    assert saved and saved != first_refresh
    assert len(state.orders) == 1  # the order refused by the reset was never resent
    text = (Settings.load().path).read_text()
    for secret in (saved, secrets.get(CID, "access_token") or "", first_refresh):
        assert secret not in text

    # The next start uses what was saved: the moved account and the rotated token.
    hub = make_hub(secrets=secrets)

    async def second_run() -> None:
        state.expire_all_tokens()  # forces a refresh with the saved refresh token
        await hub.start()
        assert await asyncio.wait_for(hub.wait_connected(CID), 5) is ConnectionState.CONNECTED
        [ref] = await connected_accounts(hub, CID)
        assert ref.account_id == new_id

    run(second_run(), timeout=30)




@pytest.mark.parametrize("label", ["demo", "live"])
def test_the_broker_decides_what_is_live_not_the_profiles_label(
    darwinex_sim, run, make_hub, label
) -> None:
    """Darwinex serves demo and live on one host and the token decides the accounts: a
    DEMO profile holding a live token reaches the LIVE account. It is refused with the
    reason (nothing listed, nothing sendable); a live profile holding a demo token too."""
    from dataclasses import replace

    from desktop_app.domain.errors import BrokerError
    from desktop_app.domain.types import Environment

    hub = make_hub()
    state = darwinex_sim.state
    if label == "demo":  # a demo profile given the live login
        creds = state.live_credentials
        profile = replace(darwinex_profile(darwinex_sim),
                          fields={"consumer_key": creds["consumer_key"]})
    else:  # a live profile (opted in) given the demo login
        creds = dict(darwinex_sim.credentials)
        profile = replace(darwinex_profile(darwinex_sim), environment=Environment.LIVE,
                          live_opt_in=True)
    secrets = {k: v for k, v in creds.items() if k != "consumer_key"}
    live_id = str(state.account_ids("LIVE")[0])

    async def go() -> None:
        await hub.start()
        await hub.add_connection(profile, secrets, persist=False)
        await wait_for(lambda: hub.connections()[0].state is ConnectionState.FAILED, 10)
        info = hub.connections()[0]
        if label == "demo":
            assert "reaches LIVE money" in info.message and live_id in info.message
        else:
            assert "reaches demo accounts only" in info.message
        assert [a for a in hub.accounts() if a.ref.connection == CID] == []
        with pytest.raises(BrokerError):
            await hub.place_order(OrderRequest(AccountRef(CID, "darwinex", live_id), PRODUCT,
                                               Side.BUY, Decimal("300")))

    run(go(), timeout=30)
    assert state.orders == []
