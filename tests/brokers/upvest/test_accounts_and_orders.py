"""Every account operation and status, paging, orders to FILLED, idempotent creation."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from desktop_app.brokers.upvest import mapping
from desktop_app.domain.errors import Rejected, ValidationError
from desktop_app.net.http import MaybeSent
from tests.brokers.upvest.conftest import wait_for

APPLE = "US0378331005"
SIEMENS = "DE0007236101"  # whole shares only
ALLIANZ = "DE0008404005"  # INACTIVE


def key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def karl(client, run):
    """Karl's main account (10,000 EUR in his group)."""
    return next(a for a in run(client.accounts()) if a["name"] == "Main account")


def owner(account) -> str:
    return account["users"][0]["id"]


def test_users_groups_and_a_users_accounts(client, run, karl):
    users = run(client.users())
    assert [u["first_name"] for u in users] == ["Karl", "Anna", "Lena"]
    assert run(client.user(users[0]["id"]))["last_name"] == "Schmidt"
    groups = run(client.account_groups(user_id=users[0]["id"]))
    assert [g["id"] for g in groups] == [karl["account_group_id"]]
    assert run(client.account_group(groups[0]["id"]))["type"] == "PERSONAL"
    mine = run(client.accounts(user_id=users[0]["id"]))
    assert {a["type"] for a in mine} == {"TRADING", "PORTFOLIO"}


def test_open_approve_rename_and_close_an_account(client, upvest_sim, run, karl):
    created = run(client.create_account(
        user_id=owner(karl), account_group_id=karl["account_group_id"], account_type="PORTFOLIO",
        name="Kids", idempotency_key=key()))
    assert created["status"] == "PENDING_APPROVAL"
    assert created["account_number"] == 3
    run(wait_for(lambda: _status(client, created["id"], "ACTIVE")))
    renamed = run(client.rename_account(created["id"], "Kids' savings"))
    assert renamed["name"] == "Kids' savings"
    upvest_sim.state.closing_delay = 20.0  # 1 s here: CLOSING is seen even under load
    run(client.close_account(created["id"]))
    assert run(client.account(created["id"]))["status"] == "CLOSING"
    run(wait_for(lambda: _status(client, created["id"], "CLOSED")))
    with pytest.raises(Rejected, match="only be closed while ACTIVE"):
        run(client.close_account(created["id"]))


async def _status(client, account_id: str, wanted: str) -> bool:
    return (await client.account(account_id))["status"] == wanted


def test_names_over_100_characters_are_refused_before_sending(client, upvest_sim, run, karl):
    with pytest.raises(ValidationError, match="at most 100"):
        run(client.rename_account(karl["id"], "x" * 101))
    assert upvest_sim.state.stats["requests"]["PATCH /accounts/{account_id}"] == 0


def test_a_locked_account_takes_no_order(client, upvest_sim, run, karl):
    upvest_sim.state.lock_account(karl["id"])
    assert run(client.account(karl["id"]))["status"] == "LOCKED"
    with pytest.raises(Rejected, match="The account is LOCKED"):
        run(client.place_order(user_id=owner(karl), account_id=karl["id"], side="BUY",
                               isin=APPLE, cash=Decimal("10.00"), idempotency_key=key(),
                               user_instrument_fit_acknowledgement=True))


def test_paging_reads_every_page_of_5000_accounts(client, upvest_sim, run):
    user_id = upvest_sim.state.add_bulk_accounts(5000)
    mine = run(client.accounts(user_id=user_id))
    assert len(mine) == 5000
    assert len({a["id"] for a in mine}) == 5000
    assert mine[0]["name"] == "Bulk account 1" and mine[-1]["name"] == "Bulk account 5000"
    assert upvest_sim.state.stats["requests"]["GET /users/{user_id}/accounts"] == 5
    everything = run(client.accounts(page_size=700, order="DESC"))
    assert len(everything) == 5004 and everything[0]["name"] == "Bulk account 5000"
    page = run(client.accounts_page(offset=4990, limit=100, user_id=user_id))
    assert (page.count, page.total_count, page.offset) == (10, 5000, 4990)


