"""Hub flows against the Capital.com simulator through the real service."""

import asyncio
import time
from decimal import Decimal

import pytest

from desktop_app.domain.errors import (
    AuthError,
    NotSupported,
    OutcomeUnknown,
    PermissionDenied,
    ValidationError,
)
from desktop_app.domain.types import (
    Environment,
    FundingKind,
    FundingRequest,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
)
from desktop_app.session.events import (
    BalanceUpdated,
    ConnectionState,
    JournalChanged,
    PositionsUpdated,
    Topic,
    WorkingOrdersUpdated,
)
from desktop_app.storage import paths
from desktop_app.storage.journal import EntryState, Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from tests.session.conftest import (
    CID,
    SYMBOL,
    capital_profile,
    capital_secrets,
    connected_accounts,
    wait_for,
)


def test_order_close_cancel_and_fund_are_journalled(capital_sim, run, make_hub) -> None:
    hub = make_hub()
    events: list[tuple[float, object]] = []
    hub.subscribe(lambda e: events.append((time.monotonic(), e)))
    requests = capital_sim.state.stats["requests"]

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, _eur = await connected_accounts(hub)
        # Nothing focused: positions are on the slow background schedule (15 s) ...
        hub.set_focus(None, set(), set())
        await asyncio.sleep(0.3)

        placed = await hub.place_order(OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0.01")))
        assert placed.accepted and placed.deal_ids and placed.broker_ref
        deal = placed.deal_ids[0]
        entry = hub.order_journal()[0]
        assert (entry.action, entry.state) == ("place", EntryState.COMPLETED)
        assert entry.broker_ref == placed.broker_ref
        assert entry.order_result() == placed
        # ... yet the new position shows up at once (well before the 15 s): the hub
        # refreshes after a trade. (About 0.1 s; the bound leaves room for a slow CI.)
        t = time.monotonic()
        await wait_for(lambda: any(p.position_id == deal for p in hub.positions(usd)), 3.0)
        assert time.monotonic() - t < 3.0

        closed = await hub.close_position(usd, deal)
        assert closed.accepted
        entry = hub.order_journal()[0]
        assert (entry.action, entry.state) == ("close", EntryState.COMPLETED)
        assert entry.request["target_id"] == deal
        # (Later waits allow for the 8 requests per 1.2 s budget that these clicks share.)
        await wait_for(lambda: not any(p.position_id == deal for p in hub.positions(usd)), 5.0)

        quote = await hub.quote(usd, SYMBOL)
        level = (quote.bid * Decimal("0.5")).quantize(Decimal("0.01"))
        working = await hub.place_order(OrderRequest(
            usd, SYMBOL, Side.BUY, Decimal("0.01"), OrderType.LIMIT, level=level))
        assert working.accepted
        await wait_for(lambda: hub.working_orders(usd), 5.0)
        order_id = hub.working_orders(usd)[0].order_id
        cancelled = await hub.cancel_order(usd, order_id)
        assert cancelled.accepted
        entry = hub.order_journal()[0]
        assert (entry.action, entry.state) == ("cancel", EntryState.COMPLETED)
        await wait_for(lambda: not hub.working_orders(usd), 5.0)

        rules = hub.funding_rules(usd, FundingKind.DEMO_TOPUP)
        assert rules is not None and rules.min_amount > 0
        before = next(a.balance.balance for a in hub.accounts() if a.ref == usd)
        funded = await hub.fund(FundingRequest(usd, FundingKind.DEMO_TOPUP, Decimal("1000")))
        assert funded.accepted and funded.new_balance == before + 1000
        fentry = hub.funding_journal()[0]
        assert fentry.state is EntryState.COMPLETED
        assert fentry.funding_result().new_balance == before + 1000
        await wait_for(lambda: any(
            isinstance(e, BalanceUpdated) and e.account == usd
            and e.balance.balance == before + 1000 for _, e in events), 5.0)

        # The balances seen were kept for the chart (throttled: one per 30 s here).
        history = hub.balance_history(usd)
        first = next(e.balance for _, e in events
                     if isinstance(e, BalanceUpdated) and e.account == usd)
        assert history and history[0] == (first.as_of, first.balance, first.equity)
        assert await hub.balance_history_async(usd) == history

    run(go(), timeout=30)
    assert requests["POST /positions"] == 1
    assert requests["DELETE /positions/{dealId}"] == 1
    assert requests["POST /workingorders"] == 1
    assert requests["DELETE /workingorders/{dealId}"] == 1
    assert requests["POST /accounts/topUp"] == 1
    assert sum(capital_sim.state.stats["429"].values()) == 0
    # Every entry was announced when written (pending), when a placement's reference
    # was journalled (still pending, before the confirmation) and when completed.
    changes = [e for _, e in events if isinstance(e, JournalChanged)]
    placed_close = ["pending", "pending", "completed", "pending", "completed"]
    assert [c.extra["state"] for c in changes if c.kind == "order"] == placed_close * 2
    assert [c.extra["state"] for c in changes if c.kind == "funding"] == [
        "pending", "completed"]
    assert [c.extra["status"] for c in changes if c.extra["state"] == "completed"] == [
        "accepted"] * 5
    assert any(isinstance(e, PositionsUpdated) for _, e in events)
    assert any(isinstance(e, WorkingOrdersUpdated) for _, e in events)


def test_checks_come_before_anything_is_sent(capital_sim, run, make_hub) -> None:
    hub = make_hub()

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        live = capital_profile(capital_sim, cid="cap-live", environment=Environment.LIVE)
        await hub.add_connection(live, capital_secrets(capital_sim), persist=False)
        usd, _ = await connected_accounts(hub)
        live_usd, _ = await connected_accounts(hub, "cap-live")

        with pytest.raises(ValidationError) as err:
            await hub.place_order(OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0")))
        assert err.value.field == "size"
        with pytest.raises(ValidationError) as err:
            await hub.place_order(OrderRequest(usd, SYMBOL, Side.BUY, Decimal("1"),
                                               OrderType.LIMIT))
        assert err.value.field == "level"
        with pytest.raises(NotSupported):
            await hub.place_order(OrderRequest(usd, SYMBOL, Side.BUY, Decimal("1"),
                                               OrderType.STOP_LIMIT, level=Decimal("1")))
        with pytest.raises(ValidationError):
            await hub.fund(FundingRequest(usd, FundingKind.DEMO_TOPUP, Decimal("0")))
        with pytest.raises(ValidationError) as err:
            await hub.fund(FundingRequest(usd, FundingKind.DEMO_TOPUP, Decimal("10000000")))
        assert "between" in err.value.message
        with pytest.raises(PermissionDenied) as denied:
            await hub.place_order(OrderRequest(live_usd, SYMBOL, Side.BUY, Decimal("1")))
        assert "Allow live trading" in denied.value.user_text()
        with pytest.raises(PermissionDenied):
            await hub.close_position(live_usd, "any")
        with pytest.raises(NotSupported) as unsupported:
            await hub.fund(FundingRequest(live_usd, FundingKind.DEMO_TOPUP, Decimal("10")))
        assert "demo accounts only" in unsupported.value.user_text()
        # Same request twice (a double click): the journal refuses the second one.
        request = OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0.01"))
        assert (await hub.place_order(request)).accepted
        with pytest.raises(ValidationError) as twice:
            await hub.place_order(request)
        assert "already sent" in twice.value.message

    run(go(), timeout=30)
    assert capital_sim.state.stats["requests"]["POST /positions"] == 1
    assert capital_sim.state.stats["requests"]["POST /accounts/topUp"] == 0
    assert len(hub.order_journal()) == 1 and hub.funding_journal() == []


def test_lost_order_reply_is_marked_unknown_and_never_resent(capital_sim, run, make_hub):
    hub = make_hub()
    seen: list[object] = []
    hub.subscribe(seen.append)

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, _ = await connected_accounts(hub)
        # After the first positions poll the next one is 15 s away: the faults below are
        # for the order's own requests only.
        await wait_for(lambda: any(isinstance(e, PositionsUpdated) for e in seen))
        # The order endpoint fails with a 5xx: the order may or may not have been taken.
        capital_sim.state.fail_next(500, "error.internal", "/positions", count=1)
        capital_sim.state.fail_next(500, "error.internal", "/positions", count=1)
        with pytest.raises(OutcomeUnknown) as err:
            await hub.place_order(OrderRequest(usd, SYMBOL, Side.SELL, Decimal("0.02")))
        assert "Nothing was resent" in err.value.user_text()

    run(go(), timeout=30)
    entry = hub.order_journal()[0]
    assert entry.state is EntryState.UNKNOWN and entry.message
    # The GET before the send absorbed one fault (reads are retried), the POST the
    # other: it was sent exactly once and then only looked for.
    assert capital_sim.state.stats["requests"]["POST /positions"] == 1


def test_profiles_persist_without_secrets_and_restart(capital_sim, run, make_hub) -> None:
    secrets = SecretStore()  # stands in for the OS keyring, which outlives the process

    async def first_run() -> None:
        hub = make_hub(secrets=secrets)
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), {
            **capital_secrets(capital_sim), "identifier": capital_sim.credentials["identifier"]
        })
        assert hub.connections()[0].state is ConnectionState.CONNECTED
        await hub.stop()

    run(first_run())
    text = paths.settings_path().read_text()
    assert capital_sim.credentials["identifier"] in text
    for value in capital_secrets(capital_sim).values():
        assert value not in text
    assert secrets.get(CID, "password") == capital_sim.credentials["password"]

    hub = make_hub(secrets=secrets)

    async def second_run() -> None:
        await hub.start()
        assert await asyncio.wait_for(hub.wait_connected(CID), 5) is ConnectionState.CONNECTED
        await connected_accounts(hub)
        await hub.remove_connection(CID)

    run(second_run())
    assert hub.connections() == [] and hub.accounts() == []
    assert Settings.load().profiles == []
    assert secrets.get(CID, "password") is None and secrets.get(CID, "api_key") is None


