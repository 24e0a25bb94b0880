"""Upvest as a BrokerService: an operator's desk over users, account groups and accounts.

Assembled from its parts: ``core`` (client, caches, capabilities), ``desk`` (accounts and
their lifecycle), ``markets`` (instruments), ``orders`` (orders, positions, history, lost
replies), ``funding`` (the sandbox's virtual cash) and ``live`` (webhooks). This module
connects and closes them.
"""

from __future__ import annotations

from desktop_app.brokers.upvest.desk import UpvestDesk
from desktop_app.brokers.upvest.live import UpvestLive
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.service import BrokerService
from desktop_app.net.request_log import RequestLog


class UpvestService(UpvestLive, UpvestDesk):
    async def connect(self) -> None:
        await self.open_client()
        # The first reads prove the credentials (token, signature, scopes) and give the
        # owners' names and the opening form's choices.
        await self.load_people(force=True)
        await self.start_webhooks()

    async def close(self) -> None:
        try:
            await self.stop_webhooks()
        finally:
            await self.close_client()


def create(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> BrokerService:
    # Typed as the contract: the type checker fails if the service misses a member.
    return UpvestService(profile, credentials, request_log)
