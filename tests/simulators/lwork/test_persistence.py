"""The LWork simulator's state survives a restart of the Sandbox: exported, written as
JSON, imported into a simulator of the same seed and start, and the API answers as
before (accounts, balances, positions, cash flow, opened accounts, the holder's name)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from desktop_app.simulators.runner import start_simulator


def test_an_exported_state_is_what_a_restarted_simulator_serves(raw, lwork_sim) -> None:
    state = lwork_sim.state
    mt4, mt4b, _mt5 = state.account_ids()
    user = state.user
    state.deposit_pay_after = None
    # Changes through the API: a deposit (pending), a demo account, the holder's name.
    key = state.key
    deposit_body = {"depositAmount": "100.00", "payCurrency": "CNY", "comment": "",
                    "signature": key.sign(f"{user.user_id}{mt4}CNY100.00")}
    assert raw.post(f"/v2/api/account/{user.user_id}/428/{mt4}/deposit",
                    deposit_body).json()["result"] is True
    demo_type = state.demo_types["MT5"][0]["typeId"]
    assert raw.post(f"/v1/api/account/{user.user_id}/sms/open/demo", {
        "demoAccountType": demo_type, "vendor": "MT5", "accountName": "Kept",
        "phone": "15912345678"}).json()["result"] is True
    assert raw.post(f"/v1/api/account/{user.user_id}/update/diff/base",
                    {"accountName": "Jane Kept"}).json()["result"] is True
    state.account(mt4b).balance += Decimal("12.34")
    state.advance_clock(3)
    saved = json.loads(json.dumps(lwork_sim.export_state()))

    again = start_simulator("lwork", port=0, seed=lwork_sim.seed, saved=saved)
    try:
        restored = again.state
        assert restored.account_ids() == state.account_ids()
        assert restored.credentials["login_name"] == lwork_sim.credentials["login_name"]
        assert restored.credentials["password"] == lwork_sim.credentials["password"]
        assert restored.account(mt4b).balance == state.account(mt4b).balance
        assert [t.ticket for t in restored.account(mt4).positions] == [
            t.ticket for t in state.account(mt4).positions]
        assert restored.account(mt4).positions[0].open_time == (
            state.account(mt4).positions[0].open_time)
        (entry,) = restored.entries("Deposit")
        assert (entry.pay_status, entry.pay_amount, entry.job_id) == (
            "Pending", Decimal("712.34"), state.entries("Deposit")[0].job_id)
        assert restored.user.base["accountName"] == "Jane Kept"
        kept = [a for a in restored.book.accounts.values() if a.name == "Kept"]
        assert len(kept) == 1 and kept[0].server.server_id == "431"
        assert restored.clock() - state.clock() == pytest.approx(0, abs=1)
        # The payment arrives after the restart: the account is credited.
        before = restored.account(mt4).balance
        restored.pay_deposit(entry.job_id)
        assert restored.account(mt4).balance == before + 100
    finally:
        again.stop()


def test_a_state_of_another_start_is_refused(lwork_sim) -> None:
    saved = lwork_sim.export_state()
    saved["origin"] = saved["origin"] - 1
    with pytest.raises(ValueError, match="another start"):
        lwork_sim.state.import_state(saved)
