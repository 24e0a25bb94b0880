"""Plain descriptions of connections and brokers for the view-models."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, CredentialField
from desktop_app.domain.types import Environment
from desktop_app.session.events import ConnectionState


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    profile: ConnectionProfile
    state: ConnectionState
    message: str
    capabilities: Capabilities | None


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    broker: str
    display_name: str
    environments: tuple[Environment, ...]
    credential_fields: tuple[CredentialField, ...]
    # The broker's documented REST root per environment (a profile's default server).
    hosts: tuple[tuple[Environment, str], ...] = ()
