"""The accounts table is rebuilt at most once per frame, however many updates arrive."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from desktop_app.session.events import AccountsUpdated, BalanceUpdated
from desktop_app.viewmodels.accounts_vm import ROWS_PER_SLICE
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
            build_rows = accounts._build_rows

            def counting_rows(budget):
                built, complete = build_rows(budget)
                assert complete  # a handful of rows is one slice
                builds.append({r.ref: r.balance for r in built})
                return built, complete

            accounts._build_rows = counting_rows
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


async def quiet_selection(app_vm):
    """The accounts view-model with its clock and the polling of the selected account
    stopped, once nothing is pending: (the view-model, its selection, that account)."""
    accounts = app_vm.accounts
    first = accounts.selected
    accounts._clock.stop()
    app_vm.hub.set_focus(None, set(), set())
    await wait_for(lambda: not accounts.rebuilds_pending, what="a quiet moment")
    return accounts, first, accounts.selected_account()


def list_in_slices(accounts, template) -> tuple[tuple, list[int]]:
    """A desk's listing: ``template`` and 1,500 more inactive accounts like it, given to
    the view-model and its first slice shown. The listing, and the row count after each
    insertion of rows (the first slice's already in)."""
    bulk = tuple(
        replace(template, ref=replace(template.ref, account_id=f"BULK-{i:05}"), active=False)
        for i in range(2 * ROWS_PER_SLICE + 500)
    )
    model = accounts.model
    shown: list[int] = []
    model.rowsInserted.connect(lambda *_: shown.append(model.rowCount()))
    accounts.on_event(AccountsUpdated(template.ref.connection, (template, *bulk),
                                      template.balance.as_of))
    accounts.refresh()
    return bulk, shown


def test_thousands_of_accounts_arrive_a_slice_per_frame(capital_sim, qrun):
    """A desk's listing of thousands is shown a slice per frame (so no frame builds and
    inserts them all); a newer listing that arrives meanwhile is what the slices finish
    with, and the selection is kept throughout."""

    async def scenario():
        async with running_app(capital_sim) as app_vm:
            accounts, first, template = await quiet_selection(app_vm)
            model = accounts.model
            others = model.rowCount() - sum(
                1 for a in app_vm.hub.accounts() if a.ref.connection == first.connection)
            bulk, shown = list_in_slices(accounts, template)
            assert shown == [others + 1 + ROWS_PER_SLICE] and accounts.rebuilds_pending
            await wait_for(lambda: len(shown) == 2, what="the second slice")
            # A newer listing without the last thousand: the slices end with it.
            kept = bulk[: len(bulk) - 1000]
            accounts.on_event(AccountsUpdated(first.connection, (template, *kept),
                                              template.balance.as_of))
            await wait_for(lambda: not accounts.rebuilds_pending, what="the last slice")
            assert model.rowCount() == others + 1 + len(kept)
            assert accounts.rows() == [model.item(r) for r in range(model.rowCount())]
            assert accounts.selected == first

    qrun(scenario(), timeout=60)


def test_what_changes_while_a_listing_arrives_in_slices_is_shown_in_every_row(
        capital_sim, qrun):
    """Rows are found again by their account (a slice re-reads thousands): a listing
    whose owners change midway (the account column then names them), and a balance
    that moves, show in every row once the slices end, as a full rebuild shows them."""

    async def scenario():
        async with running_app(capital_sim) as app_vm:
            accounts, first, template = await quiet_selection(app_vm)
            model = accounts.model
            bulk, shown = list_in_slices(accounts, template)
            assert len(shown) == 1 and accounts.rebuilds_pending
            mine = [r for r in accounts._last_rows if r.connection_id == first.connection]
            assert mine and not any(r.owner_shown for r in mine)
            # Midway: the last account belongs to someone else now, and a shown one's
            # balance moves.
            other = replace(bulk[-1], owner="Someone else")
            accounts.on_event(AccountsUpdated(first.connection, (template, *bulk[:-1], other),
                                              template.balance.as_of))
            moved = replace(bulk[0].balance, balance=Decimal("123456.78"))
            accounts.on_event(BalanceUpdated(bulk[0].ref, moved))
            await wait_for(lambda: not accounts.rebuilds_pending, what="the last slice")
            rows = [model.item(r) for r in range(model.rowCount())]
            mine = [r for r in rows if r.connection_id == first.connection]
            assert len(mine) == 1 + len(bulk)
            assert all(r.owner_shown for r in mine)
            assert next(r for r in mine if r.ref == bulk[0].ref).balance == moved
            assert next(r for r in mine if r.ref == other.ref).account.owner == "Someone else"
            assert accounts.rows() == rows  # what a rebuild from scratch shows
            assert accounts.rows()[0] is rows[0]  # and unchanged rows are kept as they are

    qrun(scenario(), timeout=60)


def test_a_new_selection_among_new_accounts_says_once_what_it_offers(capital_sim, qrun):
    """The selected account gone from a new listing: the first of the others is selected
    and the panels re-read what it offers once (they did twice: once for the new
    selection, once for the new accounts)."""

    async def scenario():
        async with running_app(capital_sim) as app_vm:
            accounts, first, template = await quiet_selection(app_vm)
            others = tuple(replace(template, ref=replace(template.ref, account_id=f"NEW-{i}"),
                                   active=False) for i in range(3))
            said: list[object] = []
            accounts.capabilitiesChanged.connect(lambda: said.append(accounts.selected))
            accounts.on_event(AccountsUpdated(first.connection, others,
                                              template.balance.as_of))
            await wait_for(lambda: accounts.selected != first and not accounts.rebuilds_pending,
                           what="another account selected")
            assert accounts.selected.account_id.startswith("NEW-")
            assert said == [accounts.selected]

    qrun(scenario(), timeout=60)


def test_panels_follow_a_new_account_with_one_state_each(capital_sim, qrun):
    """A click on another account: the ticket and the funding panel re-validate and
    say their state once (they did at each step of the change, and once more when the
    new selection's capabilities were announced: 3-4 repaints of each per click)."""

    async def scenario():
        async with running_app(capital_sim) as app_vm:
            accounts, first, _ = await quiet_selection(app_vm)
            other = next(a.ref for a in app_vm.hub.accounts()
                         if a.ref.connection == first.connection and a.ref != first)
            said: dict[str, int] = {"ticket": 0, "funding": 0, "ticket errors": 0}

            def count(what: str):
                def counted(*_: object) -> None:
                    said[what] += 1
                return counted

            app_vm.ticket.stateChanged.connect(count("ticket"))
            app_vm.ticket.errorsChanged.connect(count("ticket errors"))
            app_vm.funding.stateChanged.connect(count("funding"))
            accounts.select(other)
            assert app_vm.ticket.account == app_vm.funding.account == other
            assert said["ticket"] == 1 and said["funding"] == 1, said
            assert said["ticket errors"] <= 1, said
            # A change of capabilities on its own is still followed.
            accounts.capabilitiesChanged.emit()
            assert said["ticket"] == 2 and said["funding"] == 2, said

    qrun(scenario(), timeout=60)
