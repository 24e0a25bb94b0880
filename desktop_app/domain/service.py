"""The async contract every broker service implements.

Every member the session uses is declared here; the session never looks a member up by
name. ``brokers.common.base.BrokerBase`` implements the shared part (account checks,
live opt-in, refusals of what a broker does not offer, with the reason), so a broker
writes only what it does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, runtime_checkable

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import Credentials
from desktop_app.domain.limits import RequestLimits
from desktop_app.domain.streaming import QuoteStream
from desktop_app.domain.types import (
    Account,
    AccountOpening,
    AccountOpeningForm,
    AccountOpeningResult,
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
    WebhookAction,
    WebhookOverview,
    WorkingOrder,
)

# Hands the broker's reference (a dealReference, an order id) to the journal as soon as
# the broker gives it, before any confirmation step.
OnReference = Callable[[str], None]
CredentialsSink = Callable[[Credentials], None]
# What changed at the broker, as the broker told us (a webhook, a stream): the account
# (None: the connection's account list) and the topics ("balances", "positions",
# "working_orders"). The session refreshes them at once, ahead of the poller's schedule.
ChangeSink = Callable[["AccountRef | None", frozenset[str]], None]
CHANGE_TOPICS = frozenset({"balances", "positions", "working_orders"})


@runtime_checkable
class BrokerService(Protocol):
    """One connection to one broker login. All methods are coroutines on the app loop.

    Methods outside ``capabilities`` raise ``NotSupported`` with the broker's reason.
    Writes (orders, funding, account lifecycle) are sent once: when the outcome cannot
    be read the write raises ``MaybeSent`` / ``OutcomeUnknown`` or returns an UNKNOWN
    result, and the session reconciles it through ``reconcile_*`` (never by resending).
    """

    connection_id: str
    # Set by the session before ``connect()``: persists credentials the service changed
    # by itself (a rotated refresh token, a moved account id, a generated device id).
    credentials_changed: CredentialsSink | None
    # Set by the session before ``connect()``: a broker that is told of changes (webhooks,
    # streams) reports them here instead of waiting for the next poll.
    changed: ChangeSink | None

    @property
    def broker(self) -> str:
        """The registry key of the broker ("capital")."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def limiter(self) -> RequestLimits | None:
        """The broker's request budgets (None: not rate-limited here)."""
        ...

    @property
    def poll_budget_share(self) -> float | None:
        """The share of the default budget the poller may use (None: the poller's own
        default). A broker whose clicks do not draw on that budget gives more."""
        ...

    async def connect(self) -> None: ...
    async def close(self) -> None: ...

    async def accounts(self) -> list[Account]: ...
    async def positions(self, account: AccountRef) -> list[Position]: ...
    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]: ...
    async def quote(self, account: AccountRef, symbol: str) -> Quote: ...

    def quote_stream(self) -> QuoteStream:
        """A new, unopened stream of this login's prices (``streaming_quotes``); the
        session opens, steers and closes it (see ``domain.streaming``)."""
        ...

    def reprice(self, position: Position, quote: Quote) -> Position | None:
        """``position`` marked at a streamed ``quote``, where this app computes the open
        P/L itself (Tradovate); None where the broker's own figure stands until the next
        read. Cheap and synchronous: called for every streamed price of a held symbol."""
        ...

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]: ...
    async def market_navigation(
        self, account: AccountRef, node_id: str | None
    ) -> tuple[list[MarketNode], list[Instrument]]: ...
    async def watchlists(self, account: AccountRef) -> list[Watchlist]: ...
    async def watchlist_instruments(
        self, account: AccountRef, watchlist_id: str
    ) -> list[Instrument]: ...

    async def place_order(
        self, request: OrderRequest, on_reference: OnReference | None = None
    ) -> OrderResult:
        """Send once. ``on_reference`` gets the broker's reference as soon as the broker
        answers. Once the broker may have taken the order, a failure to read the outcome
        raises ``MaybeSent`` (or returns UNKNOWN), never ``REJECTED``."""
        ...

    async def reconcile_order(
        self,
        request: OrderRequest,
        broker_ref: str,
        *,
        since: datetime | None = None,
        exclude: frozenset[str] = frozenset(),
        final: bool = False,
        peers: tuple[datetime, ...] = (),
        rank: int = 0,
    ) -> OrderResult:
        """The true outcome of an order sent earlier. Without ``broker_ref`` only deals
        made at or after ``since`` (when it was journalled) and not in ``exclude``
        (claimed by other journal entries) may match. UNKNOWN when it cannot be told;
        ``final`` (long after the send): REJECTED where the broker's record proves that
        nothing was done. ``peers`` / ``rank``: when identical orders are in doubt, the times
        they were sent and this one's place among them (see ``brokers.common.reconcile``)."""
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
        """The instrument with its facts (scores, ...); never called per table row."""
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
    async def fund(
        self, request: FundingRequest, on_reference: OnReference | None = None
    ) -> FundingResult: ...
    async def reconcile_funding(
        self,
        request: FundingRequest,
        broker_ref: str,
        *,
        since: datetime | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> FundingResult:
        """The true outcome of a funding request sent earlier, or its current state:
        PENDING while the broker has taken it but not settled it (a deposit waiting for
        its payment), ACCEPTED / REJECTED once settled, UNKNOWN when it cannot be looked
        up (the trader checks the balance). Without ``broker_ref`` only records made at
        or after ``since`` (when it was journalled) and not in ``exclude`` (claimed by
        other journal entries) may match. The session asks again while it is PENDING."""
        ...

    async def account_opening_forms(self) -> list[AccountOpeningForm]:
        """What opening an account asks, per kind (``AccountAction.OPEN``)."""
        ...

    async def open_account(
        self, opening: AccountOpening, on_reference: OnReference | None = None
    ) -> AccountOpeningResult: ...
    async def rename_account(self, account: AccountRef, name: str) -> Account: ...
    async def owner_name(self) -> str:
        """The account holder's name as the broker keeps it (``owner_rename``)."""
        ...

    async def rename_owner(self, name: str) -> str:
        """Change the account holder's name (``owner_rename``); returns the new one."""
        ...

    async def close_account(self, account: AccountRef) -> AccountOpeningResult:
        """Ask the broker to close the account (it may go CLOSING first)."""
        ...

    async def webhooks(self) -> WebhookOverview:
        """The broker's webhook subscriptions and this app's receiver (``webhooks``)."""
        ...

    async def webhook_action(self, webhook_id: str, action: WebhookAction) -> WebhookOverview:
        """Test, enable, disable or delete one subscription; the overview afterwards."""
        ...
