"""A real Hub on the Capital.com simulator, for view-model and UI tests (no fakes).

Each test runs start-up, its steps and shut-down inside ONE coroutine on the qasync
loop (``qrun(scenario())``). qasync's ``run_until_complete`` processes Qt events once
more after it has cleared the running loop, and pytest-qt processes events between test
phases: an asyncio callback that fires then (the hub's poller always has some) runs
with no running loop and its task breaks. With the hub alive only inside one run,
nothing of it can fire outside.

The qasync loops of these tests are also kept referenced until the process ends. A
closed qasync loop keeps timers registered on its internal timer QObject (its stop()
only sets a flag) and sits in reference cycles, so only the cycle collector frees it;
when that happens off the GUI thread (the simulator's, a to_thread worker's; the
GcGuard of tests/conftest.py only covers the loop's own lifetime), the timers are not
unregistered and the next one Qt delivers hits freed memory: a segfault in
QTimerInfoList::activateTimers, seen about one full run in three before this.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import Environment
from desktop_app.session.hub import Hub
from desktop_app.storage.journal import Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from desktop_app.viewmodels.app_vm import AppViewModel

SANDBOX_ID = "sandbox-capital"
# Round the clock in the simulator: trading tests pass on any day at any hour.
SYMBOL = "BTCUSD"


def sandbox_profile(sim: Any, *, connection_id: str = SANDBOX_ID,
                    name: str = "Capital.com demo", environment: Environment = Environment.DEMO,
                    live_opt_in: bool = False) -> ConnectionProfile:
    return ConnectionProfile(
        connection_id=connection_id, broker="capital", name=name, environment=environment,
        base_url=sim.base_url, sandbox=True, live_opt_in=live_opt_in,
    )


async def connect(hub: Hub, sim: Any, **profile: Any) -> ConnectionProfile:
    prof = sandbox_profile(sim, **profile)
    await hub.add_connection(prof, dict(sim.credentials), persist=False)
    return prof


async def wait_for(predicate: Callable[[], Any], within: float = 10.0, what: str = "") -> Any:
    """Poll ``predicate`` while the loop (and so Qt) runs; returns its truthy value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


_LOOPS_KEPT_ALIVE: list[asyncio.AbstractEventLoop] = []


@contextlib.asynccontextmanager
async def running_hub(settings: Settings | None = None) -> AsyncIterator[Hub]:
    loop = asyncio.get_running_loop()
    if loop not in _LOOPS_KEPT_ALIVE:
        _LOOPS_KEPT_ALIVE.append(loop)
    hub = Hub(settings=settings or Settings.load(), secrets=SecretStore(), journal=Journal())
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()
        hub.journal.close()


@contextlib.asynccontextmanager
async def running_app(
    sim: Any, *, settings: Settings | None = None, **profile: Any
) -> AsyncIterator[AppViewModel]:
    """The app view-model, created before the connection (as the app does), connected."""
    async with running_hub(settings) as hub:
        vm = AppViewModel(hub, hub.settings)
        try:
            await connect(hub, sim, **profile)
            await wait_for(lambda: vm.accounts.selected is not None, what="a selected account")
            yield vm
        finally:
            await vm.aclose()
