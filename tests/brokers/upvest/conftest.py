"""The Upvest client wired to the simulator over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from desktop_app.brokers.upvest.client import UpvestClient, UpvestCredentials
from desktop_app.simulators.runner import RunningSimulator, start_simulator

# The simulator's timers run 20 times faster (approval, closing, fills, settlement).
SIM_SCALE = 20.0
ClientFactory = Callable[..., UpvestClient]


@pytest.fixture
def upvest_sim() -> Iterator[RunningSimulator]:
    sim = start_simulator("upvest", port=0, seed=7)
    sim.state.time_scale = SIM_SCALE
    yield sim
    sim.stop()


def credentials(sim: RunningSimulator, **changes: Any) -> UpvestCredentials:
    st = sim.state
    values: dict[str, Any] = {"client_id": st.client_id, "client_secret": st.client_secret,
                              "key_id": st.key_id, "private_key_pem": st.private_key_pem}
    values.update(changes)
    return UpvestCredentials(**values)


@pytest.fixture
def make_client(upvest_sim, run) -> Iterator[ClientFactory]:
    made: list[UpvestClient] = []

    def factory(**options: Any) -> UpvestClient:
        creds = options.pop("credentials", None) or credentials(upvest_sim)
        client = UpvestClient(creds, base_url=upvest_sim.base_url, **options)
        client.http.backoff = 0.01
        made.append(client)
        return client

    yield factory
    for client in made:
        run(client.close())


@pytest.fixture
def client(make_client) -> UpvestClient:
    return make_client()


async def wait_for(predicate: Callable[[], Any], within: float = 5.0) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + within
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# ---------------------------------------------------------------------- the service


class Changes(list):
    """What the service reported through ``changed`` (account or None, topics)."""

    def topics_for(self, account_id: str | None) -> set[str]:
        found: set[str] = set()
        for ref, topics in self:
            if (ref.account_id if ref is not None else None) == account_id:
                found |= topics
        return found


@pytest.fixture
def make_service(upvest_sim, run):
    """Connected UpvestServices on the simulator through the Sandbox's profile."""
    from desktop_app.brokers.upvest.service import UpvestService
    from desktop_app.net.request_log import RequestLog
    from desktop_app.sandbox import sandbox_connection

    made = []

    def factory(**profile_changes: Any):
        from dataclasses import replace

        profile, secrets = sandbox_connection("upvest", upvest_sim)
        profile = replace(profile, **profile_changes)
        service = UpvestService(profile, secrets, RequestLog(), time_scale=1.0)
        service.changes = Changes()
        service.changed = lambda ref, topics: service.changes.append((ref, topics))
        run(service.connect())
        made.append(service)
        return service

    yield factory
    for service in made:
        run(service.close())


@pytest.fixture
def service(make_service):
    return make_service()
