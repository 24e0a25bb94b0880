"""WSO2 throttling: reads wait for nextAccessTime and go again, writes are refused."""

import time
from datetime import timedelta

import httpx

from desktop_app.brokers.darwinex.errors import (
    AccountNotOwned,
    TokenExpired,
    map_error,
    throttle_pause,
    throttle_policy,
)
from desktop_app.domain.errors import AuthError, NotFound, RateLimited, Rejected
from desktop_app.domain.money import utc_now
from tests.brokers.darwinex.conftest import demo_ref

HOST = "https://api.darwinex.com"


def _reply(status: int, body: object, method: str = "GET", path: str = "/x",
           headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers,
                          request=httpx.Request(method, HOST + path))


def _throttled(**extra: object) -> dict[str, object]:
    return {"fault": {"code": 900800, "message": "Message throttled out",
                      "description": "You have exceeded your quota", **extra}}


def test_a_throttled_read_waits_and_succeeds(darwinex_sim, service, run) -> None:
    state = darwinex_sim.state
    state.time_scale = 60.0  # the simulator's minute lasts one second here
    state.limits.scores_per_minute = 1  # far below what the service allows itself
    ref = demo_ref(darwinex_sim)
    other = next(n for n in state.catalogue.active_names() if n != "NTI.4.12")
    run(service.instrument_details(ref, "NTI.4.12"))  # the minute's one score request
    started = time.monotonic()
    details = run(service.instrument_details(ref, other))  # its dxscore is throttled
    elapsed = time.monotonic() - started
    assert {f.label: f.value for f in details.facts}["D-Score"] != "…"
    assert state.stats["throttled"] == 1  # once: then the service waited as told
    assert 0.5 < elapsed < 5.0  # nextAccessTime (about 1 s), not the 20 s default
    assert service.limiter.pauses == 1


def test_throttle_pause_reads_the_fault() -> None:
    at = (utc_now() + timedelta(seconds=7)).isoformat().replace("+00:00", "Z")
    assert 5.5 < throttle_pause(_reply(429, _throttled(nextAccessTime=at))) <= 7.0
    assert throttle_pause(_reply(429, _throttled(), headers={"Retry-After": "3"})) == 3.0
    assert throttle_pause(_reply(429, _throttled())) == 20.0  # a back-off when not told
    assert throttle_pause(_reply(429, _throttled()), time_scale=20) == 1.0
    far = (utc_now() + timedelta(hours=5)).isoformat()
    assert throttle_pause(_reply(429, _throttled(nextAccessTime=far))) == 90.0  # skew cap


def test_throttle_policy_retries_reads_and_refuses_writes() -> None:
    policy = throttle_policy()
    assert policy(_reply(200, {})) is None
    read = policy(_reply(429, _throttled(), "GET", "/darwininfo/2.0/products/X/dxscore"))
    assert read is not None and read.retry
    search = policy(_reply(429, _throttled(), "POST", "/darwininfo/2.0/products"))
    assert search is not None and search.retry
    order = policy(_reply(429, _throttled(), "POST",
                          "/trading/1.1/investoraccounts/1/orders/buy"))
    assert order is not None and not order.retry and "not executed" in order.message
    # The fault alone marks a throttle, whatever the status code.
    assert policy(_reply(503, _throttled())) is not None


def test_error_mapping() -> None:
    invalid = {"fault": {"code": 900901, "message": "Invalid Credentials",
                         "description": "Invalid Credentials. Make sure ..."}}
    assert isinstance(map_error(_reply(401, invalid)), TokenExpired)
    moved = map_error(_reply(403, {"status": "Investor account provided does not belong to "
                                             "the user."}))
    assert isinstance(moved, AccountNotOwned)
    missing = map_error(_reply(404, {"status": "Product X.1.1 not found."}))
    assert isinstance(missing, NotFound) and missing.message == "Product X.1.1 not found."
    closed = map_error(_reply(409, {"status": "The DARWIN market is closed."}))
    assert isinstance(closed, Rejected) and closed.user_text() == (
        "Darwinex: The DARWIN market is closed.")
    assert isinstance(map_error(_reply(429, _throttled())), RateLimited)
    grant = map_error(_reply(400, {"error": "invalid_grant", "error_description": "x"},
                             "POST", "/token"))
    assert isinstance(grant, AuthError) and "generate a new token" in grant.user_text().lower()
    client = map_error(_reply(401, {"error": "invalid_client"}, "POST", "/token"))
    assert isinstance(client, AuthError) and "consumer key" in client.message
    assert map_error(_reply(200, [])) is None
