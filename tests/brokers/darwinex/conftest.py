"""Darwinex services wired to the simulator over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from desktop_app.brokers.darwinex.service import DarwinexService
from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import AccountRef, Environment
from desktop_app.net.request_log import RequestLog

ServiceFactory = Callable[..., DarwinexService]
CID = "darwinex-test"
TRADING = "/trading/1.1/investoraccounts/{accountId}"
BUY = f"POST {TRADING}/orders/buy"
SELL = f"POST {TRADING}/orders/sell"


def sandbox_profile(
    sim, *, environment: Environment = Environment.DEMO, live_opt_in: bool = False,
    investor_account_id: str = "",
) -> ConnectionProfile:
    fields = {"consumer_key": sim.credentials["consumer_key"]}
    if investor_account_id:
        fields["investor_account_id"] = investor_account_id
    return ConnectionProfile(
        connection_id=CID,
        broker="darwinex",
        name="Darwinex Sandbox",
        environment=environment,
        fields=fields,
        base_url=sim.base_url,
        live_opt_in=live_opt_in,
        sandbox=True,
    )


def demo_secrets(sim) -> dict[str, str]:
    return {k: v for k, v in sim.credentials.items() if k != "consumer_key"}


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


class Made:
    """The services a test made, and what each passed to ``credentials_changed``."""

    def __init__(self) -> None:
        self.services: list[DarwinexService] = []
        self.changes: list[dict[str, str]] = []


@pytest.fixture
def made() -> Made:
    return Made()


# The simulator's throttle windows run 20 times faster, the service's budgets 5 times:
# tests do not wait out real minutes, and the service stays 4 times below every limit.
SIM_SCALE = 20.0
SERVICE_SCALE = 5.0


@pytest.fixture
def make_service(darwinex_sim, run, request_log, made) -> Iterator[ServiceFactory]:
    """make_service(secrets=None, time_scale=SERVICE_SCALE, **profile_options)."""
    darwinex_sim.state.time_scale = SIM_SCALE

    def factory(
        *, secrets: dict[str, str] | None = None, time_scale: float = SERVICE_SCALE,
        **profile_options,
    ) -> DarwinexService:
        service = DarwinexService(
            sandbox_profile(darwinex_sim, **profile_options),
            secrets if secrets is not None else demo_secrets(darwinex_sim),
            request_log, time_scale=time_scale, reconcile_interval=0.05,
        )
        service.credentials_changed = made.changes.append
        service.client.http.backoff = 0.01
        made.services.append(service)
        return service

    yield factory
    for service in made.services:
        run(service.close())


@pytest.fixture
def service(make_service, run) -> DarwinexService:
    svc = make_service()
    run(svc.connect())
    return svc


def demo_ref(sim, account_id: int | None = None) -> AccountRef:
    found = account_id if account_id is not None else sim.state.account_ids()[0]
    return AccountRef(CID, "darwinex", str(found))


def account_path(ref: AccountRef) -> str:
    """The Trading API path of an investor account (for the simulator's fault knobs)."""
    return f"/trading/1.1/investoraccounts/{ref.account_id}"
