"""Capital.com simulator: the REST dialect of the demo server, under /api/v1.

Follows the official Postman collection (paths, headers, bodies, error codes, limits).
Where the documentation is silent, these choices were made (all UNCONFIRMED):

- ``accountInfo``/``balance``: ``deposit`` is cash, ``balance`` = deposit + profitLoss,
  ``available`` = balance - margin (inferred from the one documented example).
- Positions report ``upl`` and ``currency`` in the account currency.
- ``PUT /positions/{dealId}`` sets stop and profit as sent (absent or null removes them);
  ``PUT /workingorders/{dealId}`` keeps level and goodTillDate unless sent.
- Stop loss / take profit on real stocks (AAPL, TSLA, MSFT, AMZN): 400
  ``error.invalid.stoploss.not-allowed`` / ``error.invalid.takeprofit.not-allowed``; real
  stocks trade at leverage 1 and show ``marginFactor`` 100, ``controlledRiskAllowed`` false.
- Size below the minimum: 400 ``error.invalid.size.minvalue: <min>``.
- ``POST /accounts/topUp``: positive amount, at most 40,000, cents only, answer
  ``{"status": "SUCCESS"}`` (rules are knobs on ``CapitalState.topup``).
- ``POST /positions`` and ``POST /workingorders`` share one 1000/hour budget.
- The streaming API is served at ``/connect`` on the same port (see ``stream``):
  ``streamingHost`` is ``ws://127.0.0.1:PORT/``. Knobs: ``state.streams`` (drop, refuse),
  ``state.stream_timing`` (ping timeout, epic limit). ``PUT /session`` keeps the login's
  tokens (the active account is session state) and drops its streams.
- Stops and limits at most ``state.max_stop_percent`` (30 %) away; history in
  ``history_routes``.
"""

from __future__ import annotations

from desktop_app.simulators.capital.app import create_app
from desktop_app.simulators.capital.state import API_ROOT, CapitalState
from desktop_app.simulators.capital.stream import PATH as STREAM_PATH
from desktop_app.simulators.registry import SimulatorBundle
from desktop_app.simulators.streams import StreamEndpoint


def create_simulator(
    seed: int, *, session_idle_timeout: float = 600.0, origin: float | None = None
) -> SimulatorBundle:
    state = CapitalState(seed, session_idle_timeout=session_idle_timeout, origin=origin)
    return SimulatorBundle(
        name="capital",
        display_name="Capital.com",
        app=create_app(state),
        state=state,
        credentials=state.credentials,
        api_root=API_ROOT,
        stream_knobs=state.streams,
        streams=(StreamEndpoint("streaming API (WebSocket)", "ws", STREAM_PATH),),
    )


__all__ = ["CapitalState", "create_simulator"]
