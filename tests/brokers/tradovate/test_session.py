"""Login, token renewal, re-login after a 401, accounts and redaction, over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from desktop_app.brokers.tradovate.service import TradovateService
from desktop_app.domain.errors import AuthError, PermissionDenied, RateLimited, ValidationError
from desktop_app.domain.types import (
    AccountStatus,
    Environment,
    OrderRequest,
    Side,
)
from tests.brokers.tradovate.conftest import Tap, account_refs, front_month, requests

WRONG_PASSWORD = "Wr0ng-Passw0rd-XYZ"
LOGIN = "POST /auth/accesstokenrequest"
RENEW = "GET /auth/renewaccesstoken"


def test_login_sends_the_documented_body_and_bearer_token(tapped, tap: Tap, tradovate_sim,
                                                          run) -> None:
    run(tapped.accounts())

    (login,) = tap.bodies("/auth/accesstokenrequest")
    body = json.loads(login)
    creds = tradovate_sim.credentials
    assert body == {
        "name": creds["name"], "password": creds["password"], "appId": creds["app_id"],
        "appVersion": creds["app_version"], "cid": 8, "sec": creds["sec"],
        "deviceId": "test-device-1",
    }
    assert tradovate_sim.state.stats["logins"] == 1
    assert requests(tradovate_sim, "GET /account/list") == 1


def test_accounts_with_balances_from_the_cash_snapshot(service, tradovate_sim, run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")
    assert run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(2)))).accepted
    tradovate_sim.state.market.set_price(es, Decimal("5210.00"))

    accounts = run(service.accounts())

    assert [a.ref.account_id for a in accounts] == [
        str(i) for i in tradovate_sim.state.account_ids()]
    first = accounts[0]
    assert first.status is AccountStatus.ENABLED and first.environment is Environment.DEMO
    assert first.name == tradovate_sim.state.accounts[int(usd.account_id)].name
    figures = tradovate_sim.state.market.figures(usd.account_id)
    balance = first.balance
    assert balance is not None and balance.currency == "USD"
    assert balance.balance == figures.cash
    assert balance.equity == figures.cash + figures.profit_loss
    assert balance.profit_loss == figures.profit_loss != 0
    assert balance.margin == figures.margin > 0
    assert balance.available == balance.equity - figures.margin
    labels = [f.label for f in balance.details]
    assert labels == ["Net liquidation", "Total cash", "Open P/L", "Realized P/L",
                      "Week realized P/L", "Initial margin", "Maintenance margin"]
    assert accounts[1].balance is not None
    assert accounts[1].balance.balance == Decimal("50000.00")
    assert requests(tradovate_sim, "POST /cashbalance/getcashbalancesnapshot") == 2


def test_bad_login_is_auth_error_in_the_brokers_words(make_service, tradovate_sim, run,
                                                      request_log) -> None:
    service = make_service(password=WRONG_PASSWORD)
    with pytest.raises(AuthError) as caught:
        run(service.connect())

    assert caught.value.message == "Incorrect username or password. Please try again."
    assert WRONG_PASSWORD not in repr(caught.value) + caught.value.user_text()
    for entry in request_log.entries:
        assert WRONG_PASSWORD not in entry.url + entry.request_body + entry.response_body
    # Refused credentials are not sent again by later calls: no hammering.
    with pytest.raises(AuthError):
        run(service.accounts())
    assert requests(tradovate_sim, LOGIN) == 1


def test_repeated_bad_logins_end_in_a_captcha_that_is_not_resent(
    make_service, tradovate_sim, run
) -> None:
    for _ in range(3):
        with pytest.raises(AuthError):
            run(make_service(sec="not-the-secret").connect())
    service = make_service()
    with pytest.raises(RateLimited) as caught:  # the captcha cannot be solved by an app
        run(service.connect())

    assert "captcha" in caught.value.message
    assert "hour" in caught.value.user_text()
    assert requests(tradovate_sim, LOGIN) == 4  # the captcha ticket was never resent
    with pytest.raises(RateLimited) as again:  # nor is the login tried during its hour
        run(service.accounts())
    assert "min left" in again.value.message
    assert requests(tradovate_sim, LOGIN) == 4


def test_token_is_renewed_before_expiry_without_a_second_login(
    make_service, tradovate_sim, run
) -> None:
    tradovate_sim.state.token_lifetime = 8.0  # renewal due at 85 %: after 6.8 s
    service = make_service()
    run(service.connect())
    run(service.accounts())
    first_token = service.client._token
    run(asyncio.sleep(6.9))  # 1.1 s to spare before the token dies, for a loaded machine
    run(service.accounts())

    stats = tradovate_sim.state.stats
    assert stats["logins"] == 1  # one session, never a second accesstokenrequest
    assert stats["renewals"] == 1 == requests(tradovate_sim, RENEW)
    assert service.client._token != first_token
    run(service.accounts())  # the renewed token is good and not renewed again
    assert stats["renewals"] == 1 and stats["logins"] == 1


def test_a_401_logs_in_once_more_then_auth_error(service, tradovate_sim, run,
                                                 monkeypatch) -> None:
    tradovate_sim.state.expire_all_tokens()
    assert len(run(service.accounts())) == 2  # transparently logged in again
    assert tradovate_sim.state.stats["logins"] == 2

    # A token refused right after a fresh login: AuthError, not a login storm.
    state = tradovate_sim.state
    monkeypatch.setattr(state, "find_token", lambda value, market_data_ok=False: None)
    with pytest.raises(AuthError) as caught:
        run(service.positions(account_refs(tradovate_sim, service)[0]))
    assert "again right after a new login" in caught.value.message
    assert state.stats["logins"] == 3


def test_a_missing_device_id_is_generated_once_and_reported(make_service, run) -> None:
    service = make_service(device_id="")
    changes: list[dict[str, str]] = []
    service.credentials_changed = changes.append
    run(service.connect())
    run(service.connect())  # a reconnect keeps the id and does not report it again

    assert len(changes) == 1
    assert changes[0]["device_id"] == service.device_id
    assert len(service.device_id) == 36  # a uuid
    assert service.client._credentials["deviceId"] == service.device_id


def test_secrets_never_reach_the_request_log(service, tradovate_sim, run, request_log) -> None:
    run(service.accounts())
    token = service.client._token
    assert token
    secrets = [tradovate_sim.credentials["password"], tradovate_sim.credentials["sec"], token]
    login = next(e for e in request_log.entries if e.url.endswith("/auth/accesstokenrequest"))
    body, reply = json.loads(login.request_body), json.loads(login.response_body)
    assert body["password"] == body["sec"] == "***"
    assert reply["accessToken"] == reply["mdAccessToken"] == "***"
    assert len(request_log.entries) >= 3
    for entry in request_log.entries:
        text = entry.url + entry.request_body + entry.response_body
        for secret in secrets:
            assert secret not in text


def test_live_writes_need_the_opt_in(make_service, tradovate_sim, run) -> None:
    service = make_service(environment=Environment.LIVE)
    run(service.connect())
    usd, _ = account_refs(tradovate_sim, service)
    es = front_month(tradovate_sim, "ES")

    with pytest.raises(PermissionDenied) as caught:
        run(service.place_order(OrderRequest(usd, es, Side.BUY, Decimal(1))))
    assert "Allow live trading" in caught.value.user_text()
    with pytest.raises(PermissionDenied):
        run(service.close_position(usd, "1"))
    assert requests(tradovate_sim, "POST /order/placeorder") == 0
    assert not service.capabilities.funding


def test_missing_credentials_and_foreign_accounts_are_refused(make_service, tradovate_sim,
                                                              run) -> None:
    with pytest.raises(ValidationError) as caught:
        TradovateService(make_service().profile, {"password": "x"})
    assert caught.value.field == "sec"
    service = make_service()
    run(service.connect())
    from desktop_app.domain.types import AccountRef

    with pytest.raises(ValidationError):
        run(service.positions(AccountRef("other-connection", "tradovate", "1")))
    with pytest.raises(ValidationError):
        run(service.positions(AccountRef(service.connection_id, "tradovate", "0")))
