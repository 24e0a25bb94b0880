"""Capital.com simulator: the REST dialect of https://demo-api-capital.backend-capital.com/api/v1."""

from __future__ import annotations

from desktop_app.simulators.capital.app import create_app
from desktop_app.simulators.capital.state import API_ROOT, CapitalState
from desktop_app.simulators.registry import SimulatorBundle


def create_simulator(seed: int, *, session_idle_timeout: float = 600.0) -> SimulatorBundle:
    state = CapitalState(seed, session_idle_timeout=session_idle_timeout)
    return SimulatorBundle(
        name="capital",
        display_name="Capital.com",
        app=create_app(state),
        state=state,
        credentials=state.credentials,
        api_root=API_ROOT,
    )


__all__ = ["CapitalState", "create_simulator"]
