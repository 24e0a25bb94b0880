"""The poller's scheduling against the in-test FakeService (see fakes.py for why)."""

import asyncio
import itertools
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from desktop_app.domain.errors import AuthError, NotSupported, Unavailable
from desktop_app.domain.money import utc_now
from desktop_app.net.limiter import Budget, Priority, RateLimiter, context_priority
from desktop_app.session.events import (
    AccountsUpdated,
    BalanceUpdated,
    PollFailed,
    PositionsUpdated,
    QuoteUpdated,
    Topic,
)
from desktop_app.session.poll_config import PollConfig
from desktop_app.session.poller import Poller
from desktop_app.storage.journal import Journal
from tests.session.fakes import FakeService

FAST = PollConfig(
    visible={Topic.QUOTES: 0.05, Topic.POSITIONS: 0.1, Topic.WORKING_ORDERS: 0.1,
             Topic.BALANCES: 0.2},
    background={Topic.BALANCES: 0.5, Topic.POSITIONS: 0.5, Topic.WORKING_ORDERS: 0.5,
                Topic.QUOTES: None},
    backoff_initial=0.1,
    backoff_max=2.0,
    budget_recheck=0.01,
)
POS = {Topic.POSITIONS}


def test_focus_decides_what_is_refreshed_often(vrun) -> None:
    svc = FakeService("c1")
    poller = Poller(lambda e: None, config=FAST)

    async def go() -> tuple[int, int, int, int]:
        poller.register("c1", svc)
        poller.set_focus(svc.ref("A"), POS, ())
        poller.start()
        await asyncio.sleep(0.7)
        a1, b1 = svc.count("positions", "A"), svc.count("positions", "B")
        poller.set_focus(svc.ref("B"), POS, ())
        await asyncio.sleep(0.7)
        a2, b2 = svc.count("positions", "A") - a1, svc.count("positions", "B") - b1
        await poller.stop()
        return a1, b1, a2, b2

    a1, b1, a2, b2 = vrun(go())
    # Visible: every 0.1 s; background: every 0.5 s.
    assert a1 >= 5 and b1 <= 2, (a1, b1)
    assert b2 >= 5 and a2 <= 2, (a2, b2)


def test_visible_first_and_headroom_left_for_clicks(vrun) -> None:
    svc = FakeService("c1", budget=Budget("all", 10, 1.0))
    cfg = replace(FAST, budget_share=0.5,
                  visible={**FAST.visible, Topic.POSITIONS: 0.05, Topic.QUOTES: 0.05})
    poller = Poller(lambda e: None, config=cfg)

    async def go() -> list[float]:
        poller.register("c1", svc)
        poller.set_focus(svc.ref("A"), {Topic.POSITIONS, Topic.QUOTES}, ("EURUSD", "GOLD"))
        poller.start()
        await asyncio.sleep(1.5)
        waits = []
        for _ in range(4):  # a burst of clicks while polling is saturated
            started = asyncio.get_running_loop().time()
            await svc.rate_limiter.acquire(priority=Priority.INTERACTIVE)
            waits.append(asyncio.get_running_loop().time() - started)
        await asyncio.sleep(0.5)
        await poller.stop()
        return waits

    waits = vrun(go())
    starts = list(poller.started)
    times = [t for t, _, _ in starts]
    # The poller never took more than budget_share (5 of 10) per one-second window ...
    for i, t in enumerate(times):
        assert sum(1 for u in times[i:] if u < t + 1.0) <= 5
    # ... so the clicks found room at once.
    assert max(waits) < 0.05, waits
    visible = sum(1 for _, _, p in starts if p is Priority.VISIBLE)
    background = len(starts) - visible
    assert visible >= 8 and background <= 3, (visible, background)
    assert {k[3] for _, k, _ in starts if k[1] is Topic.QUOTES} == {"EURUSD", "GOLD"}


def test_switching_broker_polls_inactive_accounts_only_when_focused(vrun) -> None:
    svc = FakeService("c1", switching=True)  # "A" is the session's active account

    async def go() -> None:
        poller = Poller(lambda e: None, config=FAST)
        poller.register("c1", svc)
        poller.start()
        await asyncio.sleep(1.2)
        assert svc.count("positions", "A") >= 2  # background
        assert svc.count("positions", "B") == 0  # would switch the session: not polled
        assert svc.count("switch") == 0
        before_a = svc.count("positions", "A")
        poller.set_focus(svc.ref("B"), {Topic.POSITIONS, Topic.WORKING_ORDERS}, ())
        await asyncio.sleep(1.0)
        # Both lists of B are visible at 0.1 s: 20/s wanted, 13/s allowed (65 % of 20).
        assert svc.count("positions", "B") >= 4
        assert svc.count("working_orders", "B") >= 4
        assert svc.count("positions", "B") + svc.count("working_orders", "B") >= 9
        assert svc.count("switch") == 1  # one switch, not one per poll
        # A is no longer the active account and not focused: left alone.
        assert svc.count("positions", "A") - before_a <= 1
        await poller.stop()

    vrun(go())


