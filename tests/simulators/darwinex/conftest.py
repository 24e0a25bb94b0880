from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.simulators.darwinex.dx_http import DarwinexHttp


@pytest.fixture
def unthrottled(darwinex_sim):
    """For tests that make many calls in a row: every throttling window lifted."""
    limits = darwinex_sim.state.limits
    limits.per_user_per_minute = limits.per_api_per_second = 100_000
    limits.account_info_per_minute = limits.scores_per_minute = 100_000
    return darwinex_sim


@pytest.fixture
def dx(unthrottled) -> Iterator[DarwinexHttp]:
    """The DEMO login's client (throttling lifted)."""
    http = DarwinexHttp(unthrottled.base_url, unthrottled.credentials)
    yield http
    http.close()


@pytest.fixture
def live(unthrottled) -> Iterator[DarwinexHttp]:
    http = DarwinexHttp(unthrottled.base_url, unthrottled.state.live_credentials)
    yield http
    http.close()


@pytest.fixture
def account(dx: DarwinexHttp) -> int:
    (account_id,) = dx.account_ids()
    return account_id


@pytest.fixture
def held(darwinex_sim) -> None:
    """NTI.4.12 held at 100.00 and LVS.4.20 at 50.00, so amounts can be compared exactly."""
    darwinex_sim.state.set_quote("NTI.4.12", "100.00")
    darwinex_sim.state.set_quote("LVS.4.20", "50.00")
