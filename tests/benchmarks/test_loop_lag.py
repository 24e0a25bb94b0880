"""Event-loop lag while the whole app polls the Sandbox.

The real stack: Hub + view-models + MainWindow (offscreen) on a qasync loop, connected
to the Capital.com simulator through the real adapter, an account selected, a quote in
the ticket, open positions. A probe sleeps 5 ms over and over; its overshoot is the lag
a user would feel.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from desktop_app.domain.types import OrderRequest, Side
from desktop_app.net.request_log import RequestLog
from desktop_app.sandbox import sandbox_connection
from desktop_app.session.hub import Hub
from desktop_app.storage.journal import Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.app_vm import AppViewModel
from tests.benchmarks.conftest import QUICK, percentile, report

PROBE_S = 0.005


def test_loop_lag_while_polling(qapp, qrun, capital_sim) -> None:
    duration = 4.0 if QUICK else 15.0

    async def scenario() -> tuple[list[float], dict[str, int], int]:
        journal = Journal()
        hub = Hub(
            settings=Settings.load(),
            secrets=SecretStore(),
            journal=journal,
            request_log=RequestLog(),
        )
        vm = AppViewModel(hub, hub.settings)
        window = MainWindow(vm)
        window.show()
        await hub.start()
        profile, creds = sandbox_connection("capital", capital_sim)
        await hub.add_connection(profile, creds, persist=False)
        while not [r for r in vm.accounts.rows() if r.ref is not None]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # the accounts model has no awaitable; poll it
        ref = next(r.ref for r in vm.accounts.rows() if r.ref is not None)
        vm.accounts.select(ref)
        for symbol in ("EURUSD", "GOLD", "US500", "BTCUSD", "OIL_CRUDE"):
            size = Decimal("1000") if symbol == "EURUSD" else Decimal("1")
            await hub.place_order(OrderRequest(ref, symbol, Side.BUY, size))
        found = await vm.ticket.search("GOLD")
        vm.ticket.choose(found[0])
        lags: list[float] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + duration
        while loop.time() < end:
            t = time.perf_counter()
            await asyncio.sleep(PROBE_S)
            lags.append(max(0.0, (time.perf_counter() - t - PROBE_S) * 1000))
        requests = len(hub.request_log.entries)
        window.close()
        await vm.aclose()
        await hub.stop()
        journal.close()
        return lags, capital_sim.state.stats.get("429", {}), requests

    lags, throttled, requests = qrun(scenario(), timeout=duration + 60)
    report("event-loop lag p50 while polling", percentile(lags, 50))
    report(
        "event-loop lag p99 while polling",
        percentile(lags, 99),
        16,
        f"max {max(lags):.1f} ms over {len(lags)} probes, {duration:.0f} s, "
        f"{requests} requests, 429s: {sum(throttled.values())}",
    )
    assert sum(throttled.values()) == 0
