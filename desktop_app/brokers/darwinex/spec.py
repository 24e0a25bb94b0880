"""Darwinex's declaration: its login form, service, simulator, Sandbox and smoke trade."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.brokers.common.spec import BrokerSpec, SmokeTrade
from desktop_app.domain.config import CredentialField
from desktop_app.domain.types import Environment

SPEC = BrokerSpec(
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
    service="desktop_app.brokers.darwinex.service:create",
    simulator="desktop_app.simulators.darwinex:create_simulator",
    sandbox_accounts="a demo investor account",
    smoke=SmokeTrade("AEB", "AEB.5.4", Decimal(500)),
    hosts=((Environment.DEMO, "https://api.darwinex.com"),
           (Environment.LIVE, "https://api.darwinex.com")),
)
