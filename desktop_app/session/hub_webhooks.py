"""The hub's webhook management (``Capabilities.webhooks``): the broker's subscriptions
and the app's receiver, for the connection's settings."""

from __future__ import annotations

from desktop_app.domain.errors import NotSupported
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import WebhookAction, WebhookOverview
from desktop_app.session.events import Topic
from desktop_app.session.hub_core import HubCore, interactive


class HubWebhooks(HubCore):
    def _webhook_service(self, connection_id: str) -> BrokerService:
        conn = self._usable(connection_id)
        caps = conn.capabilities
        if caps is None or not caps.webhooks:
            raise NotSupported(caps.why_not("webhooks") if caps else "Not connected.")
        assert conn.service is not None
        return conn.service

    async def webhooks(self, connection_id: str) -> WebhookOverview:
        service = self._webhook_service(connection_id)
        with interactive():
            return await service.webhooks()

    async def webhook_action(
        self, connection_id: str, webhook_id: str, action: WebhookAction
    ) -> WebhookOverview:
        service = self._webhook_service(connection_id)
        with interactive():
            overview = await service.webhook_action(webhook_id, action)
        if action in (WebhookAction.DISABLE, WebhookAction.DELETE) and not self._stopped:
            # Events may stop coming: the balances are read afresh at once.
            self.poller.refresh(connection_id, None, (Topic.BALANCES,))
        return overview
