"""Tradovate services wired to the simulator over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from desktop_app.brokers.tradovate.service import TradovateService
from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import AccountRef, Environment
from desktop_app.net.request_log import RequestLog

ServiceFactory = Callable[..., TradovateService]
PUBLIC_FIELDS = ("name", "app_id", "app_version", "cid")


def sandbox_profile(
    sim, *, environment: Environment = Environment.DEMO, live_opt_in: bool = False,
    device_id: str = "test-device-1",
) -> ConnectionProfile:
    fields = {k: sim.credentials[k] for k in PUBLIC_FIELDS}
    if device_id:
        fields["device_id"] = device_id
    return ConnectionProfile(
        connection_id="tradovate-test",
        broker="tradovate",
        name="Tradovate Sandbox",
        environment=environment,
        fields=fields,
        base_url=sim.base_url,
        live_opt_in=live_opt_in,
        sandbox=True,
    )


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def make_service(tradovate_sim, run, request_log) -> Iterator[ServiceFactory]:
    """make_service(password=..., sec=..., transport=..., **profile_options)."""
    made: list[TradovateService] = []

    def factory(
        *, password: str | None = None, sec: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None, slow_down_pause: float = 0.2,
        **profile_options,
    ) -> TradovateService:
        credentials = {
            "password": password or tradovate_sim.credentials["password"],
            "sec": sec or tradovate_sim.credentials["sec"],
        }
        service = TradovateService(
            sandbox_profile(tradovate_sim, **profile_options), credentials, request_log,
            transport=transport, slow_down_pause=slow_down_pause,
        )
        service.client.http.backoff = 0.01
        made.append(service)
        return service

    yield factory
    for service in made:
        run(service.close())


@pytest.fixture
def service(make_service, run) -> TradovateService:
    """A connected demo service."""
    svc = make_service()
    run(svc.connect())
    return svc


def account_refs(sim, service: TradovateService) -> list[AccountRef]:
    """The simulator's demo accounts ($25,000 first, then $50,000)."""
    return [AccountRef(service.connection_id, "tradovate", str(i))
            for i in sim.state.account_ids()]


def requests(sim, route: str) -> int:
    """How often the simulator saw ``route`` (e.g. "POST /order/placeorder")."""
    return sim.state.stats["requests"][route]


def front_month(sim, product: str) -> str:
    """The front contract's name (e.g. "ESZ6") as the simulator lists it."""
    for contract in sim.state.catalog.contracts.values():
        if contract.product.name == product and contract.maturity.is_front:
            return contract.name
    raise AssertionError(f"no front month for {product}")


class Tap(httpx.AsyncBaseTransport):
    """The real loopback transport, noting every request (method, path below /v1, body).

    It can spoil one reply the simulator did send (``spoil_reply``), and answer a path
    as the real Tradovate would where the simulator offers more (``as_real``: e.g. HTTP
    404 for the simulator-only ``/md/getquote``)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str, bytes]] = []
        self._spoil: list[tuple[str, bytes]] = []
        self._real: dict[str, int] = {}

    def as_real(self, path: str, status: int) -> None:
        self._real[path.lower()] = status

    @staticmethod
    def _path(request: httpx.Request) -> str:
        return request.url.path.split("/v1", 1)[-1].lower()

    def spoil_reply(self, path: str, content: bytes) -> None:
        self._spoil.append((path.lower(), content))

    def bodies(self, path: str) -> list[bytes]:
        return [body for _m, p, body in self.sent if p == path.lower()]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = self._path(request)
        self.sent.append((request.method, path, request.content))
        if path in self._real:
            return httpx.Response(self._real[path], json={"errorText": "Not found"})
        response = await self.inner.handle_async_request(request)
        spoiled = next((s for s in self._spoil if s[0] == path), None)
        if spoiled is None:
            return response
        self._spoil.remove(spoiled)
        await response.aread()
        await response.aclose()
        keep = [(k, v) for k, v in response.headers.items()
                if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=keep, content=spoiled[1])

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def tap() -> Tap:
    return Tap()


@pytest.fixture
def tapped(make_service, tap, run) -> TradovateService:
    svc = make_service(transport=tap)
    run(svc.connect())
    return svc
