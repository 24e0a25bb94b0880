"""A journal another program holds never stands between the broker and the truth.

The lock is a real SQLite write lock taken by a second connection (as a second copy of
the app, or a backup tool, would take it), held well past SQLite's busy timeout.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from decimal import Decimal

import pytest

from desktop_app.domain.types import OrderRequest, OrderStatus, Side
from desktop_app.session.journal_writer import JournalUnavailable
from desktop_app.storage.journal import EntryState, Journal
from tests.session.conftest import wait_for
from tests.session.test_hub_writes import ACCOUNT, Broker, connected


def hold_lock(path) -> sqlite3.Connection:
    """Another program's write transaction on the journal."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


async def loop_gaps(stop: asyncio.Event) -> float:
    """The longest the loop went without running us (a frozen window shows here)."""
    worst, last = 0.0, time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.02)
        now = time.perf_counter()
        worst, last = max(worst, now - last), now
    return worst


@pytest.fixture
def broker() -> Broker:
    return Broker()


@pytest.fixture
def hubs(run):
    made = []
    yield made
    for hub in made:
        run(hub.stop())
        hub.journal.close()


def test_a_journal_locked_before_sending_stops_the_send_and_says_why(run, hubs, broker):
    journal = Journal()

    async def go() -> None:
        hub = await connected(hubs, broker, journal)
        other = hold_lock(journal.path)
        stop = asyncio.Event()
        watcher = asyncio.ensure_future(loop_gaps(stop))
        try:
            with pytest.raises(JournalUnavailable) as refused:
                await hub.place_order(OrderRequest(ACCOUNT, "GOLD", Side.BUY, Decimal(1)))
        finally:
            stop.set()
            other.rollback()
            other.close()
        assert "Nothing was sent" in refused.value.user_text()
        assert await watcher < 0.5  # SQLite's 5 s busy wait ran off the loop

    run(go(), timeout=30)
    assert broker.service.sent == []
    assert journal.orders() == []


def test_a_journal_locked_after_the_broker_answered_keeps_the_outcome(run, hubs, broker):
    """The order executes while another program holds the journal for longer than SQLite
    waits: the trader gets the broker's answer at once, the loop keeps running, the
    outcome waits in memory and lands once the lock is gone; no retry, no double."""
    journal = Journal()
    events: list[object] = []

    async def go() -> None:
        hub = await connected(hubs, broker, journal)
        hub.subscribe(events.append)
        service = broker.service
        service.gates["place_order"] = asyncio.Event()  # held after the send
        request = OrderRequest(ACCOUNT, "GOLD", Side.BUY, Decimal(1))
        placing = asyncio.ensure_future(hub.place_order(request))
        await wait_for(lambda: service.sent)
        other = hold_lock(journal.path)
        stop = asyncio.Event()
        watcher = asyncio.ensure_future(loop_gaps(stop))
        service.gates["place_order"].set()
        started = time.perf_counter()
        result = await placing
        answered_in = time.perf_counter() - started
        assert result.status is OrderStatus.ACCEPTED
        assert answered_in < 3.0  # not held behind the lock (SQLite alone waits 5 s)
        await asyncio.sleep(6.0)  # the lock outlives SQLite's busy timeout
        assert hub.writer.pending >= 1
        assert any(type(e).__name__ == "JournalTrouble" and e.pending for e in events)
        stop.set()
        assert await watcher < 0.5
        other.rollback()
        other.close()
        await wait_for(lambda: hub.writer.pending == 0, within=40.0)
        assert any(type(e).__name__ == "JournalTrouble" and not e.pending for e in events)

    run(go(), timeout=90)
    (entry,) = journal.orders()
    assert entry.state is EntryState.COMPLETED
    assert entry.order_result().status is OrderStatus.ACCEPTED
    assert entry.broker_ref  # the reference written too, in order
    assert [s for s, _ in broker.service.sent] == ["place_order"]  # sent once
