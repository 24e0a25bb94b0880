"""LWork as a BrokerService: a user's MT4/MT5 accounts with their figures, positions,
pending orders and history, deposits, withdrawals and transfers, and opening accounts.
No trading: the ticket is greyed out with the reason (``core.NO_TRADING``).

Assembled from its parts: ``core`` (client, what was read, capabilities), ``reads``,
``funding`` (with the cash-flow lookups) and ``opening`` (accounts and the holder's
name).
"""

from __future__ import annotations

from desktop_app.brokers.lwork.opening import LWorkOpening
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.service import BrokerService
from desktop_app.net.request_log import RequestLog


class LWorkService(LWorkOpening):
    """Every member of the contract; see the parts for what each does."""


def create(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> BrokerService:
    # Typed as the contract: the type checker fails if the service misses a member.
    return LWorkService(profile, credentials, request_log)
