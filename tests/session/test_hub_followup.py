"""The session follows funding the broker took but has not settled (PENDING) and funding
whose outcome is not known (UNKNOWN), for any broker: looked up again with back-off,
the journal updated and announced, balances refreshed when it settles, bounded per run,
never resent. (Against LWork's simulator: tests/session/test_hub_lwork.py.)"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.errors import OutcomeUnknown, Unavailable
from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    OrderStatus,
)
from desktop_app.session.connection import Backoff
from desktop_app.session.events import JournalChanged
from desktop_app.session.hub import Hub
from desktop_app.session.hub_followup import FollowPolicy
from desktop_app.storage.journal import EntryState, Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from tests.session.conftest import wait_for
from tests.session.fakes import FakeService

CID = "settle-1"
ACCOUNT = AccountRef(CID, "fake", "A")
QUICK = FollowPolicy(first=0.05, factor=2.0, longest=0.1, attempts=40)


class SettlingService(FakeService):
    """Takes deposits as PENDING (reference "R-<n>"); ``answers`` scripts what each
    later look-up finds (the last one repeats)."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(connection_id)
        self.answers: deque[FundingResult] = deque()
        self.looked: list[tuple[str, datetime | None, frozenset[str]]] = []
        self.lose_reply = False
        # What a reference is always found as (other entries' records).
        self.fixed: dict[str, FundingResult] = {}

    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        return FundingRules(kind, "USD", Decimal(1), Decimal(10_000), demo_only=False)

    async def fund(self, request: FundingRequest,
                   on_reference: Callable[[str], None] | None = None) -> FundingResult:
        await self._call("fund", request.client_ref)
        self.sent.append(("fund", request.client_ref))
        if self.lose_reply:
            raise Unavailable("The connection dropped before the reply.")
        ref = f"R-{len(self.sent)}"
        self.hand_over(on_reference, ref)
        return FundingResult(OrderStatus.PENDING, broker_ref=ref, message="Waiting to be paid.")

    async def reconcile_funding(self, request: FundingRequest, broker_ref: str, *,
                                since: datetime | None = None,
                                exclude: frozenset[str] = frozenset()) -> FundingResult:
        if broker_ref in self.fixed:
            return self.fixed[broker_ref]
        self.looked.append((broker_ref, since, exclude))
        answer = self.answers[0] if len(self.answers) == 1 else self.answers.popleft()
        return answer


@pytest.fixture
def made(run) -> Iterator[dict[str, object]]:
    box: dict[str, object] = {"services": []}
    yield box
    hub = box.get("hub")
    if isinstance(hub, Hub):
        run(hub.stop())
        hub.journal.close()


async def connected(made: dict[str, object], policy: FollowPolicy = QUICK) -> Hub:
    services: list[SettlingService] = made["services"]  # type: ignore[assignment]

    def factory(profile, credentials, request_log) -> SettlingService:
        service = SettlingService(profile.connection_id)
        service.answers.extend(made.get("answers", ()))  # type: ignore[arg-type]
        services.append(service)
        return service

    hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal(),
              service_factory=factory, connect_backoff=Backoff(initial=0.01, maximum=0.05))
    hub.follow_policy = policy
    made["hub"] = hub
    await hub.start()
    await hub.add_connection(ConnectionProfile(CID, "fake", "Fake"), {}, persist=False)
    await wait_for(lambda: services and hub.accounts())
    return hub


def deposit(amount: str = "100") -> FundingRequest:
    return FundingRequest(ACCOUNT, FundingKind.DEPOSIT, Decimal(amount), "USD")


def test_a_pending_request_is_followed_until_it_settles(run, made) -> None:
    made["answers"] = [FundingResult(OrderStatus.PENDING, "R-1", "Still waiting."),
                       FundingResult(OrderStatus.PENDING, "R-1", "Still waiting."),
                       FundingResult(OrderStatus.ACCEPTED, "R-1", "Paid.",
                                     new_balance=Decimal("1100.00"))]

    async def go() -> None:
        hub = await connected(made)
        service = made["services"][-1]  # type: ignore[index]
        events: list[object] = []
        hub.subscribe(events.append)
        result = await hub.fund(deposit())
        assert result.status is OrderStatus.PENDING
        (entry,) = hub.funding_journal()
        assert entry.state is EntryState.COMPLETED and entry.broker_ref == "R-1"
        listings = service.count("accounts")
        await wait_for(lambda: hub.funding_journal()[0].funding_result().accepted)
        settled = hub.funding_journal()[0]
        assert settled.state is EntryState.COMPLETED
        assert settled.funding_result().new_balance == Decimal("1100.00")
        assert settled.message == "Paid."
        assert [ref for ref, _since, _ex in service.looked] == ["R-1", "R-1", "R-1"]
        assert all(since == entry.created for _ref, since, _ex in service.looked)
        # The journal writer announces the change after it is written (a loop turn or
        # two after the entry reads as settled).
        await wait_for(lambda: any(isinstance(e, JournalChanged) and e.entry_id == entry.id
                                   and e.extra.get("status") == "accepted" for e in events))
        # Balances are read again once it settled; the request was sent once.
        await wait_for(lambda: service.count("accounts") > listings)
        assert [m for m, _ in service.sent] == ["fund"]

    run(go())


def test_the_follow_up_is_bounded(run, made) -> None:
    made["answers"] = [FundingResult(OrderStatus.PENDING, "R-1", "Still waiting.")]

    async def go() -> None:
        hub = await connected(made, FollowPolicy(first=0.02, factor=1.0, longest=0.02,
                                                 attempts=3))
        service = made["services"][-1]  # type: ignore[index]
        await hub.fund(deposit())
        await wait_for(lambda: len(service.looked) == 3)
        task = hub._follow_tasks[CID]
        await wait_for(task.done)
        assert len(service.looked) == 3
        assert hub.funding_journal()[0].funding_result().status is OrderStatus.PENDING

    run(go())


def test_a_lost_reply_is_looked_up_once_then_followed_with_claims_excluded(run,
                                                                          made) -> None:
    made["answers"] = [FundingResult(OrderStatus.UNKNOWN, message="Not listed yet."),
                       FundingResult(OrderStatus.PENDING, "R-9", "Found, waiting."),
                       FundingResult(OrderStatus.ACCEPTED, "R-9", "Paid.")]

    async def go() -> None:
        hub = await connected(made)
        service = made["services"][-1]  # type: ignore[index]
        service.fixed["R-1"] = FundingResult(OrderStatus.PENDING, "R-1", "Waiting.")
        first = await hub.fund(deposit("50"))  # another entry holds R-1
        assert first.broker_ref == "R-1"
        service.answers.clear()
        service.answers.extend(made["answers"])  # type: ignore[arg-type]
        service.looked.clear()
        service.lose_reply = True
        with pytest.raises(OutcomeUnknown, match="Nothing was resent"):
            await hub.fund(deposit("50"))
        lost = hub.funding_journal()[0]
        assert lost.state is EntryState.UNKNOWN
        assert service.looked[0][0] == "" and service.looked[0][2] == frozenset({"R-1"})
        await wait_for(lambda: hub.funding_journal()[0].funding_result() is not None
                       and hub.funding_journal()[0].funding_result().accepted)
        entry = hub.funding_journal()[0]
        assert entry.state is EntryState.RECONCILED and entry.broker_ref == "R-9"
        assert [m for m, _ in service.sent] == ["fund", "fund"]  # never resent
        assert all(ex == frozenset({"R-1"}) for _r, _s, ex in service.looked)

    run(go())
