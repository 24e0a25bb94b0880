"""Upvest's declaration: its login form, service, simulator, Sandbox and smoke trade."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.brokers.common.spec import BrokerSpec, SmokeTrade
from desktop_app.domain.config import CredentialField
from desktop_app.domain.types import Environment, SizeUnit

SPEC = BrokerSpec(
    broker="upvest",
    display_name="Upvest",
    # Demo is Upvest's sandbox (https://sandbox.upvest.co), Live https://api.upvest.co.
    environments=(Environment.DEMO, Environment.LIVE),
    credential_fields=(
        CredentialField("client_id", "Client ID", secret=False,
                        placeholder="the UUID Upvest issued with your key"),
        CredentialField("client_secret", "Client secret", secret=True),
        CredentialField("key_id", "Key ID", secret=False,
                        placeholder="the id Upvest gave your public key"),
        CredentialField("private_key", "Private key (PEM)", secret=True, private_key=True,
                        placeholder="-----BEGIN EC PRIVATE KEY----- (ECDSA P-521 or Ed25519)"),
        CredentialField("key_passphrase", "Key passphrase", secret=True, optional=True,
                        placeholder="only if the key file is encrypted"),
        CredentialField("webhook_url", "Public webhook URL", secret=False, optional=True,
                        placeholder="https://… a tunnel or relay to this desktop (live)"),
        CredentialField("webhook_port", "Local webhook port", secret=False, optional=True,
                        placeholder="the port the tunnel forwards to, e.g. 8787"),
    ),
    service="desktop_app.brokers.upvest.service:create",
    simulator="desktop_app.simulators.upvest:create_simulator",
    sandbox_accounts="an operator's desk: three users, their account groups and four "
    "securities accounts",
    smoke=SmokeTrade("Apple", "US0378331005", Decimal("25.00"), SizeUnit.CASH, "EUR"),
    hosts=((Environment.DEMO, "https://sandbox.upvest.co"),
           (Environment.LIVE, "https://api.upvest.co")),
)
