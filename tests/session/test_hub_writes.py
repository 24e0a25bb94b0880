"""The hub's journalled writes against a scripted service: which failure is recorded how.

Rule under test: an entry is completed as rejected only when nothing can have reached
the broker; once the request may have been taken, a failure leaves it unknown (nothing
resent, looked up once), and quitting does not cut a write off half-way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.errors import (
    AuthError,
    OutcomeUnknown,
    ProtocolError,
    RateLimited,
    Rejected,
    Unavailable,
)
from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    OrderRequest,
    OrderResult,
    OrderStatus,
    Side,
)
from desktop_app.net.http import MaybeSent
from desktop_app.session.connection import Backoff
from desktop_app.session.events import ConnectionState, PollFailed, Topic
from desktop_app.session.hub import Hub
from desktop_app.storage.journal import EntryState, Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from tests.session.conftest import wait_for
from tests.session.fakes import FakeService

CID = "fake-1"
ACCOUNT = AccountRef(CID, "fake", "A")


class Broker:
    """Hands the hub a FakeService per connection attempt and keeps them for the test."""

    def __init__(self) -> None:
        self.services: list[FakeService] = []
        self.script: list[tuple[str, BaseException]] = []

    def __call__(self, profile, credentials, request_log) -> FakeService:
        service = FakeService(profile.connection_id)
        for method, error in self.script:
            service.fail(method, error)
        self.services.append(service)
        return service

    @property
    def service(self) -> FakeService:
        return self.services[-1]


@pytest.fixture
def broker() -> Broker:
    return Broker()


@pytest.fixture
def hubs(run, broker) -> Iterator[list[Hub]]:
    made: list[Hub] = []
    yield made
    for hub in made:
        run(hub.stop())
        hub.journal.close()


async def connected(hubs: list[Hub], broker: Broker, journal: Journal | None = None) -> Hub:
    hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=journal or Journal(),
              service_factory=broker, connect_backoff=Backoff(initial=0.01, maximum=0.05))
    hubs.append(hub)
    await hub.start()
    await hub.add_connection(ConnectionProfile(CID, "fake", "Fake"), {}, persist=False)
    return hub


def order(size: str = "1") -> OrderRequest:
    return OrderRequest(ACCOUNT, "GOLD", Side.BUY, Decimal(size))


@pytest.mark.parametrize(
    "error",
    [Rejected("Market closed."), AuthError("Session refused."), RateLimited("Slow down.")],
    ids=["rejected", "auth", "rate-limited"],
)
def test_refused_before_the_send_is_rejected(run, hubs, broker, error) -> None:
    broker.script = [("place_order", error)]

    async def go() -> Hub:
        hub = await connected(hubs, broker)
        with pytest.raises(type(error)):
            await hub.place_order(order())
        return hub

    hub = run(go())
    entry = hub.order_journal()[0]
    assert entry.state is EntryState.COMPLETED
    assert entry.order_result().status is OrderStatus.REJECTED
    assert broker.service.sent == [] and broker.service.reconciles == []


@pytest.mark.parametrize(
    "error",
    [Unavailable("No answer."), AuthError("Session expired."), RateLimited("Slow down."),
     Rejected("Bad request."), ProtocolError("Unreadable."), MaybeSent("Lost."),
     KeyError("dealStatus")],
    ids=["unavailable", "auth", "rate-limited", "rejected", "protocol", "maybe-sent",
         "unexpected"],
)
def test_failure_after_the_reference_is_unknown_and_reconciled_once(
    run, hubs, broker, error
) -> None:
    broker.script = [("confirm", error)]

    async def go() -> Hub:
        hub = await connected(hubs, broker)
        with pytest.raises(OutcomeUnknown) as err:
            await hub.place_order(order())
        assert "Nothing was resent" in err.value.user_text()
        return hub

    hub = run(go())
    entry = hub.order_journal()[0]
    assert entry.state is EntryState.UNKNOWN
    assert entry.broker_ref == "ref-1"
    assert "Nothing was resent" in entry.message and "positions" in entry.message
    service = broker.service
    assert service.sent == [("place_order", entry.client_ref)]  # never resent
    assert service.reconciles == [("ref-1", entry.created)]  # looked up once, by reference


def test_reconciliation_after_a_lost_confirmation_finds_the_outcome(run, hubs, broker) -> None:
    broker.script = [("confirm", Unavailable("No answer."))]

    async def go() -> tuple[Hub, OrderResult]:
        hub = await connected(hubs, broker)
        broker.service.reconcile_result = OrderResult(
            OrderStatus.ACCEPTED, broker_ref="ref-1", deal_ids=("D-1",))
        return hub, await hub.place_order(order())

    hub, result = run(go())
    assert result.accepted and result.deal_ids == ("D-1",)
    entry = hub.order_journal()[0]
    assert entry.state is EntryState.RECONCILED and entry.order_result() == result


def test_the_services_own_outcome_unknown_is_not_reconciled_again(run, hubs, broker) -> None:
    broker.script = [("confirm", OutcomeUnknown("Looked for it: no trace."))]

    async def go() -> Hub:
        hub = await connected(hubs, broker)
        with pytest.raises(OutcomeUnknown):
            await hub.place_order(order())
        return hub

    hub = run(go())
    assert hub.order_journal()[0].state is EntryState.UNKNOWN
    assert broker.service.reconciles == []


def test_an_unknown_result_is_recorded_unknown_not_completed(run, hubs, broker) -> None:
    async def go() -> tuple[Hub, OrderResult]:
        hub = await connected(hubs, broker)
        # Looked up again once; still no answer.
        broker.service.reconcile_result = OrderResult(
            OrderStatus.UNKNOWN, broker_ref="ref-1", reason="Not confirmed yet.")
        original = broker.service.place_order

        async def unconfirmed(request, on_reference=None) -> OrderResult:
            await original(request, on_reference)
            return OrderResult(OrderStatus.UNKNOWN, broker_ref="ref-1", reason="No confirm.")

        broker.service.place_order = unconfirmed  # type: ignore[method-assign]
        return hub, await hub.place_order(order())

    hub, result = run(go())
    assert result.status is OrderStatus.UNKNOWN and "Nothing was resent" in result.reason
    entry = hub.order_journal()[0]
    assert entry.state is EntryState.UNKNOWN and entry.broker_ref == "ref-1"
    assert len(broker.service.reconciles) == 1


def test_a_top_up_whose_balance_read_fails_is_unknown(run, hubs, broker) -> None:
    broker.script = [("fund_balance", Unavailable("No answer."))]

    async def go() -> Hub:
        hub = await connected(hubs, broker)
        with pytest.raises(OutcomeUnknown) as err:
            await hub.fund(FundingRequest(ACCOUNT, FundingKind.DEMO_TOPUP, Decimal(100), "USD"))
        assert "Check the account balance" in err.value.user_text()
        return hub

    hub = run(go())
    entry = hub.funding_journal()[0]
    assert entry.state is EntryState.UNKNOWN and "Nothing was resent" in entry.message
    assert [m for m, _ in broker.service.sent] == ["fund"]


def test_close_after_a_lost_reply_is_looked_up_in_the_list(run, hubs, broker) -> None:
    broker.script = [("confirm", Unavailable("No answer.")),
                     ("confirm", Unavailable("No answer."))]

    async def go() -> Hub:
        hub = await connected(hubs, broker)
        service = broker.service
        # The close of P-A went through (gone from the list) ...
        closed = await hub.close_position(ACCOUNT, "P-A")
        assert closed.accepted
        # ... that of P-B did not show yet: unknown, never "did not take effect".
        service.open_positions.add("P-B")
        service.gates["close_position"] = asyncio.Event()
        task = asyncio.ensure_future(hub.close_position(AccountRef(CID, "fake", "B"), "P-B"))
        await wait_for(lambda: ("close_position", "P-B") in service.sent)
        service.open_positions.add("P-B")  # still listed when looked up
        service.gates["close_position"].set()
        with pytest.raises(OutcomeUnknown):
            await task
        return hub

    hub = run(go())
    newest, first = hub.order_journal()[:2]
    assert first.state is EntryState.RECONCILED and first.order_result().accepted
    assert newest.state is EntryState.UNKNOWN
    assert broker.service.sent.count(("close_position", "P-B")) == 1


def test_a_cancelled_caller_does_not_cut_the_write_off(run, hubs, broker) -> None:
    async def go() -> Hub:
        hub = await connected(hubs, broker)
        service = broker.service
        service.gates["place_order"] = asyncio.Event()
        caller = asyncio.ensure_future(hub.place_order(order()))
        await wait_for(lambda: service.sent)
        caller.cancel()  # the ticket closes
        await asyncio.sleep(0.05)
        service.gates["place_order"].set()
        await wait_for(lambda: hub.order_journal()[0].state is not EntryState.PENDING)
        return hub

    hub = run(go())
    entry = hub.order_journal()[0]
    assert entry.state is EntryState.COMPLETED and entry.order_result().accepted


def test_stop_waits_for_a_write_in_flight(run, hubs, broker) -> None:
    async def go() -> Hub:
        hub = await connected(hubs, broker)
        service = broker.service
        service.gates["place_order"] = asyncio.Event()
        caller = asyncio.ensure_future(hub.place_order(order()))
        await wait_for(lambda: service.sent)
        asyncio.get_running_loop().call_later(0.3, service.gates["place_order"].set)
        caller.cancel()  # the app quits: its tasks are cancelled, then the hub stopped
        await hub.stop()
        return hub

    hub = run(go())
    entry = hub.order_journal()[0]
    assert entry.state is EntryState.COMPLETED and entry.order_result().accepted
    assert broker.service.closed


def test_stop_gives_up_after_the_grace_and_the_entry_keeps_its_reference(
    run, hubs, broker
) -> None:
    async def go() -> Hub:
        hub = await connected(hubs, broker)
        hub.write_grace = 0.2
        broker.service.gates["place_order"] = asyncio.Event()  # never answers
        caller = asyncio.ensure_future(hub.place_order(order()))
        await wait_for(lambda: broker.service.sent)
        started = asyncio.get_running_loop().time()
        await hub.stop()
        assert asyncio.get_running_loop().time() - started < 3.0
        assert caller.cancelled() or isinstance(caller.exception(), asyncio.CancelledError)
        return hub

    hub = run(go())
    entry = hub.order_journal()[0]
    assert entry.state is EntryState.PENDING and entry.broker_ref == "ref-1"


def test_unknown_entries_are_retried_once_per_run_at_start(run, hubs, broker) -> None:
    journal = Journal()
    broker.script = [("confirm", Unavailable("No answer."))]

    async def first_run() -> int:
        hub = await connected(hubs, broker, journal)
        with pytest.raises(OutcomeUnknown):
            await hub.place_order(order())
        await hub.stop()
        return hub.order_journal()[0].id

    entry_id = run(first_run())
    hubs.clear()
    assert journal.order(entry_id).state is EntryState.UNKNOWN
    broker.script = []

    async def second_run() -> Hub:
        hub = await connected(hubs, broker, journal)
        service = broker.service
        service.reconcile_result = OrderResult(
            OrderStatus.UNKNOWN, broker_ref="ref-1", reason="Not confirmed yet.")
        await wait_for(lambda: service.reconciles)
        await hub.reconnect(CID)  # a reconnect in the same run does not ask again
        await asyncio.sleep(0.2)
        return hub

    hub = run(second_run())
    created = journal.order(entry_id).created
    assert broker.services[-2].reconciles == [("ref-1", created)]
    assert broker.services[-1].reconciles == []
    assert journal.order(entry_id).state is EntryState.UNKNOWN
    assert hub.order_journal()[0].message.startswith("Still not known after a restart.")


def test_a_fatal_poll_error_closes_the_service(run, hubs, broker) -> None:
    async def go() -> Hub:
        hub = await connected(hubs, broker)
        events: list[object] = []
        hub.subscribe(events.append)
        broker.service.fail("accounts", AuthError("Session refused."))
        hub.poller.refresh(CID, None, (Topic.BALANCES,))
        await wait_for(lambda: broker.service.closed)
        assert any(isinstance(e, PollFailed) for e in events)
        return hub

    hub = run(go())
    info = hub.connections()[0]
    assert info.state is ConnectionState.FAILED and "Session refused" in info.message


def test_start_prunes_balance_snapshots_older_than_a_year(run, make_hub) -> None:
    from datetime import timedelta

    from desktop_app.domain.money import utc_now
    from desktop_app.domain.types import AccountRef
    from desktop_app.session.hub import SNAPSHOT_RETENTION

    hub = make_hub()
    ref = AccountRef("c1", "capital", "A1")
    now = utc_now()
    old = now - SNAPSHOT_RETENTION - timedelta(days=1)
    hub.journal.add_snapshot(ref, old, Decimal(1), Decimal(1), Decimal(1), "USD")
    hub.journal.add_snapshot(ref, now, Decimal(2), Decimal(2), Decimal(2), "USD")

    async def go() -> None:
        await hub.start()
        for _ in range(100):
            if len(hub.journal.snapshots(ref)) == 1:
                break
            await asyncio.sleep(0.02)

    run(go())
    assert [s.balance for s in hub.journal.snapshots(ref)] == [Decimal(2)]


def test_a_change_the_broker_reports_is_refreshed_at_once(run, hubs, broker) -> None:
    """A webhook or stream tells the service that positions changed: the session reads
    them now, not at the next poll (nothing is focused, so the poll is 15 s away)."""

    async def go() -> None:
        hub = await connected(hubs, broker)
        hub.set_focus(None, set(), set())
        await wait_for(lambda: broker.service.count("positions", "A") >= 1)
        before = broker.service.count("positions", "A")
        broker.service.notify_changed(ACCOUNT, "positions")
        await wait_for(lambda: broker.service.count("positions", "A") > before, within=2.0)
        # A connection that has gone is not refreshed by a late report.
        service = broker.service
        await hub.remove_connection(CID)
        service.notify_changed(ACCOUNT, "positions")

    run(go())
