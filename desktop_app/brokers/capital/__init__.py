"""Capital.com REST adapter: HTTP client (sessions, tokens, keep-alive) and BrokerService."""

from desktop_app.brokers.capital.client import DEMO_URL, LIVE_URL, CapitalClient
from desktop_app.brokers.capital.service import CapitalService

__all__ = ["DEMO_URL", "LIVE_URL", "CapitalClient", "CapitalService"]
