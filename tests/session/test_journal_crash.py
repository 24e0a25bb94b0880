"""The journal across a crash: what was begun is found and settled at the next start."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal

from desktop_app.domain.types import AccountRef, FundingKind, FundingRequest, OrderRequest, Side
from desktop_app.session.events import ConnectionState, JournalChanged
from desktop_app.storage.journal import EntryState, Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from tests.session.conftest import (
    CID,
    SYMBOL,
    capital_profile,
    capital_secrets,
    connected_accounts,
    wait_for,
)

# The app, in a process of its own: it connects, journals an order and sends it, and
# is killed (SIGKILL, no clean-up of any kind) before it learns the outcome.
APP = textwrap.dedent(
    """
    import asyncio, json, sys
    from decimal import Decimal
    from desktop_app.domain.config import ConnectionProfile
    from desktop_app.domain.types import OrderRequest, Side
    from desktop_app.session.hub import Hub
    from desktop_app.storage.journal import Journal
    from desktop_app.storage.secrets import SecretStore
    from desktop_app.storage.settings import Settings

    async def main():
        cfg = json.loads(sys.stdin.readline())
        hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal())
        await hub.start()
        profile = ConnectionProfile(cfg["cid"], "capital", "Capital.com Sandbox",
                                    fields={"identifier": cfg["identifier"]},
                                    base_url=cfg["base_url"], sandbox=True)
        await hub.add_connection(profile, cfg["secrets"])
        while not hub.accounts():
            await asyncio.sleep(0.02)
        account = next(a.ref for a in hub.accounts() if a.active)
        print("READY", flush=True)
        await hub.place_order(OrderRequest(account, cfg["symbol"], Side.BUY,
                                           Decimal("0.05"), client_ref="crash-order-1"))
        print("FINISHED", flush=True)

    asyncio.run(main())
    """
)


def test_crash_between_send_and_reply_is_reconciled_at_next_start(
    capital_sim, run, make_hub
) -> None:
    requests = capital_sim.state.stats["requests"]
    # The broker takes the order, but its confirmation never comes in time: the app
    # is still waiting for it when it dies.
    capital_sim.state.fail_next(404, "error.not-found.dealReference", "/confirms", count=1000)
    proc = subprocess.Popen(
        [sys.executable, "-c", APP], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({
            "cid": CID, "identifier": capital_sim.credentials["identifier"],
            "base_url": capital_sim.base_url, "secrets": capital_secrets(capital_sim),
            "symbol": SYMBOL,
        }) + "\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "READY"
        deadline = time.monotonic() + 10
        while requests["POST /positions"] == 0:
            assert time.monotonic() < deadline, "the order was never sent"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert proc.stdout.read() == ""  # it never got to FINISHED
    finally:
        if proc.poll() is None:
            proc.kill()
    capital_sim.state.clear_faults()

    journal = Journal()
    pending = journal.pending_orders()
    assert [e.client_ref for e in pending] == ["crash-order-1"]
    entry_id = pending[0].id

    # Next start: the profile is in the settings file; the secrets come from the keyring
    # (the memory store stands in for it here).
    assert [p.connection_id for p in Settings.load().profiles] == [CID]
    secrets = SecretStore()
    secrets.set_many(CID, capital_secrets(capital_sim))
    hub = make_hub(secrets=secrets, journal=journal)
    changes: list[JournalChanged] = []
    hub.subscribe(lambda e: changes.append(e) if isinstance(e, JournalChanged) else None)

    async def restart() -> list:
        await hub.start()
        assert await hub.wait_connected(CID) is ConnectionState.CONNECTED
        await wait_for(lambda: journal.order(entry_id).state is not EntryState.PENDING)
        usd, _ = await connected_accounts(hub)
        await wait_for(lambda: hub.positions(usd), within=3)
        return list(hub.positions(usd))

    positions = run(restart())
    entry = journal.order(entry_id)
    assert entry.state is EntryState.RECONCILED, entry
    result = entry.order_result()
    assert result is not None and result.accepted
    # The true outcome: the one position the broker opened for it ...
    assert [p.position_id for p in positions] == list(result.deal_ids)
    assert positions[0].size == Decimal("0.05") and positions[0].side is Side.BUY
    # ... and the order was not sent a second time.
    assert requests["POST /positions"] == 1
    assert [(c.entry_id, c.extra["state"], c.extra["status"]) for c in changes] == [
        (entry_id, "reconciled", "accepted")
    ]


def test_crash_before_send_and_pending_funding_are_settled(capital_sim, run, make_hub):
    usd_id = capital_sim.state.account_ids()[0]
    account = AccountRef(CID, "capital", usd_id)
    journal = Journal()
    order_id = journal.begin_order(OrderRequest(account, SYMBOL, Side.SELL, Decimal("0.03")))
    fund_id = journal.begin_funding(
        FundingRequest(account, FundingKind.DEMO_TOPUP, Decimal("500"), "USD"))
    journal.close()  # the "crash": nothing was sent, nothing completed

    settings = Settings.load()
    settings.upsert_profile(capital_profile(capital_sim))
    settings.save()
    secrets = SecretStore()
    secrets.set_many(CID, capital_secrets(capital_sim))
    journal = Journal()
    hub = make_hub(secrets=secrets, journal=journal)

    async def restart() -> None:
        await hub.start()
        await wait_for(lambda: journal.pending_orders() == [] and journal.pending_funding() == [])

    run(restart())
    order = journal.order(order_id)
    # The broker has no such position: still unknown (looked for again), never sent now.
    assert order.state is EntryState.UNKNOWN
    assert "No matching BTCUSD order" in order.message
    funding = journal.funding_entry(fund_id)
    assert funding.state is EntryState.UNKNOWN
    assert "500.00 USD" in funding.message and "Check the account balance" in funding.message
    requests = capital_sim.state.stats["requests"]
    assert requests["POST /positions"] == 0 and requests["POST /accounts/topUp"] == 0
