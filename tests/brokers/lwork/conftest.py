"""LWork clients wired to the simulator over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from desktop_app.brokers.lwork import LWorkClient, TradingAccount, parse_server_ids
from desktop_app.net.request_log import RequestLog
from desktop_app.simulators.runner import RunningSimulator, start_simulator

ClientFactory = Callable[..., LWorkClient]


@pytest.fixture
def lwork_sim() -> Iterator[RunningSimulator]:
    """An LWork simulator on 127.0.0.1 (free port, seed 7); payments wait for a knob."""
    sim = start_simulator("lwork", port=0, seed=7)
    sim.state.deposit_pay_after = None
    yield sim
    sim.stop()


class Tap(httpx.AsyncBaseTransport):
    """The real loopback transport, noting every request as sent."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[httpx.Request] = []

    def paths(self, suffix: str = "") -> list[str]:
        return [r.url.path for r in self.sent if r.url.path.endswith(suffix)]

    def last(self, suffix: str) -> httpx.Request:
        return [r for r in self.sent if r.url.path.endswith(suffix)][-1]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def tap() -> Tap:
    return Tap()


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


def private_pem(sim: RunningSimulator) -> str:
    return Path(sim.credentials["private_key_file"]).read_text()


@pytest.fixture
def make_client(lwork_sim, run, tap, request_log) -> Iterator[ClientFactory]:
    """make_client(**overrides): a client of the simulator's trader (not logged in)."""
    made: list[LWorkClient] = []
    creds = lwork_sim.credentials

    def factory(**overrides: Any) -> LWorkClient:
        options: dict[str, Any] = {
            "tenant_id": creds["tenant_id"], "api_token": creds["api_token"],
            "login_name": creds["login_name"], "password": creds["password"],
            "private_key_pem": private_pem(lwork_sim), "base_url": lwork_sim.base_url,
            "server_ids": parse_server_ids(creds["server_ids"]), "transport": tap,
            "request_log": request_log, "page_size": 10,
        }
        options.update(overrides)
        client = LWorkClient(**options)
        client.http.backoff = 0.01
        made.append(client)
        return client

    yield factory
    for client in made:
        run(client.close())


@pytest.fixture
def client(make_client, run) -> LWorkClient:
    made = make_client()
    run(made.login())
    return made


@pytest.fixture
def accounts(client, run) -> dict[str, TradingAccount]:
    """The trader's accounts by role: mt4 (with trades), mt4b, mt5."""
    listed = run(client.trading_accounts())
    mt4 = [a for a in listed if a.vendor == "MT4"]
    mt5 = [a for a in listed if a.vendor == "MT5"]
    return {"mt4": mt4[0], "mt4b": mt4[1], "mt5": mt5[0]}


def requests_to(sim: RunningSimulator, route: str) -> int:
    """How often the simulator saw ``route`` (e.g. "GET /v1/api/sys/error/code")."""
    return int(sim.state.stats["requests"][route])


ServiceFactory = Callable[..., Any]


@pytest.fixture
def make_service(lwork_sim, run, tap, request_log) -> Iterator[ServiceFactory]:
    """make_service(environment=..., page_size=...): the LWork service of the simulator's
    trader, from its Sandbox profile, connected (logged in, accounts and settings read)."""
    from desktop_app.brokers.lwork.service import LWorkService
    from desktop_app.sandbox import sandbox_connection

    made: list[Any] = []

    def factory(*, environment: Any = None, page_size: int = 10, connect: bool = True,
                **fields: str) -> LWorkService:
        profile, credentials = sandbox_connection("lwork", lwork_sim)
        if environment is not None:
            profile = replace(profile, environment=environment, live_opt_in=True)
        if fields:
            profile = replace(profile, fields={**profile.fields, **fields})
        service = LWorkService(profile, credentials, request_log, transport=tap,
                               page_size=page_size)
        service.client.http.backoff = 0.01
        made.append(service)
        if connect:
            run(service.connect())
        return service

    yield factory
    for service in made:
        run(service.close())


@pytest.fixture
def service(make_service):
    return make_service()
