"""The third-party ``capitalcom`` client (PyPI, Akinzou's; requests-based) against the
Capital.com simulator, its calls unchanged: only its host is pointed at the simulator
(its constructor logs in at once to a hard-coded host, so the same attributes are set and
its own ``login_session`` is called). What it assumes and what the simulator does:

- login without ``encryptedPassword``; tokens from the reply headers;
- ``POST /positions`` with IG-style extras (``expiry``, ``orderType``, ``forceOpen``),
  confirmed through ``/confirms/{dealReference}`` with retries on 404;
- closing with ``DELETE /positions`` and a JSON body (IG's form) rather than
  ``DELETE /positions/{dealId}``;
- ``POST /accounts/topUp`` with ``{"amount"}``.
"""

from __future__ import annotations

import requests
from capitalcom.client import CapitalClient


def _client(sim) -> CapitalClient:
    client = object.__new__(CapitalClient)
    client.api_key = sim.credentials["api_key"]
    client.login = sim.credentials["identifier"]
    client.password = sim.credentials["password"]
    client.base_url = sim.base_url.removesuffix("/api/v1")
    client.session = requests.Session()
    client.cst = client.security_token = None
    client.token_expiry = 0
    client.login_session()
    return client


def test_its_calls_work_against_the_simulator(capital_sim) -> None:
    client = _client(capital_sim)
    accounts = client.list_accounts()
    assert [a["accountId"] for a in accounts] == capital_sim.state.account_ids()
    before = client.get_balance(raw=True)
    assert before["currency"] == "USD" and before["balance"]["balance"] > 0
    client.top_up_demo(100)
    assert client.get_balance() == before["balance"]["balance"] + 100

    deal_id = client.open_raw_position("BTCUSD", 0.01, "BUY", stop_dist=500,
                                       profit_dist=500)
    [listed] = client.get_open_positions()
    assert listed["position"]["dealId"] == deal_id
    assert listed["position"]["stopLevel"] < listed["market"]["bid"]
    assert client.close_position_by_id(deal_id) == "SUCCESS"
    assert client.get_open_positions() == []

    # Lots and pips as it converts them: 0.01 lot of EURUSD is 1,000 units.
    fx = client.open_forex_position("EURUSD", 0.01, "SELL", stop_dist=500, profit_dist=500)
    [position] = client.get_open_positions()
    assert position["position"]["dealId"] == fx and position["position"]["size"] == 1000
    client.close_position_by_id(fx, size=400)
    [rest] = client.get_open_positions()
    assert rest["position"]["size"] == 600
    client.session.close()
