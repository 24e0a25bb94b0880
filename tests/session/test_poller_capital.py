"""The poller and limiter against the Capital.com simulator, through the real service."""

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import replace

from desktop_app.domain.types import AccountRef
from desktop_app.net.limiter import Priority
from desktop_app.session.events import (
    ConnectionChanged,
    ConnectionState,
    PollFailed,
    PositionsUpdated,
    QuoteUpdated,
    Topic,
)
from desktop_app.session.poll_config import PollConfig
from tests.session.conftest import (
    CID,
    capital_profile,
    capital_secrets,
    connected_accounts,
    wait_for,
)

ALL_TOPICS = {Topic.BALANCES, Topic.POSITIONS, Topic.WORKING_ORDERS, Topic.QUOTES}


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    return max((sum(1 for u in times[i:] if u < t + window) for i, t in enumerate(times)),
               default=0)


def test_sustained_polling_never_provokes_429(capital_sim, run, make_hub, monkeypatch) -> None:
    hub = make_hub()
    # When each request reached the simulator (its own count, taken on arrival): reply
    # times would bunch up on a slow machine and say nothing about the send rate.
    arrivals: list[float] = []
    counted = capital_sim.state.count

    def count(route: str, status: int) -> None:
        arrivals.append(time.monotonic())
        counted(route, status)

    monkeypatch.setattr(capital_sim.state, "count", count)
    events: list[tuple[float, object]] = []
    hub.subscribe(lambda e: events.append((time.monotonic(), e)))
    click_latency: list[float] = []

    async def go() -> AccountRef:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, _eur = await connected_accounts(hub)
        hub.set_focus(usd, ALL_TOPICS, {"BTCUSD", "EURUSD"})
        end = time.monotonic() + 10.0
        while time.monotonic() < end:  # a trader clicking around meanwhile
            started = time.monotonic()
            await hub.quote(usd, "US500")
            click_latency.append(time.monotonic() - started)
            await asyncio.sleep(1.0)
        return usd

    usd = run(go(), timeout=30)
    stats = capital_sim.state.stats
    assert sum(stats["429"].values()) == 0, stats["429"]
    assert not [e for _, e in events if isinstance(e, PollFailed)]
    assert hub.connections()[0].state is ConnectionState.CONNECTED

    # What reached the broker stayed inside its documented 10 requests per second ...
    assert len(arrivals) > 20
    assert _max_in_window(arrivals) <= 10
    # ... the poller kept to its share (65 % of the 8 per 1.2 s budget; start times) ...
    polled = [t for t, _, _ in hub.poller.started]
    assert _max_in_window(polled, 1.2) <= 5
    # ... and clicks did not wait behind polling (about 0.1 s; room for a slow CI).
    assert max(click_latency) < 1.5, click_latency

    # Everything on screen was refreshed, stamped, and not left stale.
    quotes = Counter(e.quote.symbol for _, e in events if isinstance(e, QuoteUpdated)
                     and e.account == usd)
    # Wanted: 2 quotes every 0.5 s, positions and orders every 1 s, balances every 2 s
    # = 6.5/s; the poller's share minus the clicks is about 3.3/s, so every interval
    # stretches alike (about x2): quotes about every second, positions every two.
    # (Bounds with room for a slow CI: about 10 quotes each and gaps of 2 s are usual.)
    assert min(quotes[s] for s in ("BTCUSD", "EURUSD")) >= 4, quotes
    pos_times = [t for t, e in events if isinstance(e, PositionsUpdated) and e.account == usd]
    assert len(pos_times) >= 3
    assert max(b - a for a, b in itertools.pairwise(pos_times)) < 6.0
    # Visible work went first: the background did not crowd it out.
    priorities = Counter(p for _, _, p in hub.poller.started)
    assert priorities[Priority.VISIBLE] > 5 * priorities[Priority.BACKGROUND]


