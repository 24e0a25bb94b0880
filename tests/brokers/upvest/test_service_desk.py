"""The Upvest service's desk against the simulator over loopback: every account with its
owner, group, status and the group's cash; opening, renaming and closing; a lost reply
on opening answered by the idempotency key with the one account."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop_app.domain.errors import ValidationError
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import (
    AccountAction,
    AccountOpening,
    AccountStatus,
    OrderStatus,
)
from tests.brokers.upvest.conftest import wait_for

CREATE = "POST /accounts"
LIST = "GET /accounts"


def by_name(service, run, name):
    return next(a for a in run(service.accounts()) if a.name == name)


async def has_status(service, name: str, status: AccountStatus) -> bool:
    return any(a.name == name and a.status is status for a in await service.accounts())


def karl_values(service, run):
    karl = by_name(service, run, "Main account")
    form = run(service.account_opening_forms())[0]
    user = next(v for v, label in form.fields[0].choices if label == "Karl Schmidt")
    group = next(v for v, label in form.fields[1].choices if label.endswith("Karl Schmidt"))
    return karl, user, group


def test_the_desk_lists_every_account_with_owner_group_status_and_cash(service, run):
    assert isinstance(service, BrokerService)
    caps = service.capabilities
    assert caps.account_actions == frozenset(AccountAction) and caps.webhooks
    assert not caps.quotes and "Market Data Package" in caps.why_not("quotes")
    accounts = run(service.accounts())
    assert sorted((a.owner, a.name) for a in accounts) == [
        ("Anna Becker", "Main account"), ("Karl Schmidt", "Main account"),
        ("Karl Schmidt", "Savings plan"), ("Lena Weber", "Main account")]
    karl = next(a for a in accounts if a.owner == "Karl Schmidt" and a.name == "Main account")
    assert karl.status is AccountStatus.ENABLED and karl.currency == "EUR"
    assert "full functionality" in karl.status_note
    assert karl.group.startswith("Securities account ")
    assert karl.kind == "Trading account"
    assert karl.balance is not None and karl.balance.balance == Decimal("10000.00")
    facts = {f.label: f.value for f in karl.balance.details}
    assert facts["Available for withdrawal"] == "10,000.00 EUR"
    assert facts["Cash of"] == karl.group
    savings = next(a for a in accounts if a.name == "Savings plan")
    assert savings.group == karl.group and savings.balance == karl.balance  # one cash


def test_opening_forms_list_users_and_groups(service, run):
    forms = run(service.account_opening_forms())
    assert [(f.kind, f.title) for f in forms] == [("TRADING", "Trading account"),
                                                  ("PORTFOLIO", "Portfolio account")]
    user, group, name = forms[0].fields
    assert [label for _, label in user.choices] == ["Anna Becker", "Karl Schmidt",
                                                    "Lena Weber"]
    assert len(group.choices) == 3 and all("·" in label for _, label in group.choices)
    assert name.optional and name.max_len == 100
    assert "PENDING_APPROVAL" in forms[0].notes


def test_an_account_opens_pending_and_its_approval_arrives_by_webhook(service, upvest_sim,
                                                                      run):
    _, user, group = karl_values(service, run)
    opened_refs: list[str] = []
    result = run(service.open_account(
        AccountOpening(service.connection_id, "TRADING",
                       {"user_id": user, "account_group_id": group, "name": "Kids"}),
        opened_refs.append))
    assert result.status is OrderStatus.PENDING and "approves" in result.message
    assert result.account is not None and opened_refs == [result.account.account_id]
    listed = by_name(service, run, "Kids")
    assert listed.status is AccountStatus.PENDING_APPROVAL
    assert "cannot be acted on" in listed.status_note
    lists_before = upvest_sim.state.stats["requests"][LIST]
    run(wait_for(lambda: any(ref is None and "balances" in topics
                             for ref, topics in service.changes[1:]), within=10))
    run(wait_for(lambda: has_status(service, "Kids", AccountStatus.ENABLED), within=10))
    # The webhook's ACCOUNT.ACTIVATED carried the account: the list was not read again.
    assert service.webhooks_live
    assert upvest_sim.state.stats["requests"][LIST] == lists_before
    assert upvest_sim.state.created[CREATE] == 1


def test_a_group_of_another_user_is_refused_before_sending(service, upvest_sim, run):
    _, user, group = karl_values(service, run)
    form = run(service.account_opening_forms())[0]
    anna_group = next(v for v, label in form.fields[1].choices if label.endswith("Anna Becker"))
    with pytest.raises(ValidationError, match="belongs to Anna Becker, not to Karl Schmidt"):
        run(service.open_account(AccountOpening(
            service.connection_id, "TRADING",
            {"user_id": user, "account_group_id": anna_group})))
    with pytest.raises(ValidationError, match="at most 100"):
        run(service.open_account(AccountOpening(
            service.connection_id, "PORTFOLIO",
            {"user_id": user, "account_group_id": group, "name": "n" * 101})))
    assert upvest_sim.state.stats["requests"][CREATE] == 0


def test_a_lost_reply_on_opening_is_asked_again_under_the_same_key(service, upvest_sim,
                                                                   run):
    _, user, group = karl_values(service, run)
    upvest_sim.state.approval_delay = 0
    upvest_sim.state.drop_reply_next("/accounts")
    opening = AccountOpening(service.connection_id, "PORTFOLIO",
                             {"user_id": user, "account_group_id": group, "name": "Twice?"})
    result = run(service.open_account(opening))
    assert result.status is OrderStatus.ACCEPTED
    assert upvest_sim.state.stats["requests"][CREATE] == 2  # asked again, same key
    assert upvest_sim.state.created[CREATE] == 1  # one account
    assert upvest_sim.state.idempotent_replays == 1
    assert [a.name for a in run(service.accounts())].count("Twice?") == 1


def test_rename_and_close_through_closing_to_closed(service, upvest_sim, run):
    karl = by_name(service, run, "Savings plan")
    renamed = run(service.rename_account(karl.ref, "Kids' savings"))
    assert renamed.name == "Kids' savings" and renamed.owner == "Karl Schmidt"
    assert by_name(service, run, "Kids' savings").ref == karl.ref
    closing = run(service.close_account(karl.ref))
    assert closing.status is OrderStatus.PENDING and "CLOSING" in closing.message
    assert by_name(service, run, "Kids' savings").status is AccountStatus.CLOSING
    run(wait_for(lambda: has_status(service, "Kids' savings", AccountStatus.CLOSED),
                 within=10))
    refused = run(service.close_account(karl.ref))
    assert refused.status is OrderStatus.REJECTED
    assert "only be closed while ACTIVE" in refused.message
    assert "request id" in refused.message


def test_a_lock_arrives_by_webhook_with_its_meaning(service, upvest_sim, run):
    anna = next(a for a in run(service.accounts()) if a.owner == "Anna Becker")
    upvest_sim.state.lock_account(anna.ref.account_id)
    run(wait_for(lambda: has_status(service, anna.name, AccountStatus.LOCKED), within=10))
    locked = next(a for a in run(service.accounts()) if a.ref == anna.ref)
    assert locked.status_note == "Account is locked for all actions."