def test_paging_limits_are_checked_here_and_at_the_simulator(client, upvest_sim, run):
    with pytest.raises(ValidationError):
        run(client.accounts_page(limit=1001))
    with pytest.raises(ValidationError):
        run(client.accounts_page(offset=-1))
    with pytest.raises(Rejected, match="limit must be between 0 and 1000"):
        run(client.call("GET", "/accounts", params={"limit": 1001}))
    with pytest.raises(Rejected, match="offset must be greater"):
        run(client.call("GET", "/accounts", params={"offset": -1}))


def test_instruments_by_isin(client, run):
    apple = run(client.instrument(APPLE))
    assert (apple["wkn"], apple["fractional_trading"], apple["trading_status"]) == (
        "865985", True, "ACTIVE")
    assert len(run(client.instruments(trading_status="INACTIVE"))) == 1


def test_a_cash_order_goes_new_processing_filled_with_its_execution(client, upvest_sim, run,
                                                                    karl):
    upvest_sim.state.set_price(APPLE, "200.00")
    upvest_sim.state.settlement_delay = 10_000  # settles long after the test
    order = run(client.place_order(user_id=owner(karl), account_id=karl["id"], side="BUY",
                                   isin=APPLE, cash=Decimal("500.00"), idempotency_key=key(),
                                   user_instrument_fit_acknowledgement=True))
    assert order["status"] == "NEW" and order["quantity"] == "0"
    run(wait_for(lambda: _order_status(client, order["id"], "FILLED")))
    filled = run(client.order(order["id"]))
    (execution,) = filled["executions"]
    assert Decimal(execution["cash_amount"]) == Decimal("500.00")
    assert Decimal(execution["share_quantity"]) == Decimal("500.00") / Decimal(
        execution["price"]) // Decimal("0.000001") * Decimal("0.000001")
    assert run(client.execution(order["id"], execution["id"]))["id"] == execution["id"]
    (position,) = run(client.positions(karl["id"]))
    assert position["quantity"] == execution["share_quantity"]
    assert run(client.position(karl["id"], APPLE))["pending_settlement"] == position["quantity"]
    cash = run(client.cash_balance(karl["account_group_id"]))
    assert (cash["balance"], cash["locked_for_trading"]) == ("9500.00", "0.00")
    history = run(client.account_orders(karl["id"]))
    assert [o["id"] for o in history] == [order["id"]]
    prices = mapping.valuation_prices(run(client.valuation(karl["id"])))
    assert set(prices) == {APPLE} and prices[APPLE] > 0


async def _order_status(client, order_id: str, wanted: str) -> bool:
    return (await client.order(order_id))["status"] == wanted


def test_quantity_limit_order_rests_until_the_price_crosses_and_cancel_while_new(
        client, upvest_sim, run, karl):
    upvest_sim.state.set_price(APPLE, "200.00")
    order = run(client.place_order(user_id=owner(karl), account_id=karl["id"], side="BUY",
                                   isin=APPLE, quantity=Decimal("2"), order_type="LIMIT",
                                   limit_price=Decimal("150.00"), idempotency_key=key(),
                                   user_instrument_fit_acknowledgement=True))
    run(client.users())
    assert run(client.order(order["id"]))["status"] == "NEW"
    cash = run(client.cash_balance(karl["account_group_id"]))
    assert cash["locked_for_trading"] == "315.00"  # 2 x 150.00 + 5 % held for the fill
    cancelled = run(client.cancel_order(order["id"]))
    assert cancelled == {"id": order["id"]}
    final = run(client.order(order["id"]))
    assert (final["status"], final["cancellation_reason"]) == ("CANCELLED", "CANCELLED_BY_CLIENT")
    assert run(client.cash_balance(karl["account_group_id"]))["locked_for_trading"] == "0.00"
    second = run(client.place_order(user_id=owner(karl), account_id=karl["id"], side="BUY",
                                    isin=APPLE, quantity=Decimal("2"), order_type="LIMIT",
                                    limit_price=Decimal("150.00"), idempotency_key=key(),
                                    user_instrument_fit_acknowledgement=True))
    upvest_sim.state.set_price(APPLE, "149.00")
    run(wait_for(lambda: _order_status(client, second["id"], "FILLED")))


