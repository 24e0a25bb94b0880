"""Darwinex simulator: the WSO2 throttling windows (time_scale shortens them for tests)."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

import httpx

from tests.simulators.darwinex.dx_http import ACCOUNTS, INFO, TRADING, DarwinexHttp

HUGE = 100_000


def _limits(state, **chosen: int) -> None:
    for name in ("per_user_per_minute", "per_api_per_second", "account_info_per_minute",
                 "scores_per_minute"):
        setattr(state.limits, name, chosen.get(name, HUGE))


def _throttled(response: httpx.Response) -> datetime:
    assert response.status_code == 429, response.text
    fault = response.json()["fault"]
    assert (fault["code"], fault["message"], fault["description"]) == (
        900800, "Message throttled out", "You have exceeded your quota")
    return datetime.fromisoformat(fault["nextAccessTime"])


def _sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()) + 0.05)


def test_five_per_second_per_api_for_all_users(
    darwinex_sim, dx: DarwinexHttp, live: DarwinexHttp
) -> None:
    state = darwinex_sim.state
    _limits(state, per_api_per_second=5)
    status = f"{TRADING}/productmarket/status"
    assert [dx.get(status).status_code for _ in range(5)] == [200] * 5
    limited = dx.get(status)
    next_access = _throttled(limited)
    assert (next_access - datetime.now(UTC)).total_seconds() <= 1.0  # a 1-second window
    assert "Retry-After" not in limited.headers
    _throttled(live.get(status))  # the budget is the API's, whoever asks
    assert dx.get(f"{INFO}/products/NTI.4.12/status").status_code == 200  # another API
    assert state.stats["throttled"] == 2
    assert state.stats["throttled GET /trading/1.1/productmarket/status"] == 2
    assert state.stats["GET /trading/1.1/productmarket/status"] == 7
    _sleep_until(next_access)
    assert dx.get(status).status_code == 200


def test_twenty_per_minute_per_investor_account(
    darwinex_sim, dx: DarwinexHttp, account: int
) -> None:
    state = darwinex_sim.state
    _limits(state, account_info_per_minute=20)
    one = f"{ACCOUNTS}/investoraccounts/{account}"
    assert all(dx.get(one).status_code == 200 for _ in range(20))
    _throttled(dx.get(one))
    _throttled(dx.get(f"{one}/currentpositions"))  # same account, same budget
    assert dx.get(f"{TRADING}/investoraccounts/{account}/leverage").status_code == 200
    # The list call counts per token: the `account` fixture used one already.
    listing = f"{ACCOUNTS}/investoraccounts"
    assert all(dx.get(listing).status_code == 200 for _ in range(19))
    _throttled(dx.get(listing))
    assert dx.refresh().status_code == 200
    assert dx.get(listing).status_code == 200


def test_fifty_per_minute_per_user_across_all_apis(
    darwinex_sim, dx: DarwinexHttp, live: DarwinexHttp, account: int
) -> None:
    state = darwinex_sim.state
    _limits(state, per_user_per_minute=50)
    paths = itertools.cycle([f"{ACCOUNTS}/investoraccounts/{account}",
                             f"{TRADING}/productmarket/status",
                             f"{INFO}/products/NTI.4.12/status"])
    # 49 more: the `account` fixture's listing was the first of the user's 50.
    assert all(dx.get(next(paths)).status_code == 200 for _ in range(49))
    for path in (f"{INFO}/products", f"{TRADING}/productmarket/status"):
        _throttled(dx.get(path))
    assert live.get(f"{INFO}/products").status_code == 200  # the LIVE user has its own
    assert dx.refresh().status_code == 200  # /token is not throttled
    _throttled(dx.get(f"{INFO}/products"))  # a new token is still the same user


def test_about_ten_score_calls_a_minute_as_in_the_seed(darwinex_sim, dx: DarwinexHttp) -> None:
    state = darwinex_sim.state
    _limits(state, scores_per_minute=10)
    score_paths = itertools.cycle([f"{INFO}/products/DWC.4.20/dxscore",
                                   f"{INFO}/products/DWC.4.20/scores",
                                   f"{INFO}/products/DWC.4.20/scores/EXPERIENCE",
                                   f"{INFO}/products/DWC.4.20/history/riskadjustment"])
    assert all(dx.get(next(score_paths)).status_code == 200 for _ in range(10))
    next_access = _throttled(dx.get(f"{INFO}/products/DWC.4.20/dxscore"))
    assert 50 < (next_access - datetime.now(UTC)).total_seconds() <= 60
    _throttled(dx.get(f"{INFO}/products/NTI.4.12/history/quotes"))
    assert dx.get(f"{INFO}/products/DWC.4.20/status").status_code == 200
    assert state.stats["throttled GET /darwininfo/2.0/products/{productName}/dxscore"] == 1


def test_time_scale_shortens_the_minute(darwinex_sim, dx: DarwinexHttp) -> None:
    state = darwinex_sim.state
    _limits(state, scores_per_minute=10)
    state.time_scale = 60.0  # 1-second minutes
    path = f"{INFO}/products/LVS.4.20/dxscore"
    assert all(dx.get(path).status_code == 200 for _ in range(10))
    next_access = _throttled(dx.get(path))
    assert (next_access - datetime.now(UTC)).total_seconds() <= 1.0
    _sleep_until(next_access)
    assert dx.get(path).status_code == 200


def test_retry_after_knob_and_forced_429(darwinex_sim, dx: DarwinexHttp) -> None:
    state = darwinex_sim.state
    _limits(state, per_api_per_second=1)
    state.send_retry_after = True
    assert dx.get(f"{TRADING}/productmarket/status").status_code == 200
    limited = dx.get(f"{TRADING}/productmarket/status")
    _throttled(limited)
    assert limited.headers["Retry-After"] == "1"
    _limits(state)
    state.force_429(count=1, path_prefix="/darwininfo")
    _throttled(dx.get(f"{INFO}/products"))
    assert dx.get(f"{INFO}/products").status_code == 200
    assert state.stats["throttled"] == 2
