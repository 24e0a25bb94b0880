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

_SPECS: tuple[BrokerSpec, ...] = (CAPITAL,)


def broker_specs() -> list[BrokerSpec]:
    return list(_SPECS)


def get_spec(broker: str) -> BrokerSpec:
    for spec in _SPECS:
        if spec.broker == broker:
            return spec
    raise NotSupported(f"Unknown broker {broker!r}.")
