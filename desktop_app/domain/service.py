"""The async contract every broker service implements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
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
    HistoryEntry,
    Instrument,
    InstrumentScreen,
    MarketNode,
    OrderAmendment,
    OrderRequest,
    OrderResult,
    Position,
    PricePoint,
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
    # Optional: a service that rotates tokens or learns a new account id by itself
    # declares ``credentials_changed: Callable[[Credentials], None] | None = None``;
    # the session sets it to a function that persists the changed fields (secrets to
    # the keyring, the rest to the profile).
    # Optional: ``poll_budget_share: float`` - the share of the default budget the poller
    # may use, for a service whose clicks do not draw on that budget (default 0.65).

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

    async def place_order(
        self, request: OrderRequest, on_reference: Callable[[str], None] | None = None
    ) -> OrderResult:
        """Send once. ``on_reference`` gets the broker's reference (e.g. a Capital.com
        dealReference) as soon as the broker answers, before any confirmation step, so
        the journal holds it if the app dies meanwhile. Once the broker may have taken
        the order, a failure to read the outcome is ``OrderStatus.UNKNOWN`` (or
        ``OutcomeUnknown``), never ``REJECTED``."""
        ...

    async def reconcile_order(
        self, request: OrderRequest, broker_ref: str, *, since: datetime | None = None
    ) -> OrderResult:
        """The true outcome of an order sent earlier. Without ``broker_ref`` only deals
        created at or after ``since`` (when the request was journalled) may match, so
        an older identical position is never taken for it."""
        ...
    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult: ...
    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult: ...
    async def modify_order(self, amendment: OrderAmendment) -> OrderResult:
        """Change a working order's level / size / stops (``capabilities.modify_orders``)."""
        ...

    async def close_all_positions(self, account: AccountRef) -> OrderResult:
        """Close every position of the account in one broker call (``close_all``)."""
        ...

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        """The instrument with its facts (scores, ...). Services cache what the broker
        throttles hard; never called per table row (``instrument_details``)."""
        ...

    async def quote_history(
        self, account: AccountRef, symbol: str, since: datetime
    ) -> list[PricePoint]:
        """Past prices for a chart, oldest first (``quote_history``)."""
        ...

    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        """What happened on the account since ``since``, newest first (``history``)."""
        ...

    async def screen_instruments(
        self, account: AccountRef, screen: InstrumentScreen, text: str = ""
    ) -> list[Instrument]:
        """Instruments passing one of ``capabilities.instrument_screens``."""
        ...

    async def switch_account(self, account: AccountRef) -> None: ...
    async def preferences(self, account: AccountRef) -> AccountPreferences: ...
    async def set_preferences(
        self, account: AccountRef, preferences: AccountPreferences
    ) -> AccountPreferences: ...

    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None: ...
    async def fund(self, request: FundingRequest) -> FundingResult: ...
