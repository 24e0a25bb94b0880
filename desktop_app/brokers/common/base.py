"""What every broker service shares, written once.

``BrokerBase`` holds the connection's profile, the account and live checks, the hand-over
of a broker reference to the journal, the sink for credentials a service changes by
itself, and a refusal (``NotSupported`` with the broker's own reason from its
``Capabilities``) for every contract member a broker does not offer. A broker subclasses
it and writes only what it does.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import ClassVar
from urllib.parse import urlsplit

from desktop_app.brokers.common.reconcile import INTERVAL, Lookup, reconcile
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import NotSupported, PermissionDenied, ValidationError
from desktop_app.domain.limits import RequestLimits
from desktop_app.domain.order_checks import request_errors
from desktop_app.domain.service import ChangeSink, CredentialsSink, OnReference
from desktop_app.domain.streaming import QuoteStream
from desktop_app.domain.types import (
    Account,
    AccountOpening,
    AccountOpeningForm,
    AccountOpeningResult,
    AccountPreferences,
    AccountRef,
    Environment,
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
    OrderStatus,
    Position,
    PricePoint,
    Quote,
    Watchlist,
    WebhookAction,
    WebhookOverview,
    WorkingOrder,
)

log = logging.getLogger(__name__)


class BrokerBase:
    """The shared part of a BrokerService (see ``domain.service.BrokerService``)."""

    # The registry key ("capital") and the name traders read ("Capital.com").
    broker: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    # Fields a profile must carry (credentials or profile fields) for ``__init__``.
    required_fields: ClassVar[tuple[str, ...]] = ()
    # The broker's own servers whose host says the environment (its live and demo APIs).
    known_hosts: ClassVar[dict[str, Environment]] = {}

    def __init__(self, profile: ConnectionProfile, credentials: Credentials) -> None:
        self.profile = profile
        self.connection_id = profile.connection_id
        self.fields: dict[str, str] = {**profile.fields, **credentials}
        missing = [n for n in self.required_fields if not self.fields.get(n)]
        if missing:
            raise ValidationError(
                f"Missing {', '.join(missing)} for {self.display_name}.",
                field=missing[0], broker=self.display_name,
            )
        self.credentials_changed: CredentialsSink | None = None
        self.changed: ChangeSink | None = None
        self._limiter: RequestLimits | None = None
        self._poll_share: float | None = None

    # ------------------------------------------------------------------ basics

    @property
    def capabilities(self) -> Capabilities:
        raise NotImplementedError

    @property
    def limiter(self) -> RequestLimits | None:
        return self._limiter

    @property
    def poll_budget_share(self) -> float | None:
        return self._poll_share

    @property
    def environment(self) -> Environment:
        return self.profile.environment

    @property
    def is_demo(self) -> bool:
        return self.environment is not Environment.LIVE

    @property
    def served_environment(self) -> Environment:
        """What the broker's server says, not the profile's label: a profile pointed at a
        broker's live host reaches live accounts whatever it is called. Else (a
        simulator, a host the app does not know) the profile's environment."""
        host = (urlsplit(self.profile.base_url or "").hostname or "").lower()
        return self.known_hosts.get(host, self.environment)

    def check_account(self, account: AccountRef) -> None:
        """Refuse an account of another connection (nothing is sent)."""
        if account.connection != self.connection_id or account.broker != self.broker:
            raise ValidationError(
                f"Account {account} does not belong to this {self.display_name} connection.",
                broker=self.display_name,
            )

    def require_live_opt_in(self, what: str) -> None:
        """Refuse a write on a live connection whose profile has no live opt-in."""
        if self.profile.is_live and not self.profile.live_opt_in:
            raise PermissionDenied(
                f"{what} on a live {self.display_name} account is switched off for this "
                "connection.",
                hint="To use real money, edit the connection and tick 'Allow live trading', "
                "then try again.",
                broker=self.display_name,
            )

    def refuse(self, capability: str) -> NotSupported:
        """The error for a member this broker does not offer, in its own words."""
        return NotSupported(self.capabilities.why_not(capability), broker=self.display_name)

    def hand_over(self, on_reference: OnReference | None, ref: str) -> None:
        """Give the journal the broker's reference before anything else is read, so a
        crash in between cannot lose it; a failure to note it must not lose the outcome."""
        if on_reference is None or not ref:
            return
        try:
            on_reference(ref)
        except Exception:
            log.exception("recording the %s reference %s failed", self.display_name, ref)

    def notify_credentials(self, updates: Credentials) -> None:
        """Persist what the service changed by itself (the session's sink)."""
        self.fields.update(updates)
        sink = self.credentials_changed
        if sink is None:
            return
        try:
            sink(dict(updates))
        except Exception:
            log.exception("persisting changed %s credentials failed", self.display_name)

    def notify_changed(self, account: AccountRef | None, *topics: str) -> None:
        """Tell the session what changed at the broker (see ``ChangeSink``)."""
        sink = self.changed
        if sink is None:
            return
        try:
            sink(account, frozenset(topics))
        except Exception:
            log.exception("reporting a %s change failed", self.display_name)

    async def connect(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ orders

    def check_order(self, request: OrderRequest) -> None:
        """What every broker checks before an order goes out (nothing is sent when it
        fails): the account, the ticket's own field rules (``domain.order_checks``:
        bounds, levels where the type needs them), the order type offered, the live
        opt-in. A broker adds only its own rules."""
        self.check_account(request.account)
        if request.order_type not in self.capabilities.order_types:
            raise NotSupported(self.capabilities.why_not(request.order_type.value),
                               broker=self.display_name)
        for field, message in request_errors(request).items():
            raise ValidationError(message, field=field, broker=self.display_name)
        self.require_live_opt_in("Trading")

    # How long reconciliation waits between looks right after a lost reply.
    reconcile_interval: float = INTERVAL

    def order_lookup(self, request: OrderRequest) -> Lookup:
        """How this broker finds the order ``request`` made (see ``common.reconcile``)."""
        raise self.refuse("trading")

    async def place_order(
        self, request: OrderRequest, on_reference: OnReference | None = None
    ) -> OrderResult:
        raise self.refuse("trading")

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
        """One rule for every broker (``common.reconcile``); the broker only says how
        its orders are found (``order_lookup``)."""
        self.check_account(request.account)
        return await reconcile(
            self.order_lookup(request), request, broker_ref, broker=self.display_name,
            since=since, exclude=exclude, final=final, peers=peers, rank=rank,
            interval=self.reconcile_interval,
        )

    # ------------------------------------------------------------------ refusals
    # Each member below is offered only by brokers whose capabilities say so; they
    # override it. The rest answer with the broker's reason.

    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]:
        self.check_account(account)
        return []

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        raise self.refuse("quotes")

    def quote_stream(self) -> QuoteStream:
        raise self.refuse("streaming_quotes")

    def reprice(self, position: Position, quote: Quote) -> Position | None:
        return None  # the broker's own P/L stands until the next read

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]:
        raise self.refuse("instrument_search")

    async def market_navigation(
        self, account: AccountRef, node_id: str | None
    ) -> tuple[list[MarketNode], list[Instrument]]:
        raise self.refuse("market_navigation")

    async def watchlists(self, account: AccountRef) -> list[Watchlist]:
        raise self.refuse("watchlists")

    async def watchlist_instruments(
        self, account: AccountRef, watchlist_id: str
    ) -> list[Instrument]:
        raise self.refuse("watchlists")

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        raise self.refuse("close_positions")

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        raise self.refuse("working_orders")

    async def modify_order(self, amendment: OrderAmendment) -> OrderResult:
        raise self.refuse("modify_orders")

    async def close_all_positions(self, account: AccountRef) -> OrderResult:
        raise self.refuse("close_all")

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        raise self.refuse("instrument_details")

    async def quote_history(
        self, account: AccountRef, symbol: str, since: datetime
    ) -> list[PricePoint]:
        raise self.refuse("quote_history")

    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        raise self.refuse("history")

    async def screen_instruments(
        self, account: AccountRef, screen: InstrumentScreen, text: str = ""
    ) -> list[Instrument]:
        raise self.refuse("instrument_screens")

    async def switch_account(self, account: AccountRef) -> None:
        # Brokers whose every request names its account have nothing to switch.
        self.check_account(account)

    async def preferences(self, account: AccountRef) -> AccountPreferences:
        raise self.refuse("preferences")

    async def set_preferences(
        self, account: AccountRef, preferences: AccountPreferences
    ) -> AccountPreferences:
        raise self.refuse("preferences")

    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        return None

    async def fund(
        self, request: FundingRequest, on_reference: OnReference | None = None
    ) -> FundingResult:
        raise self.refuse(request.kind.value)

    async def reconcile_funding(
        self,
        request: FundingRequest,
        broker_ref: str,
        *,
        since: datetime | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> FundingResult:
        return FundingResult(
            OrderStatus.UNKNOWN, broker_ref=broker_ref,
            message=f"{self.display_name} offers no way to look a funding request up "
            "afterwards; the balance shows whether it was made.",
        )

    async def account_opening_forms(self) -> list[AccountOpeningForm]:
        raise self.refuse("account_creation")

    async def open_account(
        self, opening: AccountOpening, on_reference: OnReference | None = None
    ) -> AccountOpeningResult:
        raise self.refuse("account_creation")

    async def rename_account(self, account: AccountRef, name: str) -> Account:
        raise self.refuse("account_rename")

    async def close_account(self, account: AccountRef) -> AccountOpeningResult:
        raise self.refuse("account_close")

    async def webhooks(self) -> WebhookOverview:
        raise self.refuse("webhooks")

    async def webhook_action(self, webhook_id: str, action: WebhookAction) -> WebhookOverview:
        raise self.refuse("webhooks")

    async def owner_name(self) -> str:
        raise self.refuse("owner_rename")

    async def rename_owner(self, name: str) -> str:
        raise self.refuse("owner_rename")
