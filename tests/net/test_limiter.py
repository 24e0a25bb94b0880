import asyncio

import pytest

from desktop_app.net.limiter import Budget, Priority, RateLimiter


class FakeClock:
    """Virtual time driven by the test, so window arithmetic is checked exactly."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_caps_requests_and_reopens() -> None:
    clock = FakeClock()
    lim = RateLimiter([Budget("global", 3, 1.0)], clock=clock)

    async def go() -> None:
        for _ in range(3):
            await lim.acquire()
        assert lim.headroom("global") == 0
        assert lim.wait_time() == pytest.approx(1.0)
        clock.now += 1.0
        assert lim.headroom("global") == 3

    asyncio.run(go())


def test_never_more_than_limit_in_any_window_real_time() -> None:
    lim = RateLimiter([Budget("global", 5, 0.2)])
    stamps: list[float] = []

    async def worker() -> None:
        for _ in range(6):
            await lim.acquire()
            stamps.append(asyncio.get_running_loop().time())

    async def go() -> None:
        await asyncio.gather(*(worker() for _ in range(3)))

    asyncio.run(go())
    stamps.sort()
    assert len(stamps) == 18
    for i in range(len(stamps) - 5):
        # any 6 consecutive grants span at least one window
        assert stamps[i + 5] - stamps[i] >= 0.2 - 0.01


def test_interactive_jumps_the_queue() -> None:
    lim = RateLimiter([Budget("global", 1, 0.05)])
    order: list[str] = []

    async def take(tag: str, prio: Priority) -> None:
        await lim.acquire(priority=prio)
        order.append(tag)

    async def go() -> None:
        await lim.acquire()  # window full
        tasks = [asyncio.create_task(take(f"bg{i}", Priority.BACKGROUND)) for i in range(3)]
        await asyncio.sleep(0)
        tasks.append(asyncio.create_task(take("click", Priority.INTERACTIVE)))
        await asyncio.gather(*tasks)

    asyncio.run(go())
    assert order[0] == "click"


def test_pause_holds_every_budget_and_counts() -> None:
    lim = RateLimiter([Budget("global", 10, 1.0), Budget("session", 1, 1.0)])

    async def go() -> float:
        lim.pause(0.15)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await lim.acquire("global")
        return loop.time() - t0

    waited = asyncio.run(go())
    assert waited >= 0.14
    assert lim.pauses == 1
    assert {u.name for u in lim.usage()} == {"global", "session"}


def test_cancelled_waiter_does_not_block_others() -> None:
    lim = RateLimiter([Budget("global", 1, 0.05)])

    async def go() -> None:
        await lim.acquire()
        blocked = asyncio.create_task(lim.acquire(priority=Priority.INTERACTIVE))
        await asyncio.sleep(0)
        blocked.cancel()
        await asyncio.wait_for(lim.acquire(priority=Priority.BACKGROUND), 1.0)

    asyncio.run(go())


def test_unknown_budget_is_an_error() -> None:
    lim = RateLimiter([Budget("global", 1, 1.0)])
    with pytest.raises(KeyError):
        asyncio.run(lim.acquire("nope"))


def test_waiter_held_by_a_budget_others_do_not_use_does_not_block_them() -> None:
    clock = FakeClock()
    lim = RateLimiter([Budget("all", 100, 1.0), Budget("trading", 1, 3600.0)], clock=clock)

    async def go() -> None:
        await lim.acquire("all", "trading")  # the hour's only trade
        order = asyncio.create_task(lim.acquire("all", "trading", priority=Priority.INTERACTIVE))
        await asyncio.sleep(0)
        # A read queued behind the blocked order still goes at once.
        await asyncio.wait_for(lim.acquire("all"), 0.5)
        assert not order.done()
        order.cancel()

    asyncio.run(go())


def test_budget_added_at_run_time_is_enforced_once() -> None:
    limiter = RateLimiter([Budget("all", 100, 1.0)])
    limiter.add_budget(Budget("account:1", 1, 60.0))
    limiter.add_budget(Budget("account:1", 50, 60.0))  # a known name is kept as it was

    async def go() -> float:
        await limiter.acquire("account:1")
        return limiter.wait_time("account:1")

    assert asyncio.run(go()) > 50
    assert [b.limit for b in limiter.budgets if b.name == "account:1"] == [1]
