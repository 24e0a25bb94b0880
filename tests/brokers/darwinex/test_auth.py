"""Bearer tokens: refresh, rotation persisted at once, retries, and what cannot be fixed."""

import asyncio
from decimal import Decimal

import pytest

from desktop_app.domain.errors import AuthError
from desktop_app.domain.types import OrderRequest, OrderStatus, Side
from tests.brokers.darwinex.conftest import BUY, account_path, demo_ref, demo_secrets

ACCOUNTS = "GET /investoraccountinfo/2.0/investoraccounts"
TOKEN = "POST /token"
INVALID_CREDENTIALS = {"fault": {
    "code": 900901, "message": "Invalid Credentials",
    "description": "Invalid Credentials. Make sure you have given the correct access token",
}}


def test_expired_token_is_refreshed_and_the_rotated_pair_persisted(
    darwinex_sim, service, made, run, make_service
) -> None:
    stats = darwinex_sim.state.stats
    old = demo_secrets(darwinex_sim)
    darwinex_sim.state.expire_all_tokens()

    accounts = run(service.accounts())

    assert [a.ref.account_id for a in accounts] == [str(darwinex_sim.state.account_ids()[0])]
    assert stats[TOKEN] == 1 and stats[ACCOUNTS] == 3  # connect, the 401, the retry
    # Persisted at once, and only what changed: the new access and refresh tokens.
    assert len(made.changes) == 1
    rotated = made.changes[0]
    assert set(rotated) == {"access_token", "refresh_token"}
    assert rotated["access_token"] != old["access_token"]
    assert rotated["refresh_token"] != old["refresh_token"]
    assert service.fields["refresh_token"] == rotated["refresh_token"]

    # The old refresh token is dead (rotation): a service still holding it cannot renew.
    stale = make_service(secrets=old)
    with pytest.raises(AuthError) as err:
        run(stale.connect())
    assert "invalid_grant" in err.value.message
    assert "demo and live tokens differ" in err.value.user_text()
    # The rotated pair is what works from now on.
    fresh = make_service(secrets={**old, **rotated})
    assert run(fresh.accounts())


def test_a_write_refused_with_401_is_sent_once_more_after_the_refresh(
    darwinex_sim, service, run
) -> None:
    # The gateway checks the token before anything reaches the trading backend, so the
    # refused order was never executed and may be sent again, once.
    ref = demo_ref(darwinex_sim)
    darwinex_sim.state.fail_next(401, INVALID_CREDENTIALS, account_path(ref) + "/orders/buy")
    result = run(service.place_order(OrderRequest(ref, "NTI.4.12", Side.BUY, Decimal("500"))))
    assert result.status is OrderStatus.ACCEPTED
    assert len(darwinex_sim.state.orders) == 1
    assert darwinex_sim.state.stats[BUY] == 2  # the 401, then the order
    assert darwinex_sim.state.stats[TOKEN] == 1


def test_a_second_401_after_a_refresh_is_an_auth_error(darwinex_sim, service, run) -> None:
    ref = demo_ref(darwinex_sim)
    darwinex_sim.state.fail_next(401, INVALID_CREDENTIALS, account_path(ref) + "/orders/buy",
                                 count=2)
    with pytest.raises(AuthError) as err:
        run(service.place_order(OrderRequest(ref, "NTI.4.12", Side.BUY, Decimal("500"))))
    assert "right after renewing" in err.value.message
    assert "DEMO" in err.value.hint and "demo and live tokens differ" in err.value.hint
    assert darwinex_sim.state.orders == []
    assert darwinex_sim.state.stats[BUY] == 2


def test_refresh_comes_before_expiry_once_the_lifetime_is_known(
    darwinex_sim, service, run
) -> None:
    stats = darwinex_sim.state.stats
    darwinex_sim.state.token_lifetime = 1.0
    darwinex_sim.state.expire_all_tokens()
    run(service.accounts())  # 401, refresh (expires_in 1), retry
    assert (stats[TOKEN], stats[ACCOUNTS]) == (1, 3)

    async def later() -> None:
        await asyncio.sleep(0.85)  # within the last quarter of the lifetime
        await service.accounts()

    run(later())
    # Renewed before sending: no second 401, no second try of the call.
    assert (stats[TOKEN], stats[ACCOUNTS]) == (2, 4)


def test_a_revoked_refresh_token_needs_a_new_token_and_is_not_hammered(
    darwinex_sim, make_service, run
) -> None:
    svc = make_service()
    darwinex_sim.state.revoke_refresh_tokens()
    darwinex_sim.state.expire_all_tokens()
    with pytest.raises(AuthError) as err:
        run(svc.connect())
    text = err.value.user_text()
    assert "invalid_grant" in text and "Generate a new token" in text
    assert "demo and live tokens differ" in text
    with pytest.raises(AuthError):
        run(svc.accounts())
    assert darwinex_sim.state.stats[TOKEN] == 1  # the refused token is not tried again


def test_bad_consumer_secret_is_an_auth_error_about_the_keys(
    darwinex_sim, make_service, run
) -> None:
    svc = make_service(secrets={**demo_secrets(darwinex_sim), "consumer_secret": "wrong"})
    darwinex_sim.state.expire_all_tokens()
    with pytest.raises(AuthError) as err:
        run(svc.connect())
    assert "consumer key and secret" in err.value.message
    assert "wrong" not in err.value.user_text()


def test_tokens_and_secrets_never_reach_the_request_log(
    darwinex_sim, service, made, run, request_log
) -> None:
    darwinex_sim.state.expire_all_tokens()
    run(service.accounts())
    secrets = [*demo_secrets(darwinex_sim).values(), *made.changes[0].values()]
    logged = " ".join(
        f"{e.url} {e.request_body} {e.response_body}" for e in request_log.entries
    )
    assert "POST" in {e.method for e in request_log.entries}
    for secret in secrets:
        assert secret not in logged
    assert "eyJ" not in logged  # the id_token (a JWT) is masked too
