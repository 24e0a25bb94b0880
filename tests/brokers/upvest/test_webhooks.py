"""Webhooks: registered, delivered signed by the simulator, verified, deduplicated; forged
or unsigned deliveries refused; a receiver that fails is retried with back-off."""

from __future__ import annotations

import base64
import json
import time
import uuid
from decimal import Decimal

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from desktop_app.brokers.upvest.webhooks import WebhookEvent, WebhookReceiver
from desktop_app.simulators.upvest.delivery import WebhookSigner
from tests.brokers.upvest.conftest import wait_for


@pytest.fixture
def received():
    return []


@pytest.fixture
def receiver(client, run, received):
    found = WebhookReceiver(client.verify_keys, received.extend)
    run(found.start())
    yield found
    run(found.stop())


def types(events: list[WebhookEvent]) -> list[str]:
    return [e.type for e in events]


def test_a_whole_order_is_delivered_verified_and_handed_over(client, upvest_sim, run,
                                                             receiver, received):
    hook = run(client.create_webhook(title="Desk", url=receiver.url,
                                     event_types=["ACCOUNT", "ORDER", "POSITION",
                                                  "CASH_BALANCE", "EXECUTION"]))
    assert hook["enabled"] is True and hook["type"][0] == "ACCOUNT"
    account = run(client.accounts())[0]
    order = run(client.place_order(
        user_id=account["users"][0]["id"], account_id=account["id"], side="BUY",
        isin="US0378331005", cash=Decimal("100.00"), user_instrument_fit_acknowledgement=True,
        idempotency_key=str(uuid.uuid4())))
    run(wait_for(lambda: "ORDER.FILLED" in types(received)))
    mine = [e for e in received if e.type.startswith("ORDER.")]
    assert types(mine) == ["ORDER.NEW", "ORDER.PROCESSING", "ORDER.FILLED"]
    assert all(e.object["id"] == order["id"] and e.webhook_id == hook["id"] for e in mine)
    assert "CASH_BALANCE.UPDATED" in types(received)
    assert "POSITION.UPDATED" in types(received)
    assert "EXECUTION.FILLED" not in types(received)  # acknowledged, not handed over
    run(wait_for(lambda: receiver.ignored >= 1))
    assert receiver.refused == []
    assert all(d["status"] == 200 for d in upvest_sim.state.deliveries)


def test_account_events_and_webhook_management(client, upvest_sim, run, receiver, received):
    hook = run(client.create_webhook(title="Accounts", url=receiver.url,
                                     event_types=["ACCOUNT"], delay="5s"))
    assert hook["config"]["delay"] == "5s"
    account = run(client.accounts())[0]
    run(client.rename_account(account["id"], "Renamed"))
    run(wait_for(lambda: "ACCOUNT.UPDATED" in types(received)))
    assert received[-1].object["name"] == "Renamed"
    assert [h["id"] for h in run(client.webhooks())] == [hook["id"]]
    assert run(client.set_webhook_enabled(hook["id"], False))["enabled"] is False
    assert run(client.webhook(hook["id"]))["enabled"] is False
    run(client.test_webhook(hook["id"]))
    run(client.delete_webhook(hook["id"]))
    assert run(client.webhooks()) == []


def test_a_repeated_delivery_is_handed_over_once(client, upvest_sim, run, receiver,
                                                 received):
    signer = upvest_sim.state.worker.signer  # Upvest's own webhook key
    event = {"id": str(uuid.uuid4()), "created_at": "2024-01-01T00:00:00Z",
             "type": "CASH_BALANCE.UPDATED", "object": {"account_group_id": "g"},
             "webhook_id": "w"}
    body = json.dumps({"payload": [event]}).encode()

    async def deliver() -> int:
        headers = signer.headers(receiver.url, body, now=time.time(), nonce=str(uuid.uuid4()))
        async with httpx.AsyncClient() as http:
            return (await http.post(receiver.url, content=body, headers=headers)).status_code

    assert run(deliver()) == 200
    assert run(deliver()) == 200
    assert types(received) == ["CASH_BALANCE.UPDATED"]
    assert receiver.duplicates == 1


def test_forged_and_unsigned_deliveries_are_refused(client, run, receiver, received):
    forger = WebhookSigner(ec.generate_private_key(ec.SECP521R1()),
                           run(client.verify_keys())[0]["kid"])
    event = {"id": str(uuid.uuid4()), "created_at": "2024-01-01T00:00:00Z",
             "type": "ORDER.FILLED", "object": {"id": "x"}, "webhook_id": "w"}
    body = json.dumps({"payload": [event]}).encode()

    async def post(headers: dict[str, str], content: bytes = body) -> int:
        async with httpx.AsyncClient() as http:
            return (await http.post(receiver.url, content=content, headers=headers)).status_code

    forged = forger.headers(receiver.url, body, now=time.time(), nonce="n")
    assert run(post(forged)) == 401
    assert run(post({"content-type": "application/json"})) == 401
    # A genuine signature over another body: the digest gives it away.
    genuine = forged | {"digest": "SHA-512=" + base64.b64encode(b"x" * 64).decode()}
    assert run(post(genuine)) == 401
    assert received == []
    assert receiver.refused == ["the signature is not Upvest's", "the delivery is not signed",
                                "the body does not match its digest"]


def test_deliveries_are_retried_with_back_off_until_the_receiver_answers_200(
        client, upvest_sim, run, received):
    failures = [2]

    def flaky(events: list[WebhookEvent]) -> None:
        if failures[0] > 0:
            failures[0] -= 1
            raise RuntimeError("panel busy")
        received.extend(events)

    receiver = WebhookReceiver(client.verify_keys, flaky)
    run(receiver.start())
    try:
        upvest_sim.state.time_scale = 100.0  # back-off 1 s, 2 s -> 10 ms, 20 ms
        run(client.create_webhook(title="Flaky", url=receiver.url, event_types=["ACCOUNT"]))
        account = run(client.accounts())[0]
        run(client.rename_account(account["id"], "Once"))
        run(wait_for(lambda: types(received) == ["ACCOUNT.UPDATED"]))
    finally:
        run(receiver.stop())
    statuses = [d["status"] for d in upvest_sim.state.deliveries]
    assert statuses == [500, 500, 200]
    assert [d["attempt"] for d in upvest_sim.state.deliveries] == [1, 2, 0]


def test_the_receiver_runs_on_the_qasync_loop(client, upvest_sim, qrun, received):
    receiver = WebhookReceiver(client.verify_keys, received.extend)
    qrun(receiver.start())
    try:
        qrun(client.create_webhook(title="Qt", url=receiver.url, event_types=["ACCOUNT"]))
        account = qrun(client.accounts())[0]
        qrun(client.rename_account(account["id"], "Via Qt"))
        qrun(wait_for(lambda: bool(received)))
    finally:
        qrun(receiver.stop())
        qrun(client.close())
    assert received[0].object["name"] == "Via Qt"

