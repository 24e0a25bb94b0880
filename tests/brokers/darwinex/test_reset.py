"""A demo reset: the 403 "does not belong to the user", the moved account, no resend."""

from decimal import Decimal

import pytest

from desktop_app.domain.errors import AccountMoved, PermissionDenied
from desktop_app.domain.types import OrderRequest, Side
from tests.brokers.darwinex.conftest import BUY, demo_ref

PRODUCT = "NTI.4.12"


def test_reset_moves_a_pinned_profile_and_sends_nothing_again(
    darwinex_sim, make_service, made, run
) -> None:
    state = darwinex_sim.state
    old = demo_ref(darwinex_sim)
    svc = make_service(investor_account_id=old.account_id)
    run(svc.connect())
    assert run(svc.place_order(OrderRequest(old, PRODUCT, Side.BUY, Decimal("500")))).accepted

    state.new_account_access_delay = 600.0  # the token does not reach the new one yet
    new_id = str(state.reset_demo_account())
    with pytest.raises(AccountMoved) as err:
        run(svc.place_order(OrderRequest(old, PRODUCT, Side.BUY, Decimal("500"))))
    moved = err.value
    assert (moved.old_id, moved.new_id) == (old.account_id, new_id)
    assert moved.message == (
        f"Darwinex replaced demo account {old.account_id} with {new_id} (a demo reset gives "
        "a new investor account id). Nothing was sent."
    )
    assert isinstance(moved, PermissionDenied)
    # The profile follows: only the changed field is handed over for saving.
    assert made.changes == [{"investor_account_id": new_id}]
    assert svc.investor_account_id == new_id
    [account] = run(svc.accounts())
    assert account.ref.account_id == new_id
    assert account.balance is not None and account.balance.equity == Decimal("50000.00")
    # The refused order was not sent again: one executed order, two sends (ok, 403).
    assert len(state.orders) == 1 and state.stats[BUY] == 2

    # The new account is listed, but the token cannot use it yet: a plain explanation.
    new = demo_ref(darwinex_sim, int(new_id))
    with pytest.raises(PermissionDenied) as err:
        run(svc.place_order(OrderRequest(new, PRODUCT, Side.BUY, Decimal("500"))))
    assert not isinstance(err.value, AccountMoved)
    text = err.value.user_text()
    assert "up to an hour" in text and "generate a new token" in text
    assert "Nothing was sent" in text
    assert len(state.orders) == 1 and state.stats[BUY] == 3

    # Once access is granted, the same order goes through.
    state.new_account_access_delay = 0.0
    assert run(svc.place_order(OrderRequest(new, PRODUCT, Side.BUY, Decimal("500")))).accepted
    assert len(state.orders) == 2


def test_reset_without_a_pinned_account_only_reports_it(darwinex_sim, service, made, run):
    state = darwinex_sim.state
    old = demo_ref(darwinex_sim)
    state.new_account_access_delay = 0.0
    new_id = str(state.reset_demo_account())
    with pytest.raises(AccountMoved) as err:
        run(service.positions(old))
    assert err.value.new_id == new_id
    assert made.changes == []  # nothing to move: every account of the token is shown
    assert [a.ref.account_id for a in run(service.accounts())] == [new_id]
    assert run(service.positions(demo_ref(darwinex_sim, int(new_id)))) == []


def test_a_pinned_account_gone_at_start_moves_quietly(darwinex_sim, make_service, made, run):
    state = darwinex_sim.state
    old = demo_ref(darwinex_sim)
    new_id = str(state.reset_demo_account())
    svc = make_service(investor_account_id=old.account_id)
    run(svc.connect())
    assert made.changes == [{"investor_account_id": new_id}]
    assert [a.ref.account_id for a in run(svc.accounts())] == [new_id]
