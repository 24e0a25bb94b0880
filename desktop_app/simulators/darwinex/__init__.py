"""Darwinex simulator: the DARWIN APIs of api.darwinex.com on one host.

Under the root (``api_root`` is ""): ``POST /token``, ``/darwininfo/2.0``,
``/investoraccountinfo/2.0`` and ``/trading/1.1``, as in the research notes
(shared/brokers/capital_darwinex.md section 2). Demo and live share the host; the
Bearer token decides the environment and so which investor accounts a request sees.

Choices where the sources are silent (all UNCONFIRMED):

- ``POST /token``: bad Basic credentials 401 ``invalid_client``; a used, unknown or
  foreign refresh token 400 ``invalid_grant``; only ``grant_type=refresh_token``
  (else 400 ``unsupported_grant_type``). A refresh also revokes the previous access token
  (``state.revoke_old_access_token``).
- Missing, unknown or expired Bearer token: 401 WSO2 fault 900901 ``Invalid Credentials``.
- Throttling: 429 WSO2 fault 900800 with ``nextAccessTime`` (ISO 8601 UTC, ``...Z``); no
  Retry-After header unless ``state.send_retry_after``. "Per user" budgets are kept per
  environment (each has its own tokens). Every window is divided by ``state.time_scale``.
- Buy, sell and a new conditional order answer ``{"orderId": <int>}``; amend, cancel and
  both stop-outs answer 200 with an empty body.
- Business errors ``{"status": "<message>"}``: 400 malformed or invalid input (missing
  field, a buy below ``state.min_amount`` = 200 (sells are exempt unless
  ``state.min_amount_on_sells``), leverage outside 1..10, thresholds on
  the wrong side of the quote); 403 only for an investor account outside the token's
  set (the seed's message); 404 unknown product, order, trade, or stop-out of a DARWIN not
  held; 409 the state forbids it (market closed, the DARWIN's buy/sell flags, a DELETED
  DARWIN, amount above ``availableToInvest``, selling more than the position is worth or
  a DARWIN not held, amending or cancelling an order that is no longer pending).
- Investments are amounts in the account currency; see ``book`` for the account figures.
  ``currentpositions`` items carry ``invested`` (cost), ``amount`` (current value),
  ``openQuote`` = ``averageQuote`` (invested-weighted), ``currentQuote``, ``pnl`` and
  ``thresholds``. A position's stop loss / take profit are conditional SELL orders with
  ``thresholdType`` STOP_LOSS / TAKE_PROFIT, covering the whole position; amending one
  moves its quote.
- D-Leverage: ``averageDLeverage`` of ``/products/{p}/status`` (recorded: 1.46 for
  DWC.4.20). The ``/history/<attribute>`` rows follow the recordings (see ``histories``):
  element 1 is one value per date shared by every attribute, element 2 the attribute's
  detail; neither is the D-Leverage. ``/status`` has the recorded fields only.
- Streams (``quote_stream``): ``POST /quotes/1.0/quotes`` (chunked JSON lines) and the
  quote WebSocket ``/quotewebsocket/1.0.0``; knobs ``state.streams`` (drop, refuse) and
  ``state.quote_stream`` (heartbeat, quote interval, stream length).
- ``POST /products`` items: productName, shortName, currency, status, return, drawdown
  (percent, over the body's ``period``), dscore, investors.
- Quotes are seeded random walks from 100.00 at the DARWIN's validation date; daily
  closes on weekdays at 21:00 UTC. The market is open unless ``set_market_open(False)``;
  crossed conditional orders execute on the next request while it is open.
"""

from __future__ import annotations

from desktop_app.simulators.darwinex import quote_stream
from desktop_app.simulators.darwinex.app import create_app
from desktop_app.simulators.darwinex.state import DarwinexState
from desktop_app.simulators.registry import SimulatorBundle
from desktop_app.simulators.streams import StreamEndpoint


def create_simulator(
    seed: int, *, session_idle_timeout: float = 600.0, origin: float | None = None
) -> SimulatorBundle:
    """``session_idle_timeout`` is taken for the registry's common signature: Darwinex
    tokens expire after ``state.token_lifetime`` instead of idling out."""
    state = DarwinexState(seed, origin=origin)
    return SimulatorBundle(
        name="darwinex",
        display_name="Darwinex",
        app=create_app(state),
        state=state,
        credentials=state.credentials,
        api_root="",
        stream_knobs=state.streams,
        streams=(
            StreamEndpoint("quote stream (chunked HTTP POST)", "http", quote_stream.HTTP_PATH),
            StreamEndpoint("quote WebSocket", "ws", quote_stream.WS_PATH),
        ),
    )


__all__ = ["DarwinexState", "create_simulator"]
