"""How a broker package declares itself: one ``BrokerSpec``.

The registry is a tuple of these; the Sandbox, ``--smoke``, the simulators' command line,
the connections dialog and the test fixtures all read them, so adding a broker is its
two folders (``brokers/<name>/``, ``simulators/<name>/``) and one line in the registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop_app.domain.config import ConnectionProfile, CredentialField, Credentials
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import Environment, SizeUnit
from desktop_app.net.request_log import RequestLog

ServiceFactory = Callable[[ConnectionProfile, Credentials, RequestLog], BrokerService]


@dataclass(frozen=True, slots=True)
class SmokeTrade:
    """The demo trade ``--smoke`` (and the contract tests) make on this broker."""

    search: str  # typed into the ticket's search
    symbol_prefix: str  # the instrument chosen among the results
    size: Decimal | None = None  # None: the instrument's minimum
    # What ``size`` counts (CASH: an amount of ``currency``, e.g. Upvest's fractional buy).
    size_unit: SizeUnit = SizeUnit.UNITS
    currency: str = ""


@dataclass(frozen=True, slots=True)
class BrokerSpec:
    broker: str  # registry key, also the profile's ``broker``
    display_name: str
    environments: tuple[Environment, ...]
    credential_fields: tuple[CredentialField, ...]
    # "module:function" of the service factory, imported when first used so that the
    # registry loads without every broker's dependencies.
    service: str
    # "module:function" of its simulator factory (``simulators/<name>``).
    simulator: str
    # What its Sandbox holds, for the README and the first-run hint.
    sandbox_accounts: str = ""
    # The demo trade the smoke run makes; None: the broker does not trade here.
    smoke: SmokeTrade | None = None
    # The broker's documented REST root per environment: what a profile without its own
    # server URL uses (the connections dialog shows it; a test checks the clients agree).
    hosts: tuple[tuple[Environment, str], ...] = ()

    @property
    def secret_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.credential_fields if f.secret or f.private_key)

    @property
    def required_secrets(self) -> frozenset[str]:
        return frozenset(f.name for f in self.credential_fields
                         if (f.secret or f.private_key) and not f.optional)

    def preload(self) -> None:
        """Import the service's module (and so its dependencies) without making one."""
        importlib.import_module(self.service.partition(":")[0])

    def create(
        self, profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
    ) -> BrokerService:
        factory: ServiceFactory = load(self.service)
        return factory(profile, credentials, request_log)


def load(path: str) -> Any:
    """The object a "module:attribute" path names."""
    module_name, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
