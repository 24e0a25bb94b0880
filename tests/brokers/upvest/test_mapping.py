"""Upvest JSON (UP-SPEC's own examples) -> domain values; unreadable replies refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from desktop_app.brokers.upvest import mapping
from desktop_app.domain.errors import ProtocolError
from desktop_app.domain.types import (
    AccountStatus,
    Environment,
    OrderStatus,
    OrderType,
    Side,
    SizeUnit,
)

ACCOUNT = {
    "id": "ad45b27f-c0e7-4cfb-b48c-a83670dbdfbd", "created_at": "2020-08-24T14:15:22Z",
    "updated_at": "2020-08-24T14:15:22Z",
    "account_group_id": "fa2414ed-8d62-46fd-85ed-565a340c81d6", "type": "TRADING",
    "users": [{"id": "9c36af78-91a0-4174-a515-fc81214e3dab", "type": "OWNER"}],
    "account_number": 1, "name": "Main account", "status": "ACTIVE",
}
CASH = {"account_group_id": "d0fc0305", "currency": "EUR", "balance": "100.25",
        "locked_for_trading": "10", "pending_settlement": "10",
        "available_for_withdrawal": "80", "available_for_trading": "80"}
ORDER = {
    "id": "eb5ba93f-5dfe-4bf1-8571-4da0caacc80c", "created_at": "2021-07-21 14:10:00+00:00",
    "updated_at": "2021-07-21 14:10:00+00:00", "user_id": "2dedfeb0",
    "account_id": "debf2026", "cash_amount": "1000", "currency": "EUR", "side": "BUY",
    "instrument_id": "US0378331005", "instrument_id_type": "ISIN", "order_type": "MARKET",
    "quantity": "0", "user_instrument_fit_acknowledgement": True, "limit_price": "",
    "stop_price": "", "status": "FILLED", "fee": "0.0",
    "executions": [{"id": "b9dc0676", "side": "BUY", "currency": "EUR", "status": "FILLED",
                    "order_id": "eb5ba93f", "cash_amount": "1000",
                    "share_quantity": "11.734334663", "price": "85.22",
                    "transaction_time": "2021-07-21 14:10:00.020000+00:00",
                    "taxes": [{"type": "TOTAL", "amount": "0"}]}],
    "client_reference": "", "initiation_flow": "API",
}


def test_account_with_owner_group_status_and_cash():
    found = mapping.account(ACCOUNT, connection="c", environment=Environment.DEMO, cash=CASH)
    assert found.ref.account_id == ACCOUNT["id"]
    assert (found.owner, found.group) == (ACCOUNT["users"][0]["id"], ACCOUNT["account_group_id"])
    assert found.status is AccountStatus.ENABLED and found.kind == "Trading account"
    assert found.balance is not None and found.balance.balance == Decimal("100.25")
    assert found.balance.available == Decimal("80")
    assert found.balance.details[0].label == "Available for withdrawal"


@pytest.mark.parametrize(("status", "domain"), [
    ("PENDING_APPROVAL", AccountStatus.PENDING_APPROVAL), ("CLOSING", AccountStatus.CLOSING),
    ("CLOSED", AccountStatus.CLOSED), ("LOCKED", AccountStatus.LOCKED),
])
def test_lifecycle_statuses_carry_upvests_meaning(status, domain):
    found = mapping.account({**ACCOUNT, "status": status}, connection="c",
                            environment=Environment.DEMO)
    assert found.status is domain
    assert found.status_note == mapping.UPVEST_MEANING[status]


@pytest.mark.parametrize("broken", [
    {k: v for k, v in ACCOUNT.items() if k != "status"},
    {**ACCOUNT, "status": "FROZEN"},
    {**ACCOUNT, "users": []},
])
def test_unreadable_accounts_are_protocol_errors(broken):
    with pytest.raises(ProtocolError):
        mapping.account(broken, connection="c", environment=Environment.DEMO)


def test_cash_without_a_figure_is_a_protocol_error_not_zero():
    with pytest.raises(ProtocolError, match="available_for_trading"):
        mapping.balance({k: v for k, v in CASH.items() if k != "available_for_trading"})


def test_instrument_isin_wkn_fractional_and_status():
    found = mapping.instrument({"id": "x", "isin": "US0378331005", "wkn": "865985",
                                "name": "Apple", "fractional_trading": True,
                                "trading_status": "ACTIVE", "created_at": "", "updated_at": ""})
    assert found.symbol == "US0378331005"
    assert [(c.label, c.value) for c in found.codes] == [("ISIN", "US0378331005"),
                                                          ("WKN", "865985")]
    assert found.size_units == (SizeUnit.CASH, SizeUnit.UNITS) and found.tradeable
    whole = mapping.instrument({"isin": "DE0007236101", "name": "Siemens",
                                "fractional_trading": False, "trading_status": "INACTIVE"})
    assert whole.size_units == (SizeUnit.UNITS,) and whole.size_step == 1
    assert not whole.tradeable and "INACTIVE" in whole.note


def test_filled_order_result_history_and_holdings():
    result = mapping.order_result(ORDER)
    assert result.status is OrderStatus.ACCEPTED and result.size == Decimal("11.734334663")
    assert result.level == Decimal("85.2200")
    (entry,) = mapping.history(ORDER, connection="c")
    assert (entry.kind, entry.side, entry.level) == ("Filled", Side.BUY, Decimal("85.22"))
    assert entry.at == datetime(2021, 7, 21, 14, 10, 0, 20000, tzinfo=UTC)
    (isin, holding), = mapping.holdings([ORDER]).items()
    assert isin == "US0378331005" and holding.quantity == Decimal("11.734334663")
    position = mapping.position(
        {"account_id": "a", "instrument": {"uuid": "u", "isin": isin}, "quantity": "11.734334663",
         "locked_for_trading": "0", "pending_settlement": "0",
         "available_for_trading": "11.734334663"},
        connection="c", price=Decimal("90"), average_cost=holding.average_cost,
        opened_at=holding.opened_at)
    assert position.profit_loss == ((Decimal("90") - holding.average_cost)
                                    * Decimal("11.734334663")).quantize(Decimal("0.01"))


def test_new_orders_are_working_orders_by_amount_or_quantity():
    new = {**ORDER, "status": "NEW", "executions": []}
    working = mapping.working_order(new, connection="c")
    assert (working.size, working.currency, working.order_type) == (
        Decimal("1000"), "EUR", OrderType.MARKET)
    limit = {**new, "cash_amount": "0", "quantity": "3", "order_type": "LIMIT",
             "limit_price": "80.5"}
    found = mapping.working_order(limit, connection="c")
    assert (found.size, found.level, found.currency) == (Decimal("3"), Decimal("80.5"), "")
    assert mapping.order_result(new).status is OrderStatus.PENDING
    cancelled = {**new, "status": "CANCELLED", "cancellation_reason": "CANCELLED_BY_CLIENT"}
    assert mapping.order_result(cancelled).reason == "CANCELLED_BY_CLIENT"
    with pytest.raises(ProtocolError):
        mapping.working_order({**new, "cash_amount": "0", "quantity": "0"}, connection="c")
