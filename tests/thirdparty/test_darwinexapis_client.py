"""Darwinex Labs' own client, ``darwinexapis`` 0.4.5 (PyPI), against the Darwinex simulator,
its calls unchanged (tests/thirdparty/darwinexapis_calls.py makes them and prints what it
got back). It needs pandas, matplotlib, plotly, dash and PyTables (520 MB), so it runs in
a venv of its own that ``bash tests/thirdparty/run_darwinexapis.sh`` builds and then runs
this module with; without that venv (``DARWINEXAPIS_PYTHON`` or the script's default
path) the module is skipped, saying so.

The venv pins ``websockets<14``: the client's WebSocket API calls
``websockets.connect(url, extra_headers=...)`` and reads ``ws.open``, the legacy client
that websockets 14 replaced (with 14 and later its ``subscribe`` raises TypeError before
connecting). Everything else runs with today's versions.

What the client assumes and the simulator does (all from [DX] in
shared/brokers/capital_darwinex.md, where the simulator's dialect came from): the Info
API at 2.0 and Trading at 1.1 as its example script constructs them (its defaults, 1.5 and
1.0, are older versions the simulator does not serve: 404 like any unknown path; whether
Darwinex still serves them is UNCONFIRMED); JSON order bodies sent as text; 200 with an
empty body for amend, cancel and stop-out (the client then returns the reply's text,
""); ``{"0": 0}`` sent with DELETE and stop-out and ignored; quote lines that Python can
``eval``; the refresh-token grant with HTTP Basic client credentials and a rotating
refresh token.

Not run: ``_process_stream_`` (a plotting loop over the quote stream that calls
``DataFrame.append``, gone since pandas 2; the stream it reads is run through
``_stream_quotes_``), the tick-data and data-analytics APIs (Darwinex's FTP servers, not
the REST API), and the WebSocket API's ``run`` wrapper (it loops forever; its
``subscribe`` is what is run).
"""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from desktop_app.simulators.darwinex.state import ThrottleLimits

HERE = Path(__file__).parent
DEFAULT_VENV = Path(os.environ.get("TMPDIR", "/tmp")) / "trading-dashboard-darwinexapis"
PYTHON = Path(os.environ.get("DARWINEXAPIS_PYTHON", DEFAULT_VENV / "bin" / "python"))
PRODUCT, OTHER = "NTI.4.12", "LVS.4.20"

pytestmark = pytest.mark.skipif(
    not PYTHON.exists(),
    reason=f"darwinexapis' own venv is not built ({PYTHON}): "
           "run bash tests/thirdparty/run_darwinexapis.sh")


