"""The accounts table is rebuilt at most once per frame, however many updates arrive."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from desktop_app.session.events import AccountsUpdated, BalanceUpdated
from tests.viewmodels.sandbox import running_app, wait_for


def test_a_burst_of_updates_rebuilds_the_rows_once(capital_sim, qrun):
    async def scenario():
        async with running_app(capital_sim) as app_vm:
            accounts = app_vm.accounts
            first = accounts.selected
            # Quiet the other sources of rebuilds (the age clock, the visible polling) so
            # the count below is this burst's alone.
            accounts._clock.stop()
            app_vm.hub.set_focus(None, set(), set())
            await wait_for(lambda: not accounts.rebuilds_pending, what="a quiet moment")
            builds = []
            rows = accounts.rows

            def counting_rows(now=None):
                built = rows(now)
                builds.append({r.ref: r.balance for r in built})
                return built

            accounts.rows = counting_rows
            capabilities = []
            accounts.capabilitiesChanged.connect(lambda: capabilities.append(1))
            account = accounts.selected_account()
            accounts.on_event(AccountsUpdated(first.connection, tuple(
                a for a in app_vm.hub.accounts() if a.ref.connection == first.connection
            ), account.balance.as_of))
            for i in range(50):
                accounts.on_event(BalanceUpdated(first, replace(
                    account.balance, balance=Decimal(20_000 + i)
                )))
            assert builds == [] and accounts.rebuilds_pending
            await wait_for(lambda: not accounts.rebuilds_pending, what="the coalesced rebuild")
            assert len(builds) == 1 and len(capabilities) == 1
            assert builds[0][first].balance == Decimal(20_049)  # one rebuild had them all
            row = accounts.model.row_for_account(first)
            assert accounts.model.data(accounts.model.index(row, 2)) == "20,049.00"

    qrun(scenario(), timeout=60)
