"""The Upvest simulator's saved state: everything a desk changed comes back on a restart
with the same seed, and what was under way (an approval, a fill, a settlement, virtual
cash to confirm, a closure) carries on."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from desktop_app.simulators.runner import start_simulator
from desktop_app.simulators.upvest import orders
from desktop_app.simulators.upvest.lifecycle import schedule_approval, schedule_confirmation

APPLE = "US0378331005"


def _until(predicate, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.02)


def test_a_restart_keeps_the_desk_and_resumes_what_was_under_way() -> None:
    first = start_simulator("upvest", port=0, seed=21)
    state = first.state
    state.time_scale = 1.0
    state.approval_delay = 3600.0  # still pending when saved
    state.processing_delay = 3600.0  # virtual cash still ISSUED, the order still NEW
    try:
        with state.lock:
            karl = next(a for a in state.accounts.values() if a.name == "Main account")
            group = state.groups[karl.group_id]
            pending = state.add_account(karl.user_id, group.id, "TRADING", "Kids",
                                        "PENDING_APPROVAL")
            schedule_approval(state, pending)
            item = state.new_virtual_cash(group, Decimal("300.00"), "increase")
            schedule_confirmation(state, item)
            order = orders.place(state, {"account_id": karl.id, "user_id": karl.user_id,
                                         "order_type": "MARKET",
                                         "user_instrument_fit_acknowledgement": True},
                                 side="BUY", isin=APPLE, cash=Decimal("50.00"),
                                 quantity=Decimal(0), limit=None, stop=None)
            state.set_price("DE0007164600", "200.00")
        saved = first.export_state()
        ids, credentials = state.account_ids(), dict(state.credentials)
        cash_before = group.cash_payload()
    finally:
        first.stop()
    text = json.dumps(saved)  # the Sandbox writes it as JSON
    again = start_simulator("upvest", port=0, seed=21, saved=json.loads(text))
    restored = again.state
    try:
        assert restored.account_ids() == ids
        assert {k: v for k, v in restored.credentials.items() if k != "private_key_file"} == {
            k: v for k, v in credentials.items() if k != "private_key_file"}
        assert restored.accounts[pending.id].status == "PENDING_APPROVAL"
        assert restored.groups[group.id].cash_payload() == cash_before
        assert restored.orders[order.id].status == "NEW"
        assert restored.orders[order.id].locked_cash == Decimal("50.00")
        assert restored.price("DE0007164600") == Decimal("200.00")
        # What was under way carries on (fast now).
        restored.time_scale = 1000.0
        with restored.lock:
            for action in [a for _, _, a in restored._timers]:
                action()  # due at once: as if the waits had passed
        restored.sync()
        _until(lambda: restored.sync() or restored.orders[order.id].status == "FILLED")
        assert restored.accounts[pending.id].status == "ACTIVE"
        assert restored.virtual_cash[item.id].status == "CONFIRMED"
        # 10,000 + 300 credited - the 50.00 bought.
        assert restored.groups[group.id].balance == Decimal("10250.00")
    finally:
        again.stop()


def test_a_state_of_another_version_is_refused() -> None:
    sim = start_simulator("upvest", port=0, seed=3)
    try:
        saved = sim.export_state()
    finally:
        sim.stop()
    saved["version"] = 99
    with pytest.raises(ValueError, match="version 99"):
        start_simulator("upvest", port=0, seed=3, saved=saved)