def test_focus_change_reorders_refreshes(capital_sim, run, make_hub) -> None:
    hub = make_hub()
    events: list[tuple[float, object]] = []
    hub.subscribe(lambda e: events.append((time.monotonic(), e)))
    stats = capital_sim.state.stats["requests"]

    def refreshed(account: AccountRef, since: float) -> list[float]:
        return [t for t, e in events
                if isinstance(e, PositionsUpdated) and e.account == account and t >= since]

    async def go() -> None:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, eur = await connected_accounts(hub)
        topics = {Topic.POSITIONS, Topic.WORKING_ORDERS}
        hub.set_focus(usd, topics, set())
        t0 = time.monotonic()
        await asyncio.sleep(1.5)
        assert len(refreshed(usd, t0)) >= 2
        # The other account is not the session's active one: polling it would switch
        # the session, so it is left alone while not focused.
        assert refreshed(eur, t0) == []
        switches = stats["PUT /session"]

        hub.set_focus(eur, topics, set())
        t1 = time.monotonic()
        await wait_for(lambda: refreshed(eur, t1), within=3.0)
        # First in line (about 0.1 s; room for a slow CI), not after the background's 15 s.
        assert refreshed(eur, t1)[0] - t1 < 3.0
        await asyncio.sleep(3.0)
        assert len(refreshed(eur, t1)) >= 2
        # Not polled since: one in flight at the change at most (its reply within 1.5 s).
        assert len(refreshed(usd, t1 + 1.5)) == 0
        assert stats["PUT /session"] - switches == 1  # one switch, not one per poll

    run(go(), timeout=30)
    assert sum(capital_sim.state.stats["429"].values()) == 0


def test_server_errors_back_off_and_recover(capital_sim, run, make_hub) -> None:
    # Positions every 0.2 s when all is well, so that the backoff is what sets the pace.
    cfg = PollConfig(backoff_initial=0.4)
    hub = make_hub(poll_config=replace(cfg, visible={**cfg.visible, Topic.POSITIONS: 0.2}))
    marks: list[tuple[float, object]] = []
    hub.subscribe(lambda e: marks.append((time.monotonic(), e)))

    async def go() -> tuple[float, float, float, float]:
        await hub.start()
        await hub.add_connection(capital_profile(capital_sim), capital_secrets(capital_sim),
                                 persist=False)
        usd, _ = await connected_accounts(hub)
        hub.set_focus(usd, {Topic.POSITIONS}, {"BTCUSD"})
        await wait_for(lambda: any(isinstance(e, PositionsUpdated) for _, e in marks))
        conn = hub.connection(CID)
        assert conn is not None and conn.service is not None
        # The HTTP layer retries each read 3 times itself; keep those retries quick here.
        conn.service.client.http.backoff = 0.01  # type: ignore[attr-defined]
        t0 = time.monotonic()
        gets_before = capital_sim.state.stats["requests"]["GET /positions"]
        capital_sim.state.fail_next(500, "error.internal", "/positions", count=8)

        def failures() -> list[float]:
            return [t for t, e in marks if isinstance(e, PollFailed) and t >= t0]

        await wait_for(lambda: len(failures()) == 2, within=8)
        f1, f2 = failures()
        await wait_for(lambda: [t for t, e in marks
                                if isinstance(e, PositionsUpdated) and t > f2], within=8)
        recovered = next(t for t, e in marks if isinstance(e, PositionsUpdated) and t > f2)
        gets = capital_sim.state.stats["requests"]["GET /positions"] - gets_before
        assert gets == 9  # 2 polls x 4 attempts, then one that worked: no hammering
        return t0, f1, f2, recovered

    t0, f1, f2, recovered = run(go(), timeout=20)
    # 0.4 s after the first failed poll, 0.8 s after the second.
    assert f2 - f1 >= 0.4
    assert recovered - f2 >= 0.8
    failed = [e for t, e in marks if isinstance(e, PollFailed) and t >= t0]
    assert {e.topic for e in failed} == {Topic.POSITIONS}
    assert "server error" in failed[0].message
    states = [e.state for t, e in marks if isinstance(e, ConnectionChanged) and t >= t0]
    assert states == [ConnectionState.DEGRADED, ConnectionState.CONNECTED]
    # Quotes went on while positions were backing off.
    assert any(isinstance(e, QuoteUpdated) for t, e in marks if f1 < t < recovered)
