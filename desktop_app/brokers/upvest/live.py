"""Upvest's webhooks: a local receiver, the subscription that feeds it, and what each event
changes on screen.

On connect the service runs ``WebhookReceiver`` on loopback and registers (or reuses and
re-points) one webhook of its own for ACCOUNT, ORDER, POSITION and CASH_BALANCE events
(and the sandbox's VIRTUAL_CASH_INCREASE/DECREASE, whose confirmation nothing else tells),
then asks Upvest for a test delivery to prove the way in. Each event calls
``notify_changed`` so the session refreshes that account's topics at once; ACCOUNT.* and
CASH_BALANCE.UPDATED carry the resource itself, which updates the desk's caches, so the
refresh they cause costs no request. Polling stays the fallback: while no delivery has
arrived (or the webhook is disabled or deleted) every poll reads Upvest afresh.

Where Upvest delivers: in the Sandbox the simulator posts to the loopback receiver. A
real Upvest account posts to a public HTTPS URL, and a desktop behind NAT has none: the
trader runs a tunnel or relay (a reverse proxy on a server, or a tunnel service) that
forwards to this desktop's receiver port, and enters the public URL (``webhook_url``)
and the local port (``webhook_port``) in the connection. Without one the desk polls.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from desktop_app.brokers.upvest.core import is_loopback
from desktop_app.brokers.upvest.errors import BROKER
from desktop_app.brokers.upvest.funding import UpvestFunding
from desktop_app.brokers.upvest.webhooks import DEFAULT_PATH, WebhookEvent, WebhookReceiver
from desktop_app.domain.errors import BrokerError, ValidationError
from desktop_app.domain.types import Webhook, WebhookAction, WebhookOverview

log = logging.getLogger(__name__)

TITLE = "Trading Dashboard"
EVENT_TYPES = ("ACCOUNT", "ORDER", "POSITION", "CASH_BALANCE", "VIRTUAL_CASH_INCREASE",
               "VIRTUAL_CASH_DECREASE")
# Upvest bundles events for ``delay`` before it sends them; one second is its least.
DELAY = "1s"
NO_PUBLIC_URL = (
    "Upvest cannot reach a desktop: it delivers webhooks to a public HTTPS URL. Run a "
    "tunnel or relay to this computer and enter its public URL and local port in the "
    "connection to get changes at once; until then the app polls."
)


class UpvestLive(UpvestFunding):
    receiver: WebhookReceiver | None = None
    webhook_id = ""
    webhook_enabled = False
    webhook_note = ""
    events_handled = 0

    @property
    def webhooks_live(self) -> bool:
        receiver = self.receiver
        return bool(receiver is not None and self.webhook_id and self.webhook_enabled
                    and receiver.deliveries > 0)

    def _title(self) -> str:
        return f"{TITLE} · {self.connection_id}"[:100]

    # ------------------------------------------------------------------ set-up

    async def start_webhooks(self) -> None:
        """Receiver and subscription; a failure leaves the desk polling, never
        disconnected (the note says why)."""
        if self.receiver is not None:
            return
        public = self.fields.get("webhook_url", "").strip()
        if not public and not is_loopback(self.base_url):
            self.webhook_note = NO_PUBLIC_URL
            return
        try:
            port = int(self.fields.get("webhook_port", "").strip() or 0)
        except ValueError:
            port = 0
        path = (urlsplit(public).path or DEFAULT_PATH) if public else DEFAULT_PATH
        receiver = WebhookReceiver(self.client.verify_keys, self._on_events, port=port,
                                   path=path)
        try:
            local = await receiver.start()
        except OSError as exc:
            self.webhook_note = f"The webhook receiver could not listen ({exc}); polling."
            log.warning("Upvest webhook receiver: %s", exc)
            return
        self.receiver = receiver
        url = public or local
        try:
            hook = await self._register(url)
            self.webhook_id = str(hook.get("id") or "")
            self.webhook_enabled = bool(hook.get("enabled"))
            if self.webhook_enabled:
                await self.client.test_webhook(self.webhook_id)
        except BrokerError as exc:
            self.webhook_note = (f"The webhook could not be registered ({exc.message}); "
                                 "the app polls.")
            log.warning("Upvest webhook registration: %s", exc.message)
            return
        where = f"{url} (forwarded to {local})" if public else url
        state = "" if self.webhook_enabled else " It is disabled: the app polls."
        self.webhook_note = f"Upvest delivers account, order, position and cash events to " \
                            f"{where}.{state}"

    async def _register(self, url: str) -> dict[str, Any]:
        """This connection's webhook: reused when it exists (re-pointed at ``url``),
        created when not."""
        title = self._title()
        mine = next((h for h in await self.client.webhooks() if h.get("title") == title),
                    None)
        if mine is None:
            return await self.client.create_webhook(title=title, url=url,
                                                    event_types=EVENT_TYPES, delay=DELAY)
        if mine.get("url") != url or sorted(mine.get("type") or []) != sorted(EVENT_TYPES):
            mine = await self.client.update_webhook(str(mine["id"]), url=url,
                                                    event_types=EVENT_TYPES, delay=DELAY)
        return mine

    async def stop_webhooks(self) -> None:
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            await receiver.stop()

    # ------------------------------------------------------------------ events

    def _on_events(self, events: list[WebhookEvent]) -> None:
        balances = False
        touched: dict[str, set[str]] = defaultdict(set)
        for event in events:
            obj = event.object
            if event.family == "ACCOUNT":
                self.remember_account(obj)
                balances = True
            elif event.family == "ORDER":
                touched[str(obj.get("account_id") or "")].update(("working_orders",
                                                                  "positions"))
            elif event.type == "POSITION.UPDATED":
                touched[str(obj.get("account_id") or "")].add("positions")
            elif event.type == "CASH_BALANCE.UPDATED":
                self.remember_cash(obj)
                balances = True
            elif event.family in ("VIRTUAL_CASH_INCREASE", "VIRTUAL_CASH_DECREASE"):
                self._virtual_settled[str(obj.get("id") or "")] = str(obj.get("status") or "")
                balances = True
        self.events_handled += len(events)
        if balances:
            self.notify_changed(None, "balances")
        for account_id, topics in touched.items():
            if account_id:
                self.notify_changed(self.ref(account_id), *sorted(topics))

    # ------------------------------------------------------------------ management

    async def webhooks(self) -> WebhookOverview:
        listed = await self.client.webhooks()
        items = tuple(
            Webhook(str(h.get("id")), str(h.get("title") or ""), str(h.get("url") or ""),
                    tuple(str(t) for t in h.get("type") or ()), bool(h.get("enabled")),
                    ours=str(h.get("id")) == self.webhook_id)
            for h in listed
        )
        mine = next((h for h in items if h.ours), None)
        self.webhook_enabled = bool(mine and mine.enabled)
        receiver = self.receiver
        return WebhookOverview(
            items, receiver_url=receiver.url if receiver is not None else "",
            deliveries=receiver.deliveries if receiver is not None else 0,
            note=self.webhook_note,
        )

    async def webhook_action(self, webhook_id: str, action: WebhookAction) -> WebhookOverview:
        if not webhook_id:
            raise ValidationError("Choose a webhook first.", broker=BROKER)
        ours = webhook_id == self.webhook_id
        if action is WebhookAction.TEST:
            await self.client.test_webhook(webhook_id)
        elif action in (WebhookAction.ENABLE, WebhookAction.DISABLE):
            hook = await self.client.set_webhook_enabled(webhook_id,
                                                         action is WebhookAction.ENABLE)
            if ours:
                self.webhook_enabled = bool(hook.get("enabled"))
        elif action is WebhookAction.DELETE:
            await self.client.delete_webhook(webhook_id)
            if ours:
                self.webhook_id = ""
                self.webhook_enabled = False
                self.webhook_note = ("This connection's webhook was deleted: the app polls "
                                     "until the connection is made again, which registers "
                                     "a new one.")
        return await self.webhooks()
