"""The balance chart reads the journal once per account choice, never per balance update."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from desktop_app.domain.money import utc_now
from desktop_app.session.events import BalanceUpdated
from tests.viewmodels.sandbox import running_app, wait_for


def test_chart_appends_updates_in_memory_and_reloads_only_on_account_change(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            chart, journal = app_vm.chart, app_vm.hub.journal
            first = chart.account
            await wait_for(lambda: not chart.loading, what="the first history load")
            reads = []
            snapshots = journal.snapshots

            def counting_snapshots(account, since=None, limit=100_000):
                reads.append((account, limit))
                return snapshots(account, since, limit)

            journal.snapshots = counting_snapshots
            balance = next(a.balance for a in app_vm.hub.accounts() if a.ref == first)
            # Stamped an hour ahead, so the poller's own updates (stamped now) arrive late
            # and add nothing: the count below is exact.
            t0 = utc_now() + timedelta(hours=1)

            def update(seconds: float, value: str) -> None:
                bal = replace(balance, balance=Decimal(value), equity=Decimal(value),
                              as_of=t0 + timedelta(seconds=seconds))
                chart.on_event(BalanceUpdated(first, bal))  # what the hub calls per update

            before = len(chart._points)
            update(0, "10000")   # added
            update(1, "10000")   # same value within a few seconds: dropped
            update(2, "10100")   # changed: added
            update(8, "10100")   # same value, but seconds later: added
            update(7, "10200")   # older than the last point: dropped
            await wait_for(lambda: len(chart.times) == before + 3, within=5,
                           what="three new points drawn")
            assert chart.times[-1] == (t0 + timedelta(seconds=8)).timestamp()
            assert chart.balances[-3:] == [10000.0, 10100.0, 10100.0]
            assert reads == [], "a balance update read the journal"

            other = next(r.ref for r in app_vm.accounts.rows() if r.ref != first)
            app_vm.accounts.select(other)
            assert chart.loading
            await wait_for(lambda: not chart.loading, what="the other account's history")
            assert reads == [(other, chart.max_points)]

            # A point that arrives while the journal is read is kept, after the history.
            app_vm.accounts.select(first)
            assert chart.loading
            update(20, "10300")
            await wait_for(lambda: not chart.loading, what="the first account's history")
            assert reads[1:] == [(first, chart.max_points)]
            assert chart.times[-1] == (t0 + timedelta(seconds=20)).timestamp()
            assert chart.balances[-1] == 10300.0

    qrun(scenario(), timeout=60)


def test_another_account_is_drawn_once_and_blanked_only_if_its_history_is_slow(
        capital_sim, qrun):
    """A click on another account draws its lines once, when the journal answers (the
    chart was cleared first, then drawn: two repaints per click); a journal that takes
    longer than BLANK_AFTER_MS blanks the previous account's lines meanwhile."""
    from desktop_app.viewmodels.chart_vm import BLANK_AFTER_MS

    async def scenario():
        async with running_app(capital_sim) as app_vm:
            chart, hub = app_vm.chart, app_vm.hub
            first = chart.account
            await wait_for(lambda: not chart.loading, what="the first history load")
            drawn: list[int] = []
            chart.historyChanged.connect(lambda times, *_: drawn.append(len(times)))
            other = next(r.ref for r in app_vm.accounts.rows() if r.ref != first)
            app_vm.accounts.select(other)
            await wait_for(lambda: not chart.loading, what="the other account's history")
            assert len(drawn) == 1

            history = hub.balance_history_async

            async def slow(*args, **kwargs):
                await asyncio.sleep(3 * BLANK_AFTER_MS / 1000)
                return await history(*args, **kwargs)

            hub.balance_history_async = slow
            drawn.clear()
            app_vm.accounts.select(first)
            await asyncio.sleep(2 * BLANK_AFTER_MS / 1000)
            assert drawn == [0] and chart.times == []  # the other account's lines are gone
            await wait_for(lambda: not chart.loading, what="the slow history")
            assert len(drawn) == 2

    qrun(scenario(), timeout=60)


def test_a_balance_is_drawn_as_steps_with_a_sensible_least_range():
    from desktop_app.viewmodels.chart_vm import hold_steps, min_y_range

    # Snapshots 30 s apart around a trade: held until the jump, never a slope.
    xs, ys = hold_steps([0.0, 30.0, 60.0, 90.0], [100.0, 100.0, 95.0, 95.0])
    assert list(zip(xs, ys, strict=True)) == [
        (0.0, 100.0), (30.0, 100.0), (60.0, 100.0), (60.0, 95.0), (90.0, 95.0)]
    assert hold_steps([1.0], [5.0]) == ([1.0], [5.0])
    # A $0.06 dip on $10,000 stays a ripple: at least 0.1 % of the value in view.
    assert min_y_range([10_000.0, 9_999.94], [10_000.0]) == pytest.approx(10.0)
    assert min_y_range([], []) == 0.01
