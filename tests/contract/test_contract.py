"""One suite for every registered broker (see scenarios.py)."""

from __future__ import annotations

import pytest

from desktop_app.brokers.registry import SPECS
from tests.contract import scenarios


@pytest.fixture(params=[s.broker for s in SPECS])
def spec(request):
    return next(s for s in SPECS if s.broker == request.param)


@pytest.fixture
def target(spec, run):
    sim = scenarios.start(spec)
    target = run(scenarios.connect(spec, sim))
    yield target
    run(scenarios.close(target))
    sim.stop()


@pytest.mark.parametrize("scenario", scenarios.SCENARIOS, ids=lambda s: s.__name__)
def test_contract(target, scenario, run) -> None:
    run(scenario(target), timeout=60)
