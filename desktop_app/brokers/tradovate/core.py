"""Tradovate as a BrokerService: domain values in, domain values out.

Environments: DEMO (https://demo.tradovateapi.com/v1), LIVE
(https://live.tradovateapi.com/v1) and REPLAY, whose REST calls go to the demo host
(UNCONFIRMED: the replay host is documented for the WebSocket only). Every account of
the login works at once: there is no session account to switch.

Choices where the API leaves room (see also client.py and budgets.py):

- Balances: ``balance`` = totalCashValue, ``equity`` = netLiq, ``available`` = netLiq
  - initialMargin (Tradovate sends no "available" figure), ``margin`` =
  initialMargin; the snapshot's other figures are shown as facts. ``/account/list``
  is re-read at most once a minute (accounts rarely change), the snapshot of every
  account on every ``accounts()``.
- Contracts: names come from ``/contract/items`` and are cached for good (contract ids
  never change). Value per point and tick size come from ``/product/find?name=`` with
  the product name taken from the contract name (``ESZ6`` -> ``ES``), cached for good.
- Prices: real Tradovate sends quotes only over its market-data WebSocket
  (``stream``; the session streams what is on screen). ``quote()`` and the positions'
  P/L take the latest streamed price of a contract while it is streamed; otherwise
  they ask the simulator's REST stand-in ``GET /md/getquote`` (shaped like the quote
  event), which real Tradovate does not have: on Tradovate's own hosts, and after the
  stand-in's HTTP 404 (for a known contract), REST quotes are not asked
  (``capabilities.quotes`` is False: the poller leaves them alone) and a position
  without a streamed price shows its entry price with no open P/L. Position P/L = (bid
  for a long, offer for a short - netPrice) x netPos x value per point (``reprice``
  marks held positions at each streamed price); REST quotes are reused for a second.
- Positions: one per (account, contract), netted; ``position_id`` is Tradovate's
  position id. ``close_position`` sends ``/order/liquidateposition`` for its account
  and contract (the simulator also cancels that contract's working orders first).
- Orders: every order the app sends is one a person clicked, so ``isAutomated`` is
  false; ``clOrdId`` is the request's ``client_ref``. Working orders go in as GTC
  (GTD with ``good_till``). Stop loss / take profit attached to an order (brackets,
  ``placeOSO``) are not offered: a protective stop is a separate Stop order. Working
  orders' quantity, type and prices come from their latest version
  (``/orderVersion/ldeps?masterids=``, one call for all), cached until the order is
  modified here, and at most 30 s (another app may modify it).
- A lost reply to ``placeorder`` is reconciled from ``/order/list``: the order whose
  ``clOrdId`` is ours when the listing carries it (Tradovate's Order entity has no
  such field; its commands do), else the one order not seen before for the same
  contract, side, quantity and type created since the send. Never resent.
- Demo balance: ``changedemobalance`` (demo only), applied as a change (the seed); the
  reply's snapshot gives the new balance, so a server that replaces the balance instead
  is reported truthfully (with a note).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from desktop_app.brokers.common.base import BrokerBase
from desktop_app.brokers.tradovate import mapping
from desktop_app.brokers.tradovate.client import TradovateClient
from desktop_app.brokers.tradovate.errors import BROKER, SLOW_DOWN_SECONDS
from desktop_app.brokers.tradovate.stream import TradovateQuoteStream, md_url_for
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import BrokerError, NotFound, NotSupported, Rejected, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.domain.streaming import QuoteStream
from desktop_app.domain.types import (
    AccountRef,
    Environment,
    FundingKind,
    OrderType,
    Position,
    Quote,
)
from desktop_app.net.limiter import Priority
from desktop_app.net.request_log import RequestLog

log = logging.getLogger(__name__)

ACCOUNT_LIST_TTL = 60.0
QUOTE_TTL = 1.0
# Working orders' versions are re-read this often even unchanged here (another app of
# the same login may have modified them).
VERSION_TTL = 30.0
SUGGEST_LIMIT = 10

DEMO_CHANGE_MIN = Decimal("0.01")
DEMO_CHANGE_MAX = Decimal("999999.99")  # strictly below 1,000,000
DEMO_MAX_BALANCE = Decimal("50000")
DEMO_CHANGE_COOLDOWN = timedelta(hours=1)
DEMO_COMMENT_MAX = 64
DEMO_DEFAULT_COMMENT = "Demo Change"
DEMO_CHANGE_NOTES = (
    "Tradovate's changeDemoBalance changes the cash balance of a demo account: "
    "\"One balance change per account per hour, with a max account balance of $50,000\". "
    "\"The cashChange value is applied as a change to the current balance (positive values "
    "increase the balance and negative values decrease it). The cashChange value must be "
    "between -1,000,000 and 1,000,000 (exclusive). The resulting balance cannot exceed "
    "$50,000.\" The comment may have up to 64 characters; without one Tradovate records "
    "\"Demo Change\". Demo only: \"Request sent to the live or replay environment\" fails."
)
NO_FUNDING = (
    "Tradovate's changeDemoBalance works in the demo environment only (\"Environments: "
    "Demo\"); requests sent to the live or replay environment fail. Live accounts are "
    "funded on tradovate.com."
)
NO_DEPOSITS = "Deposits, withdrawals and transfers are made on tradovate.com, not the API."
NO_QUOTES = (
    "Tradovate sends prices only over its market-data WebSocket (no REST quotes); the "
    "price shows once the stream sends it."
)
NO_BRACKETS = (
    "Stop loss / take profit attached to an order are not offered for Tradovate; place "
    "a separate Stop or Limit order instead."
)
NO_CLOSE_ALL = "Tradovate positions are closed one contract at a time here."
NO_SWITCHING = "Tradovate needs no account switch: every account of the login works at once."
NO_NAVIGATION = "Tradovate offers no market tree; search for a contract (e.g. ES or ESZ6)."
NO_WATCHLISTS = "Tradovate's watchlists are not part of its public REST API."
NO_PREFERENCES = "Tradovate has no account preferences in this app."
NO_HISTORY = (
    "Tradovate's price history comes over its market-data WebSocket (md/getChart), which "
    "this app does not read yet."
)
NO_SCREENS = "Tradovate offers no product screens."



def capabilities(is_demo: bool) -> Capabilities:
    reasons = {
        "stops_and_limits": NO_BRACKETS,
        "close_all": NO_CLOSE_ALL,
        "account_switching": NO_SWITCHING,
        "market_navigation": NO_NAVIGATION,
        "watchlists": NO_WATCHLISTS,
        "preferences": NO_PREFERENCES,
        "quote_history": NO_HISTORY,
        "account_creation": "Tradovate accounts are opened on tradovate.com.",
        FundingKind.DEPOSIT.value: NO_DEPOSITS,
        FundingKind.WITHDRAW.value: NO_DEPOSITS,
        FundingKind.TRANSFER.value: NO_DEPOSITS,
    }
    if not is_demo:
        reasons["funding"] = NO_FUNDING
        reasons[FundingKind.DEMO_TOPUP.value] = NO_FUNDING
    return Capabilities(
        order_types=frozenset(OrderType),
        stops_and_limits=False,
        close_positions=True,
        working_orders=True,
        funding=frozenset({FundingKind.DEMO_TOPUP}) if is_demo else frozenset(),
        instrument_search=True,
        quotes=True,
        streaming_quotes=True,
        modify_orders=True,
        instrument_details=True,
        history=True,
        reasons=reasons,
    )



class TradovateCore(BrokerBase):
    broker = mapping.BROKER_ID
    display_name = BROKER
    required_fields = ("name", "password", "app_id", "cid", "sec")
    known_hosts = {
        "live.tradovateapi.com": Environment.LIVE,
        "demo.tradovateapi.com": Environment.DEMO,
    }

    def __init__(
        self,
        profile: ConnectionProfile,
        credentials: Credentials,
        request_log: RequestLog | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        slow_down_pause: float = SLOW_DOWN_SECONDS,
    ) -> None:
        super().__init__(profile, credentials)
        fields = self.fields
        device_id = (fields.get("device_id") or "").strip()
        self._new_device_id = not device_id
        self.device_id = device_id or str(uuid.uuid4())
        # Orders, searches and the refresh after a click skip the default (sustained)
        # budget and count on the guards only (see budgets.py): the poller may take most
        # of it.
        self._poll_share = 0.9
        self.client = TradovateClient(
            name=fields["name"],
            password=fields["password"],
            app_id=fields["app_id"],
            app_version=(fields.get("app_version") or "").strip() or "1.0",
            cid=fields["cid"],
            sec=fields["sec"],
            device_id=self.device_id,
            environment=profile.environment,
            base_url=profile.base_url,
            connection_id=profile.connection_id,
            request_log=request_log,
            transport=transport,
            slow_down_pause=slow_down_pause,
        )
        self._limiter = self.client.limiter
        self.account_list_ttl = ACCOUNT_LIST_TTL
        self.quote_ttl = QUOTE_TTL
        self._accounts: dict[int, dict[str, Any]] = {}
        self._accounts_at = -1e18
        self._contracts: dict[int, dict[str, Any]] = {}
        self._contract_ids: dict[str, int] = {}
        self._products: dict[str, mapping.ProductInfo | None] = {}
        self._sessions: dict[int, dict[str, Any] | None] = {}  # product id -> session
        # The clock the product session is read against (a test sets the exchange's).
        self.now: Callable[[], datetime] = utc_now
        self._quotes: dict[str, tuple[float, Quote]] = {}
        self._quotes_missing = False
        # The latest price of each contract the market-data stream sends (see stream.py).
        self._streamed: dict[str, Quote] = {}
        self._stream_live = False
        self._versions: dict[int, dict[str, Any]] = {}
        self._versions_at = time.monotonic()
        self._versions_generation = 0
        self._positions: dict[str, tuple[int, int]] = {}  # position id -> (account, contract)
        # When each order id was first seen here (listed, or answered to our own
        # placement): an order seen before a request was sent is never taken for it.
        self._first_listed: dict[int, datetime] = {}
        self._capabilities = capabilities(self.is_demo)
        if not profile.base_url:
            self._no_rest_quotes()  # Tradovate's own hosts: prices over the stream only

    @property
    def is_demo(self) -> bool:
        return self.environment is Environment.DEMO

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    # ------------------------------------------------------------------ streamed prices

    def quote_stream(self) -> QuoteStream:
        return TradovateQuoteStream(
            md_url_for(self.environment, self.profile.base_url),
            token=self.client.market_data_token,
            contract_id=self._contract_id_of,
            tap=self._take_streamed,
            on_live=self._streaming,
            on_forget=self._forget_streamed,
        )

    async def _contract_id_of(self, symbol: str) -> int:
        return mapping.wire_id((await self._contract(symbol)).get("id"))

    def _take_streamed(self, quote: Quote) -> None:
        self._streamed[quote.symbol] = quote

    def _forget_streamed(self, symbol: str) -> None:
        self._streamed.pop(symbol, None)

    def _no_rest_quotes(self) -> None:
        """The server has no REST quotes (real Tradovate): not asked again, and the
        poller leaves them alone."""
        self._quotes_missing = True
        self._capabilities = replace(
            self._capabilities, quotes=False,
            reasons={**self._capabilities.reasons, "quotes": NO_QUOTES},
        )

    def _streaming(self, up: bool) -> None:
        self._stream_live = up

    def reprice(self, position: Position, quote: Quote) -> Position | None:
        parsed = mapping.split_contract_name(position.symbol)
        product = self._products.get(parsed.product) if parsed is not None else None
        if product is None or product.value_per_point is None:
            return None
        return mapping.marked(position, quote, product.value_per_point)

    async def connect(self) -> None:
        await self.client.login()
        if self._new_device_id and self.credentials_changed is not None:
            # Reported once; the session keeps it in the profile for the next start.
            self.notify_credentials({"device_id": self.device_id})
            self._new_device_id = False

    async def close(self) -> None:
        await self.client.close()

    def _account_id(self, account: AccountRef) -> int:
        self.check_account(account)
        try:
            number = int(account.account_id)
        except ValueError:
            number = 0
        if number <= 0:
            raise ValidationError(
                f"Tradovate account ids are numbers above 0, not {account.account_id!r}.",
                field="account", broker=BROKER,
            )
        return number

    # ------------------------------------------------------------------ accounts

    async def _account_list(self, *, fresh: bool = False) -> dict[int, dict[str, Any]]:
        if fresh or time.monotonic() - self._accounts_at > self.account_list_ttl:
            raw = await self.client.account_list()
            self._accounts = {
                mapping.wire_id(item.get("id")): item for item in raw if isinstance(item, dict)
            }
            self._accounts_at = time.monotonic()
        return self._accounts

    # ------------------------------------------------------------------ contracts

    async def _contracts_by_id(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        wanted = set(ids)
        missing = [i for i in wanted if i not in self._contracts]
        if missing:
            for item in await self.client.contract_items(sorted(missing)):
                if isinstance(item, dict) and item.get("id") is not None:
                    self._remember_contract(item)
        return {i: self._contracts[i] for i in wanted if i in self._contracts}

    def _remember_contract(self, item: dict[str, Any]) -> None:
        contract_id = mapping.wire_id(item["id"])
        self._contracts[contract_id] = item
        self._contract_ids[str(item.get("name") or "").upper()] = contract_id

    async def _contract(self, symbol: str, priority: Priority = Priority.VISIBLE
                        ) -> dict[str, Any]:
        name = symbol.strip().upper()
        if not name:
            raise ValidationError("Choose a contract first.", field="symbol", broker=BROKER)
        known = self._contract_ids.get(name)
        if known is not None:
            return self._contracts[known]
        try:
            item = await self.client.contract_find(name, priority=priority)
        except (NotFound, Rejected) as exc:
            raise NotFound(f"Tradovate knows no contract {name}.", broker=BROKER) from exc
        if item.get("id") is None:
            raise NotFound(f"Tradovate knows no contract {name}.", broker=BROKER)
        self._remember_contract(item)
        return item

    def _contract_name(self, contract_id: int) -> str:
        item = self._contracts.get(contract_id)
        return str(item.get("name")) if item else str(contract_id)

    async def _product(self, contract_name: str) -> mapping.ProductInfo | None:
        parsed = mapping.split_contract_name(contract_name)
        if parsed is None:
            return None
        if parsed.product in self._products:
            return self._products[parsed.product]
        try:
            data = await self.client.product_find(parsed.product)
        except (NotFound, Rejected) as exc:
            log.info("Tradovate product %s unknown: %s", parsed.product, exc.message)
            self._products[parsed.product] = None
            return None
        info = mapping.product_info(data, parsed.product)
        self._products[parsed.product] = info
        return info

    async def _quote_or_none(self, contract_name: str) -> Quote | None:
        """The contract's streamed price, else a fresh-enough REST quote; None when there
        is neither (the last streamed price stands while the stream reconnects)."""
        streamed = self._streamed.get(contract_name)
        if streamed is not None:
            return streamed
        try:
            return await self._quote(contract_name)
        except NotSupported:
            return None
        except BrokerError as exc:
            log.info("Tradovate quote for %s unavailable: %s", contract_name, exc.message)
            return None

    async def _quote(self, contract_name: str) -> Quote:
        if self._quotes_missing:
            raise NotSupported(NO_QUOTES, broker=BROKER)
        cached = self._quotes.get(contract_name)
        if cached is not None and time.monotonic() - cached[0] < self.quote_ttl:
            return cached[1]
        try:
            data = await self.client.quote(contract_name)
        except NotFound as exc:
            # The contract exists (it is known): the server has no REST quotes (real
            # Tradovate): the poller stops asking, prices come from the stream only.
            self._no_rest_quotes()
            raise NotSupported(NO_QUOTES, broker=BROKER) from exc
        found = mapping.quote(contract_name, data)
        self._quotes[contract_name] = (time.monotonic(), found)
        return found