def test_bad_and_missing_credentials_fail_clearly(capital_sim, run, make_hub) -> None:
    hub = make_hub()
    settings_profile = capital_profile(capital_sim, cid="saved-no-secrets")

    async def go() -> None:
        await hub.start()
        with pytest.raises(AuthError) as err:
            await hub.add_connection(
                capital_profile(capital_sim),
                {**capital_secrets(capital_sim), "password": "wrong-password"},
                persist=False,
            )
        info = hub.connections()[0]
        assert info.state is ConnectionState.FAILED
        assert info.message == err.value.user_text()
        assert "wrong-password" not in info.message

    run(go())
    assert capital_sim.state.stats["requests"]["POST /session"] == 1  # no retry storm

    # A saved profile whose secrets are gone (memory-only keyring in the last run).
    settings = Settings.load()
    settings.upsert_profile(settings_profile)
    settings.save()
    hub2 = make_hub()

    async def restart() -> None:
        await hub2.start()
        state = await asyncio.wait_for(hub2.wait_connected("saved-no-secrets"), 5)
        assert state is ConnectionState.FAILED

    run(restart())
    message = hub2.connections()[0].message
    assert "could not be found" in message and "enter them again" in message
    assert "will not be remembered after you quit" in message


def test_stop_leaves_no_task_behind(capital_sim, run, make_hub) -> None:
    hub = make_hub()

    async def go() -> None:
        before = asyncio.all_tasks()
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, _ = await connected_accounts(hub)
        hub.set_focus(usd, set(hub.poller.config.visible), {SYMBOL})
        await asyncio.sleep(0.5)
        await hub.stop()
        await hub.stop()  # idempotent
        assert asyncio.all_tasks() - before == set()

    run(go())
    assert capital_sim.state.stats["requests"]["DELETE /session"] == 1  # logged out


