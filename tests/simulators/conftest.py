from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.simulators.capital_http import CapitalHttp


@pytest.fixture
def client(capital_sim) -> Iterator[CapitalHttp]:
    """Logged in to the simulator's preferred (USD) account."""
    http = CapitalHttp(capital_sim.base_url, capital_sim.credentials)
    assert http.login().status_code == 200
    yield http
    http.close()


@pytest.fixture
def relaxed(capital_sim, client) -> CapitalHttp:
    """For tests that make many calls in a row: the 10/s session limit lifted."""
    capital_sim.state.limits.per_session_per_second = 10_000
    return client


@pytest.fixture
def still(capital_sim) -> None:
    """Prices held where they are, so a test can compare levels exactly."""
    capital_sim.state.market.freeze_prices()
