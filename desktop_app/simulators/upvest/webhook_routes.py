"""Webhook subscriptions: list, create (201), get, update (enable/disable), delete (204),
test (202: one ``WEBHOOK.TEST`` event is queued for delivery; the event's type is ours,
UNCONFIRMED)."""

from __future__ import annotations

import re
from typing import Any

from desktop_app.simulators.upvest.model import Webhook
from desktop_app.simulators.upvest.pipeline import Ctx, Endpoint, Reply, listing
from desktop_app.simulators.upvest.problems import bad_request, not_found

TYPES = frozenset({
    "ALL", "USER", "USER_CHECK", "ORDER", "ORDER_CANCELLATION", "EXECUTION", "POSITION",
    "CASH_BALANCE", "ACCOUNT", "ACCOUNT_GROUP", "REPORT", "TREASURY_REPORT", "DIRECT_DEBIT",
    "WITHDRAWAL", "PORTFOLIO", "PORTFOLIO_ALLOCATION", "PORTFOLIO_ORDER", "CORPORATE_ACTION",
    "ACCOUNT_VALUATION", "INTRADAY_ACCOUNT_VALUATION", "CASH_TRANSACTION",
    "SECURITY_TRANSACTION", "ACCOUNT_LIQUIDATION", "ACCOUNT_RETURNS", "VIRTUAL_CASH_INCREASE",
    "VIRTUAL_CASH_DECREASE", "FEE_COLLECTION",
})
DELAY = re.compile(r"[1-9][0-9]?[sm]")
READ = ("webhooks:read", "webhooks:admin")
ADMIN = ("webhooks:admin",)


def _apply(hook: Webhook, body: dict[str, Any]) -> None:
    if "title" in body:
        title = body["title"]
        if not isinstance(title, str) or not title or len(title) > 100:
            raise bad_request("title must be 1 to 100 characters long")
        hook.title = title
    if "url" in body:
        url = body["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or \
                len(url) > 1000:
            raise bad_request("url must be an http(s) URL of at most 1000 characters")
        hook.url = url
    if "type" in body:
        types = body["type"]
        if not isinstance(types, list) or not types or any(t not in TYPES for t in types):
            raise bad_request("type must be a list of webhook event types")
        hook.types = list(types)
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise bad_request("enabled must be a boolean")
        hook.enabled = body["enabled"]
    config = body.get("config")
    if config is not None:
        if not isinstance(config, dict):
            raise bad_request("config must be an object")
        delay = config.get("delay")
        if delay is not None:
            if not isinstance(delay, str) or not DELAY.fullmatch(delay):
                raise bad_request("config.delay must match ^[1-9][0-9]?[sm]$")
            hook.delay = delay
        size = config.get("max_package_size")
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, int) or \
                    not 100 <= size <= 1_048_576:
                raise bad_request("config.max_package_size must be 100 to 1048576")
            hook.max_package_size = size


def list_webhooks(ctx: Ctx) -> Reply:
    return listing(ctx, list(ctx.state.webhooks.values()))


def create_webhook(ctx: Ctx) -> Reply:
    body = ctx.body
    if "title" not in body or "url" not in body:
        raise bad_request("title and url are required")
    state = ctx.state
    now = state.now()
    hook = Webhook(state.new_id(), now, now, "", "", ["ALL"])
    _apply(hook, body)
    state.webhooks[hook.id] = hook
    return Reply(hook.payload(), 201)


def _hook(ctx: Ctx) -> Webhook:
    hook = ctx.state.webhooks.get(ctx.params["webhook_id"])
    if hook is None:
        raise not_found("Webhook not found")
    return hook


def get_webhook(ctx: Ctx) -> Reply:
    return Reply(_hook(ctx).payload())


def update_webhook(ctx: Ctx) -> Reply:
    hook = _hook(ctx)
    _apply(hook, ctx.body)
    hook.updated = ctx.state.now()
    if hook.enabled and hook.queue:
        ctx.state.worker.wake()
    return Reply(hook.payload())


def delete_webhook(ctx: Ctx) -> Reply:
    hook = _hook(ctx)
    del ctx.state.webhooks[hook.id]
    return Reply(None, 204)


def test_webhook(ctx: Ctx) -> Reply:
    hook = _hook(ctx)
    state = ctx.state
    from desktop_app.simulators.upvest.model import stamp

    hook.queue.append({"id": state.new_id(), "created_at": stamp(state.now()),
                       "type": "WEBHOOK.TEST", "object": {"webhook_id": hook.id},
                       "webhook_id": hook.id})
    state.worker.wake()
    return Reply(None, 202)


ENDPOINTS = [
    Endpoint("GET", "/webhooks", list_webhooks, READ),
    Endpoint("POST", "/webhooks", create_webhook, ADMIN, json_body=True),
    Endpoint("GET", "/webhooks/{webhook_id}", get_webhook, READ),
    Endpoint("PATCH", "/webhooks/{webhook_id}", update_webhook, ADMIN, json_body=True),
    Endpoint("DELETE", "/webhooks/{webhook_id}", delete_webhook, ADMIN),
    Endpoint("POST", "/webhooks/{webhook_id}/test", test_webhook, ADMIN),
]
