"""LWork funding through the service, each flow through to the changed balance: the rules
shown before sending, a deposit pending until it is paid, a lost deposit reply found in
the cash flow (one deposit at the simulator), a withdrawal with private bank details and
a transfer to the user's other account."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from desktop_app.brokers.lwork.funding import JOB_PREFIX
from desktop_app.domain.errors import PermissionDenied, Rejected, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    Environment,
    FundingKind,
    FundingRequest,
    OrderStatus,
)
from desktop_app.net.http import MaybeSent
from tests.brokers.lwork.conftest import requests_to

DEPOSIT_ROUTE = "POST /v2/api/account/{userId}/{serverId}/{login}/deposit"
BANK = {"bankAccountName": "Jane Payee", "bankAccountNumber": "6226000012345678",
        "bankName": "ICBC", "SWIFT": "icbkcnbj"}


def refs(service, run):
    accounts = run(service.accounts())
    mt4 = [a.ref for a in accounts if a.kind.startswith("MT4")]
    mt5 = [a.ref for a in accounts if a.kind.startswith("MT5")]
    return mt4[0], mt4[1], mt5[0]


def sim_balance(sim, ref) -> Decimal:
    return sim.state.account(ref.account_id).balance


def test_rules_before_sending(lwork_sim, service, run) -> None:
    mt4, mt4b, mt5 = refs(service, run)
    deposit = service.funding_rules(mt4, FundingKind.DEPOSIT)
    assert deposit is not None and deposit.title == "Deposit" and not deposit.demo_only
    assert (deposit.min_amount, deposit.max_amount, deposit.currency) == (
        Decimal(10), Decimal(50_000), "USD")
    (pay,) = deposit.fields
    assert [value for value, _label in pay.choices] == ["USD", "CNY", "EUR"]
    assert {f.label: f.value for f in deposit.facts}["Rate CNY"] == "1 USD = 7.1234 CNY"
    cny = next(c for c in deposit.conversions if c.value == "CNY")
    assert (cny.field, cny.currency, cny.rate) == ("payCurrency", "CNY", Decimal("7.1234"))
    withdraw = service.funding_rules(mt4, FundingKind.WITHDRAW)
    assert withdraw is not None
    assert [f.name for f in withdraw.fields if not f.optional] == [
        "bankAccountName", "bankAccountNumber", "bankName"]
    assert all(f.private for f in withdraw.fields)
    assert [f.name for f in withdraw.fields if f.optional] == ["bankBranchName", "SWIFT"]
    transfer = service.funding_rules(mt4, FundingKind.TRANSFER)
    assert transfer is not None and transfer.destinations == (mt4b,)
    # The only MT5 account has no other MT5 account to transfer to.
    assert service.funding_rules(mt5, FundingKind.TRANSFER).destinations == ()
    assert service.funding_rules(mt4, FundingKind.DEMO_TOPUP) is None


def test_deposit_pending_until_paid_then_the_balance_rises(lwork_sim, service, run,
                                                           tap) -> None:
    mt4, _, _ = refs(service, run)
    before = sim_balance(lwork_sim, mt4)
    handed: list[str] = []
    request = FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("100"), "USD",
                             details={"payCurrency": "CNY"})
    result = run(service.fund(request, handed.append))
    assert result.status is OrderStatus.PENDING
    assert "pay 712.34 CNY" in result.message and "credited once" in result.message
    (entry,) = lwork_sim.state.entries("Deposit")
    assert handed == [JOB_PREFIX + entry.job_id, entry.record_id]
    assert result.broker_ref == entry.record_id
    body = json.loads(tap.last("/deposit").content)
    assert body["depositAmount"] == "100.00" and body["payCurrency"] == "CNY"
    still = run(service.reconcile_funding(request, result.broker_ref))
    assert still.status is OrderStatus.PENDING and sim_balance(lwork_sim, mt4) == before
    lwork_sim.state.pay_deposit(entry.job_id)
    paid = run(service.reconcile_funding(request, result.broker_ref))
    assert paid.status is OrderStatus.ACCEPTED and "Paid" in paid.message
    assert paid.new_balance == before + 100 == sim_balance(lwork_sim, mt4)
    listed = run(service.accounts())
    assert next(a for a in listed if a.ref == mt4).balance.balance == before + 100


def test_the_default_pay_currency_and_lworks_refusals(lwork_sim, service, run) -> None:
    mt4, _, _ = refs(service, run)
    result = run(service.fund(FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("10"))))
    assert result.status is OrderStatus.PENDING
    assert lwork_sim.state.entries("Deposit")[0].pay_currency == "USD"
    with pytest.raises(ValidationError, match="paid in USD, CNY, EUR, not JPY"):
        run(service.fund(FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("10"),
                                        details={"payCurrency": "JPY"})))
    with pytest.raises(Rejected) as caught:
        run(service.fund(FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("60000"))))
    assert "out of the allowed range" in caught.value.message  # LWork's own words
    with pytest.raises(ValidationError, match="two decimals"):
        run(service.fund(FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("10.001"))))
    assert len(lwork_sim.state.entries("Deposit")) == 1


def test_a_lost_deposit_reply_is_found_in_the_cash_flow(lwork_sim, service, run) -> None:
    mt4, _, _ = refs(service, run)
    earlier = run(service.fund(FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("100"),
                                              details={"payCurrency": "CNY"})))
    request = FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("100"),
                             details={"payCurrency": "CNY"})
    sent_at = utc_now()
    lwork_sim.state.drop_reply_next("/v2/api/account/")
    with pytest.raises(MaybeSent):
        run(service.fund(request))
    assert requests_to(lwork_sim, DEPOSIT_ROUTE) == 2  # sent once, never resent
    # The earlier identical deposit is another journal entry's: never counted.
    found = run(service.reconcile_funding(request, "", since=sent_at,
                                          exclude=frozenset({earlier.broker_ref})))
    deposits = lwork_sim.state.entries("Deposit")
    assert len(deposits) == 2
    assert found.status is OrderStatus.PENDING and found.broker_ref == deposits[1].record_id
    assert "Found in LWork's cash flow" in found.message
    # Without a time it cannot be told from an older one; a different amount: none.
    assert run(service.reconcile_funding(request, "")).status is OrderStatus.UNKNOWN
    other = replace(request, amount=Decimal("101"))
    nothing = run(service.reconcile_funding(other, "", since=sent_at))
    assert nothing.status is OrderStatus.UNKNOWN and "keeps looking" in nothing.message
    assert requests_to(lwork_sim, DEPOSIT_ROUTE) == 2


def test_two_unclaimed_candidates_are_not_guessed(lwork_sim, make_service, run) -> None:
    first = make_service()
    second = make_service()  # another run of the app: knows nothing of the first's claims
    mt4, _, _ = refs(first, run)
    sent_at = utc_now()
    request = FundingRequest(mt4, FundingKind.DEPOSIT, Decimal("100"),
                             details={"payCurrency": "USD"})
    run(first.fund(request))
    run(first.fund(replace(request, client_ref="again")))
    refs(second, run)
    found = run(second.reconcile_funding(request, "", since=sent_at))
    assert found.status is OrderStatus.UNKNOWN and "cannot be told" in found.message


def test_withdrawal_with_private_bank_details_debited_after_approval(
        lwork_sim, service, run, request_log) -> None:
    _, mt4b, _ = refs(service, run)
    before = sim_balance(lwork_sim, mt4b)
    request = FundingRequest(mt4b, FundingKind.WITHDRAW, Decimal("300"), "USD",
                             private_details=BANK)
    assert "6226000012345678" not in repr(request)
    result = run(service.fund(request))
    assert result.status is OrderStatus.PENDING and "approves" in result.message
    (entry,) = lwork_sim.state.entries("Withdraw")
    assert entry.bank["bankAccountNumber"] == "6226000012345678"
    assert entry.bank["SWIFT"] == "ICBKCNBJ" and entry.bank["bankBranchName"] == ""
    assert result.broker_ref == entry.record_id
    logged = " ".join(f"{e.url} {e.request_body} {e.response_body}"
                      for e in request_log.entries)
    assert "/withdraw" in logged
    assert "6226000012345678" not in logged and "Jane Payee" not in logged
    assert run(service.reconcile_funding(request, result.broker_ref)).status is (
        OrderStatus.PENDING)
    lwork_sim.state.advance_clock(6)
    done = run(service.reconcile_funding(request, result.broker_ref))
    assert done.status is OrderStatus.ACCEPTED
    assert done.new_balance == before - 300 == sim_balance(lwork_sim, mt4b)
    with pytest.raises(ValidationError, match="bank account number"):
        run(service.fund(replace(request, client_ref="x",
                                 private_details={**BANK, "bankAccountNumber": " "})))


def test_transfer_to_the_other_account_moves_both_balances(lwork_sim, service,
                                                           run) -> None:
    mt4, mt4b, mt5 = refs(service, run)
    before = (sim_balance(lwork_sim, mt4), sim_balance(lwork_sim, mt4b))
    request = FundingRequest(mt4, FundingKind.TRANSFER, Decimal("123.45"), "USD",
                             destination=mt4b, comment="to my other account")
    result = run(service.fund(request))
    assert result.status is OrderStatus.ACCEPTED and "Moved to Demo 2" in result.message
    assert result.new_balance == before[0] - Decimal("123.45")
    assert (sim_balance(lwork_sim, mt4), sim_balance(lwork_sim, mt4b)) == (
        before[0] - Decimal("123.45"), before[1] + Decimal("123.45"))
    (entry,) = lwork_sim.state.entries("Transfer")
    assert result.broker_ref == entry.record_id
    listed = {a.ref: a for a in run(service.accounts())}
    assert listed[mt4b].balance.balance == before[1] + Decimal("123.45")
    with pytest.raises(ValidationError, match="one platform"):
        run(service.fund(replace(request, client_ref="x", destination=mt5)))
    with pytest.raises(ValidationError, match="Choose the account"):
        run(service.fund(replace(request, client_ref="y", destination=None)))
    assert len(lwork_sim.state.entries("Transfer")) == 1


def test_a_demo_connection_moves_no_money_on_a_live_account(lwork_sim, make_service,
                                                            run) -> None:
    state = lwork_sim.state
    live = state.open_account(state.user.user_id, "430", "Real one", "liveforex", 100,
                              Decimal("500.00"))
    service = make_service()
    accounts = {a.ref.account_id: a for a in run(service.accounts())}
    ref = accounts[live.login].ref
    assert accounts[live.login].environment is Environment.LIVE
    with pytest.raises(PermissionDenied, match="labelled Demo"):
        run(service.fund(FundingRequest(ref, FundingKind.DEPOSIT, Decimal("100"))))
    assert state.entries() == []
    # A Live connection (with the opt-in) may.
    live_service = make_service(environment=Environment.LIVE)
    run(live_service.accounts())
    result = run(live_service.fund(FundingRequest(ref, FundingKind.DEPOSIT, Decimal("100"))))
    assert result.status is OrderStatus.PENDING
