"""Virtual cash (sandbox funding) and webhooks, through the Upvest service against the
simulator over loopback."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from desktop_app.brokers.upvest.live import EVENT_TYPES, NO_PUBLIC_URL
from desktop_app.brokers.upvest.service import UpvestService
from desktop_app.domain.errors import NotSupported
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    Environment,
    FundingKind,
    FundingRequest,
    OrderStatus,
    WebhookAction,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.request_log import RequestLog
from desktop_app.sandbox import sandbox_connection
from tests.brokers.upvest.conftest import wait_for

INCREASE = "POST /virtual_cash_balances/increases"
LIST = "GET /accounts"


@pytest.fixture
def lena(service, run):
    return next(a for a in run(service.accounts()) if a.owner == "Lena Weber")


async def cash_of(service, ref) -> Decimal | None:
    found = next(a for a in await service.accounts() if a.ref == ref)
    return found.balance.balance if found.balance else None


def topup(account, amount: str) -> FundingRequest:
    return FundingRequest(account.ref, FundingKind.DEMO_TOPUP, Decimal(amount), "EUR")


def test_virtual_cash_goes_in_and_out_of_the_group(service, upvest_sim, lena, run):
    rules = service.funding_rules(lena.ref, FundingKind.DEMO_TOPUP)
    assert rules is not None and rules.allow_negative and rules.currency == "EUR"
    assert rules.title == "Virtual cash (sandbox)" and "group" in rules.notes
    assert rules.facts[0].value == lena.group
    refs: list[str] = []
    request = topup(lena, "500.00")
    result = run(service.fund(request, refs.append))
    assert result.status is OrderStatus.PENDING and result.broker_ref == refs[0]
    # The session's follow-up asks again: CONFIRMED came by webhook (no look-up exists).
    run(wait_for(lambda: _settled(service, request, refs[0]), within=10))
    run(wait_for(lambda: _cash_is(service, lena.ref, Decimal("500.00")), within=10))
    out = run(service.fund(topup(lena, "-200.00")))
    assert out.status is OrderStatus.PENDING
    run(wait_for(lambda: _cash_is(service, lena.ref, Decimal("300.00")), within=10))
    refused = run(service.fund(topup(lena, "-1000.00")))
    assert refused.status is OrderStatus.REJECTED
    assert "available for withdrawal" in refused.message


async def _settled(service, request, ref) -> bool:
    found = await service.reconcile_funding(request, ref)
    return found.status is OrderStatus.ACCEPTED and "Confirmed" in found.message


async def _cash_is(service, ref, amount: Decimal) -> bool:
    return await cash_of(service, ref) == amount


def test_a_lost_funding_reply_is_settled_by_its_key(service, upvest_sim, lena, run):
    for _ in range(3):
        upvest_sim.state.drop_reply_next("/virtual_cash_balances")
    request = topup(lena, "50.00")
    with pytest.raises(MaybeSent):
        run(service.fund(request))
    settled = run(service.reconcile_funding(request, "", since=utc_now()))
    assert settled.status in (OrderStatus.PENDING, OrderStatus.ACCEPTED)
    assert settled.message.startswith("Asked again under the same idempotency key")
    assert upvest_sim.state.created[INCREASE] == 1
    run(wait_for(lambda: _cash_is(service, lena.ref, Decimal("50.00")), within=10))


def test_live_funding_is_refused_with_what_upvest_offers_instead(upvest_sim, run):
    profile, secrets = sandbox_connection("upvest", upvest_sim)
    live = UpvestService(replace(profile, environment=Environment.LIVE), secrets, RequestLog())
    caps = live.capabilities
    assert caps.funding == frozenset()
    for kind in (FundingKind.DEMO_TOPUP, FundingKind.DEPOSIT, FundingKind.WITHDRAW):
        assert "POST /payments/direct_debits" in caps.why_not(kind.value)
    ref = live.ref("any")
    assert live.funding_rules(ref, FundingKind.DEMO_TOPUP) is None
    with pytest.raises(NotSupported, match="withdrawal to the user's reference account"):
        run(live.fund(FundingRequest(ref, FundingKind.DEMO_TOPUP, Decimal(1))))


def test_a_desktop_without_a_public_url_polls_and_says_why(upvest_sim, run):
    profile, secrets = sandbox_connection("upvest", upvest_sim)
    real = UpvestService(replace(profile, base_url="https://sandbox.upvest.co"), secrets,
                         RequestLog())
    run(real.start_webhooks())  # nothing is asked of Upvest: it could not deliver here
    assert real.receiver is None and real.webhook_note == NO_PUBLIC_URL
    assert not real.webhooks_live


def test_connecting_registers_one_webhook_and_a_reconnect_reuses_it(make_service,
                                                                    upvest_sim, run):
    first = make_service()
    hooks = list(upvest_sim.state.webhooks.values())
    assert len(hooks) == 1 and hooks[0].url == first.receiver.url
    assert sorted(hooks[0].types) == sorted(EVENT_TYPES)
    run(wait_for(lambda: first.receiver.deliveries >= 1, within=10))  # the test delivery
    assert first.webhooks_live
    old_url = first.receiver.url
    run(first.close())
    second = make_service()
    hooks = list(upvest_sim.state.webhooks.values())
    assert len(hooks) == 1 and hooks[0].url == second.receiver.url != old_url
    assert second.webhook_id == hooks[0].id


def test_webhook_management_and_polling_as_the_fallback(service, upvest_sim, run):
    run(wait_for(lambda: service.receiver.deliveries >= 1, within=10))
    overview = run(service.webhooks())
    assert [(h.ours, h.enabled) for h in overview.webhooks] == [(True, True)]
    assert overview.receiver_url == service.receiver.url and overview.deliveries >= 1
    assert "delivers" in overview.note
    hook = overview.webhooks[0].webhook_id
    before = service.receiver.deliveries
    tested = run(service.webhook_action(hook, WebhookAction.TEST))
    run(wait_for(lambda: service.receiver.deliveries > before, within=10))
    assert tested.webhooks[0].enabled
    run(service.accounts())
    lists = upvest_sim.state.stats["requests"][LIST]
    run(service.accounts())
    assert upvest_sim.state.stats["requests"][LIST] == lists  # events keep the list current
    disabled = run(service.webhook_action(hook, WebhookAction.DISABLE))
    assert not disabled.webhooks[0].enabled and not service.webhooks_live
    run(service.accounts())
    assert upvest_sim.state.stats["requests"][LIST] == lists + 1  # polling reads afresh
    assert run(service.webhook_action(hook, WebhookAction.ENABLE)).webhooks[0].enabled
    gone = run(service.webhook_action(hook, WebhookAction.DELETE))
    assert gone.webhooks == () and "deleted" in gone.note
    assert upvest_sim.state.webhooks == {}


def test_each_event_refreshes_what_it_changed(service, upvest_sim, lena, run):
    run(wait_for(lambda: service.receiver.deliveries >= 1, within=10))
    group = service._accounts[lena.ref.account_id]["account_group_id"]
    run(service.fund(topup(lena, "10.00")))
    service.changes.clear()
    # CASH_BALANCE.UPDATED carries the balance: the cache has it before any read.
    run(wait_for(lambda: service.cash_of(group).data["balance"] == "10.00", within=10))
    assert service.changes.topics_for(None) == {"balances"}
    upvest_sim.state.lock_account(lena.ref.account_id)
    run(wait_for(lambda: service._accounts[lena.ref.account_id]["status"] == "LOCKED",
                 within=10))
    assert service.events_handled >= 2
