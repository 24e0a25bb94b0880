"""Darwinex simulator: OAuth2 refresh with rotation, Bearer faults, demo vs live tokens."""

from __future__ import annotations

import time

from tests.simulators.darwinex.dx_http import ACCOUNTS, TRADING, DarwinexHttp

INVALID_CREDENTIALS = {"fault": {
    "code": 900901,
    "message": "Invalid Credentials",
    "description": "Invalid Credentials. Make sure you have given the correct access token",
}}


def test_refresh_issues_a_new_pair_and_the_old_refresh_token_dies(dx: DarwinexHttp) -> None:
    old_access, old_refresh = dx.access_token, dx.refresh_token
    response = dx.refresh()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "id_token", "refresh_token", "scope",
                         "token_type"}
    assert (body["expires_in"], body["scope"], body["token_type"]) == (3600, "openid", "Bearer")
    assert body["access_token"] != old_access and body["refresh_token"] != old_refresh
    assert body["id_token"].count(".") == 2
    assert response.headers["content-type"] == "application/json"
    assert dx.get(f"{ACCOUNTS}/investoraccounts").status_code == 200

    reused = dx.refresh(old_refresh)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert reused.json()["error_description"]
    # The rotated pair keeps working, and the access token it replaced is revoked.
    assert dx.refresh().status_code == 200
    stale = dx.http.get(f"{ACCOUNTS}/investoraccounts",
                        headers={"Authorization": f"Bearer {old_access}"})
    assert (stale.status_code, stale.json()) == (401, INVALID_CREDENTIALS)


def test_old_access_token_may_be_kept_until_it_expires(darwinex_sim, dx: DarwinexHttp) -> None:
    darwinex_sim.state.revoke_old_access_token = False
    old_access = dx.access_token
    assert dx.refresh().status_code == 200
    kept = dx.http.get(f"{ACCOUNTS}/investoraccounts",
                       headers={"Authorization": f"Bearer {old_access}"})
    assert kept.status_code == 200


def test_client_authentication_and_grant_errors(darwinex_sim, dx: DarwinexHttp) -> None:
    wrong_secret = dx.refresh(**dx.basic(secret="not-the-secret"))
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    no_basic = dx.http.post("/token", data={"grant_type": "refresh_token",
                                            "refresh_token": dx.refresh_token})
    assert no_basic.status_code == 401 and no_basic.json()["error"] == "invalid_client"
    password = dx.http.post("/token", headers=dx.basic(),
                            data={"grant_type": "password", "username": "u", "password": "p"})
    assert (password.status_code, password.json()["error"]) == (400, "unsupported_grant_type")
    missing = dx.http.post("/token", headers=dx.basic(), data={"grant_type": "refresh_token"})
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    # A DEMO refresh token is no good with the LIVE application's keys.
    live = darwinex_sim.state.live_credentials
    foreign = dx.refresh(**dx.basic(live["consumer_key"], live["consumer_secret"]))
    assert (foreign.status_code, foreign.json()["error"]) == (400, "invalid_grant")
    assert dx.refresh().status_code == 200  # none of the failures used the token up
    darwinex_sim.state.revoke_refresh_tokens()
    assert dx.refresh().json()["error"] == "invalid_grant"


def test_missing_unknown_and_expired_tokens_get_the_wso2_fault(
    darwinex_sim, dx: DarwinexHttp
) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = dx.http.get(f"{TRADING}/productmarket/status", headers=headers)
        assert (response.status_code, response.json()) == (401, INVALID_CREDENTIALS)
    assert dx.get(f"{TRADING}/productmarket/status").status_code == 200
    darwinex_sim.state.expire_all_tokens()
    expired = dx.get(f"{TRADING}/productmarket/status")
    assert (expired.status_code, expired.json()) == (401, INVALID_CREDENTIALS)
    assert dx.refresh().status_code == 200
    assert dx.get(f"{TRADING}/productmarket/status").status_code == 200
    stats = darwinex_sim.state.stats
    assert stats["GET /trading/1.1/productmarket/status"] == 6
    assert stats["POST /token"] == 1


def test_token_lifetime_knob(darwinex_sim, dx: DarwinexHttp) -> None:
    darwinex_sim.state.token_lifetime = 0.3
    assert dx.refresh().json()["expires_in"] == 0
    assert dx.get(f"{ACCOUNTS}/investoraccounts").status_code == 200
    time.sleep(0.45)
    assert dx.get(f"{ACCOUNTS}/investoraccounts").status_code == 401


def test_each_environment_sees_only_its_own_accounts(
    dx: DarwinexHttp, live: DarwinexHttp
) -> None:
    demo_accounts = dx.get(f"{ACCOUNTS}/investoraccounts").json()
    live_accounts = live.get(f"{ACCOUNTS}/investoraccounts").json()
    assert [a["name"] for a in demo_accounts] == ["DEMO"]
    assert [a["name"] for a in live_accounts] == ["LIVE"]
    demo_id, live_id = demo_accounts[0]["id"], live_accounts[0]["id"]
    assert demo_accounts[0]["currency"] == "EUR" and live_accounts[0]["currency"] == "USD"
    assert demo_accounts[0]["equity"] == 50000
    for client, foreign in ((dx, live_id), (live, demo_id)):
        for path in (f"{ACCOUNTS}/investoraccounts/{foreign}",
                     f"{TRADING}/investoraccounts/{foreign}/leverage"):
            response = client.get(path)
            assert response.status_code == 403
            assert response.json() == {
                "status": "Investor account provided does not belong to the user."}
    assert dx.get(f"{ACCOUNTS}/investoraccounts/{demo_id}").status_code == 200
    assert live.get(f"{ACCOUNTS}/investoraccounts/{live_id}").status_code == 200
