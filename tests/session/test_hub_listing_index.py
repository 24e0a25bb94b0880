"""A desk's listing of thousands of accounts: indexed as it arrives, answered from it."""

from __future__ import annotations

import asyncio

from desktop_app.domain.money import utc_now
from desktop_app.domain.types import Account, AccountRef, AccountStatus, Environment
from desktop_app.session.events import AccountsUpdated
from desktop_app.session.hub_core import INDEX_AHEAD_FROM


def _desk(n: int, live: int) -> tuple[Account, ...]:
    return tuple(
        Account(AccountRef("desk", "upvest", f"A{i}"), f"Account {i}", "EUR",
                AccountStatus.ENABLED, Environment.LIVE if i == live else Environment.DEMO)
        for i in range(n))


def test_a_long_listing_is_indexed_in_the_loop_turns_after_it_arrives(make_hub, run) -> None:
    """Not in the call that publishes it and not in the frame that first asks (the
    first selection of a desk's account): in the loop turns right after it arrives."""
    hub = make_hub()
    accounts = _desk(INDEX_AHEAD_FROM + 50, live=7)

    async def go() -> None:
        hub._publish(AccountsUpdated("desk", accounts, utc_now()))
        assert "desk" not in hub._by_ref and "desk" not in hub._live_refs
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert hub._by_ref["desk"][0] is accounts
        assert hub._live_refs["desk"][0] is accounts
        assert hub._account(accounts[123].ref) is accounts[123]
        assert hub._account(AccountRef("desk", "upvest", "A-none")) is None
        assert hub._account(AccountRef("other", "upvest", "A1")) is None
        assert hub.is_live(accounts[7].ref)
        assert not hub.is_live(accounts[8].ref)
        # A newer listing replaces the index: A7 is demo now, A8 live.
        newer = _desk(INDEX_AHEAD_FROM + 50, live=8)
        hub._publish(AccountsUpdated("desk", newer, utc_now()))
        assert not hub.is_live(newer[7].ref)
        assert hub.is_live(newer[8].ref)
        assert hub._account(newer[123].ref) is newer[123]

    run(go())


def test_a_short_listing_is_indexed_when_first_asked(make_hub, run) -> None:
    hub = make_hub()
    accounts = _desk(3, live=1)

    async def go() -> None:
        hub._publish(AccountsUpdated("desk", accounts, utc_now()))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert "desk" not in hub._by_ref
        assert hub.is_live(accounts[1].ref)
        assert hub._account(accounts[2].ref) is accounts[2]

    run(go())
