"""Orders under random faults: nothing lost, nothing doubled, nothing unknown for good.

For each trading broker, orders go through the real hub, journal and service to the
broker's simulator, wrapped in the fault layer (``simulators.fault_layer``). Before each
order a seeded random draw picks what goes wrong with it: the connection reset before or
after the broker processed it, a 5xx before or after, a reply that comes too late (the
broker executes after the client gave up), a truncated / HTML / empty body, the broker's
own rate-limit refusal, or every session expiring just before it. Afterwards the truth
at the simulator is compared with what the app concluded:

- orders the simulator executed = entries the journal says executed (no double, no loss,
  no phantom);
- no entry still unknown once the broker has been asked again (``look_up_unknown``),
  where the broker's record is complete;
- every executed order is in the positions the app shows.

``FAULT_ORDERS`` sets the number of orders per broker (20 by default, CI's quick run;
the README's figures come from ``FAULT_ORDERS=100``).
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from desktop_app.brokers.registry import get_spec
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import BrokerError
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import OrderRequest, OrderStatus, Side
from desktop_app.net.request_log import RequestLog
from desktop_app.sandbox import OPEN_SESSION, sandbox_connection
from desktop_app.session.connection import Backoff
from desktop_app.session.hub import Hub
from desktop_app.simulators.fault_layer import Fault, FaultKind, FaultLayer
from desktop_app.simulators.runner import start_simulator
from desktop_app.storage.journal import EntryState, Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from tests.contract.scenarios import hooks_for, until

ORDERS = int(os.environ.get("FAULT_ORDERS", "20"))
SEED = 20261204
CLIENT_TIMEOUT = 1.0  # the client gives up this soon ...
LATE = 1.6  # ... and a LATE request is processed this long after it arrived

# What may happen to an order; None (nothing) weighs as much as all faults together.
CHOICES: tuple[FaultKind | str | None, ...] = (
    *FaultKind.__members__.values(), "refusal", "expiry",
)


@dataclass
class Tally:
    faults: collections.Counter[str] = field(default_factory=collections.Counter)
    raised: collections.Counter[str] = field(default_factory=collections.Counter)


def _service_factory(broker: str):
    """The broker's real service; Darwinex's windows scaled like the simulator's, and
    every client giving up after ``CLIENT_TIMEOUT`` (so LATE replies come too late)."""
    spec = get_spec(broker)

    def create(profile: ConnectionProfile, credentials: Credentials,
               request_log: RequestLog) -> BrokerService:
        if broker == "darwinex":
            from desktop_app.brokers.darwinex.service import DarwinexService

            service: BrokerService = DarwinexService(profile, credentials, request_log,
                                                     time_scale=5.0)
        else:
            service = spec.create(profile, credentials, request_log)
        http = service.client.http  # type: ignore[attr-defined]
        http.client.timeout = httpx.Timeout(CLIENT_TIMEOUT, connect=CLIENT_TIMEOUT)
        return service

    return create


@pytest.mark.parametrize("broker", ["capital", "tradovate", "darwinex"])
def test_orders_under_random_faults(broker: str, run, capsys) -> None:
    spec = get_spec(broker)
    assert spec.smoke is not None
    rng = random.Random(f"{SEED}:{broker}")
    upcoming: list[Fault] = []

    def decide(method: str, path: str) -> Fault | None:
        if upcoming and hooks.is_placement(method, path):
            return upcoming.pop()
        return None

    layer: list[FaultLayer] = []

    def wrap(app):
        layer.append(FaultLayer(app, decide, late=LATE))
        return layer[0]

    sim = start_simulator(spec.simulator, port=0, seed=11, wrap=wrap)
    hooks = hooks_for(spec, sim)
    clock = getattr(sim.state, "session_clock", None)
    if clock is not None:
        clock.freeze_at(OPEN_SESSION)
    if broker == "darwinex":
        sim.state.time_scale = 20.0
    hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal(),
              service_factory=_service_factory(broker),
              connect_backoff=Backoff(initial=0.05, maximum=0.2))
    hub.final_after = timedelta(0)  # the test waits for late executions itself
    tally = Tally()

    async def go() -> tuple[int, int]:
        await hub.start()
        profile, credentials = sandbox_connection(broker, sim)
        await hub.add_connection(profile, credentials, persist=False)
        cid = profile.connection_id
        account = (await until("an account", lambda: [
            a for a in hub.accounts() if a.ref.connection == cid]))[0].ref
        found = await hub.search_instruments(account, spec.smoke.search)
        instrument = next(i for i in found if i.symbol.startswith(spec.smoke.symbol_prefix))
        size = spec.smoke.size or instrument.min_size or Decimal(1)
        for _ in range(ORDERS):
            choice = rng.choice(CHOICES) if rng.random() < 0.5 else None
            if isinstance(choice, FaultKind):
                upcoming.append(Fault(choice))
            elif choice == "refusal":
                hooks.refuse_next_placement(account.account_id)
            elif choice == "expiry":
                hooks.expire_sessions()
            tally.faults[str(choice or "none")] += 1
            try:
                await hub.place_order(OrderRequest(account, instrument.symbol, Side.BUY, size),
                                      allow_duplicate=True)
            except BrokerError as exc:
                tally.raised[type(exc).__name__] += 1
            upcoming.clear()
        await asyncio.sleep(LATE + 0.5)  # late executions land at the broker
        unknown_before = sum(1 for e in hub.order_journal(1000)
                             if e.state is EntryState.UNKNOWN)
        left = await hub.look_up_unknown(cid)
        # Every executed order is in the positions the app shows (read fresh).
        expected = size * hooks.executed()
        hub.set_focus(account, set(), set())
        hub.poller.refresh(cid, account)
        await until(f"positions holding {expected}", lambda: sum(
            (p.size for p in hub.positions(account)), Decimal(0)) == expected, within=20)
        return unknown_before, left

    try:
        unknown_before, left = run(go(), timeout=60 + ORDERS * 6)
        entries = hub.order_journal(1000)
    finally:
        run(hub.stop())
        hub.journal.close()
        sim.stop()
    executed_said = sum(1 for e in entries if e.order_result() is not None
                        and e.order_result().status is OrderStatus.ACCEPTED)
    executed = hooks.executed()
    with capsys.disabled():
        print(f"\n{spec.display_name}: {ORDERS} orders, faults {dict(tally.faults)}; "
              f"executed at the simulator {executed}, executed per the journal "
              f"{executed_said}; unknown before reconciliation {unknown_before}, after "
              f"{left}; duplicates {max(0, executed_said - executed)}; errors raised to "
              f"the ticket {dict(tally.raised)}")
    assert len(entries) == ORDERS
    if executed_said != executed:  # say how, to find it
        for e in sorted(entries, key=lambda e: e.id):
            r = e.order_result()
            print(f"entry {e.id} {e.created:%H:%M:%S.%f} {e.state.value} "
                  f"{r.status.value if r else '-'} {r.deal_ids if r else ()} "
                  f"{(r.reason if r else e.message)[:120]}")
        print("faults", layer[0].log if layer else [])
    assert executed_said == executed  # nothing doubled, lost or phantom
    assert left == 0  # the broker's complete record settled every unknown
    assert all(e.state is not EntryState.PENDING for e in entries)
