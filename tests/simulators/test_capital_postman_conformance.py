"""Capital.com simulator replies against the official Postman collection's examples.

Every example reply in tests/fixtures/capital/postman_examples.json (capital-com-sv/
capital-api-postman, see tests/fixtures/README.md) is replayed against the simulator: the
same method, path and body, with the collection's placeholders (``:dealId``, ``:epic``...)
filled from the simulator's own state. The simulator must answer the example's status;
an error must carry the example's ``errorCode`` (values after ``:`` differ with prices);
a success must have every key of the example with the same JSON type, and enum fields
must hold documented values.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.simulators.capital_http import CapitalHttp
from tests.simulators.public_examples import load, shape_errors, values_of

EXAMPLES = load("capital/postman_examples.json")["examples"]
# The example's SILVER traded near 24.2; bodies of successful examples are scaled to ours.
EXAMPLE_SILVER = Decimal("24.2")
ENUMS = {
    "direction": {"BUY", "SELL"},
    "dealStatus": {"ACCEPTED", "REJECTED"},
    "marketStatus": {"CLOSED", "EDITS_ONLY", "OFFLINE", "ON_AUCTION", "SUSPENDED",
                     "TRADEABLE"},
    "unit": {"PERCENTAGE", "POINTS"},
    "timeInForce": {"GOOD_TILL_CANCELLED", "GOOD_TILL_DATE"},
    "orderType": {"LIMIT", "STOP"},
    "instrumentType": {"CURRENCIES", "COMMODITIES", "INDICES", "SHARES", "CRYPTOCURRENCIES"},
    "accountType": {"CFD", "SPREADBET"},
}
ACTIVITY_ENUMS = {
    "source": {"CLOSE_OUT", "DEALER", "SL", "SYSTEM", "TP", "USER"},
    "status": {"ACCEPTED", "CREATED", "EXECUTED", "EXPIRED", "REJECTED", "MODIFIED",
               "MODIFY_REJECT", "CANCELLED", "CANCEL_REJECT", "UNKNOWN"},
    "type": {"POSITION", "WORKING_ORDER", "EDIT_STOP_AND_LIMIT", "SWAP", "SYSTEM"},
}
# Examples the collection's own changelog has since overruled, with what holds now.
SUPERSEDED = {
    ("GET", "/markets", "Error: Empty epics parameter"):
        "since 2023-08-04 GET /markets without parameters lists every market ([PM] changelog)",
}
# Keys an example shows because of what its account held, which our state need not have.
OPTIONAL = frozenset({
    "stopLevel", "profitLevel", "stopDistance", "profitDistance", "goodTillDate",
    "goodTillDateUTC", "instrumentName", "profit", "profitCurrency", "details",
    "$.nodes", "$.markets",
})


class Replayer:
    def __init__(self, sim, client: CapitalHttp) -> None:
        self.sim = sim
        self.client = client
        self.silver = Decimal(str(client.get("/markets/SILVER").json()["snapshot"]["bid"]))
        (position,) = client.deal("/positions", {"epic": "SILVER", "direction": "BUY",
                                                 "size": 1})["affectedDeals"]
        self.position = position["dealId"]
        order = client.post("/workingorders", json={
            "epic": "SILVER", "direction": "BUY", "size": 1,
            "level": str(self.silver - 2), "type": "LIMIT"}).json()
        self.reference = order["dealReference"]
        self.order = client.get(f"/confirms/{self.reference}").json()["dealId"]
        self.node = client.get("/marketnavigation").json()["nodes"][0]["id"]

    def _fill(self, path: str, missing: str) -> str:
        """Placeholders filled with what exists, except what the example's error says is
        missing (``missing`` is its errorCode, empty for a success)."""
        trading = "/workingorders" in path
        in_list = "/watchlists" in path
        fills = {
            ":dealId": "0000-missing" if "dealId" in missing else (
                self.order if trading else self.position),
            ":dealReference": "o_missing" if "dealReference" in missing else self.reference,
            ":nodeId": self.node,
            ":watchlistId": "9999999" if "watchlist" in missing else "1000002",
            ":marketId": "NOTFOUND" if "epic" in missing else "SILVER",
            # A watchlist's missing epic is a real one that is not in it.
            ":epic": ("GOLD" if in_list else "NOPE") if "epic" in missing else "SILVER",
        }
        for key, value in fills.items():
            path = path.replace(key, value)
        return path

    def _body(self, body: Any, ok: bool) -> Any:
        if not isinstance(body, dict) or not ok:
            return body
        scaled = dict(body)
        for key in ("level", "stopLevel", "profitLevel"):
            if key in scaled:
                scaled[key] = str((Decimal(str(scaled[key])) * self.silver
                                   / EXAMPLE_SILVER).quantize(Decimal("0.001")))
        if "goodTillDate" in scaled:
            later = datetime.now(UTC) + timedelta(days=30)
            scaled["goodTillDate"] = later.strftime("%Y-%m-%dT%H:%M:%S")
        return scaled

    def replay(self, example: dict[str, Any]) -> httpx.Response:
        ok = example["status"] == 200
        missing = "" if ok else example["body"]["errorCode"]
        path = self._fill(example["path"], missing)
        body = self._body(example["requestBody"], ok)
        if example["path"] == "/session" and ok:  # PUT: switch to the other account
            body = {"accountId": self.sim.state.account_ids()[1]}
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        if path.startswith("/session/encryptionKey"):
            kwargs["headers"] = {"X-CAP-API-KEY": self.sim.credentials["api_key"]}
        response = self.client.request(example["method"], path, **kwargs)
        if example["path"] == "/session" and ok:  # back to the account the deals are on
            self.client.put("/session", json={"accountId": self.sim.state.account_ids()[0]})
        return response


def _session_replies(capital_sim, client: CapitalHttp) -> dict[str, httpx.Response]:
    key = {"X-CAP-API-KEY": capital_sim.credentials["api_key"]}
    url = f"{capital_sim.base_url}/session"
    creds = {"identifier": capital_sim.credentials["identifier"],
             "password": capital_sim.credentials["password"]}
    replies = {"Error: API key missing": httpx.post(url, json=creds)}
    time.sleep(1.05)
    replies["Error: Invalid credentials"] = httpx.post(
        url, json={"identifier": "test@email.com", "password": "invalid"}, headers=key)
    time.sleep(1.05)
    replies["Success: Session created (basic password)"] = httpx.post(url, json=creds,
                                                                      headers=key)
    replies["Error: Request limit exceeded"] = httpx.post(url, json=creds, headers=key)
    time.sleep(1.05)
    replies["Success: Session created (encrypted password)"] = client.login(encrypted=True)
    return replies


def test_every_postman_example_is_answered_alike(capital_sim, relaxed: CapitalHttp,
                                                still) -> None:
    client = relaxed
    sessions = _session_replies(capital_sim, client)
    replayer = Replayer(capital_sim, client)
    problems: list[str] = []
    checked = 0
    for example in EXAMPLES:
        name = f"{example['method']} {example['path']} ({example['name']})"
        if example["method"] == "POST" and example["path"] == "/session":
            response = sessions[example["name"]]
        elif example["path"] == "/session" and example["method"] == "DELETE":
            continue  # replayed last: it ends the session the others use
        elif (example["method"], example["path"], example["name"]) in SUPERSEDED:
            everything = client.get("/markets")
            assert everything.status_code == 200 and everything.json()["markets"]
            continue
        else:
            response = replayer.replay(example)
        checked += 1
        if response.status_code != example["status"]:
            problems.append(f"{name}: {response.status_code} {response.text[:200]}")
            continue
        body = response.json()
        if example["status"] != 200:
            want = example["body"]["errorCode"].split(":")[0]
            if body.get("errorCode", "").split(":")[0] != want:
                problems.append(f"{name}: {body}")
            continue
        problems += [f"{name}: {e}" for e in shape_errors(example["body"], body,
                                                           optional=OPTIONAL)]
        for key, allowed in ENUMS.items():
            problems += [f"{name}: {key}={v}" for v in values_of(body, key) if v not in allowed]
        for row in body.get("activities", []) if isinstance(body, dict) else []:
            problems += [f"{name}: {k}={row[k]}" for k, allowed in ACTIVITY_ENUMS.items()
                         if row[k] not in allowed]
    logout = client.delete("/session")
    assert logout.json() == {"status": "SUCCESS"}
    assert problems == [], "\n".join(problems)
    assert checked == len(EXAMPLES) - 1 - len(SUPERSEDED)


def test_the_comparison_can_fail() -> None:
    example = {"position": {"dealId": "x", "size": 1, "upl": -0.5}, "market": {"bid": 1.0}}
    assert shape_errors(example, {"position": {"dealId": "y", "size": 2, "upl": 0},
                                  "market": {"bid": 2}}) == []
    assert shape_errors(example, {"position": {"dealId": "y", "size": "2", "upl": 0},
                                  "market": {"bid": 2}}) == ["$.position.size: string where "
                                                             "the example has number"]
    assert shape_errors(example, {"position": {"dealId": "y", "size": 2}, "market": {}}) == [
        "$.position.upl missing", "$.market.bid missing"]
