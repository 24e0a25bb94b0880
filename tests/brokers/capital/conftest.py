"""Capital.com services wired to the simulator over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from desktop_app.brokers.capital.service import CapitalService
from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import AccountRef, Environment
from desktop_app.net.request_log import RequestLog

ServiceFactory = Callable[..., CapitalService]


def sandbox_profile(
    sim, *, encrypted: bool = False, environment: Environment = Environment.DEMO,
    live_opt_in: bool = False,
) -> ConnectionProfile:
    return ConnectionProfile(
        connection_id="capital-test",
        broker="capital",
        name="Capital.com Sandbox",
        environment=environment,
        fields={
            "identifier": sim.credentials["identifier"],
            "encrypted_login": "true" if encrypted else "false",
        },
        base_url=sim.base_url,
        live_opt_in=live_opt_in,
        sandbox=True,
    )


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def make_service(capital_sim, run, request_log) -> Iterator[ServiceFactory]:
    """make_service(**profile_options, password=..., keepalive_after=..., transport=...)."""
    made: list[CapitalService] = []

    def factory(
        *, password: str | None = None, api_key: str | None = None,
        keepalive_after: float = 480.0, transport: httpx.AsyncBaseTransport | None = None,
        **profile_options,
    ) -> CapitalService:
        credentials = {
            "api_key": api_key or capital_sim.credentials["api_key"],
            "password": password or capital_sim.credentials["password"],
        }
        service = CapitalService(
            sandbox_profile(capital_sim, **profile_options), credentials, request_log,
            keepalive_after=keepalive_after, confirm_interval=0.05, transport=transport,
        )
        made.append(service)
        return service

    yield factory
    for service in made:
        run(service.close())


@pytest.fixture
def service(make_service, run) -> CapitalService:
    """A connected demo service (plain login)."""
    svc = make_service()
    run(svc.connect())
    return svc


def account_refs(sim, service: CapitalService) -> tuple[AccountRef, AccountRef]:
    """(USD preferred account, EUR second account) as the simulator seeds them."""
    usd, eur = sim.state.account_ids()
    return (
        AccountRef(service.connection_id, "capital", usd),
        AccountRef(service.connection_id, "capital", eur),
    )


class Tap(httpx.AsyncBaseTransport):
    """The real loopback transport, noting the exact bytes of every request.

    A test can also act right after a request has reached the simulator (``after``), e.g.
    to make the *next* read fail, or spoil the body of one reply the simulator did send
    (``spoil_reply``). Paths are relative to ``/api/v1`` and matched by prefix.
    """

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str, bytes]] = []
        self._after: list[tuple[str, Callable[[], None]]] = []
        self._spoil: list[tuple[str, bytes]] = []

    @staticmethod
    def _path(request: httpx.Request) -> str:
        return request.url.path.split("/api/v1", 1)[-1]

    def after(self, path_prefix: str, action: Callable[[], None]) -> None:
        self._after.append((path_prefix, action))

    def spoil_reply(self, path_prefix: str, content: bytes) -> None:
        self._spoil.append((path_prefix, content))

    def bodies(self, method: str, path: str) -> list[bytes]:
        return [body for m, p, body in self.sent if m == method and p == path]

    def _take(self, hooks: list, path: str):
        for hook in hooks:
            if path.startswith(hook[0]):
                hooks.remove(hook)
                return hook[1]
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = self._path(request)
        self.sent.append((request.method, path, request.content))
        try:
            response = await self.inner.handle_async_request(request)
        finally:
            action = self._take(self._after, path)
            if action is not None:
                action()
        spoiled = self._take(self._spoil, path)
        if spoiled is None:
            return response
        await response.aread()
        await response.aclose()
        keep = [(k, v) for k, v in response.headers.items()
                if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=keep, content=spoiled)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def tap() -> Tap:
    return Tap()


@pytest.fixture
def tapped(make_service, tap, run) -> CapitalService:
    """A connected demo service whose requests go through ``tap``; read retries back off
    briefly so that exhausting them does not take seconds."""
    svc = make_service(transport=tap)
    svc.client.http.backoff = 0.01
    run(svc.connect())
    return svc
