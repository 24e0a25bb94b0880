"""LWork's declaration: its login form, service, simulator and Sandbox. It does not trade
(trades are placed in the MT4/MT5 terminal), so it names no smoke trade."""

from __future__ import annotations

from desktop_app.brokers.common.spec import BrokerSpec
from desktop_app.domain.config import CredentialField
from desktop_app.domain.types import Environment

SPEC = BrokerSpec(
    broker="lwork",
    display_name="LWork",
    # One API serves a user's live and demo MT accounts. A Demo connection moves money
    # on accounts LWork lists as Demo only; Live needs the live opt-in.
    environments=(Environment.DEMO, Environment.LIVE),
    credential_fields=(
        CredentialField(
            "tenant_id", "Tenant id", secret=False,
            placeholder="Support Center > tenant information (e.g. T001234)",
        ),
        CredentialField(
            "api_token", "API token", secret=True,
            placeholder="Support Center > API key (x-api-token)",
        ),
        CredentialField(
            "login_name", "Login (e-mail or phone)", secret=False,
            placeholder="the trader's TW login",
        ),
        CredentialField("password", "Password", secret=True),
        CredentialField(
            "private_key", "Tenant RSA private key", secret=True, private_key=True,
            placeholder="PEM text, or choose the file; signs deposits and transfers",
        ),
        CredentialField(
            "server_ids", "Server ids", secret=False, optional=True,
            placeholder="e.g. MT4-Live=430, MT5=431 (as Support Center shows them)",
        ),
        CredentialField(
            "language", "Language", secret=False, optional=True,
            placeholder="en-US (default) or zh-CN",
        ),
    ),
    service="desktop_app.brokers.lwork.service:create",
    simulator="desktop_app.simulators.lwork:create_simulator",
    sandbox_accounts="an MT4 and an MT5 demo account (and a second MT4 one)",
    smoke=None,
    hosts=((Environment.DEMO, "https://account.api.lwork.com"),
           (Environment.LIVE, "https://account.api.lwork.com")),
)