def test_after_an_order_the_position_is_refreshed_before_the_balances(
    capital_sim, run, make_hub
) -> None:
    """What the trader waits to see after Buy is the new position: it goes first."""
    hub = make_hub()
    events: list[object] = []
    hub.subscribe(events.append)

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, _eur = await connected_accounts(hub)
        hub.set_focus(usd, {Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS}, {SYMBOL})
        await asyncio.sleep(1.5)  # polling in full swing, the budget window busy
        events.clear()
        placed = await hub.place_order(OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0.01")))
        assert placed.accepted
        await wait_for(lambda: any(
            isinstance(e, PositionsUpdated) and any(p.position_id in placed.deal_ids
                                                    for p in e.positions)
            for e in events
        ), within=5.0)
        kinds = [type(e).__name__ for e in events
                 if isinstance(e, PositionsUpdated | BalanceUpdated)]
        assert kinds and kinds[0] == "PositionsUpdated", kinds

    run(go())


def test_a_lost_confirmation_is_unknown_then_reconciled_at_the_next_start(
    capital_sim, run, make_hub
) -> None:
    """The broker took the order (POST /positions answered with a dealReference) but
    every confirmation read fails: the entry is unknown, keeps the reference, and the
    next start learns the true outcome from it without sending the order again."""
    secrets, journal = SecretStore(), Journal()
    requests = capital_sim.state.stats["requests"]

    async def first_run() -> int:
        hub = make_hub(secrets=secrets, journal=journal)
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), {
            **capital_secrets(capital_sim), "identifier": capital_sim.credentials["identifier"]
        })
        usd, _ = await connected_accounts(hub)
        conn = hub.connection(CID)
        assert conn is not None and conn.service is not None
        conn.service.client.http.backoff = 0.01  # type: ignore[attr-defined]
        capital_sim.state.fail_next(503, "", "/confirms", count=20)
        try:
            result = await hub.place_order(OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0.03")))
        except OutcomeUnknown as exc:
            assert "Nothing was resent" in exc.user_text()
        else:
            assert result.status is OrderStatus.UNKNOWN, result
            assert "Nothing was resent" in result.reason
        await hub.stop()
        return hub.order_journal()[0].id

    entry_id = run(first_run(), timeout=40)
    entry = journal.order(entry_id)
    assert entry.state is EntryState.UNKNOWN, entry
    assert entry.broker_ref  # the dealReference, journalled before confirming
    assert "Nothing was resent" in entry.message
    assert requests["POST /positions"] == 1
    capital_sim.state.clear_faults()

    hub = make_hub(secrets=secrets, journal=journal)

    async def second_run() -> list[str]:
        await hub.start()
        await wait_for(lambda: journal.order(entry_id).state is not EntryState.UNKNOWN, 10)
        usd, _ = await connected_accounts(hub)
        await wait_for(lambda: hub.positions(usd), 10)
        return [p.position_id for p in hub.positions(usd)]

    positions = run(second_run(), timeout=40)
    reconciled = journal.order(entry_id)
    assert reconciled.state is EntryState.RECONCILED, reconciled
    result = reconciled.order_result()
    assert result is not None and result.accepted
    assert list(result.deal_ids) == positions  # the deal the broker really opened
    assert reconciled.broker_ref == entry.broker_ref
    assert requests["POST /positions"] == 1  # never sent again


def test_a_top_up_whose_balance_read_fails_is_not_rejected(
    capital_sim, run, make_hub, monkeypatch
) -> None:
    state = capital_sim.state
    counted = state.count

    def count(route: str, status: int) -> None:
        counted(route, status)
        if route == "POST /accounts/topUp":  # the top-up is done; the reads after it fail
            state.fail_next(503, "", "/accounts", count=20)

    monkeypatch.setattr(state, "count", count)
    hub = make_hub()

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, _ = await connected_accounts(hub)
        conn = hub.connection(CID)
        assert conn is not None and conn.service is not None
        conn.service.client.http.backoff = 0.01  # type: ignore[attr-defined]
        try:
            funded = await hub.fund(FundingRequest(usd, FundingKind.DEMO_TOPUP, Decimal("500")))
        except OutcomeUnknown as exc:
            assert "Check the account balance" in exc.user_text()
        else:
            assert funded.status is not OrderStatus.REJECTED, funded
        state.clear_faults()

    run(go(), timeout=30)
    entry = hub.funding_journal()[0]
    result = entry.funding_result()
    assert entry.state in (EntryState.UNKNOWN, EntryState.COMPLETED), entry
    assert result is None or result.status is not OrderStatus.REJECTED, entry
    if entry.state is EntryState.UNKNOWN:
        assert "Nothing was resent" in entry.message
    assert state.stats["requests"]["POST /accounts/topUp"] == 1


def test_stop_lets_an_order_in_flight_complete(capital_sim, run, make_hub) -> None:
    """Quitting while an order is on its way: the order and its journal entry finish
    before the services are closed."""
    hub = make_hub()
    requests = capital_sim.state.stats["requests"]

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, _ = await connected_accounts(hub)
        capital_sim.state.delay_seconds = 0.5  # every reply takes a while
        ticket = asyncio.ensure_future(
            hub.place_order(OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0.04"))))
        await wait_for(lambda: requests["POST /positions"] == 1, 5)
        ticket.cancel()  # the app quits: its view-model tasks go first ...
        await hub.stop()  # ... then the hub
        assert ticket.cancelled()

    run(go(), timeout=30)
    entry = hub.order_journal()[0]
    assert entry.state is EntryState.COMPLETED, entry
    result = entry.order_result()
    assert result is not None and result.accepted and result.deal_ids
    assert entry.broker_ref == result.broker_ref != ""
    assert requests["GET /confirms/{dealReference}"] >= 1
    assert requests["DELETE /session"] == 1  # closed after the order finished


def test_identical_order_moments_later_needs_the_traders_word(capital_sim, run, make_hub):
    """A double click that outlives the ticket's busy flag (the Sandbox answers in
    50 ms): the hub refuses the identical second order, nothing reaches the simulator,
    and it goes out only when the trader confirms. A different order is not held up."""
    from desktop_app.domain.errors import DuplicateOrder

    hub = make_hub()

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, eur = await connected_accounts(hub)
        first = OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0.01"))
        assert (await hub.place_order(first)).accepted
        with pytest.raises(DuplicateOrder) as again:
            await hub.place_order(OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0.01")))
        assert "was sent to this account" in again.value.message
        assert "Nothing was sent" in again.value.user_text()
        # Another size, side or account is another order.
        assert (await hub.place_order(OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0.02")))
                ).accepted
        assert (await hub.place_order(OrderRequest(eur, SYMBOL, Side.BUY, Decimal("0.01")))
                ).accepted
        confirmed = await hub.place_order(
            OrderRequest(usd, SYMBOL, Side.BUY, Decimal("0.01")), allow_duplicate=True
        )
        assert confirmed.accepted
        assert not hub.is_live(usd)

    run(go(), timeout=30)
    assert capital_sim.state.stats["requests"]["POST /positions"] == 4
    assert len(hub.order_journal()) == 4


def test_recent_orders_forget_after_the_window_and_skip_refused_ones() -> None:
    from desktop_app.domain.errors import DuplicateOrder
    from desktop_app.domain.types import AccountRef
    from desktop_app.session.duplicates import RecentOrders

    now = [100.0]
    recent = RecentOrders(window=10.0, clock=lambda: now[0])
    account = AccountRef("c", "capital", "A")
    recent.note(OrderRequest(account, "GOLD", Side.SELL, Decimal("1")), entry_id=1)
    with pytest.raises(DuplicateOrder):
        recent.check(OrderRequest(account, "GOLD", Side.SELL, Decimal("1")), lambda _e: False)
    # The broker refused the first: the second is a fair retry.
    recent.check(OrderRequest(account, "GOLD", Side.SELL, Decimal("1")), lambda _e: True)
    now[0] += 10.5
    recent.check(OrderRequest(account, "GOLD", Side.SELL, Decimal("1")), lambda _e: False)
