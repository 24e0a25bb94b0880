"""Tradovate's declaration: its login form, service, simulator, Sandbox and smoke trade."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.brokers.common.spec import BrokerSpec, SmokeTrade
from desktop_app.domain.config import CredentialField
from desktop_app.domain.types import Environment

SPEC = BrokerSpec(
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
    service="desktop_app.brokers.tradovate.service:create",
    simulator="desktop_app.simulators.tradovate:create_simulator",
    sandbox_accounts="two demo futures accounts",
    smoke=SmokeTrade("ES", "ES", Decimal(1)),
    hosts=((Environment.DEMO, "https://demo.tradovateapi.com/v1"),
           (Environment.LIVE, "https://live.tradovateapi.com/v1"),
           (Environment.REPLAY, "https://demo.tradovateapi.com/v1")),
)
