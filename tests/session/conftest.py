"""Hubs wired to the Capital.com simulator over real loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import AccountRef, Environment
from desktop_app.session.connection import Backoff
from desktop_app.session.hub import Hub
from desktop_app.session.poll_config import PollConfig
from desktop_app.storage.journal import Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings

CID = "cap-sb"
# Round the clock in the simulator, so order tests do not depend on the weekday.
SYMBOL = "BTCUSD"


def capital_profile(
    sim, *, cid: str = CID, environment: Environment = Environment.DEMO,
    live_opt_in: bool = False,
) -> ConnectionProfile:
    return ConnectionProfile(
        connection_id=cid,
        broker="capital",
        name="Capital.com Sandbox",
        environment=environment,
        fields={"identifier": sim.credentials["identifier"]},
        base_url=sim.base_url,
        live_opt_in=live_opt_in,
        sandbox=True,
    )


def capital_secrets(sim) -> dict[str, str]:
    return {"api_key": sim.credentials["api_key"], "password": sim.credentials["password"]}


MakeHub = Callable[..., Hub]


@pytest.fixture
def make_hub(run) -> Iterator[MakeHub]:
    """make_hub(secrets=None, journal=None, poll_config=None) -> Hub; stopped afterwards."""
    hubs: list[Hub] = []

    def factory(
        *, secrets: SecretStore | None = None, journal: Journal | None = None,
        poll_config: PollConfig | None = None,
    ) -> Hub:
        hub = Hub(
            settings=Settings.load(),
            secrets=secrets or SecretStore(),
            journal=journal or Journal(),
            poll_config=poll_config,
            connect_backoff=Backoff(initial=0.05, maximum=0.2),
        )
        hubs.append(hub)
        return hub

    yield factory
    for hub in hubs:
        run(hub.stop())
        hub.journal.close()


async def wait_for(predicate: Callable[[], object], within: float = 5.0) -> None:
    """Poll ``predicate`` until it is true; fail the test after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def connected_accounts(hub: Hub, cid: str = CID) -> list[AccountRef]:
    """Wait for the first accounts poll; return the refs, active (preferred) one first."""
    await wait_for(lambda: [a for a in hub.accounts() if a.ref.connection == cid])
    accounts = [a for a in hub.accounts() if a.ref.connection == cid]
    return [a.ref for a in sorted(accounts, key=lambda a: not a.active)]


@pytest.fixture
def vrun() -> Iterator[Callable[..., Any]]:
    """vrun(coro) -> result, on a loop whose time is virtual (looptime): asyncio.sleep(1.5)
    and every timer advance the loop's clock at once, so scheduling tests assert rates
    and intervals exactly, whatever the machine's load. Code under test must take the
    loop's time as its clock (the poller does by default, FakeService's limiter too)."""
    import looptime

    loop = looptime.new_event_loop(start=0.0)
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))

    def _run(coro: Any, timeout: float = 120.0) -> Any:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))

    yield _run
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    assert not errors, f"unhandled exceptions in the loop: {errors}"
