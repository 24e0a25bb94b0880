"""Capital.com REST adapter: HTTP client (sessions, tokens, keep-alive) and BrokerService."""

from desktop_app.brokers.capital.spec import SPEC

__all__ = ["SPEC"]
