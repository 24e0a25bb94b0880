from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.simulators.tradovate.tradovate_http import TradovateHttp


@pytest.fixture
def client(tradovate_sim) -> Iterator[TradovateHttp]:
    """Logged in as the simulator's demo user."""
    http = TradovateHttp(tradovate_sim.base_url, tradovate_sim.credentials)
    assert "accessToken" in http.login().json()
    yield http
    http.close()


@pytest.fixture
def account_id(tradovate_sim) -> int:
    """The first demo account (25,000 USD)."""
    return tradovate_sim.state.account_ids()[0]


@pytest.fixture
def still(tradovate_sim) -> None:
    """Prices held where they are, so a test can compare levels exactly."""
    tradovate_sim.state.market.freeze_prices()
