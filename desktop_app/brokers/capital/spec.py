"""Capital.com's declaration: its login form, service, simulator, Sandbox and smoke trade."""

from __future__ import annotations

from desktop_app.brokers.common.spec import BrokerSpec, SmokeTrade
from desktop_app.domain.config import CredentialField
from desktop_app.domain.types import Environment

SPEC = BrokerSpec(
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
    service="desktop_app.brokers.capital.service:create",
    simulator="desktop_app.simulators.capital:create_simulator",
    sandbox_accounts="two demo accounts (USD and EUR)",
    smoke=SmokeTrade("EURUSD", "EURUSD"),
    hosts=((Environment.DEMO, "https://demo-api-capital.backend-capital.com/api/v1"),
           (Environment.LIVE, "https://api-capital.backend-capital.com/api/v1")),
)
