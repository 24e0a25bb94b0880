from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from desktop_app.simulators.runner import RunningSimulator, start_simulator


@pytest.fixture
def lwork_sim() -> Iterator[RunningSimulator]:
    sim = start_simulator("lwork", port=0, seed=11)
    yield sim
    sim.stop()


class Raw:
    """Plain HTTP to the simulator with the tenant headers (or others)."""

    def __init__(self, sim: RunningSimulator) -> None:
        self.sim = sim
        self.http = httpx.Client(base_url=sim.base_url, timeout=10)
        self.headers = {"x-api-tenantId": sim.credentials["tenant_id"],
                        "x-api-token": sim.credentials["api_token"]}

    def get(self, path: str, headers: dict[str, str] | None = None,
            **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=headers
                             if headers is not None else self.headers)

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None
             ) -> httpx.Response:
        return self.http.post(path, json=body, headers=headers
                              if headers is not None else self.headers)


@pytest.fixture
def raw(lwork_sim) -> Iterator[Raw]:
    client = Raw(lwork_sim)
    yield client
    client.http.close()
