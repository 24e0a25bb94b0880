"""Tradovate REST adapter: access token and renewal, penalty tickets, BrokerService."""

from desktop_app.brokers.tradovate.spec import SPEC

__all__ = ["SPEC"]
