"""Async client of the Upvest Investment API (UP-SPEC 1.9.0): the endpoints an operator's
desk needs, as Upvest's JSON (``mapping`` turns it into domain values).

Hosts: ``https://sandbox.upvest.co`` and ``https://api.upvest.co``. Tokens, signatures,
budgets, idempotency and paging: ``connection``. Paths and bodies below are UP-SPEC's:

- users ``GET /users``, ``GET /users/{id}``; account groups ``GET /account_groups``,
  ``GET /users/{id}/account_groups``, ``GET /account_groups/{id}``;
- accounts ``GET /accounts``, ``GET /users/{id}/accounts`` (paged), ``GET/PATCH/DELETE
  /accounts/{id}`` (PATCH ``{"name"}``; DELETE answers 202 and the account goes CLOSING,
  then CLOSED), ``POST /accounts`` ``{user_id, account_group_id, type, name?}`` (200);
- instruments ``GET /instruments`` (``trading_status``), ``GET /instruments/isin:{ISIN}``
  (the path takes ``isin:`` or ``uuid:`` URNs);
- orders ``POST /orders`` (202, NEW; ``cash_amount`` with two decimals or ``quantity``),
  ``GET/DELETE /orders/{id}`` (cancel while NEW, 202), ``GET /accounts/{id}/orders``,
  ``GET /orders/{id}/executions/{execution_id}``;
- positions ``GET /accounts/{id}/positions[/isin:{ISIN}]``, their value ``GET
  /accounts/{id}/valuations/current``; the group's cash
  ``GET /account_groups/{id}/payments/cash_balance``;
- sandbox funding ``POST /virtual_cash_balances/increases|decreases``
  ``{account_group_id, amount, currency}``;
- webhooks ``GET/POST /webhooks``, ``GET/PATCH/DELETE /webhooks/{id}``,
  ``POST /webhooks/{id}/test`` and the keys that verify deliveries, ``GET
  /auth/verify_keys``. UP-SPEC asks no idempotency key of ``POST /webhooks``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from desktop_app.brokers.upvest.connection import (
    LIVE_URL,
    MAX_LIMIT,
    SANDBOX_URL,
    Page,
    UpvestConnection,
    UpvestCredentials,
    plain,
)
from desktop_app.brokers.upvest.errors import BROKER
from desktop_app.domain.errors import ProtocolError, ValidationError
from desktop_app.net.limiter import Priority

__all__ = ["LIVE_URL", "SANDBOX_URL", "UpvestClient", "UpvestCredentials"]

ACCOUNT_TYPES = ("TRADING", "PORTFOLIO")
ORDER_TYPES = ("MARKET", "LIMIT", "STOP")
SIDES = ("BUY", "SELL")
NAME_MAX = 100
CASH_AMOUNT_MAX = Decimal("999999999.99")  # UP-SPEC: ^[0-9]{1,9}(\.[0-9]{2})?$
CURRENCY = "EUR"
CENT = Decimal("0.01")
DELAY = re.compile(r"[1-9][0-9]?[sm]")


def segment(value: str) -> str:
    return quote(str(value), safe="")


def isin_urn(isin: str) -> str:
    """An instrument path segment: ``isin:US0378331005``."""
    return "isin:" + segment(isin.strip().upper())


def cash_amount(value: Decimal) -> str:
    """EUR with two decimals, as UP-SPEC's pattern wants; more digits are refused, never
    rounded away."""
    if not value.is_finite() or value <= 0 or value > CASH_AMOUNT_MAX:
        raise ValidationError("An amount must be above 0 and below 1,000,000,000 EUR.",
                              field="cash_amount", broker=BROKER)
    if value != value.quantize(CENT):
        raise ValidationError("An amount takes at most two decimals (cents).",
                              field="cash_amount", broker=BROKER)
    return plain(value.quantize(CENT))


def positive(value: Decimal, what: str) -> str:
    if not value.is_finite() or value <= 0:
        raise ValidationError(f"The {what} must be above 0.", field=what, broker=BROKER)
    return plain(value)


def check_name(name: str) -> str:
    name = name.strip()
    if len(name) > NAME_MAX:
        raise ValidationError(f"An account name takes at most {NAME_MAX} characters.",
                              field="name", broker=BROKER)
    return name


class UpvestClient(UpvestConnection):
    # ------------------------------------------------------------------ users

    async def users(self, *, sort: str = "created_at", order: str = "ASC",
                    priority: Priority = Priority.VISIBLE) -> list[dict[str, Any]]:
        return await self.pages("/users", sort=sort, order=order, priority=priority)

    async def user(self, user_id: str, *, priority: Priority = Priority.VISIBLE
                   ) -> dict[str, Any]:
        return await self.resource(f"/users/{segment(user_id)}", priority=priority)

    # ------------------------------------------------------------------ account groups

    async def account_groups(self, *, user_id: str | None = None, sort: str = "created_at",
                             order: str = "ASC", priority: Priority = Priority.VISIBLE
                             ) -> list[dict[str, Any]]:
        path = f"/users/{segment(user_id)}/account_groups" if user_id else "/account_groups"
        return await self.pages(path, sort=sort, order=order, priority=priority)

    async def account_group(self, group_id: str, *, priority: Priority = Priority.VISIBLE
                            ) -> dict[str, Any]:
        return await self.resource(f"/account_groups/{segment(group_id)}", priority=priority)

    # ------------------------------------------------------------------ accounts

    async def accounts(self, *, user_id: str | None = None, sort: str = "created_at",
                       order: str = "ASC", page_size: int = MAX_LIMIT,
                       priority: Priority = Priority.VISIBLE) -> list[dict[str, Any]]:
        """Every account (or a user's), read page after page."""
        path = f"/users/{segment(user_id)}/accounts" if user_id else "/accounts"
        return await self.pages(path, sort=sort, order=order, page_size=page_size,
                                priority=priority)

    async def accounts_page(self, *, offset: int = 0, limit: int = 100,
                            user_id: str | None = None, sort: str = "created_at",
                            order: str = "ASC", priority: Priority = Priority.VISIBLE) -> Page:
        path = f"/users/{segment(user_id)}/accounts" if user_id else "/accounts"
        return await self.page(path, offset=offset, limit=limit, sort=sort, order=order,
                               priority=priority)

    async def account(self, account_id: str, *, priority: Priority = Priority.VISIBLE
                      ) -> dict[str, Any]:
        return await self.resource(f"/accounts/{segment(account_id)}", priority=priority)

    async def create_account(self, *, user_id: str, account_group_id: str,
                             account_type: str = "TRADING", name: str = "",
                             idempotency_key: str) -> dict[str, Any]:
        if account_type not in ACCOUNT_TYPES:
            raise ValidationError("An Upvest account is TRADING or PORTFOLIO.",
                                  field="type", broker=BROKER)
        body: dict[str, Any] = {"user_id": user_id, "account_group_id": account_group_id,
                                "type": account_type}
        if name.strip():
            body["name"] = check_name(name)
        return await self.create("/accounts", body, idempotency_key=idempotency_key)

    async def rename_account(self, account_id: str, name: str) -> dict[str, Any]:
        data = await self.call("PATCH", f"/accounts/{segment(account_id)}",
                               json={"name": check_name(name)}, write=True,
                               priority=Priority.INTERACTIVE)
        if not isinstance(data, dict):
            raise ProtocolError("Upvest renamed the account but sent no account back.",
                                broker=BROKER)
        return data

    async def close_account(self, account_id: str) -> None:
        """DELETE: 202, the closure runs asynchronously (CLOSING, then CLOSED).

        A lost reply may be asked again: closing a CLOSING account answers 409."""
        await self.send("DELETE", f"/accounts/{segment(account_id)}", write=True,
                        priority=Priority.INTERACTIVE)

    # ------------------------------------------------------------------ instruments

    async def instruments(self, *, trading_status: str | None = None,
                          priority: Priority = Priority.VISIBLE) -> list[dict[str, Any]]:
        params = {"trading_status": trading_status} if trading_status else None
        return await self.pages("/instruments", params=params, priority=priority)

    async def instrument(self, isin: str, *, priority: Priority = Priority.INTERACTIVE
                         ) -> dict[str, Any]:
        return await self.resource(f"/instruments/{isin_urn(isin)}", priority=priority)

    # ------------------------------------------------------------------ orders

    async def place_order(
        self,
        *,
        user_id: str,
        account_id: str,
        side: str,
        isin: str,
        idempotency_key: str,
        cash: Decimal | None = None,
        quantity: Decimal | None = None,
        order_type: str = "MARKET",
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        expiry_date: date | None = None,
        user_instrument_fit_acknowledgement: bool = False,
        client_reference: str = "",
    ) -> dict[str, Any]:
        """``POST /orders``: accepted with 202 as NEW; by EUR amount (``cash``) or by
        ``quantity``, never both. The acknowledgement says the user was told the
        instrument may not fit them (Upvest refuses some orders without it)."""
        if side not in SIDES:
            raise ValidationError("The side is BUY or SELL.", field="side", broker=BROKER)
        if order_type not in ORDER_TYPES:
            raise ValidationError("Upvest takes MARKET, LIMIT and STOP orders.",
                                  field="order_type", broker=BROKER)
        if (cash is None) == (quantity is None):
            raise ValidationError("An order gives either an amount or a quantity.",
                                  field="size", broker=BROKER)
        body: dict[str, Any] = {
            "user_id": user_id,
            "account_id": account_id,
            "side": side,
            "instrument_id": isin.strip().upper(),
            "instrument_id_type": "ISIN",
            "order_type": order_type,
            "currency": CURRENCY,
            "user_instrument_fit_acknowledgement": user_instrument_fit_acknowledgement,
        }
        if cash is not None:
            body["cash_amount"] = cash_amount(cash)
        if quantity is not None:
            body["quantity"] = positive(quantity, "quantity")
        if order_type == "LIMIT":
            if limit_price is None:
                raise ValidationError("A limit order needs a limit price.",
                                      field="limit_price", broker=BROKER)
            body["limit_price"] = positive(limit_price, "limit price")
        if order_type == "STOP":
            if stop_price is None:
                raise ValidationError("A stop order needs a stop price.",
                                      field="stop_price", broker=BROKER)
            body["stop_price"] = positive(stop_price, "stop price")
        if expiry_date is not None:
            body["expiry_date"] = expiry_date.isoformat()
        if client_reference:
            if len(client_reference) > NAME_MAX:
                raise ValidationError("A client reference takes at most 100 characters.",
                                      field="client_reference", broker=BROKER)
            body["client_reference"] = client_reference
        return await self.create("/orders", body, idempotency_key=idempotency_key)

    async def order(self, order_id: str, *, priority: Priority = Priority.VISIBLE
                    ) -> dict[str, Any]:
        return await self.resource(f"/orders/{segment(order_id)}", priority=priority)

    async def account_orders(self, account_id: str, *, order: str = "DESC",
                             priority: Priority = Priority.VISIBLE) -> list[dict[str, Any]]:
        return await self.pages(f"/accounts/{segment(account_id)}/orders", order=order,
                                priority=priority)

    async def cancel_order(self, order_id: str) -> dict[str, Any]:
        """DELETE: 202 ``{"id"}``; only a NEW order can be cancelled (409 otherwise)."""
        data = await self.call("DELETE", f"/orders/{segment(order_id)}", write=True,
                               priority=Priority.INTERACTIVE)
        return data if isinstance(data, dict) else {"id": order_id}

    async def execution(self, order_id: str, execution_id: str) -> dict[str, Any]:
        return await self.resource(
            f"/orders/{segment(order_id)}/executions/{segment(execution_id)}"
        )

    # ------------------------------------------------------------------ positions, cash

    async def positions(self, account_id: str, *, priority: Priority = Priority.VISIBLE
                        ) -> list[dict[str, Any]]:
        return await self.pages(f"/accounts/{segment(account_id)}/positions",
                                priority=priority)

    async def position(self, account_id: str, isin: str, *,
                       priority: Priority = Priority.VISIBLE) -> dict[str, Any]:
        return await self.resource(
            f"/accounts/{segment(account_id)}/positions/{isin_urn(isin)}", priority=priority
        )

    async def cash_balance(self, account_group_id: str, *,
                           priority: Priority = Priority.VISIBLE) -> dict[str, Any]:
        return await self.resource(
            f"/account_groups/{segment(account_group_id)}/payments/cash_balance",
            priority=priority,
        )

    async def valuation(self, account_id: str, *, priority: Priority = Priority.VISIBLE
                        ) -> dict[str, Any]:
        """``/accounts/{id}/valuations/current``: each position's value (end of day at
        Upvest: ``price_quality`` EOD); ``mapping.valuation_prices`` gives prices."""
        return await self.resource(f"/accounts/{segment(account_id)}/valuations/current",
                                   params={"price_quality": "EOD"}, priority=priority)

    async def increase_virtual_cash(self, account_group_id: str, amount: Decimal, *,
                                    idempotency_key: str) -> dict[str, Any]:
        """Sandbox only: credit the group's cash (ISSUED, then CONFIRMED)."""
        body = {"account_group_id": account_group_id, "amount": cash_amount(amount),
                "currency": CURRENCY}
        return await self.create("/virtual_cash_balances/increases", body,
                                 idempotency_key=idempotency_key)

    async def decrease_virtual_cash(self, account_group_id: str, amount: Decimal, *,
                                    idempotency_key: str) -> dict[str, Any]:
        body = {"account_group_id": account_group_id, "amount": cash_amount(amount),
                "currency": CURRENCY}
        return await self.create("/virtual_cash_balances/decreases", body,
                                 idempotency_key=idempotency_key)

    # ------------------------------------------------------------------ webhooks

    async def webhooks(self) -> list[dict[str, Any]]:
        return await self.pages("/webhooks", priority=Priority.INTERACTIVE)

    async def webhook(self, webhook_id: str) -> dict[str, Any]:
        return await self.resource(f"/webhooks/{segment(webhook_id)}",
                                   priority=Priority.INTERACTIVE)

    async def create_webhook(self, *, title: str, url: str,
                             event_types: Sequence[str] = ("ALL",), delay: str | None = None,
                             max_package_size: int | None = None) -> dict[str, Any]:
        """201 with the webhook (``enabled``); ``delay`` like ``"5s"`` or ``"1m"``."""
        body = _webhook_body(title=title, url=url, event_types=event_types, delay=delay,
                             max_package_size=max_package_size)
        data = await self.call("POST", "/webhooks", json=body, write=True,
                               priority=Priority.INTERACTIVE)
        if not isinstance(data, dict):
            raise ProtocolError("Upvest created the webhook but sent nothing back.",
                                broker=BROKER)
        return data

    async def update_webhook(self, webhook_id: str, *, title: str | None = None,
                             url: str | None = None, enabled: bool | None = None,
                             event_types: Sequence[str] | None = None,
                             delay: str | None = None, max_package_size: int | None = None
                             ) -> dict[str, Any]:
        body = _webhook_body(title=title, url=url, event_types=event_types, delay=delay,
                             max_package_size=max_package_size)
        if enabled is not None:
            body["enabled"] = enabled
        data = await self.call("PATCH", f"/webhooks/{segment(webhook_id)}", json=body,
                               write=True, priority=Priority.INTERACTIVE)
        if not isinstance(data, dict):
            raise ProtocolError("Upvest changed the webhook but sent nothing back.",
                                broker=BROKER)
        return data

    async def set_webhook_enabled(self, webhook_id: str, enabled: bool) -> dict[str, Any]:
        return await self.update_webhook(webhook_id, enabled=enabled)

    async def delete_webhook(self, webhook_id: str) -> None:
        await self.send("DELETE", f"/webhooks/{segment(webhook_id)}", write=True,
                        priority=Priority.INTERACTIVE)

    async def test_webhook(self, webhook_id: str) -> None:
        """202: Upvest sends a test delivery to the webhook's URL."""
        await self.send("POST", f"/webhooks/{segment(webhook_id)}/test", write=True,
                        priority=Priority.INTERACTIVE)

    async def verify_keys(self) -> list[dict[str, Any]]:
        """The JWKs (``kid``, ``kty`` EC, ``crv`` P-521, ``x``, ``y``) that verify webhooks."""
        data = await self.resource("/auth/verify_keys", priority=Priority.INTERACTIVE)
        keys = data.get("keys")
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise ProtocolError("Upvest sent no webhook verification keys.", broker=BROKER)
        return keys


def _webhook_body(*, title: str | None, url: str | None, event_types: Sequence[str] | None,
                  delay: str | None, max_package_size: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if title is not None:
        if not title.strip() or len(title) > NAME_MAX:
            raise ValidationError("A webhook title takes 1 to 100 characters.",
                                  field="title", broker=BROKER)
        body["title"] = title
    if url is not None:
        if not url.startswith(("https://", "http://")) or len(url) > 1000:
            raise ValidationError("A webhook URL is an http(s) address of up to 1000 "
                                  "characters.", field="url", broker=BROKER)
        body["url"] = url
    if event_types is not None:
        body["type"] = list(event_types)
    config: dict[str, Any] = {}
    if delay is not None:
        if not DELAY.fullmatch(delay):
            raise ValidationError('A webhook delay is 1 to 99 seconds or minutes ("5s", "1m").',
                                  field="delay", broker=BROKER)
        config["delay"] = delay
    if max_package_size is not None:
        if not 100 <= max_package_size <= 1_048_576:
            raise ValidationError("A webhook package holds 100 to 1,048,576 bytes.",
                                  field="max_package_size", broker=BROKER)
        config["max_package_size"] = max_package_size
    if config:
        body["config"] = config
    return body
