"""Which brokers the app knows: one entry per broker package.

Adding a broker is a new package under ``brokers/`` plus one entry here; the session
layer and the UI read everything they show from these specs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desktop_app.brokers.capital.service import CapitalService
from desktop_app.domain.config import ConnectionProfile, CredentialField, Credentials
from desktop_app.domain.errors import NotSupported
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import Environment
from desktop_app.net.request_log import RequestLog

ServiceFactory = Callable[[ConnectionProfile, Credentials, RequestLog], BrokerService]


@dataclass(frozen=True)
class BrokerSpec:
    broker: str
    display_name: str
    environments: tuple[Environment, ...]
    credential_fields: tuple[CredentialField, ...]
    create: ServiceFactory


def _create_capital(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> BrokerService:
    return CapitalService(profile, credentials, request_log)


CAPITAL = BrokerSpec(
    broker="capital",
    display_name="Capital.com",
    environments=(Environment.DEMO, Environment.LIVE),
    credential_fields=(
        CredentialField(
            "identifier", "Login (e-mail)", secret=False, placeholder="you@example.com"
        ),
        CredentialField(
            "api_key", "API key", secret=True,
            placeholder="Settings > API integrations > Generate new key",
        ),
        CredentialField(
            "password", "Password", secret=True,
            placeholder="the API key's custom password, if it has one",
        ),
        CredentialField(
            "encrypted_login", "Send the password RSA-encrypted", secret=False,
            optional=True, flag=True,
        ),
    ),
    create=_create_capital,
)

def _create_tradovate(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> BrokerService:
    from desktop_app.brokers.tradovate.service import TradovateService

    return TradovateService(profile, credentials, request_log)


TRADOVATE = BrokerSpec(
    broker="tradovate",
    display_name="Tradovate",
    environments=(Environment.DEMO, Environment.LIVE, Environment.REPLAY),
    credential_fields=(
        CredentialField("name", "Username", secret=False, placeholder="your Tradovate login"),
        CredentialField("password", "Password", secret=True),
        CredentialField(
            "app_id", "App ID", secret=False,
            placeholder="from Application Settings > API Access",
        ),
        CredentialField(
            "app_version", "App version", secret=False, optional=True, placeholder="1.0"
        ),
        CredentialField("cid", "Client ID (cid)", secret=False, placeholder="a number"),
        CredentialField("sec", "Secret (sec)", secret=True, placeholder="the API key's secret"),
        CredentialField(
            "device_id", "Device ID", secret=False, optional=True,
            placeholder="left empty, the app makes one and keeps it",
        ),
    ),
    create=_create_tradovate,
)


def _create_darwinex(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> BrokerService:
    from desktop_app.brokers.darwinex.service import DarwinexService

    return DarwinexService(profile, credentials, request_log)


DARWINEX = BrokerSpec(
    broker="darwinex",
    display_name="Darwinex",
    environments=(Environment.DEMO, Environment.LIVE),
    credential_fields=(
        CredentialField(
            "consumer_key", "Consumer key", secret=False,
            placeholder="API store > Applications > keys",
        ),
        CredentialField("consumer_secret", "Consumer secret", secret=True),
        CredentialField(
            "access_token", "Access token", secret=True,
            placeholder="one per environment: demo and live differ",
        ),
        CredentialField(
            "refresh_token", "Refresh token", secret=True,
            placeholder="the app keeps the rotated one",
        ),
        CredentialField(
            "investor_account_id", "Investor account id", secret=False, optional=True,
            placeholder="empty: all the token covers",
        ),
    ),
    create=_create_darwinex,
)

_SPECS: tuple[BrokerSpec, ...] = (CAPITAL, TRADOVATE, DARWINEX)


def broker_specs() -> list[BrokerSpec]:
    return list(_SPECS)


def get_spec(broker: str) -> BrokerSpec:
    for spec in _SPECS:
        if spec.broker == broker:
            return spec
    raise NotSupported(f"Unknown broker {broker!r}.")
