"""Signatures, tokens, problem+json errors and 429 back-off against the simulator."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from decimal import Decimal

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from desktop_app.brokers.upvest.auth import UpvestAuth
from desktop_app.brokers.upvest.errors import TokenRejected
from desktop_app.domain.errors import AuthError, NotFound, RateLimited, Rejected
from desktop_app.simulators.upvest.keys import private_pem
from tests.brokers.upvest.conftest import credentials, wait_for

GROUP = "00000000-0000-4000-8000-000000000000"


class Tampered(httpx.Auth):
    """Signs as the client does, then changes the request as a broken client would."""

    def __init__(self, inner: UpvestAuth, change: Callable[[httpx.Request], None]) -> None:
        self.inner = inner
        self.change = change

    async def async_auth_flow(self, request: httpx.Request
                              ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        self.inner.sign(request)
        self.change(request)
        yield request


def test_signed_requests_are_accepted_and_the_token_is_fetched_once(client, upvest_sim, run):
    assert len(run(client.users())) == 3
    assert len(run(client.accounts())) == 4
    assert client.token_requests == 1
    assert upvest_sim.state.refusals == []
    assert "accounts:admin" in client.granted_scopes


@pytest.mark.parametrize(("change", "detail"), [
    (lambda r: (r.headers.pop("signature"), r.headers.pop("signature-input")),
     "Signature is missing"),
    (lambda r: r.headers.__setitem__("signature-input", "sig1=(((garbage"),
     "Signature is malformed"),
    (lambda r: r.headers.__setitem__("content-digest", "sha-512=:" + "A" * 86 + "==:"),
     "Content digest does not match the body"),
    (lambda r: r.headers.__setitem__("upvest-client-id-x", "1") or r.headers.__setitem__(
        "accept", "application/pdf"), "Signature is incorrect"),
])
def test_each_bad_signature_is_refused_with_upvests_problem(client, upvest_sim, run, change,
                                                             detail):
    run(client.users())  # a token first
    client.http.auth = Tampered(client.auth, change)
    with pytest.raises(AuthError) as refused:
        run(client.increase_virtual_cash(GROUP, Decimal("1.00"),
                                         idempotency_key="1b8ed4a7-0c2f-4d6e-9a53-2f1f0d7c4b11"))
    text = str(refused.value)
    assert detail in text and "Upvest request id" in text
    assert upvest_sim.state.refusals[-1] == detail
    assert upvest_sim.state.created["POST /virtual_cash_balances/increases"] == 0


def test_an_expired_signature_is_refused(make_client, upvest_sim, run):
    client = make_client()
    client.auth._clock = lambda: time.time() - 120  # created/expires two minutes ago
    with pytest.raises(AuthError, match="Signature has expired"):
        run(client.users())


def test_a_signature_by_another_key_is_refused(make_client, upvest_sim, run):
    other = private_pem(ec.generate_private_key(ec.SECP521R1()))
    client = make_client(credentials=credentials(upvest_sim, private_key_pem=other))
    with pytest.raises(AuthError, match="Signature is incorrect"):
        run(client.users())


def test_an_ed25519_key_registered_for_the_client_signs_as_well(make_client, upvest_sim, run):
    key = ed25519.Ed25519PrivateKey.generate()
    upvest_sim.state.register_key("ed-key-1", key.public_key())
    client = make_client(credentials=credentials(upvest_sim, key_id="ed-key-1",
                                                 private_key_pem=private_pem(key)))
    assert len(run(client.users())) == 3


def test_a_stale_token_is_refused_then_renewed_once(client, upvest_sim, run):
    run(client.users())
    upvest_sim.state.expire_tokens()
    token, _ = run(client.access_token())
    # Sent as is, the stale token gets Upvest's 401 problem ...
    with pytest.raises(TokenRejected) as stale:
        run(client.http.request("GET", "/users", headers={"authorization": f"Bearer {token}"}))
    assert "Access token has expired" in str(stale.value)
    # ... and through the client it is renewed once, transparently.
    assert len(run(client.users())) == 3
    assert client.token_requests == 2


def test_the_token_is_renewed_before_it_expires(client, upvest_sim, run):
    upvest_sim.state.token_lifetime = 6.0  # renewed 5 s early (UP-PY's margin)
    run(client.users())
    time.sleep(1.2)
    run(client.users())
    assert client.token_requests == 2
    assert "stale token" not in upvest_sim.state.refusals


def test_wrong_client_secret_is_an_auth_error_with_the_request_id(make_client, upvest_sim,
                                                                  run):
    client = make_client(credentials=credentials(upvest_sim, client_secret="nope-nope"))
    with pytest.raises(AuthError) as refused:
        run(client.users())
    assert "Invalid client credentials" in str(refused.value)
    assert "Upvest request id" in str(refused.value)
    assert "nope-nope" not in str(refused.value)


def test_problem_json_errors_are_typed_in_upvests_words(client, run):
    with pytest.raises(NotFound, match=r"Not Found: Account not found \(Upvest request id "):
        run(client.account("00000000-0000-4000-8000-000000000000"))
    accounts = run(client.accounts())
    order = run(client.place_order(
        user_id=accounts[0]["users"][0]["id"], account_id=accounts[0]["id"], side="BUY",
        isin="US0378331005", cash=Decimal("10.00"), user_instrument_fit_acknowledgement=True,
        idempotency_key="6d3f9a71-3c1e-4c1b-8f0e-52a8a4b6c001"))
    run(wait_for(lambda: _filled(client, order["id"])))
    with pytest.raises(Rejected, match="Conflict: Only NEW orders") as conflict:
        run(client.cancel_order(order["id"]))
    assert conflict.value.code == "conflict"


async def _filled(client, order_id: str) -> bool:
    return (await client.order(order_id))["status"] == "FILLED"


def test_429_backs_off_exponentially_and_then_succeeds(make_client, upvest_sim, run):
    client = make_client(time_scale=50.0)
    run(client.users())
    upvest_sim.state.force_429(count=3, path_prefix="/accounts")
    started = time.monotonic()
    assert len(run(client.accounts())) == 4
    assert client.backoff.pauses == [1 / 50, 2 / 50, 4 / 50]
    assert time.monotonic() - started >= 0.13
    assert client.backoff.streak == 0  # reset by the success
    assert upvest_sim.state.stats["429"]["GET /accounts"] == 3


def test_a_429_that_does_not_end_is_rate_limited(make_client, upvest_sim, run):
    client = make_client(time_scale=100.0)
    run(client.users())
    upvest_sim.state.force_429(count=10, path_prefix="/users")
    with pytest.raises(RateLimited, match="Too many requests"):
        run(client.users())