def test_whole_shares_only_and_inactive_instruments_are_refused(client, run, karl):
    with pytest.raises(Rejected, match="whole shares only"):
        run(client.place_order(user_id=owner(karl), account_id=karl["id"], side="BUY",
                               isin=SIEMENS, cash=Decimal("50.00"), idempotency_key=key(),
                               user_instrument_fit_acknowledgement=True))
    with pytest.raises(Rejected, match="INACTIVE"):
        run(client.place_order(user_id=owner(karl), account_id=karl["id"], side="BUY",
                               isin=ALLIANZ, quantity=Decimal("1"), idempotency_key=key(),
                               user_instrument_fit_acknowledgement=True))
    with pytest.raises(ValidationError, match="two decimals"):
        run(client.place_order(user_id=owner(karl), account_id=karl["id"], side="BUY",
                               isin=APPLE, cash=Decimal("1.005"), idempotency_key=key(),
                               user_instrument_fit_acknowledgement=True))


def test_a_lost_reply_on_an_order_is_asked_again_with_the_same_key(client, upvest_sim, run,
                                                                    karl):
    upvest_sim.state.drop_reply_next("/orders")
    order = run(client.place_order(user_id=owner(karl), account_id=karl["id"], side="BUY",
                                   isin=APPLE, cash=Decimal("20.00"), idempotency_key=key(),
                                   user_instrument_fit_acknowledgement=True))
    state = upvest_sim.state
    assert state.stats["requests"]["POST /orders"] == 2
    assert state.created["POST /orders"] == 1 and state.idempotent_replays == 1
    assert [o.id for o in state.orders.values()] == [order["id"]]


def test_a_lost_reply_on_create_left_to_the_caller_gives_one_account(make_client, upvest_sim,
                                                                      run, karl):
    client = make_client(resend_lost=0)
    same = key()
    upvest_sim.state.drop_reply_next("/accounts")
    with pytest.raises(MaybeSent):
        run(client.create_account(user_id=owner(karl), account_group_id=karl["account_group_id"],
                                  name="Retry me", idempotency_key=same))
    again = run(client.create_account(user_id=owner(karl),
                                      account_group_id=karl["account_group_id"],
                                      name="Retry me", idempotency_key=same))
    named = [a for a in upvest_sim.state.accounts.values() if a.name == "Retry me"]
    assert [a.id for a in named] == [again["id"]]
    assert upvest_sim.state.created["POST /accounts"] == 1
    with pytest.raises(Rejected, match="already used with a different request"):
        run(client.create_account(user_id=owner(karl), account_group_id=karl["account_group_id"],
                                  name="Another body", idempotency_key=same))


def test_virtual_cash_increase_and_decrease(client, run, karl):
    group = karl["account_group_id"]
    increase = run(client.increase_virtual_cash(group, Decimal("250.00"), idempotency_key=key()))
    assert (increase["status"], increase["amount"]) == ("ISSUED", "250.00")
    run(wait_for(lambda: _balance(client, group, "10250.00")))
    run(client.decrease_virtual_cash(group, Decimal("50.00"), idempotency_key=key()))
    assert run(client.cash_balance(group))["balance"] == "10200.00"
    with pytest.raises(Rejected, match="Insufficient"):
        run(client.decrease_virtual_cash(group, Decimal("999999.00"), idempotency_key=key()))


async def _balance(client, group: str, wanted: str) -> bool:
    return (await client.cash_balance(group))["balance"] == wanted
