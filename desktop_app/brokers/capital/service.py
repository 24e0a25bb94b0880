"""Capital.com as a BrokerService: domain values in, domain values out.

The service is assembled from its parts: ``core`` (client, active account, capabilities),
``markets``, ``orders`` (with lost-reply reconciliation) and ``funding``; this module adds
the accounts, positions, working orders and preferences, all read on the session's active
account (see ``core``).
"""

from __future__ import annotations

from desktop_app.brokers.capital import mapping
from desktop_app.brokers.capital.funding import CapitalFunding
from desktop_app.brokers.capital.markets import CapitalMarkets
from desktop_app.brokers.capital.orders import CapitalOrders
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    Position,
    WorkingOrder,
)
from desktop_app.net.limiter import Priority
from desktop_app.net.request_log import RequestLog


class CapitalService(CapitalMarkets, CapitalOrders, CapitalFunding):
    async def accounts(self) -> list[Account]:
        raw = await self.client.accounts()
        result = [
            mapping.account(
                item, connection=self.connection_id, environment=self.served_environment,
                active_id=self.client.account_id,
            )
            for item in raw
        ]
        self._currencies = {a.ref.account_id: a.currency for a in result}
        return result

    async def switch_account(self, account: AccountRef) -> None:
        self.check_account(account)
        async with self._account_lock:
            await self.client.switch_account(account.account_id, priority=Priority.INTERACTIVE)

    async def preferences(self, account: AccountRef) -> AccountPreferences:
        data = await self._on_account(
            account, self.client.preferences, priority=Priority.INTERACTIVE
        )
        return mapping.preferences(data)

    async def set_preferences(
        self, account: AccountRef, preferences: AccountPreferences
    ) -> AccountPreferences:
        self.require_live_opt_in("Changing leverage or hedging mode")

        async def change() -> dict[str, object]:
            await self.client.set_preferences(
                leverages={k: v.current for k, v in preferences.leverages.items()},
                hedging_mode=preferences.hedging_mode,
            )
            return await self.client.preferences()

        return mapping.preferences(
            await self._on_account(account, change, priority=Priority.INTERACTIVE)
        )

    async def positions(self, account: AccountRef) -> list[Position]:
        raw = await self._on_account(account, self.client.positions)
        result = [mapping.position(item, account) for item in raw]
        self._listed([p.position_id for p in result])
        return result

    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]:
        raw = await self._on_account(account, self.client.working_orders)
        result = [mapping.working_order(item, account) for item in raw]
        self._listed([o.order_id for o in result])
        return result


def create(
    profile: ConnectionProfile, credentials: Credentials, request_log: RequestLog
) -> BrokerService:
    # Typed as the contract: the type checker fails if the service misses a member.
    return CapitalService(profile, credentials, request_log)
