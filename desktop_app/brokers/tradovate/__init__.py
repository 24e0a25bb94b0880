"""Tradovate REST adapter: access token and renewal, penalty tickets, BrokerService."""

from desktop_app.brokers.tradovate.client import DEMO_URL, LIVE_URL, TradovateClient
from desktop_app.brokers.tradovate.service import TradovateService

__all__ = ["DEMO_URL", "LIVE_URL", "TradovateClient", "TradovateService"]
