"""The third-party ``tradovate`` client (PyPI 0.0.1, dearvn's; requests-based) against the
Tradovate simulator, its calls unchanged. Pointed at the simulator: its ``URLs["DEMO"]``
(the REST root every ``TOClient`` reads), the host that ``auth.access_token()`` names in
its body, and its token cache, a Redis client to the host "redis" made at import (no Redis
server here: a dict with the same ``get``/``set`` stands in; it is a cache, not the broker).

The other Tradovate packages on PyPI are unusable: ``TradovatePy`` 0.1 and 0.2 (wheel and
sdist) hold no Python module at all, only packaging metadata (the code in
github.com/antonio-hickey/TradovatePy was never published).

Where the client and the real API disagree, the client is wrong (evidence: Tradovate's
OpenAPI spec, TV-SPEC in shared/brokers/tradovate_upvest_lwork.md; and the same author's
later, unpublished code in github.com/dearvn/tradovate ``src/tradovate/auth/session.py``,
which sends ``json=`` for both), and the test asserts what the real API does:

- ``auth.access_token()`` posts its credentials form-encoded (``data=``); TV-SPEC's
  ``/auth/accesstokenrequest`` takes ``application/json`` only. The simulator answers 400
  and the client raises "Could not authenticate!". The token is then requested as
  documented (the same fields, as JSON) and put in the client's cache in the client's own
  format, which is how its ``TOSession`` picks a token up (from Redis, before logging in).
- Every POST helper (``place_order``, ``cancel_order``, ``modify_order``,
  ``liquidate_position``, ``cash_balance_snapshot``, ...) passes ``payload=`` to
  ``requests.Session.request``, which has no such argument: a ``TypeError`` before anything
  is sent. The test asserts that, then sends the payload the client built as the JSON body
  the spec documents, through the client's own authenticated session.
- Wrong paths or parameters: ``order_list`` reads ``/order/limit`` (the spec's is
  ``/order/list``), ``product_item`` ``/product/id=<id>`` (``/product/item?id=``),
  ``order_version_item`` ``/orderVersion/items?id=`` (``items`` takes ``ids``),
  ``contract_maturity_dependents`` ``?master_id=`` (``masterid``), ``product_L_dependents``
  ``/product/ldeps?masterid=`` (``masterids``): the simulator answers 404 / 400 as for any
  unknown path or missing parameter. ``account_L_dependents`` sends its list to
  ``/account/deps``, which takes one id: it works for one.

Not run: of the client's 282 paths, 66 are served here and all of them are called below;
203 are documented calls this simulator does not serve (it simulates what the app uses):
alerts, risk and auto-liquidation settings, users, subscriptions, organisations, currency
rates, margins, fill pairs, commands and command reports, OCO/OSO strategies,
``/cashBalanceLog``, ``/position/find``, ``/contract/rollcontract``. Thirteen more are not
in the spec at all (typos such as ``/postion/deps``). Its ``stream.py`` (market data)
imports numpy, pandas and pandas_ta and opens a WebSocket to the real host at import, and
``users.py`` calls ``self._self._get``: neither can run anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from tradovate import Accounting, Contract_Library, Orders, Positions
from tradovate import auth as tv_auth
from tradovate import config as tv_config
from tradovate import session as tv_session
from tradovate.exceptions import NotFound, ValidationError

REAL_DEMO = "https://demo.tradovateapi.com/v1"


class TokenCache:
    """What the client uses of its Redis client."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value


@pytest.fixture
def sim(tradovate_sim, monkeypatch) -> Iterator[Any]:
    creds = tradovate_sim.credentials
    for name, value in {"TO_ENV": "DEMO", "TO_NAME": creds["name"],
                        "TO_PASSWORD": creds["password"], "TO_APPID": creds["app_id"],
                        "TO_CID": creds["cid"], "TO_SEC": creds["sec"]}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(tv_config.URLs, "DEMO", tradovate_sim.base_url)
    monkeypatch.setattr(tv_session, "redis_client", TokenCache())
    real_post = requests.post

    def post(url: str, **kwargs: Any) -> requests.Response:
        return real_post(url.replace(REAL_DEMO, tradovate_sim.base_url), **kwargs)

    monkeypatch.setattr(tv_auth, "requests", SimpleNamespace(post=post))
    yield tradovate_sim


def _sign_in(sim: Any) -> dict[str, Any]:
    """The client's own credential fields, sent as the JSON body TV-SPEC documents; the
    token stored where and as ``TOSession._token_if_invalid`` stores it (user 1)."""
    creds = sim.credentials
    reply = requests.post(sim.base_url + "/auth/accesstokenrequest", json={
        "name": creds["name"], "password": creds["password"], "appId": creds["app_id"],
        "appVersion": "1.0", "cid": creds["cid"], "sec": creds["sec"],
    }, timeout=10).json()
    tv_session.redis_client.set("TO_TOKEN_1", json.dumps({
        "access_token": reply["accessToken"],
        "md_access_token": reply["mdAccessToken"],
        "expiration_time": reply["expirationTime"],
    }))
    return reply


