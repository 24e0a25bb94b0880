"""Darwinex as a BrokerService: DARWIN investments on investor accounts.

Assembled from ``core`` (client, tokens, investor accounts, demo resets), ``status``
(what Darwinex takes now), ``products`` (search, screens, scores) and ``orders``; this
module adds the accounts, positions, working orders, leverage and history. See the
package's ``__init__`` and ``core`` for the choices where Darwinex's sources are silent.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.darwinex import mapping
from desktop_app.brokers.darwinex.client import page_items
from desktop_app.brokers.darwinex.core import _text
from desktop_app.brokers.darwinex.errors import BROKER
from desktop_app.brokers.darwinex.orders import DarwinexOrders
from desktop_app.brokers.darwinex.products import DarwinexProducts
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import ValidationError
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    HistoryEntry,
    Position,
    WorkingOrder,
)
from desktop_app.net.request_log import RequestLog


class DarwinexService(DarwinexProducts, DarwinexOrders):
    async def accounts(self) -> list[Account]:
        return await self._list_accounts()

    async def preferences(self, account: AccountRef) -> AccountPreferences:
        data = await self._on_account(account, lambda: self.client.leverage(account.account_id))
        return mapping.preferences(data)

    async def set_preferences(
        self, account: AccountRef, preferences: AccountPreferences
    ) -> AccountPreferences:
        self.require_live_opt_in("Changing the leverage")
        setting = preferences.leverages.get(mapping.LEVERAGE_KEY)
        if setting is None:
            raise ValidationError(
                "Darwinex has one leverage per investor account; choose it.",
                field="leverage", broker=BROKER,
            )
        data = await self._on_account(
            account,
            lambda: self.client.set_leverage(account.account_id, Decimal(setting.current)),
        )
        if data.get("leverage") is None:
            data = await self.client.leverage(account.account_id)
        return mapping.preferences(data)

    async def positions(self, account: AccountRef) -> list[Position]:
        raw = await self._on_account(
            account, lambda: self.client.current_positions(account.account_id)
        )
        currency = self._currency(account)
        result = [
            mapping.position(item, account, currency,
                             self._score_facts(_text(item.get("productName"))))
            for item in raw
        ]
        self._prefetch_scores([p.symbol for p in result])
        return result

    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]:
        raw = await self._on_account(
            account, lambda: self.client.conditional_orders(account.account_id, "pending")
        )
        currency = self._currency(account)
        return [
            mapping.working_order(item, account, currency)
            for item in raw
            if not mapping.is_threshold(item)
        ]

    async def executed_orders(
        self, account: AccountRef, product: str | None = None
    ) -> list[dict[str, Any]]:
        """The newest page of executed orders (for reconciliation and reports), as sent."""
        data = await self._on_account(
            account, lambda: self.client.executed_orders(account.account_id, product=product)
        )
        return page_items(data)[0]

    async def trades(self, account: AccountRef, state: str = "open") -> list[dict[str, Any]]:
        """Open or closed trades (``trades/open`` / ``trades/closed``), as sent."""
        return await self._on_account(
            account, lambda: self.client.trades(account.account_id, state)
        )

    async def conditional_orders(
        self, account: AccountRef, state: str = "pending"
    ) -> list[dict[str, Any]]:
        """Conditional orders by state (pending, executed, rejected, cancelled, deleted),
        thresholds included, as sent."""
        return await self._on_account(
            account, lambda: self.client.conditional_orders(account.account_id, state)
        )

    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        """Executed orders, closed trades and cancelled / rejected conditional orders
        (four reads on the account's 20-a-minute budget: asked for, never polled)."""
        self.check_account(account)
        currency = self._currency(account)
        entries = [mapping.executed_history(o, account, currency)
                   for o in await self.executed_orders(account)]
        entries += [mapping.closed_trade_history(t, account, currency)
                    for t in await self.trades(account, "closed")]
        for state in ("cancelled", "rejected"):
            entries += [mapping.ended_conditional_history(o, account, currency, state)
                        for o in await self.conditional_orders(account, state)]
        return sorted((e for e in entries if e.at >= since), key=lambda e: e.at, reverse=True)



def create(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> BrokerService:
    # Typed as the contract: the type checker fails if the service misses a member.
    return DarwinexService(profile, credentials, request_log)
