"""Darwinex DARWIN API adapter: OAuth2 client (rotating refresh tokens), budgets, service."""

from desktop_app.brokers.darwinex.client import BASE_URL, DarwinexClient
from desktop_app.brokers.darwinex.service import DarwinexService

__all__ = ["BASE_URL", "DarwinexClient", "DarwinexService"]