def _documented_post(client: Any, call: Callable[[], Any]) -> Any:
    """Runs one of the client's POST helpers unchanged (its ``payload=`` is a TypeError),
    then sends the path and payload it built as JSON through its own session."""
    with pytest.raises(TypeError, match="payload"):
        call()
    built: dict[str, Any] = {}

    def capture(url: str, params: Any = None, payload: Any = None) -> None:
        built.update(url=url, payload=payload)

    original = client._post
    client._post = capture
    try:
        call()
    finally:
        client._post = original
    reply = client.session.request("POST", client.URL + built["url"], json=built["payload"])
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_its_form_encoded_login_is_refused_and_the_documented_json_one_works(sim) -> None:
    with pytest.raises(Exception, match="Could not authenticate!"):
        tv_auth.access_token()
    stats = sim.state.stats
    # Refused as a body, not judged as credentials: the spec's JSON only.
    assert stats["requests"]["POST /auth/accesstokenrequest"] == 1
    assert stats["logins"] == 0 and stats["failed_logins"] == 0
    creds = sim.credentials
    form = {"name": creds["name"], "password": creds["password"], "appId": creds["app_id"],
            "appVersion": "1.0", "cid": creds["cid"], "sec": creds["sec"]}
    refused = requests.post(sim.base_url + "/auth/accesstokenrequest", data=form, timeout=10)
    assert refused.status_code == 400 and refused.json() == {"errorText": "Malformed JSON"}
    reply = _sign_in(sim)
    assert reply["name"] == sim.credentials["name"] and reply["userStatus"] == "Active"
    assert sim.state.stats["logins"] == 1


def test_its_account_and_contract_library_reads(sim) -> None:
    user = _sign_in(sim)
    state = sim.state
    accounting = Accounting()
    accounts = accounting.account_list()
    assert [a["id"] for a in accounts] == list(state.accounts)
    assert {a["userId"] for a in accounts} == {user["userId"]}
    first = accounts[0]
    assert accounting.account_find(first["name"]) == first
    assert accounting.account_item(first["id"]) == first
    assert accounting.account_items([a["id"] for a in accounts]) == accounts
    assert accounting.account_dependents(user["userId"]) == accounts
    # Its "L" variant reads /account/deps with a list: one id is all that can work.
    assert accounting.account_L_dependents([user["userId"]]) == accounts
    assert accounting.account_suggest(first["name"][:6], 5) == [
        a for a in accounts if first["name"][:6].lower() in a["name"].lower()][:5]
    balances = accounting.cash_balance_list()
    assert [b["accountId"] for b in balances] == [a["id"] for a in accounts]
    balance = balances[0]
    assert balance["currencyId"] == 1 and balance["amount"] > 0
    assert accounting.cash_balance_item(balance["id"]) == balance
    assert accounting.cash_balance_items([balance["id"]]) == [balance]
    assert accounting.cash_balance_dependents(first["id"]) == [balance]
    assert accounting.cash_balance_L_dependents([first["id"]]) == [balance]

    library = Contract_Library()
    es = library.conteract_find("ESZ6")
    assert es["name"] == "ESZ6" and es["id"] == state.catalog.contract("ESZ6").contract_id
    assert library.contract_item(es["id"]) == es
    assert library.contract_items([es["id"]]) == [es]
    suggested = library.contract_suggest("ES", 3)
    assert es in suggested and len(suggested) <= 3
    maturity = library.contract_maturity_item(es["contractMaturityId"])
    assert library.contract_maturity_items([maturity["id"]]) == [maturity]
    assert es in library.conteract_dependents(maturity["id"])  # sic
    assert es in library.contract_L_dependents([maturity["id"]])
    product = library.product_find("ES")
    assert product["id"] == maturity["productId"] and product["name"] == "ES"
    assert maturity in library.contract_maturity_L_dependents([product["id"]])
    assert library.product_items([product["id"]]) == [product]
    assert product in library.product_list()
    assert product in library.product_dependents(product["exchangeId"])
    assert library.product_suggest("ES", 2)[0] == product
    usd = library.currency_find("USD")
    assert usd == {"id": product["currencyId"], "name": "USD", "symbol": "$"}
    assert library.currency_item(usd["id"]) == usd and library.currency_items([usd["id"]]) == [usd]
    assert library.currency_list() == [usd] and library.currency_suggest("US", 5) == [usd]
    cme = library.exchange_item(product["exchangeId"])
    assert cme["name"] == "CME" and library.exchange_find("CME") == cme
    assert library.exchange_items([cme["id"]]) == [cme] and cme in library.exchange_list()
    assert cme in library.exchange_suggest("CM", 5)
    session = library.product_sess_item(product["id"])
    assert session["startTime"] == {"hour": 17, "minute": 0}
    assert library.product_session_items([product["id"]]) == [session]
    assert library.product_sess_dependents(product["id"]) == [session]
    assert library.product_session_L_dependents([product["id"]]) == [session]

    # Its wrong paths and parameter names, answered as any such request.
    with pytest.raises(NotFound):
        library.product_item(product["id"])  # GET /product/id=2259
    with pytest.raises(ValidationError):
        library.contract_maturity_dependents(product["id"])  # ?master_id=
    with pytest.raises(ValidationError):
        library.product_L_dependents([product["exchangeId"]])  # ldeps?masterid= (masterids)
    with pytest.raises(NotFound):
        library.conteract_find("NOPE")