def test_errors_back_off_exponentially_and_recover(vrun) -> None:
    # One account, so every positions failure is A's; a budget large enough that the
    # quotes do not stretch the positions interval: the backoff alone sets the pace.
    svc = FakeService("c1", ("A",), budget=Budget("all", 60, 1.0))
    svc.fail("positions", *(Unavailable("broker down", broker="Fake") for _ in range(3)))
    events: list = []
    health: list[str] = []
    poller = Poller(events.append, config=FAST, on_health=lambda cid, msg: health.append(msg))

    async def go() -> None:
        poller.register("c1", svc)
        poller.set_focus(svc.ref("A"), {Topic.POSITIONS}, ("GOLD",))
        poller.start()
        await asyncio.sleep(1.6)
        await poller.stop()

    vrun(go())
    attempts = [t for t, m, a in svc.calls if m == "positions" and a == "A"]
    gaps = [b - a for a, b in itertools.pairwise(attempts)][:3]
    # 0.1 s, 0.2 s, 0.4 s after the 1st, 2nd and 3rd failure (the visible interval is 0.1 s)
    assert len(gaps) == 3
    for i, gap in enumerate(gaps):
        assert gap >= 0.1 * 2**i * 0.9, gaps
    assert gaps[0] < gaps[1] < gaps[2]
    failed = [e for e in events if isinstance(e, PollFailed)]
    assert len(failed) == 3 and {e.topic for e in failed} == {Topic.POSITIONS}
    assert "broker down" in failed[0].message and failed[0].account == svc.ref("A")
    assert health[0].startswith("Fake: broker down") and health[-1] == ""
    assert poller.failures("c1", Topic.POSITIONS) == 0
    # Quotes kept flowing while positions were backing off.
    quote_times = [e.quote.as_of for e in events if isinstance(e, QuoteUpdated)]
    assert len(quote_times) >= 10


def test_auth_error_stops_that_connection_only(vrun) -> None:
    bad, good = FakeService("bad"), FakeService("good")
    bad.fail("accounts", AuthError("session refused", broker="Fake"))
    fatal: list[tuple[str, str]] = []
    poller = Poller(lambda e: None, config=FAST,
                    on_fatal=lambda cid, exc: fatal.append((cid, str(exc))))

    async def go() -> None:
        poller.register("bad", bad)
        poller.register("good", good)
        poller.start()
        await asyncio.sleep(0.8)
        await poller.stop()

    vrun(go())
    assert fatal and fatal[0][0] == "bad" and "session refused" in fatal[0][1]
    assert bad.count("accounts") == 1  # no retries against refused credentials
    assert good.count("accounts") >= 2


def test_not_supported_topic_is_dropped(vrun) -> None:
    svc = FakeService("c1", working_orders=True)
    svc.fail("working_orders", NotSupported("not here"))
    poller = Poller(lambda e: None, config=FAST)

    async def go() -> None:
        poller.register("c1", svc)
        poller.set_focus(svc.ref("A"), {Topic.WORKING_ORDERS}, ())
        poller.start()
        await asyncio.sleep(0.6)
        await poller.stop()

    vrun(go())
    assert svc.count("working_orders") == 1


def test_refresh_jumps_the_schedule(vrun) -> None:
    svc = FakeService("c1", switching=True)
    slow = replace(FAST, background={**FAST.background, Topic.POSITIONS: 30.0,
                                     Topic.BALANCES: 30.0})
    poller = Poller(lambda e: None, config=slow)

    async def go() -> None:
        poller.register("c1", svc)
        poller.start()
        await asyncio.sleep(0.3)
        assert svc.count("positions", "A") == 1 and svc.count("accounts") == 1
        poller.refresh("c1", svc.ref("A"), (Topic.BALANCES, Topic.POSITIONS))
        # An order on the non-active account B: its lists are refreshed too, once.
        poller.refresh("c1", svc.ref("B"), (Topic.POSITIONS,))
        await asyncio.sleep(0.2)
        assert svc.count("positions", "A") == 2 and svc.count("accounts") == 2
        assert svc.count("positions", "B") == 1
        await asyncio.sleep(0.3)
        assert svc.count("positions", "B") == 1  # not adopted into the schedule
        await poller.stop()

    vrun(go())


