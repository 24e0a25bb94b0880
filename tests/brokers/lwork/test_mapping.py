"""The seed's and LW-DOCS's example replies mapped to domain values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from desktop_app.brokers.lwork import forms, mapping, wire
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.types import (
    AccountStatus,
    Environment,
    FundingKind,
    OrderType,
    Side,
)

REF = mapping.account_ref("conn", "2090002986")

ACCOUNT_INFO = {"accountId": "2090002986", "accountName": "Demo",
                "balance": Decimal("51092.55"), "credit": Decimal("277.78"),
                "currency": "USD", "floatProfit": Decimal("-1.164"), "group": "demoTB",
                "leverage": 20, "marginFree": Decimal("51370.33")}
DETAIL = {"accounts": [
    {"accountGroup": "9", "accountGroupName": "account group test 99",
     "accountId": "2090001252", "accountName": "demo", "accountType": "Live",
     "balance": Decimal("1014.07"), "currency": "USD", "leverage": 100,
     "platformName": "MT4", "serverName": "MT4-Live", "status": True},
    {"accountId": "2090005469", "accountName": "demo", "accountType": "Demo", "balance": 0,
     "currency": "USD", "leverage": 100, "platformName": "MT4", "serverName": "MT4-Demo",
     "status": False}], "email": "demo@lwork.com", "nickname": "demo", "username": "Test"}
POSITION = {"account": "2090001479", "commission": Decimal("-9.8"), "id": "12212502",
            "openPrice": Decimal("1.05984"), "openTime": "2017-04-08T00:41:38.000",
            "profit": Decimal("-7.84"), "serverId": "428", "stopLoss": 0, "swap": 0,
            "symbol": "EURUSD", "takeProfit": 0, "tenantId": "T001117", "type": "Buy",
            "vendor": "MT4", "volume": Decimal("0.98")}
PENDING = {"account": "2090002986", "executionTime": "1970-01-01T08:00:00.000",
           "orderPrice": Decimal("1.05984"), "orderTime": "2017-04-08T01:21:54.000",
           "id": "12132047", "serverId": "428", "stopLoss": 0, "symbol": "EURUSD",
           "takeProfit": 0, "type": "BuyLimit", "vendor": "MT4", "volume": 1}
HISTORY = {"account": "2090002986", "closePrice": Decimal("1.07709"),
           "closeTime": "2017-03-24T07:49:27.000", "commission": -13, "id": "12132047",
           "openPrice": Decimal("1.07703"), "openTime": "2017-03-24T07:49:19.000",
           "profit": -6, "serverId": "428", "stopLoss": 0, "swaps": 0, "symbol": "EURUSD",
           "takeProfit": 0, "type": "Sell", "vendor": "MT4", "volume": 1}
CASHFLOW = {"depositTransaction": {
    "accountId": "2090001252", "comment": "", "createTime": 1491494693521,
    "depositAmount": 100, "depositCurrency": "USD", "id": "00000139",
    "payAmount": Decimal("693.4"), "payCurrency": "CNY", "payStatus": "Pending",
    "state": "Submited"}, "transactionType": "Deposit"}
DEPOSIT_SETTINGS = {
    "charges": 10, "exchangeRateSettings": [
        {"exchange": Decimal("6.9271"), "exchangeFloat": Decimal("0.1"),
         "exchangeMode": "Automatic", "payCurrency": "CNY", "showExchange": True,
         "transactionCurrency": "USD"},
        {"exchange": Decimal("1.43902439"), "exchangeFloat": 0, "exchangeMode": "Automatic",
         "payCurrency": "NZD", "showExchange": True, "transactionCurrency": "USD"}],
    "maxDeposit": 200000, "minDeposit": Decimal("0.01"),
    "payList": [{"currency": "CNY", "name": "LW Payment Channel", "providerId": "3",
                 "providerName": "sina Payment"}], "showCharge": True,
    "telegraphic": "<html>test</html>\n"}
DEMO_TYPES = [{"accountGroup": "D04DemoLWVIR", "initAmount": 10000, "leverage": 100,
               "typeId": "2e852672-dd6e-4ede-a6dc-7108c234dcd7",
               "typeName": "General User"}]


def test_balance_from_account_info_3_1() -> None:
    balance = mapping.to_balance(ACCOUNT_INFO)
    assert balance.balance == Decimal("51092.55")
    assert balance.profit_loss == Decimal("-1.164")
    assert balance.equity == Decimal("51092.55") + Decimal("277.78") - Decimal("1.164")
    assert balance.available == Decimal("51370.33")
    assert balance.margin == balance.equity - balance.available
    facts = {f.label: f.value for f in balance.details}
    assert facts == {"Credit": "277.78 USD", "Free margin": "51,370.33 USD",
                     "Leverage": "1:20", "MT group": "demoTB"}


@pytest.mark.parametrize("missing", ["balance", "credit", "floatProfit", "marginFree"])
def test_a_missing_money_field_is_unreadable_not_zero(missing: str) -> None:
    with pytest.raises(ProtocolError, match=missing):
        mapping.to_balance({k: v for k, v in ACCOUNT_INFO.items() if k != missing})
    with pytest.raises(ProtocolError):
        mapping.to_balance(ACCOUNT_INFO | {missing: "n/a"})


def test_accounts_from_the_user_detail_2_8() -> None:
    detail = wire.read_user_detail(DETAIL, {"MT4-Live": "430"})
    live, demo = (mapping.to_account("conn", a, owner="Test", info=ACCOUNT_INFO
                                     if a.live else None) for a in detail.accounts)
    assert (live.environment, live.kind, live.group) == (
        Environment.LIVE, "MT4 live", "MT4-Live / demoTB")
    assert live.owner == "Test" and live.status is AccountStatus.ENABLED
    assert detail.accounts[0].server_id == "430" and detail.accounts[1].server_id == ""
    assert (demo.environment, demo.status, demo.group) == (
        Environment.DEMO, AccountStatus.DISABLED, "MT4-Demo")
    with pytest.raises(ProtocolError):
        wire.read_user_detail({"accounts": [DETAIL["accounts"][0] | {"platformName": "MT6"}]},
                              {})


def test_position_3_10_with_swap_and_commission_and_utc8_time() -> None:
    position = mapping.to_position(REF, POSITION, "USD")
    assert (position.side, position.size, position.profit_loss) == (
        Side.BUY, Decimal("0.98"), Decimal("-7.84"))
    assert position.opened_at == datetime(2017, 4, 7, 16, 41, 38, tzinfo=UTC)
    assert position.stop_level is None and position.profit_level is None
    assert position.current_level == position.open_level == Decimal("1.05984")
    facts = {f.label: f.value for f in position.facts}
    assert facts["Commission"] == "-9.80 USD" and facts["Swap"] == "0.00 USD"
    with pytest.raises(ProtocolError):
        mapping.to_position(REF, POSITION | {"profit": None}, "USD")


def test_pending_order_3_9() -> None:
    order = mapping.to_working_order(REF, PENDING, "USD")
    assert (order.side, order.order_type, order.level) == (
        Side.BUY, OrderType.LIMIT, Decimal("1.05984"))
    assert order.created_at == datetime(2017, 4, 7, 17, 21, 54, tzinfo=UTC)
    # The unset executionTime of the example is the epoch written in UTC+8.
    assert wire.local_time(PENDING["executionTime"]) is None


def test_closed_trade_3_8_reads_swaps_as_in_the_example() -> None:
    entry = mapping.trade_to_history(REF, HISTORY, "USD")
    assert (entry.kind, entry.side, entry.level, entry.profit_loss) == (
        "Closed trade", Side.SELL, Decimal("1.07709"), Decimal(-6))
    assert entry.at == datetime(2017, 3, 23, 23, 49, 27, tzinfo=UTC)
    assert "commission -13.00 USD" in entry.note and "swap 0.00 USD" in entry.note


def test_cash_flow_3_7() -> None:
    record = wire.read_cash_record(CASHFLOW, "2090001252")
    assert (record.kind, record.amount, record.pay_amount) == (
        "Deposit", Decimal(100), Decimal("693.4"))
    assert record.created_at == datetime(2017, 4, 6, 16, 4, 53, 521000, tzinfo=UTC)
    assert mapping.settled(record) is None
    entry = mapping.to_cashflow(REF, record)
    assert entry.kind == "Deposit" and entry.amount == 100
    assert entry.note == "Submited, payment Pending; pay 693.40 CNY"
    history = mapping.cash_to_history(REF, record)
    assert history.kind == "Deposit" and history.profit_loss == 100
    paid = wire.read_cash_record({"depositTransaction": CASHFLOW["depositTransaction"]
                                  | {"payStatus": "Paid", "state": "Approved"},
                                  "transactionType": "Deposit"}, "2090001252")
    assert mapping.settled(paid) is True
    with pytest.raises(ProtocolError):
        wire.read_cash_record({"transactionType": "Deposit", "depositTransaction": {
            **CASHFLOW["depositTransaction"], "depositAmount": None}}, "2090001252")


def _account(**changes: object) -> wire.TradingAccount:
    base = wire.read_trading_account(DETAIL["accounts"][0], {"MT4-Live": "430"})
    return base if not changes else wire.TradingAccount(**{
        **{f: getattr(base, f) for f in base.__dataclass_fields__}, **changes})


def test_deposit_rules_from_the_deposit_settings_1_3() -> None:
    rules = forms.deposit_rules(_account(), DEPOSIT_SETTINGS)
    assert rules.kind is FundingKind.DEPOSIT and not rules.demo_only
    assert (rules.min_amount, rules.max_amount) == (Decimal("0.01"), Decimal(200000))
    (field,) = rules.fields
    assert field.name == "payCurrency" and [c[0] for c in field.choices] == ["CNY", "NZD"]
    facts = {f.label: f for f in rules.facts}
    assert facts["Rate CNY"].value == "1 USD = 6.9271 CNY"
    assert facts["Rate CNY"].hint == "may float by 0.1"
    assert facts["Charges"].value == "10"
    assert forms.payable(Decimal(100), Decimal("6.9271")) == Decimal("692.71")
    with pytest.raises(ProtocolError):
        forms.deposit_rules(_account(currency="EUR"), DEPOSIT_SETTINGS)


def test_withdraw_and_transfer_rules() -> None:
    account = _account()
    withdraw = forms.withdraw_rules(account, ACCOUNT_INFO)
    assert withdraw.max_amount == Decimal("51370.33")
    assert all(f.private for f in withdraw.fields)
    assert {f.name for f in withdraw.fields if not f.optional} == {
        "bankAccountName", "bankAccountNumber", "bankName"}
    others = [_account(login="1"), _account(login="2", vendor="MT5"),
              _account(login="3", enabled=False), account]
    transfer = forms.transfer_rules("conn", account, ACCOUNT_INFO, others)
    assert [d.account_id for d in transfer.destinations] == ["1"]


def test_opening_forms() -> None:
    demo = forms.demo_form({"MT4": DEMO_TYPES})
    (choice,) = demo.fields[0].choices
    assert choice[0] == "MT4:2e852672-dd6e-4ede-a6dc-7108c234dcd7"
    assert "10,000.00 at 1:100" in choice[1] and "D04DemoLWVIR" in choice[1]
    real = forms.real_form([("MT4", "430", "MT4-Live")])
    assert real.fields[0].choices == (("MT4:430", "MT4 · MT4-Live"),)
    assert {f.name for f in real.fields} >= {"group", "leverage", "accountName", "email",
                                             "phone"}
    with pytest.raises(ProtocolError):
        forms.demo_form({})