def test_its_orders_positions_fills_and_balances(sim) -> None:
    _sign_in(sim)
    state = sim.state
    account = next(iter(state.accounts.values()))
    orders, positions, accounting = Orders(), Positions(), Accounting()

    before = _documented_post(accounting, lambda: accounting.cash_balance_snapshot(
        account.account_id))
    assert before["totalCashValue"] > 0 and before["openPnL"] == 0

    placed = _documented_post(orders, lambda: orders.place_order(
        "Buy", "MESZ6", 2, "Market", account_spec=account.name, account_id=account.account_id,
        is_automated=True))
    order_id = placed["orderId"]
    order = orders.order_item(order_id)
    assert order["ordStatus"] == "Filled" and order["action"] == "Buy"
    assert order["accountId"] == account.account_id
    assert orders.order_items([order_id]) == [order]
    assert order in orders.order_dependents(account.account_id)
    assert order in orders.order_L_dependents([account.account_id])
    [version] = orders.order_version_dependents(order_id)
    assert version["orderQty"] == 2 and version["orderType"] == "Market"
    assert orders.order_version_items([version["id"]]) == [version]
    assert version in orders.order_version_list()
    with pytest.raises(ValidationError):
        orders.order_version_item(version["id"])  # /orderVersion/items?id= (ids)
    [fill] = orders.fill_dependents(order_id)
    assert fill["qty"] == 2 and fill["action"] == "Buy"
    assert orders.fill_item(fill["id"]) == fill
    assert orders.fill_items([fill["id"]]) == [fill]
    assert orders.fill_L_dependents([order_id]) == [fill]
    assert fill in orders.fill_list()
    reports = orders.execution_report_dependents(order_id)
    assert reports[-1]["ordStatus"] == "Filled" and reports[-1]["cumQty"] == 2
    assert orders.execution_report_item(reports[0]["id"]) == reports[0]
    assert orders.execution_report_items([r["id"] for r in reports]) == reports
    assert orders.execution_report_L_dependents([order_id]) == reports
    assert all(r in orders.execution_report_list() for r in reports)

    [position] = positions.position_list()
    assert position["netPos"] == 2 and position["netPrice"] == fill["price"]
    assert position["contractId"] == fill["contractId"]
    assert positions.position_item(position["id"]) == position
    assert positions.position_items([position["id"]]) == [position]
    held = _documented_post(accounting, lambda: accounting.cash_balance_snapshot(
        account.account_id))
    assert held["initialMargin"] > 0
    [balance] = accounting.cash_balance_dependents(account.account_id)
    assert balance["amount"] == held["totalCashValue"]

    # A resting limit order: modified (a new version), then cancelled.
    below = fill["price"] - 200
    resting = _documented_post(orders, lambda: orders.place_order(
        "Buy", "MESZ6", 1, "Limit", account_id=account.account_id, price=float(below),
        time_in_force="GTC", is_automated=True))["orderId"]
    assert orders.order_item(resting)["ordStatus"] == "Working"
    modified = _documented_post(orders, lambda: orders.modify_order(
        resting, 1, "Limit", price=float(below - 10), time_in_force="GTC", is_automated=True))
    assert "commandId" in modified
    assert orders.order_version_dependents(resting)[-1]["price"] == below - 10
    cancelled = _documented_post(orders, lambda: orders.cancel_order(resting, is_automated=True))
    assert "commandId" in cancelled
    assert orders.order_item(resting)["ordStatus"] == "Canceled"

    closed = _documented_post(orders, lambda: orders.liquidate_position(
        account.account_id, position["contractId"], False))
    assert orders.order_item(closed["orderId"])["action"] == "Sell"
    assert positions.position_item(position["id"])["netPos"] == 0

    # Its order_list reads /order/limit, which the spec does not have.
    with pytest.raises(NotFound):
        orders.order_list()
