"""Capital.com services wired to the simulator over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

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
    """make_service(**profile_options, password=..., keepalive_after=...) -> CapitalService."""
    made: list[CapitalService] = []

    def factory(
        *, password: str | None = None, api_key: str | None = None,
        keepalive_after: float = 480.0, **profile_options,
    ) -> CapitalService:
        credentials = {
            "api_key": api_key or capital_sim.credentials["api_key"],
            "password": password or capital_sim.credentials["password"],
        }
        service = CapitalService(
            sandbox_profile(capital_sim, **profile_options), credentials, request_log,
            keepalive_after=keepalive_after, confirm_interval=0.05,
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
