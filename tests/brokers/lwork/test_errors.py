"""LWork's refusals (HTTP 200, ``result: false``) as typed errors in LWork's words."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from desktop_app.brokers.lwork import LWorkClient
from desktop_app.brokers.lwork.budgets import MINUTE, STEADY, lwork_budgets
from desktop_app.brokers.lwork.errors import SystemError_
from desktop_app.domain.errors import AuthError, NotFound, Rejected, ValidationError
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority, RateLimiter
from tests.brokers.lwork.conftest import requests_to

CODES = "GET /v1/api/sys/error/code"


def test_a_wrong_password_is_an_auth_error_in_lworks_words(lwork_sim, make_client,
                                                           run) -> None:
    client: LWorkClient = make_client(password="not-it")
    with pytest.raises(AuthError) as caught:
        run(client.login())
    assert caught.value.code == "PUB_AUTH_0000017"
    assert caught.value.message == "Wrong username or password"
    # Refused credentials are not sent again until login() is called anew.
    logins = requests_to(lwork_sim, "POST /v1/api/user/login")
    with pytest.raises(AuthError):
        run(client.trading_accounts())
    assert requests_to(lwork_sim, "POST /v1/api/user/login") == logins


@pytest.mark.parametrize(("overrides", "code", "words"), [
    # The code list needs the same headers, so the words are the ones LWork's docs show,
    # else the bare code.
    ({"api_token": "wrong-token-0000"}, "PUB_AUTH_0000018", "Token expired"),
    ({"tenant_id": "T000000"}, "TWAPI_0000014", "LWork refused the request (code "
                                                "TWAPI_0000014)."),
])
def test_bad_tenant_credentials(lwork_sim, make_client, run, overrides, code, words) -> None:
    client = make_client(**overrides)
    with pytest.raises(AuthError) as caught:
        run(client.login())
    assert (caught.value.code, caught.value.message) == (code, words)
    assert "tenant id, API token" in caught.value.hint
    assert requests_to(lwork_sim, CODES) == 1  # tried once, refused too
    with pytest.raises(AuthError):
        run(client.login())
    assert requests_to(lwork_sim, CODES) == 1  # not again within a minute


def test_the_error_code_list_is_read_once(lwork_sim, client, accounts, run) -> None:
    ghost = replace(accounts["mt4"], login="2099999999")
    for _ in range(3):
        with pytest.raises(NotFound) as caught:
            run(client.account_info(ghost))
        assert caught.value.message == "The trading account does not exist"
    assert requests_to(lwork_sim, CODES) == 1
    assert client.error_code_reads == 1


def test_the_code_list_in_the_clients_language(make_client, run) -> None:
    client = make_client(password="nope", language="zh-CN")
    with pytest.raises(AuthError) as caught:
        run(client.login())
    assert caught.value.message == "用户名或密码错误"


def test_refusal_with_its_own_message(client, accounts, run) -> None:
    """A refusal that adds a message shows the code's words and the message."""
    with pytest.raises(ValidationError) as caught:
        run(client.update_owner_base_info(account_name="   "))
    assert caught.value.field == "accountName"  # a local check: nothing was sent
    renamed = replace(accounts["mt4b"], name="Not its name")
    with pytest.raises(Rejected) as refused:
        run(client.transfer(accounts["mt4"], renamed, Decimal("1")))
    assert refused.value.code == "TWAPI_0000012"
    assert refused.value.message == (
        "Parameter error (receiptAccountName is not the account's name)")


def test_a_system_error_on_a_read_is_unavailable_and_backs_off(lwork_sim, make_client,
                                                                run) -> None:
    # A limiter on a still clock: the pauses are read exactly, whatever the load.
    client = make_client(limiter=RateLimiter(lwork_budgets(), default=STEADY,
                                             clock=lambda: 1000.0))
    run(client.login())
    account = run(client.trading_accounts())[0]
    lwork_sim.state.fail_next(200, "-1", "/v1/api/account/")
    with pytest.raises(SystemError_) as caught:
        run(client.account_info(account))
    assert caught.value.message == "System error"
    assert client.backoff.errors == 1
    assert client.limiter.wait_time(STEADY) == 1.0  # polling paused a second
    assert client.limiter.wait_time(MINUTE) == 0  # a click is not held up
    lwork_sim.state.fail_next(200, "-1", "/v1/api/account/")
    with pytest.raises(SystemError_):
        run(client.account_info(account, priority=Priority.INTERACTIVE))
    assert client.limiter.wait_time(STEADY) == 2.0  # doubled
    run(client.account_info(account, priority=Priority.INTERACTIVE))
    assert client.backoff.errors == 0  # a success starts again from one second


def test_a_system_error_on_a_write_may_have_been_carried_out(lwork_sim, client, accounts,
                                                             run) -> None:
    account = accounts["mt4"]
    lwork_sim.state.fail_next(200, "-1", "/v2/api/account/")
    with pytest.raises(MaybeSent):
        run(client.deposit(account, Decimal("100"), "USD"))


def test_unknown_codes_are_rejections_in_lworks_words(lwork_sim, client, accounts,
                                                      run) -> None:
    lwork_sim.state.fail_next(200, "PUB_AUTH_0000002", "/v1/api/account/")
    with pytest.raises(Rejected) as caught:
        run(client.account_info(accounts["mt4"]))
    assert caught.value.message == "Mobile format error"
    lwork_sim.state.fail_next(200, "XYZ_999", "/v1/api/account/")
    with pytest.raises(Rejected, match="XYZ_999"):
        run(client.account_info(accounts["mt4"]))


def test_secrets_never_reach_the_activity_log(lwork_sim, client, accounts, run,
                                              request_log) -> None:
    from desktop_app.brokers.lwork import Withdrawal

    run(client.deposit(accounts["mt4"], Decimal("100"), "USD"))
    run(client.withdraw(accounts["mt4"], Withdrawal(
        Decimal("10"), "Jane Payee", "6226000012345678", "ICBC", swift="ICBKCNBJ")))
    text = "\n".join(f"{e.url} {e.request_body} {e.response_body}"
                     for e in request_log.entries)
    creds = lwork_sim.credentials
    for secret in (creds["api_token"], creds["password"], "6226000012345678", "Jane Payee",
                   "ICBKCNBJ"):
        assert secret not in text
    assert '"signature":"***"' in text
