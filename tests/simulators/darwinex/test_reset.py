"""Darwinex simulator: the seed's story of a demo reset and the 403 that follows it."""

from __future__ import annotations

import time

from tests.simulators.darwinex.dx_http import ACCOUNTS, TRADING, DarwinexHttp

NOT_YOURS = {"status": "Investor account provided does not belong to the user."}


def test_reset_gives_a_new_id_that_tokens_reach_only_later(
    darwinex_sim, dx: DarwinexHttp, account: int
) -> None:
    state = darwinex_sim.state
    state.set_quote("NTI.4.12", "100.00")
    assert dx.buy(account, "NTI.4.12", 5000).status_code == 200
    state.new_account_access_delay = 3600.0
    new_id = state.reset_demo_account()
    assert new_id != account
    # The list shows the new account at once, with fresh equity ...
    (listed,) = dx.get(f"{ACCOUNTS}/investoraccounts").json()
    assert listed["id"] == new_id and listed["equity"] == 50000 and listed["invested"] == 0
    # ... but the token may not use it, and the old id is gone.
    for account_id in (new_id, account):
        refused = dx.buy(account_id, "NTI.4.12", 500)
        assert (refused.status_code, refused.json()) == (403, NOT_YOURS)
    assert dx.get(f"{ACCOUNTS}/investoraccounts/{new_id}").json() == NOT_YOURS
    # Regenerating the token does not help (as the forum user found).
    assert dx.refresh().status_code == 200
    assert dx.buy(new_id, "NTI.4.12", 500).status_code == 403
    state.new_account_access_delay = 0.0  # the delay has passed
    assert dx.buy(new_id, "NTI.4.12", 500).status_code == 200
    assert dx.positions(new_id)[0]["invested"] == 500
    assert dx.get(f"{ACCOUNTS}/investoraccounts/{account}").status_code == 403
    assert len(state.orders) == 2


def test_access_arrives_after_the_delay(darwinex_sim, dx: DarwinexHttp) -> None:
    state = darwinex_sim.state
    state.new_account_access_delay = 0.4
    new_id = state.reset_demo_account()
    leverage = f"{TRADING}/investoraccounts/{new_id}/leverage"
    assert dx.get(leverage).status_code == 403
    time.sleep(0.5)
    assert dx.get(leverage).json() == {"leverage": 3.0}
    assert state.reset_demo_account() not in (new_id,)
    assert state.account_ids("LIVE") != []  # a demo reset leaves the live account alone
