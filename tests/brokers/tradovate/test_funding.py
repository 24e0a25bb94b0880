"""changeDemoBalance: the rules, the simulator's refusals in its own words, both modes."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from desktop_app.brokers.tradovate.service import TradovateService
from desktop_app.domain.errors import (
    NotSupported,
    OutcomeUnknown,
    Rejected,
    ValidationError,
)
from desktop_app.domain.types import (
    AccountRef,
    Environment,
    FundingKind,
    FundingRequest,
    OrderStatus,
)
from tests.brokers.tradovate.conftest import Tap, account_refs, requests

CHANGE = "POST /cashbalance/changedemobalance"
TOPUP = FundingKind.DEMO_TOPUP


def cash(sim, account: AccountRef) -> Decimal:
    return sim.state.market.account(account.account_id).cash


def test_rules_quote_the_seed(service: TradovateService, tradovate_sim) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    rules = service.funding_rules(usd, TOPUP)

    assert rules is not None
    assert (rules.kind, rules.currency) == (TOPUP, "USD")
    assert (rules.min_amount, rules.max_amount) == (Decimal("0.01"), Decimal("999999.99"))
    assert rules.max_amount < 1_000_000 and rules.allow_negative
    assert rules.max_resulting_balance == Decimal(50000)
    assert rules.cooldown == timedelta(hours=1)
    assert (rules.comment_max_len, rules.default_comment) == (64, "Demo Change")
    assert rules.demo_only
    assert "One balance change per account per hour" in rules.notes
    assert service.funding_rules(usd, FundingKind.DEPOSIT) is None


def test_change_adds_to_the_cash_and_reports_the_new_balance(
    tapped: TradovateService, tap: Tap, tradovate_sim, run
) -> None:
    usd, _ = account_refs(tradovate_sim, tapped)

    result = run(tapped.fund(FundingRequest(usd, TOPUP, Decimal("1234.56"))))

    assert result.status is OrderStatus.ACCEPTED
    assert result.new_balance == Decimal("26234.56") == cash(tradovate_sim, usd)
    (body,) = (json.loads(b) for b in tap.bodies("/cashbalance/changedemobalance"))
    assert body == {"accountId": int(usd.account_id), "cashChange": 1234.56}
    (change,) = tradovate_sim.state.balance_changes
    assert change.comment == "Demo Change"  # the server's default, comment omitted


def test_negative_change_with_a_comment(service: TradovateService, tradovate_sim, run) -> None:
    _, second = account_refs(tradovate_sim, service)
    result = run(service.fund(FundingRequest(second, TOPUP, Decimal(-5000),
                                             comment="after the challenge")))
    assert result.new_balance == Decimal(45000)
    assert tradovate_sim.state.balance_changes[0].comment == "after the challenge"


@pytest.mark.parametrize(
    ("setup", "amount", "comment", "words"),
    [
        (None, Decimal(1_000_000), "", "between -1,000,000 and 1,000,000"),
        (None, Decimal(-1_000_000), "", "between -1,000,000 and 1,000,000"),
        (None, Decimal(25_001), "", "exceed the maximum demo balance"),
        (None, Decimal(10), "x" * 65, "at most 64 characters"),
        ("closed", Decimal(10), "", "closed or inactive"),
        ("live", Decimal(10), "", "demo environment only"),
        ("cooldown", Decimal(10), "", "one balance change per account per hour"),
    ],
)
def test_every_rule_forced_past_the_form_is_refused_in_the_brokers_words(
    service: TradovateService, tradovate_sim, run, setup, amount, comment, words
) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    state = tradovate_sim.state
    if setup == "closed":
        state.close_account(int(usd.account_id))
    elif setup == "live":
        state.environment = "live"
    elif setup == "cooldown":
        run(service.fund(FundingRequest(usd, TOPUP, Decimal(5))))
    before = cash(tradovate_sim, usd)

    with pytest.raises(Rejected) as caught:
        run(service.fund(FundingRequest(usd, TOPUP, amount, comment=comment)))

    assert words in caught.value.message
    assert caught.value.code == "errorText"
    assert cash(tradovate_sim, usd) == before  # unchanged
    assert len(state.balance_changes) == (1 if setup == "cooldown" else 0)


def test_an_account_of_someone_else_is_refused_by_the_broker(
    service: TradovateService, tradovate_sim, run
) -> None:
    stranger = AccountRef(service.connection_id, "tradovate", "12345")
    with pytest.raises(Rejected) as caught:
        run(service.fund(FundingRequest(stranger, TOPUP, Decimal(10))))
    assert "not a demo account of this user" in caught.value.message


def test_account_id_zero_is_refused_before_anything_is_sent(
    service: TradovateService, tradovate_sim, run
) -> None:
    zero = AccountRef(service.connection_id, "tradovate", "0")
    with pytest.raises(ValidationError):
        run(service.fund(FundingRequest(zero, TOPUP, Decimal(10))))
    assert requests(tradovate_sim, CHANGE) == 0
    # The broker's own rule, when a body gets there anyway.
    with pytest.raises(Rejected) as caught:
        run(service.client.change_demo_balance({"accountId": 0, "cashChange": Decimal(1)}))
    assert "greater than 0" in caught.value.message


def test_replace_mode_is_reported_truthfully(service: TradovateService, tradovate_sim,
                                             run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    tradovate_sim.state.demo_balance_mode = "replace"

    result = run(service.fund(FundingRequest(usd, TOPUP, Decimal(30000))))

    assert result.status is OrderStatus.ACCEPTED
    assert result.new_balance == Decimal(30000) == cash(tradovate_sim, usd)
    assert "replaced the balance" in result.message


def test_lost_reply_is_settled_from_the_balance(service: TradovateService, tradovate_sim,
                                                run) -> None:
    usd, second = account_refs(tradovate_sim, service)
    tradovate_sim.state.drop_reply_next("/cashbalance/changedemobalance")
    result = run(service.fund(FundingRequest(usd, TOPUP, Decimal(100))))
    assert result.status is OrderStatus.ACCEPTED and result.new_balance == Decimal(25100)

    # Refused behind a lost reply: the balance did not move, so it cannot be told.
    tradovate_sim.state.drop_reply_next("/cashbalance/changedemobalance")
    with pytest.raises(OutcomeUnknown):
        run(service.fund(FundingRequest(second, TOPUP, Decimal(100))))  # over $50,000
    assert requests(tradovate_sim, CHANGE) == 2  # never resent


def test_a_penalised_change_is_made_once(service: TradovateService, tradovate_sim, run) -> None:
    usd, _ = account_refs(tradovate_sim, service)
    tradovate_sim.state.penalty_next("/cashbalance/changedemobalance", p_time=0.3)

    result = run(service.fund(FundingRequest(usd, TOPUP, Decimal(50))))

    assert result.accepted and result.new_balance == Decimal(25050)
    assert len(tradovate_sim.state.balance_changes) == 1
    assert requests(tradovate_sim, CHANGE) == 2


@pytest.mark.parametrize("environment", [Environment.LIVE, Environment.REPLAY])
def test_live_and_replay_cannot_change_balances(make_service, tradovate_sim, run,
                                                environment) -> None:
    service = make_service(environment=environment, live_opt_in=True)
    run(service.connect())
    usd, _ = account_refs(tradovate_sim, service)

    assert service.funding_rules(usd, TOPUP) is None
    assert "demo environment only" in service.capabilities.why_not(TOPUP.value)
    with pytest.raises(NotSupported) as caught:
        run(service.fund(FundingRequest(usd, TOPUP, Decimal(10))))
    assert "live or replay" in caught.value.message
    assert requests(tradovate_sim, CHANGE) == 0
