"""The async contract every broker service implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    Instrument,
    MarketNode,
    OrderRequest,
    OrderResult,
    Position,
    Quote,
    Watchlist,
    WorkingOrder,
)


@runtime_checkable
class BrokerService(Protocol):
    """One connection to one broker login. All methods are coroutines on the app loop.

    Methods outside ``capabilities`` raise ``NotSupported``. Writes (orders, funding)
    are never retried blindly: an ambiguous failure is reconciled and reported as the
    true outcome or ``OutcomeUnknown``.
    """

    broker: str
    connection_id: str

    @property
    def capabilities(self) -> Capabilities: ...

    async def connect(self) -> None: ...
    async def close(self) -> None: ...

    async def accounts(self) -> list[Account]: ...
    async def positions(self, account: AccountRef) -> list[Position]: ...
    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]: ...
    async def quote(self, account: AccountRef, symbol: str) -> Quote: ...

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]: ...
    async def market_navigation(
        self, account: AccountRef, node_id: str | None
    ) -> tuple[list[MarketNode], list[Instrument]]: ...
    async def watchlists(self, account: AccountRef) -> list[Watchlist]: ...
    async def watchlist_instruments(
        self, account: AccountRef, watchlist_id: str
    ) -> list[Instrument]: ...

    async def place_order(self, request: OrderRequest) -> OrderResult: ...
    async def reconcile_order(self, request: OrderRequest, broker_ref: str) -> OrderResult: ...
    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult: ...
    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult: ...

    async def switch_account(self, account: AccountRef) -> None: ...
    async def preferences(self, account: AccountRef) -> AccountPreferences: ...
    async def set_preferences(
        self, account: AccountRef, preferences: AccountPreferences
    ) -> AccountPreferences: ...

    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None: ...
    async def fund(self, request: FundingRequest) -> FundingResult: ...