def _run_client(sim: Any) -> dict[str, Any]:
    account = sim.state.account_ids()[0]
    done = subprocess.run(
        [str(PYTHON), str(HERE / "darwinexapis_calls.py"), sim.base_url,
         sim.stream_urls["quote WebSocket"], json.dumps(sim.credentials), str(account)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout, parse_float=Decimal)


def test_its_calls_work_against_the_simulator(darwinex_sim) -> None:
    state = darwinex_sim.state
    # It makes about 40 requests in a few seconds; the throttle is not what is tested here.
    state.limits = ThrottleLimits(10_000, 10_000, 10_000, 10_000)
    out = _run_client(darwinex_sim)
    account_id = state.account_ids()[0]

    assert [a["id"] for a in out["accounts"]] == [account_id]
    assert out["account"]["id"] == account_id and out["account"]["name"] == "DEMO"
    assert out["market_status"]["allowBuy"] is True and out["market_status"]["allowSell"]
    assert out["leverage"] == {"leverage": out["account"]["leverage"]}
    streamed = out["stream_quotes"]
    assert set(streamed) == {PRODUCT, OTHER}
    quote = streamed[PRODUCT]["quote"]

    order_id = out["buy"]["orderId"]
    assert out["order"] == out["executed"]["content"][0]
    assert out["order"]["orderId"] == order_id and out["order"]["side"] == "BUY"
    assert out["order"]["amount"] == 500 and out["order"]["productName"] == PRODUCT
    [position] = out["positions"]
    assert position["invested"] == 500 and position["tradeId"] == out["order"]["tradeId"]
    thresholds = {t["type"]: t["quote"] for t in position["thresholds"]}
    assert thresholds == {"STOP_LOSS": round(quote / 2, 2), "TAKE_PROFIT": round(quote * 2, 2)}
    assert out["trade"] == out["open_trades"]["content"][0]
    assert out["trade"]["tradeId"] == position["tradeId"] and out["trade"]["status"] == "OPEN"
    assert isinstance(out["sell"]["orderId"], int)
    assert out["positions_after_sell"][0]["invested"] == 300

    conditional_id = out["conditional"]["orderId"]
    pending = {o["orderId"]: o for o in out["pending"]["content"]}
    assert pending[conditional_id]["type"] == "LESS_THAN_EQUAL"
    assert pending[conditional_id]["quote"] == round(quote * Decimal("0.8"), 2)
    assert out["update"] == "" and out["cancel"] == ""  # 200, empty bodies
    assert out["conditional_updated"]["amount"] == 400
    assert out["conditional_updated"]["quote"] == round(quote * Decimal("0.7"), 2)
    [cancelled] = out["cancelled"]["content"]
    assert cancelled["orderId"] == conditional_id and cancelled["status"] == "CANCELLED"

    assert out["close_darwin"] == "" and out["positions_after_close"] == []
    assert out["close_all"] == "" and out["positions_after_close_all"] == []
    closed = out["closed_trades"]["content"]
    assert [t["tradeId"] for t in closed] == [position["tradeId"]]
    assert closed[0]["status"] == "CLOSED"

    assert out["refreshed"]["access_token_changed"] and out["refreshed"]["refresh_token_changed"]
    assert state.tokens.find(out["refreshed"]["access_token"]) is not None
    # The same accounts through the refreshed token; their figures may have moved since
    # (the DARWINs bought and closed above realise the quotes' moves meanwhile).
    listed = [(a["id"], a["name"], a["currency"]) for a in out["accounts"]]
    assert [(a["id"], a["name"], a["currency"])
            for a in out["accounts_after_refresh"]] == listed

    universe = out["universe"]
    assert universe["columns"][:3] == ["productName", "shortName", "status"]
    assert [r[0] for r in universe["rows"]] == state.catalogue.active_names()
    filtered = out["filtered"]
    returns = [r[filtered["columns"].index("return")] for r in filtered["rows"]]
    drawdowns = [r[filtered["columns"].index("drawdown")] for r in filtered["rows"]]
    assert returns and returns == sorted(returns, reverse=True)
    assert all(-100 <= d <= 0 for d in drawdowns)
    assert out["history_quotes"]["columns"] == [PRODUCT, OTHER]
    assert len(out["history_quotes"]["rows"]) > 100
    badges = out["history_badges"]
    assert badges["columns"] == ["Dp", "Ex", "Mc", "Rs", "Ra", "Os", "Cs", "Rp", "Rm", "Dc",
                                 "La", "Pf", "Cp", "Ds", "fcal_ts", "lcal_ts"]
    assert badges["rows"]
    candles = out["candles_1d"]
    assert candles["columns"] == ["open", "high", "low", "close"] and candles["rows"]
    assert all(low <= min(o, c) and max(o, c) <= high for o, high, low, c in candles["rows"])
    # Three hours of one-minute candles, although its from= carries 29 spaces (a line
    # continuation inside its f-string), trimmed as Spring's number binding trims them.
    assert 170 <= len(out["candles_range"]["rows"]) <= 181
    assert any(m.get("productName") in (PRODUCT, OTHER) for m in out["websocket"])

    for route in ("POST /token", "GET /investoraccountinfo/2.0/investoraccounts",
                  "GET /trading/1.1/productmarket/status",
                  "POST /trading/1.1/investoraccounts/{accountId}/orders/buy",
                  "POST /trading/1.1/investoraccounts/{accountId}/orders/sell",
                  "POST /trading/1.1/investoraccounts/{accountId}/conditionalorders",
                  "PUT /trading/1.1/investoraccounts/{accountId}/conditionalorders/{orderId}",
                  "DELETE /trading/1.1/investoraccounts/{accountId}/conditionalorders/{orderId}",
                  "POST /trading/1.1/investoraccounts/{accountId}/stopout",
                  "POST /trading/1.1/investoraccounts/{accountId}/stopout/{productName}",
                  "GET /darwininfo/2.0/products", "POST /darwininfo/2.0/products",
                  "GET /darwininfo/2.0/products/{productName}/history/{kind}",
                  "GET /darwininfo/2.0/products/{productName}/candles",
                  "GET /darwininfo/2.0/products/{productName}/candles/{timeframe}",
                  "POST /quotes/1.0/quotes"):
        assert state.stats[route] >= 1, route
    assert state.stats["throttled"] == 0
