"""Login, tokens, account switching, expiry, keep-alive and rate limits, over loopback HTTP."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from desktop_app.brokers.capital.service import CapitalService
from desktop_app.domain.errors import AuthError, PermissionDenied
from desktop_app.domain.types import (
    AccountStatus,
    Environment,
    FundingKind,
    FundingRequest,
    OrderRequest,
    Side,
)
from tests.brokers.capital.conftest import account_refs

WRONG_PASSWORD = "Wr0ng-Passw0rd-XYZ"


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_login_lists_every_account_with_its_balance(
    make_service, capital_sim, run, encrypted: bool
) -> None:
    service = make_service(encrypted=encrypted)
    run(service.connect())
    accounts = run(service.accounts())

    stats = capital_sim.state.stats["requests"]
    assert stats["POST /session"] == 1
    assert stats["GET /session/encryptionKey"] == (1 if encrypted else 0)
    assert [a.ref.account_id for a in accounts] == capital_sim.state.account_ids()
    assert [a.currency for a in accounts] == ["USD", "EUR"]
    assert [a.active for a in accounts] == [True, False]
    for account in accounts:
        figures = capital_sim.state.market.figures(account.ref.account_id)
        assert account.status is AccountStatus.ENABLED
        assert account.environment is Environment.DEMO
        assert account.balance is not None
        assert isinstance(account.balance.balance, Decimal)
        assert account.balance.balance == figures.cash
        assert account.balance.equity == figures.equity
        assert account.balance.available == figures.available
        assert account.balance.as_of.utcoffset() is not None


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_bad_password_is_auth_error_without_secrets(
    make_service, capital_sim, run, request_log, encrypted: bool
) -> None:
    service = make_service(password=WRONG_PASSWORD, encrypted=encrypted)
    with pytest.raises(AuthError) as caught:
        run(service.connect())

    text = str(caught.value)
    assert "Login or password not accepted" in text
    assert caught.value.code == "error.invalid.details"
    api_key = capital_sim.credentials["api_key"]
    for secret in (WRONG_PASSWORD, api_key):
        assert secret not in text
        assert secret not in repr(caught.value)
        for entry in request_log.entries:
            assert secret not in entry.url + entry.request_body + entry.response_body

    # Refused credentials are not retried on every call: one login attempt, no hammering.
    with pytest.raises(AuthError):
        run(service.accounts())
    assert capital_sim.state.stats["requests"]["POST /session"] == 1


def test_bad_api_key_names_the_api_key(make_service, run) -> None:
    service = make_service(api_key="NotTheRightKey123")
    with pytest.raises(AuthError) as caught:
        run(service.connect())
    assert "API key" in str(caught.value)
    assert "NotTheRightKey123" not in str(caught.value)


def test_tokens_never_reach_the_request_log(service, run, request_log) -> None:
    run(service.accounts())
    secrets = [
        service.client._cst, service.client._xst,
        service.client._api_key, service.client._password,
    ]
    assert all(secrets)
    logged = " ".join(e.url + e.request_body + e.response_body for e in request_log.entries)
    assert "/session" in logged or request_log.entries
    for secret in secrets:
        assert secret not in logged


def test_account_switch_and_positions_of_the_other_account(
    service: CapitalService, capital_sim, run
) -> None:
    usd, eur = account_refs(capital_sim, service)
    run(service.switch_account(eur))
    accounts = run(service.accounts())
    assert [a.active for a in accounts] == [False, True]
    assert service.client.account_id == eur.account_id
    # GET /session names the account trades now go to.
    assert run(service.client.get_session())["accountId"] == eur.account_id
    # Switching to the active account again is not an error (400 not-different is success).
    run(service.switch_account(eur))
    assert capital_sim.state.stats["requests"]["PUT /session"] == 1

    # Positions of a non-active account switch the session first.
    assert run(service.positions(usd)) == []
    assert service.client.account_id == usd.account_id
    assert capital_sim.state.stats["requests"]["PUT /session"] == 2


def test_expired_session_is_renewed_once_transparently(
    service: CapitalService, capital_sim, run
) -> None:
    capital_sim.state.expire_all_sessions()
    accounts = run(service.accounts())
    assert len(accounts) == 2
    assert service.client.logins == 2
    assert capital_sim.state.stats["requests"]["POST /session"] == 2


def test_idle_timeout_renewal_keeps_the_chosen_account(
    service: CapitalService, capital_sim, run
) -> None:
    usd, eur = account_refs(capital_sim, service)
    run(service.switch_account(eur))
    capital_sim.state.session_idle_timeout = 0.3
    run(asyncio.sleep(0.5))
    eur_cash = capital_sim.state.market.figures(eur.account_id).cash
    usd_cash = capital_sim.state.market.figures(usd.account_id).cash

    # A write after expiry: the renewed session goes back to EUR before the top-up.
    result = run(service.fund(FundingRequest(eur, FundingKind.DEMO_TOPUP, Decimal("250"))))

    assert result.accepted
    assert service.client.logins == 2
    assert capital_sim.state.market.figures(eur.account_id).cash == eur_cash + 250
    assert capital_sim.state.market.figures(usd.account_id).cash == usd_cash


def test_second_expiry_in_a_row_raises_auth_error(
    service: CapitalService, capital_sim, run
) -> None:
    capital_sim.state.fail_next(401, "error.invalid.session.token", "/accounts", count=2)
    with pytest.raises(AuthError) as caught:
        run(service.accounts())
    assert "session" in str(caught.value)
    assert service.client.logins == 2  # renewed exactly once
    # The session itself is fine again afterwards.
    assert len(run(service.accounts())) == 2


def test_keepalive_ping_keeps_the_session_past_the_idle_timeout(
    make_service, capital_sim, run
) -> None:
    # Generous on purpose (slow 2-core CI): pings every 0.3 s against a 1.5 s idle expiry,
    # watched for three expiry periods; only survival and "it pinged" are asserted.
    capital_sim.state.session_idle_timeout = 1.5
    service = make_service(keepalive_after=0.3)
    run(service.connect())
    cst = service.client._cst
    run(asyncio.sleep(4.5))
    assert service.client.pings >= 2
    assert capital_sim.state.find_session(cst) is not None  # alive before any other call
    assert len(run(service.accounts())) == 2
    assert service.client.logins == 1
    assert capital_sim.state.stats["requests"]["POST /session"] == 1
    assert capital_sim.state.stats["requests"]["GET /ping"] == service.client.pings


def test_429_is_absorbed_for_reads(service: CapitalService, capital_sim, run) -> None:
    capital_sim.state.force_429(count=2, path_prefix="/accounts")
    accounts = run(service.accounts())
    assert len(accounts) == 2
    assert capital_sim.state.stats["429"]["GET /accounts"] == 2
    assert service.limiter.pauses >= 2


def test_budget_never_provokes_a_429(service: CapitalService, capital_sim, run) -> None:
    usd, _ = account_refs(capital_sim, service)

    async def burst():
        return await asyncio.gather(*(service.quote(usd, "GOLD") for _ in range(12)))

    quotes = run(burst())
    assert len(quotes) == 12
    assert sum(capital_sim.state.stats["429"].values()) == 0
    documented = {b.name: b.documented for b in service.limiter.budgets}
    assert "10 per second" in documented["all"]


def test_live_trading_needs_the_opt_in(make_service, capital_sim, run) -> None:
    service = make_service(environment=Environment.LIVE)
    ref = account_refs(capital_sim, service)[0]
    with pytest.raises(PermissionDenied) as caught:
        run(service.place_order(OrderRequest(ref, "GOLD", Side.BUY, Decimal("1"))))
    assert "Allow live trading" in caught.value.user_text()
    assert capital_sim.state.stats["requests"]["POST /positions"] == 0
    assert FundingKind.DEMO_TOPUP not in service.capabilities.funding
    assert "demo" in service.capabilities.why_not("funding")
    assert service.funding_rules(ref, FundingKind.DEMO_TOPUP) is None


def test_replies_racing_an_account_switch_do_not_move_the_session_back(
    service: CapitalService, capital_sim, run
) -> None:
    usd, eur = account_refs(capital_sim, service)

    def token_account() -> str:
        session = capital_sim.state.sessions[service.client._cst]
        return session.account_tokens[service.client._xst]

    async def switch_while_quoting(target):
        quotes = [service.quote(target, "GOLD") for _ in range(3)]
        await asyncio.gather(*quotes[:2], service.switch_account(target), quotes[2])

    for target in (eur, usd, eur):
        run(switch_while_quoting(target))
        assert service.client.account_id == target.account_id
        assert token_account() == target.account_id

    result = run(service.place_order(OrderRequest(eur, "BTCUSD", Side.BUY, Decimal("0.01"))))
    assert result.accepted
    assert len(capital_sim.state.market.account(eur.account_id).positions) == 1
    assert capital_sim.state.market.account(usd.account_id).positions == {}
