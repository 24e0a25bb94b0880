"""What every part of the Capital.com service shares: the client, the session's active
account and the capabilities.

Capital.com trades, lists positions and sets preferences on the session's *active*
account, so every account-scoped call first switches the session (``PUT /session``)
under one lock: polling and trading never interleave a switch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx

from desktop_app.brokers.capital import mapping
from desktop_app.brokers.capital.client import KEEPALIVE_AFTER, CapitalClient
from desktop_app.brokers.capital.errors import BROKER
from desktop_app.brokers.capital.stream import (
    MAX_EPICS,
    PING_SECONDS,
    CapitalQuoteStream,
    stream_url,
)
from desktop_app.brokers.common.base import BrokerBase
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.money import utc_now
from desktop_app.domain.streaming import QuoteStream
from desktop_app.domain.types import AccountRef, Environment, FundingKind, OrderType
from desktop_app.net.limiter import Priority
from desktop_app.net.request_log import RequestLog

T = TypeVar("T")

NO_LIVE_FUNDING = (
    "Capital.com's API tops up demo accounts only. Live accounts are funded on "
    "capital.com itself; deposits, withdrawals and transfers are not part of the API."
)
NO_ACCOUNT_CREATION = "Capital.com's API cannot open accounts; open them on capital.com."
NO_STOP_LIMIT = "Capital.com's working orders are LIMIT or STOP only."


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def capabilities(is_demo: bool) -> Capabilities:
    reasons = {
        "modify_orders": "Changing a working order is not offered for Capital.com yet; "
        "cancel it and place a new one.",
        "close_all": "Capital.com has no close-all call; close positions one by one.",
        "account_creation": NO_ACCOUNT_CREATION,
        "instrument_screens": "Capital.com offers no product screens.",
        "stop_limit": NO_STOP_LIMIT,
        OrderType.STOP_LIMIT.value: NO_STOP_LIMIT,
        FundingKind.DEPOSIT.value: NO_LIVE_FUNDING,
        FundingKind.WITHDRAW.value: NO_LIVE_FUNDING,
        FundingKind.TRANSFER.value: NO_LIVE_FUNDING,
    }
    if not is_demo:
        reasons["funding"] = NO_LIVE_FUNDING
        reasons[FundingKind.DEMO_TOPUP.value] = NO_LIVE_FUNDING
    return Capabilities(
        order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP}),
        stops_and_limits=True,
        close_positions=True,
        working_orders=True,
        funding=frozenset({FundingKind.DEMO_TOPUP}) if is_demo else frozenset(),
        account_creation=False,
        instrument_search=True,
        market_navigation=True,
        watchlists=True,
        quotes=True,
        streaming_quotes=True,
        account_switching=True,
        preferences=True,
        instrument_details=True,
        quote_history=True,
        history=True,
        reasons=reasons,
    )


class CapitalCore(BrokerBase):
    broker = mapping.BROKER_ID
    display_name = BROKER
    required_fields = ("identifier", "api_key", "password")
    known_hosts = {
        "api-capital.backend-capital.com": Environment.LIVE,
        "demo-api-capital.backend-capital.com": Environment.DEMO,
    }

    def __init__(
        self,
        profile: ConnectionProfile,
        credentials: Credentials,
        request_log: RequestLog | None = None,
        *,
        keepalive_after: float = KEEPALIVE_AFTER,
        confirm_interval: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(profile, credentials)
        fields = self.fields
        self.client = CapitalClient(
            api_key=fields["api_key"],
            identifier=fields["identifier"],
            password=fields["password"],
            environment=profile.environment,
            base_url=profile.base_url,
            encrypted_login=_truthy(fields.get("encrypted_login")),
            connection_id=profile.connection_id,
            request_log=request_log,
            keepalive_after=keepalive_after,
            confirm_interval=confirm_interval,
            transport=transport,
        )
        self._limiter = self.client.limiter
        self._account_lock = asyncio.Lock()
        self._currencies: dict[str, str] = {}
        # When each deal id was first listed here (our clock): a deal listed before an
        # order was sent is never taken for that order's.
        self._first_listed: dict[str, datetime] = {}
        # GET /markets/{epic} answers both quote() and instrument_details(): a request in
        # flight is shared, so choosing a market in the ticket costs one request, not two.
        self._market_calls: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._capabilities = capabilities(self.is_demo)
        # The stream's ping interval and epic limit (tests lower them with the simulator's).
        self.stream_ping_seconds = PING_SECONDS
        self.stream_max_epics = MAX_EPICS

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    async def connect(self) -> None:
        await self.client.login()

    async def close(self) -> None:
        await self.client.close()

    def quote_stream(self) -> QuoteStream:
        """One WebSocket per session, on the session's tokens (see ``stream``)."""
        return CapitalQuoteStream(
            stream_url(self.client.session, self.environment, self.profile.base_url),
            tokens=self.client.stream_tokens,
            switches=lambda: self.client.switches,
            ping_seconds=self.stream_ping_seconds,
            max_epics=self.stream_max_epics,
        )

    async def _on_account(
        self,
        account: AccountRef,
        action: Callable[[], Awaitable[T]],
        priority: Priority = Priority.VISIBLE,
    ) -> T:
        """Run ``action`` with ``account`` active; the lock keeps switches from interleaving."""
        self.check_account(account)
        async with self._account_lock:
            await self.client.switch_account(account.account_id, priority=priority)
            return await action()

    def _listed(self, deal_ids: list[str]) -> None:
        now = utc_now()
        for deal_id in deal_ids:
            self._first_listed.setdefault(deal_id, now)