def test_values_carry_as_of_and_balances_go_to_the_journal(vrun, tmp_path: Path) -> None:
    svc = FakeService("c1")
    journal = Journal(tmp_path / "j.sqlite3", snapshot_min_interval=60)
    events: list = []
    poller = Poller(events.append, config=FAST, journal=journal)
    before = utc_now()

    async def go() -> None:
        poller.register("c1", svc)
        poller.set_focus(svc.ref("A"), {Topic.POSITIONS, Topic.BALANCES}, ())
        poller.start()
        await asyncio.sleep(0.7)
        await poller.stop()

    vrun(go())
    after = utc_now()
    stamped = [e for e in events if isinstance(e, PositionsUpdated | AccountsUpdated)]
    assert len(stamped) >= 4
    assert all(before <= e.as_of <= after for e in stamped)
    assert sum(isinstance(e, AccountsUpdated) for e in events) >= 3
    # Several balance polls, one snapshot per account (unchanged values are throttled).
    assert len(journal.snapshots(svc.ref("A"))) == 1
    assert len(journal.snapshots(svc.ref("B"))) == 1
    assert journal.snapshots(svc.ref("A"))[0].at >= before - timedelta(seconds=1)


def test_context_priority_orders_waiters(vrun) -> None:
    """net.limiter.context_priority: polling off screen queues behind what is visible."""
    lim = RateLimiter([Budget("g", 1, 0.05)])
    order: list[str] = []

    async def take(tag: str, ctx: Priority | None, explicit: Priority = Priority.VISIBLE):
        if ctx is not None:
            context_priority.set(ctx)  # this task's own context only
        await lim.acquire(priority=explicit)
        order.append(tag)

    async def go() -> None:
        await lim.acquire()  # the window is now full: everyone below has to queue
        tasks = [asyncio.create_task(take("background", Priority.BACKGROUND))]
        await asyncio.sleep(0)
        tasks.append(asyncio.create_task(take("visible", None)))
        await asyncio.sleep(0)
        # An explicit INTERACTIVE request is never demoted by a background context.
        tasks.append(asyncio.create_task(
            take("click", Priority.BACKGROUND, explicit=Priority.INTERACTIVE)))
        await asyncio.gather(*tasks)
        assert context_priority.get() is None  # the tasks' settings did not leak here

    vrun(go())
    assert order == ["click", "visible", "background"]


def test_a_desk_of_many_accounts_polls_the_focused_one_only(run, tmp_path: Path) -> None:
    """An operator's desk (more than ``desk_accounts`` accounts): positions of the focused
    account only; of each listing only its balance is published alone and snapshotted."""
    ids = tuple(f"U{i}" for i in range(60))
    svc = FakeService("c1", ids, budget=Budget("all", 200, 1.0))
    events: list[object] = []
    journal = Journal(tmp_path / "j.sqlite3")
    poller = Poller(events.append, config=replace(FAST, desk_accounts=50), journal=journal)

    async def go() -> None:
        poller.register("c1", svc)
        poller.set_focus(svc.ref("U7"), POS | {Topic.BALANCES}, ())
        poller.start()
        await asyncio.sleep(1.2)
        await poller.stop()

    run(go())
    polled = {t for _, m, t in svc.calls if m == "positions"}
    assert polled == {"U7"}, polled
    listings = [e for e in events if isinstance(e, AccountsUpdated)]
    assert listings and len(listings[-1].accounts) == 60  # the listing has them all
    balances = {e.account.account_id for e in events if isinstance(e, BalanceUpdated)}
    assert balances == {"U7"}
    assert [a.account_id for a in {s.account for s in _snapshots(journal, svc, ids)}] == ["U7"]
    journal.close()


def _snapshots(journal: Journal, svc: FakeService, ids: tuple[str, ...]) -> list:
    return [s for a in ids for s in journal.snapshots(svc.ref(a))]


class SteadyDesk(FakeService):
    """Gives the same Account objects back while nothing changed, as the Upvest desk's
    mapping does; ``change()`` makes the next listing new."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._listed: list | None = None

    def change(self) -> None:
        self._listed = None

    async def accounts(self) -> list:
        fresh = await super().accounts()
        if self._listed is None:
            self._listed = fresh
        return list(self._listed)


def test_a_listing_given_back_unchanged_is_not_published_again(run) -> None:
    """Every listener passes over a desk's every account when a listing is published
    (4-5 ms at 5,000): the same accounts again are not news. The focused account's own
    balance still goes out at each poll."""
    ids = tuple(f"U{i}" for i in range(60))
    svc = SteadyDesk("c1", ids, budget=Budget("all", 200, 1.0))
    events: list[object] = []
    poller = Poller(events.append, config=replace(FAST, desk_accounts=50))

    def listings() -> list[AccountsUpdated]:
        return [e for e in events if isinstance(e, AccountsUpdated)]

    async def go() -> None:
        poller.register("c1", svc)
        poller.set_focus(svc.ref("U7"), {Topic.BALANCES}, ())
        poller.start()
        await asyncio.sleep(0.8)
        polls = svc.count("accounts")
        assert polls >= 3
        assert len(listings()) == 1
        assert sum(isinstance(e, BalanceUpdated) for e in events) >= polls - 1
        svc.change()
        await asyncio.sleep(0.5)
        await poller.stop()

    run(go())
    assert len(listings()) == 2
    assert listings()[0].accounts is not listings()[1].accounts
