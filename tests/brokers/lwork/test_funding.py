"""Deposits, payment callbacks, withdrawals and transfers through to the balances."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from desktop_app.brokers.lwork import TradingAccount, Withdrawal
from desktop_app.brokers.lwork.signing import deposit_data, transfer_data
from desktop_app.domain.errors import Rejected, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.net.http import MaybeSent
from tests.brokers.lwork.conftest import requests_to

DEPOSIT_ROUTE = "POST /v2/api/account/{userId}/{serverId}/{login}/deposit"


def balance(client, account: TradingAccount, run) -> Decimal:
    return run(client.account_info(account))["balance"]


def test_deposit_signed_then_paid_by_callback_credits_the_balance(lwork_sim, client,
                                                                  accounts, run,
                                                                  tap) -> None:
    account = accounts["mt4"]
    before = balance(client, account, run)
    receipt = run(client.deposit(account, Decimal("100"), "cny", "first"))
    assert receipt.pay_amount == Decimal("712.34") and receipt.pay_currency == "CNY"
    assert receipt.account_id == account.login and receipt.job_id
    body = json.loads(tap.last("/deposit").content)
    assert body["depositAmount"] == "100.00" and body["payCurrency"] == "CNY"
    signed = deposit_data(client.user_id, account.login, "CNY", "100.00")
    assert lwork_sim.state.key.verify(signed, body["signature"])
    # Pending until the payment arrives.
    assert balance(client, account, run) == before
    (pending,) = run(client.cash_flow(account, kinds=("Deposit",), since=utc_now()))
    assert (pending.pay_status, pending.state, pending.amount) == ("Pending", "Submited",
                                                                   Decimal("100.00"))
    assert run(client.deposit_callback(job_id=receipt.job_id, order_id="17051110011",
                                       pay_amount=receipt.pay_amount, pay_currency="CNY",
                                       platform="twAPI")) is True
    assert balance(client, account, run) == before + 100
    (paid,) = run(client.cash_flow(account, kinds=("Deposit",), since=utc_now()))
    assert (paid.pay_status, paid.state, paid.record_id) == ("Paid", "Approved",
                                                             pending.record_id)
    # A second callback for the same payment changes nothing.
    with pytest.raises(Rejected, match="already been paid"):
        run(client.deposit_callback(job_id=receipt.job_id, order_id="17051110011",
                                    pay_amount=receipt.pay_amount, pay_currency="CNY",
                                    platform="twAPI"))
    assert balance(client, account, run) == before + 100


def test_the_simulators_payment_arrives_after_a_delay(lwork_sim, client, accounts,
                                                      run) -> None:
    account = accounts["mt5"]
    before = balance(client, account, run)
    lwork_sim.state.deposit_pay_after = 30.0
    run(client.deposit(account, Decimal("250.50"), "USD"))
    assert balance(client, account, run) == before
    lwork_sim.state.advance_clock(31)
    assert balance(client, account, run) == before + Decimal("250.50")


def test_a_wrong_signature_is_refused(lwork_sim, make_client, accounts, run) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = other_key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode()
    client = make_client(private_key_pem=pem)
    run(client.login())
    for call in (
        client.deposit(accounts["mt4"], Decimal("100"), "USD"),
        client.transfer(accounts["mt4"], accounts["mt4b"], Decimal("1")),
        client.deposit_callback(job_id="x", order_id="1", pay_amount=Decimal("1"),
                                pay_currency="USD", platform="twAPI"),
    ):
        with pytest.raises(Rejected) as caught:
            run(call)
        assert caught.value.message == "Signature verification failed"
        assert "RSA private key" in caught.value.hint
    assert lwork_sim.state.cash == []


def test_deposit_limits_and_pay_currencies_are_lworks(lwork_sim, client, accounts,
                                                      run) -> None:
    account = accounts["mt4"]
    with pytest.raises(Rejected, match="out of the allowed range"):
        run(client.deposit(account, Decimal("50000.01"), "USD"))
    with pytest.raises(Rejected, match="currency is not supported"):
        run(client.deposit(account, Decimal("100"), "JPY"))
    with pytest.raises(ValidationError):
        run(client.deposit(account, Decimal("100.001"), "USD"))
    assert lwork_sim.state.cash == []


def test_withdrawal_is_debited_after_approval(lwork_sim, client, accounts, run,
                                              tap) -> None:
    account = accounts["mt4b"]
    before = balance(client, account, run)
    run(client.withdraw(account, Withdrawal(Decimal("300"), "Jane Payee", "6226000012345678",
                                            "ICBC", swift="icbkcnbj")))
    body = json.loads(tap.last("/withdraw").content)
    assert body == {"currency": "USD", "withdrawAmount": "300.00",
                    "bankAccountName": "Jane Payee", "bankAccountNumber": "6226000012345678",
                    "bankName": "ICBC", "bankBranchName": "", "SWIFT": "ICBKCNBJ"}
    assert balance(client, account, run) == before
    (submitted,) = run(client.cash_flow(account, kinds=("Withdraw",), since=utc_now()))
    assert (submitted.state, submitted.amount) == ("Submited", Decimal("-300.00"))
    lwork_sim.state.advance_clock(6)
    assert balance(client, account, run) == before - 300
    (approved,) = run(client.cash_flow(account, kinds=("Withdraw",), since=utc_now()))
    assert approved.state == "Approved"
    with pytest.raises(Rejected, match="Insufficient free margin"):
        run(client.withdraw(account, Withdrawal(Decimal("1000000"), "J", "1", "B")))
    with pytest.raises(ValidationError):
        run(client.withdraw(account, Withdrawal(Decimal("1"), "J", " ", "B")))


def test_transfer_moves_money_between_the_users_accounts(lwork_sim, client, accounts, run,
                                                         tap) -> None:
    source, target = accounts["mt4"], accounts["mt4b"]
    before = (balance(client, source, run), balance(client, target, run))
    run(client.transfer(source, target, Decimal("123.45"), "to my other account"))
    body = json.loads(tap.last("/transfer").content)
    assert body["transferAmount"] == "123.45" and body["receiptVendor"] == "MT4"
    assert body["receiptServerId"] == "428" and body["receiptUserId"] == client.user_id
    signed = transfer_data(source.login, "USD", client.user_id, target.login, target.name,
                           "428", "MT4", "123.45")
    assert lwork_sim.state.key.verify(signed, body["signature"])
    after = (balance(client, source, run), balance(client, target, run))
    assert after == (before[0] - Decimal("123.45"), before[1] + Decimal("123.45"))
    (out,) = run(client.cash_flow(source, kinds=("Transfer",), since=utc_now()))
    (into,) = run(client.cash_flow(target, kinds=("Transfer",), since=utc_now()))
    assert (out.amount, out.counterpart) == (Decimal("-123.45"), target.login)
    assert (into.amount, into.counterpart) == (Decimal("123.45"), source.login)


def test_transfers_to_another_user_or_platform_are_refused(lwork_sim, client, accounts,
                                                           run) -> None:
    state = lwork_sim.state
    stranger_login = state.account_ids(state.other_user.user_id)[0]
    stranger = replace(accounts["mt4b"], login=stranger_login,
                       name=state.account(stranger_login).name)
    with pytest.raises(Rejected) as caught:
        run(client.transfer(accounts["mt4"], stranger, Decimal("10")))
    assert caught.value.message == (
        "Transfers are only possible between accounts of the same user on the same platform")
    with pytest.raises(ValidationError, match="one platform"):
        run(client.transfer(accounts["mt4"], accounts["mt5"], Decimal("10")))
    assert state.cash == []
    assert state.account(stranger_login).balance == Decimal("1000.00")


def test_a_lost_deposit_reply_is_found_in_the_cash_flow(lwork_sim, client, accounts,
                                                        run) -> None:
    account = accounts["mt4"]
    run(client.deposit(account, Decimal("75"), "EUR"))  # an earlier, different deposit
    sent_at = utc_now()
    lwork_sim.state.drop_reply_next("/v2/api/account/")
    with pytest.raises(MaybeSent):
        run(client.deposit(account, Decimal("100"), "CNY"))
    (found,) = run(client.find_cash_records(account, "Deposit", amount=Decimal("100"),
                                            since=sent_at, pay_currency="CNY"))
    assert found.pay_amount == Decimal("712.34") and found.pay_status == "Pending"
    assert len(lwork_sim.state.entries("Deposit")) == 2  # sent once, not resent
    assert requests_to(lwork_sim, DEPOSIT_ROUTE) == 2
    assert run(client.find_cash_records(account, "Deposit", amount=Decimal("100"),
                                        since=sent_at, pay_currency="USD")) == []
