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
- Prices: real Tradovate sends quotes only over its market-data WebSocket (out of
  scope here). ``quote()`` uses the simulator's REST stand-in ``GET /md/getquote``
  (shaped like the WebSocket quote event); against a server without it (HTTP 404 for a
  known contract) quotes are reported as not supported and positions show their
  entry price with no open P/L. Position P/L = (bid for a long, offer for a short -
  netPrice) x netPos x value per point; quotes are reused for a second.
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

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from desktop_app.brokers.tradovate import mapping
from desktop_app.brokers.tradovate.client import TradovateClient
from desktop_app.brokers.tradovate.errors import BROKER, SLOW_DOWN_SECONDS
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import (
    BrokerError,
    NotFound,
    NotSupported,
    OutcomeUnknown,
    PermissionDenied,
    Rejected,
    ValidationError,
)
from desktop_app.domain.money import format_money, utc_now
from desktop_app.domain.types import (
    Account,
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
    OrderType,
    Position,
    PricePoint,
    Quote,
    Side,
    Watchlist,
    WorkingOrder,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority, RateLimiter
from desktop_app.net.request_log import RequestLog

log = logging.getLogger(__name__)

ACCOUNT_LIST_TTL = 60.0
QUOTE_TTL = 1.0
# Working orders' versions are re-read this often even unchanged here (another app of
# the same login may have modified them).
VERSION_TTL = 30.0
SUGGEST_LIMIT = 10
# The order list's timestamps against ours: a margin for clock skew and latency.
CLOCK_MARGIN = timedelta(seconds=5)

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
    "Tradovate sends prices only over its market-data WebSocket, which this app does not "
    "use yet; no REST quote is available from this server."
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
NO_HISTORY = "Tradovate's price history comes over its market-data WebSocket (not used yet)."
NO_SCREENS = "Tradovate offers no product screens."


class TradovateService:
    broker = mapping.BROKER_ID

    def __init__(
        self,
        profile: ConnectionProfile,
        credentials: Credentials,
        request_log: RequestLog | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        slow_down_pause: float = SLOW_DOWN_SECONDS,
    ) -> None:
        self.profile = profile
        self.connection_id = profile.connection_id
        fields = {**profile.fields, **credentials}
        missing = [n for n in ("name", "password", "app_id", "cid", "sec") if not fields.get(n)]
        if missing:
            raise ValidationError(
                f"Missing {', '.join(missing)} for Tradovate.", field=missing[0], broker=BROKER
            )
        device_id = (fields.get("device_id") or "").strip()
        self._new_device_id = not device_id
        self.device_id = device_id or str(uuid.uuid4())
        # Set by the session: persists fields the service changed (the device id).
        self.credentials_changed: Callable[[dict[str, str]], None] | None = None
        # Orders, searches and the refresh after a click skip the default (sustained)
        # budget and count on the guards only (see budgets.py): the poller may take most
        # of it.
        self.poll_budget_share = 0.9
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
        self.limiter: RateLimiter = self.client.limiter
        self.account_list_ttl = ACCOUNT_LIST_TTL
        self.quote_ttl = QUOTE_TTL
        self._accounts: dict[int, dict[str, Any]] = {}
        self._accounts_at = -1e18
        self._contracts: dict[int, dict[str, Any]] = {}
        self._contract_ids: dict[str, int] = {}
        self._products: dict[str, mapping.ProductInfo | None] = {}
        self._quotes: dict[str, tuple[float, Quote]] = {}
        self._quotes_missing = False
        self._versions: dict[int, dict[str, Any]] = {}
        self._versions_at = time.monotonic()
        self._versions_generation = 0
        self._positions: dict[str, tuple[int, int]] = {}  # position id -> (account, contract)
        # Order ids already seen per account (listed, or answered to our own placements):
        # after a lost reply they are never taken for the new order.
        self._known_orders: dict[int, set[int]] = {}
        self._capabilities = self._make_capabilities()

    # ------------------------------------------------------------------ basics

    @property
    def environment(self) -> Environment:
        return self.profile.environment

    @property
    def is_demo(self) -> bool:
        return self.environment is Environment.DEMO

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def _make_capabilities(self) -> Capabilities:
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
        if not self.is_demo:
            reasons["funding"] = NO_FUNDING
            reasons[FundingKind.DEMO_TOPUP.value] = NO_FUNDING
        return Capabilities(
            order_types=frozenset(OrderType),
            stops_and_limits=False,
            close_positions=True,
            working_orders=True,
            funding=frozenset({FundingKind.DEMO_TOPUP}) if self.is_demo else frozenset(),
            instrument_search=True,
            quotes=True,
            modify_orders=True,
            instrument_details=True,
            history=True,
            reasons=reasons,
        )

    async def connect(self) -> None:
        await self.client.login()
        if self._new_device_id and self.credentials_changed is not None:
            # Reported once; the session keeps it in the profile for the next start.
            self.credentials_changed({"device_id": self.device_id})
            self._new_device_id = False

    async def close(self) -> None:
        await self.client.close()

    def _account_id(self, account: AccountRef) -> int:
        if account.connection != self.connection_id or account.broker != self.broker:
            raise ValidationError(
                f"Account {account} does not belong to this Tradovate connection.",
                broker=BROKER,
            )
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

    def _require_live_opt_in(self, what: str) -> None:
        if self.profile.is_live and not self.profile.live_opt_in:
            raise PermissionDenied(
                f"{what} on a live Tradovate account is switched off for this connection.",
                hint=(
                    "To trade with real money, edit the connection and tick "
                    "'Allow live trading', then try again."
                ),
                broker=BROKER,
            )

    # ------------------------------------------------------------------ accounts

    async def _account_list(self, *, fresh: bool = False) -> dict[int, dict[str, Any]]:
        if fresh or time.monotonic() - self._accounts_at > self.account_list_ttl:
            raw = await self.client.account_list()
            self._accounts = {
                mapping.wire_id(item.get("id")): item for item in raw if isinstance(item, dict)
            }
            self._accounts_at = time.monotonic()
        return self._accounts

    async def accounts(self) -> list[Account]:
        listed = await self._account_list()
        result = []
        for account_id, item in listed.items():
            snapshot: dict[str, Any] | None
            try:
                snapshot = await self.client.cash_snapshot(account_id)
            except Rejected as exc:
                # e.g. a closed account: listed, but without figures.
                log.info("Tradovate snapshot of %s refused: %s", account_id, exc.message)
                snapshot = None
            result.append(mapping.account(
                item, connection=self.connection_id, environment=self.environment,
                snapshot=snapshot,
            ))
        return result

    async def switch_account(self, account: AccountRef) -> None:
        self._account_id(account)  # nothing to switch; only checked

    async def preferences(self, account: AccountRef) -> AccountPreferences:
        raise NotSupported(NO_PREFERENCES, broker=BROKER)

    async def set_preferences(
        self, account: AccountRef, preferences: AccountPreferences
    ) -> AccountPreferences:
        raise NotSupported(NO_PREFERENCES, broker=BROKER)

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
        """A fresh-enough quote for a known contract; None when there is none over REST."""
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
            # The contract exists (it is known): the server has no REST quotes.
            self._quotes_missing = True
            raise NotSupported(NO_QUOTES, broker=BROKER) from exc
        found = mapping.quote(contract_name, data)
        self._quotes[contract_name] = (time.monotonic(), found)
        return found

    # ------------------------------------------------------------------ markets

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        self._account_id(account)
        contract = await self._contract(symbol)
        return await self._quote(str(contract.get("name")))

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]:
        self._account_id(account)
        term = text.strip().upper()
        if not term:
            return []
        found = [c for c in await self.client.contract_suggest(term, SUGGEST_LIMIT)
                 if isinstance(c, dict) and c.get("name")]
        names = {str(c["name"]).upper() for c in found}
        if term not in names and mapping.split_contract_name(term) is not None:
            with contextlib.suppress(NotFound, Rejected):
                found.insert(0, await self.client.contract_find(term))
        result = []
        for contract in found:
            if contract.get("id") is not None:
                self._remember_contract(contract)
            name = str(contract.get("name"))
            result.append(mapping.instrument(contract, await self._product(name)))
        return result

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        self._account_id(account)
        contract = await self._contract(symbol, Priority.INTERACTIVE)
        name = str(contract.get("name"))
        return mapping.instrument(
            contract, await self._product(name), await self._quote_or_none(name)
        )

    async def market_navigation(
        self, account: AccountRef, node_id: str | None
    ) -> tuple[list[MarketNode], list[Instrument]]:
        raise NotSupported(NO_NAVIGATION, broker=BROKER)

    async def watchlists(self, account: AccountRef) -> list[Watchlist]:
        raise NotSupported(NO_WATCHLISTS, broker=BROKER)

    async def watchlist_instruments(
        self, account: AccountRef, watchlist_id: str
    ) -> list[Instrument]:
        raise NotSupported(NO_WATCHLISTS, broker=BROKER)

    async def quote_history(
        self, account: AccountRef, symbol: str, since: datetime
    ) -> list[PricePoint]:
        raise NotSupported(NO_HISTORY, broker=BROKER)

    async def screen_instruments(
        self, account: AccountRef, screen: InstrumentScreen, text: str = ""
    ) -> list[Instrument]:
        raise NotSupported(NO_SCREENS, broker=BROKER)

    # ------------------------------------------------------------------ positions

    async def _open_positions(
        self, account_id: int, *, priority: Priority = Priority.VISIBLE
    ) -> list[dict[str, Any]]:
        raw = await self.client.position_list(priority=priority)
        held = []
        for item in raw:
            if not isinstance(item, dict) or item.get("accountId") is None:
                continue
            if mapping.wire_id(item["accountId"]) != account_id:
                continue
            self._positions[str(item.get("id"))] = (
                account_id, mapping.wire_id(item.get("contractId"))
            )
            net = mapping.number(item, "netPos")
            if net:
                held.append(item)
        return held

    async def positions(self, account: AccountRef) -> list[Position]:
        account_id = self._account_id(account)
        held = await self._open_positions(account_id)
        await self._contracts_by_id(mapping.wire_id(p.get("contractId")) for p in held)
        result = []
        for item in held:
            name = self._contract_name(mapping.wire_id(item.get("contractId")))
            result.append(mapping.position(
                item, account, contract_name=name, product=await self._product(name),
                quote=await self._quote_or_none(name),
            ))
        return result

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        account_id = self._account_id(account)
        self._require_live_opt_in("Closing positions")
        where = self._positions.get(position_id)
        if where is None or where[0] != account_id:
            await self._open_positions(account_id, priority=Priority.INTERACTIVE)
            where = self._positions.get(position_id)
        if where is None or where[0] != account_id:
            return OrderResult(
                OrderStatus.REJECTED,
                reason="Tradovate lists no such position on this account (already closed?).",
            )
        contract_id = where[1]
        body = {"accountId": account_id, "contractId": contract_id, "admin": False}
        try:
            reply = await self.client.liquidate_position(body)
        except MaybeSent as exc:
            return await self._flat(account_id, position_id, exc.message)
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, reason=exc.message)
        order_id = reply.get("orderId")
        return OrderResult(
            OrderStatus.ACCEPTED,
            broker_ref=str(order_id) if order_id is not None else "",
            deal_ids=(position_id,),
            reason="Liquidation order sent.",
        )

    async def _flat(self, account_id: int, position_id: str, lost: str) -> OrderResult:
        """After a lost liquidation reply: flat means done; still open proves nothing."""
        try:
            held = await self._open_positions(account_id, priority=Priority.INTERACTIVE)
        except BrokerError as exc:
            return OrderResult(
                OrderStatus.UNKNOWN, deal_ids=(position_id,),
                reason=f"{lost} The positions could not be read ({exc.message}).",
            )
        if all(str(p.get("id")) != position_id for p in held):
            return OrderResult(OrderStatus.ACCEPTED, deal_ids=(position_id,),
                               reason="The reply was lost; the position is flat.")
        return OrderResult(
            OrderStatus.UNKNOWN, deal_ids=(position_id,),
            reason=f"{lost} The position is still open for now; nothing was resent.",
        )

    async def close_all_positions(self, account: AccountRef) -> OrderResult:
        raise NotSupported(NO_CLOSE_ALL, broker=BROKER)

    # ------------------------------------------------------------------ working orders

    async def _account_orders(
        self, account_id: int, *, priority: Priority = Priority.VISIBLE
    ) -> list[dict[str, Any]]:
        orders = [
            o for o in await self.client.order_list(priority=priority)
            if isinstance(o, dict) and o.get("accountId") is not None
            and mapping.wire_id(o["accountId"]) == account_id
        ]
        self._known_orders.setdefault(account_id, set()).update(
            mapping.wire_id(o.get("id")) for o in orders
        )
        return orders

    async def _version(
        self, order_id: int, *, priority: Priority = Priority.VISIBLE, fresh: bool = False
    ) -> dict[str, Any]:
        if fresh:
            self._forget_version(order_id)
        found = (await self._load_versions([order_id], priority=priority)).get(order_id)
        if found is None:
            raise NotFound(f"Tradovate has no version of order {order_id}.", broker=BROKER)
        return found

    def _forget_version(self, order_id: int) -> None:
        """After a modify or cancel: a read in flight must not cache the old version."""
        self._versions.pop(order_id, None)
        self._versions_generation += 1

    async def _load_versions(
        self, order_ids: Iterable[int], *, priority: Priority = Priority.VISIBLE
    ) -> dict[int, dict[str, Any]]:
        """The latest version of each order; those not cached are read in one call."""
        wanted = list(dict.fromkeys(order_ids))
        found = {i: self._versions[i] for i in wanted if i in self._versions}
        missing = [i for i in wanted if i not in found]
        if not missing:
            return found
        generation = self._versions_generation
        if len(missing) == 1:
            versions = await self.client.order_versions(missing[0], priority=priority)
        else:
            versions = await self.client.order_versions_of(missing, priority=priority)
        for version in versions:
            if not isinstance(version, dict) or version.get("orderId") is None:
                continue
            order_id = mapping.wire_id(version["orderId"])
            known = found.get(order_id)
            if order_id in missing and (known is None or mapping.wire_id(
                version.get("id")
            ) > mapping.wire_id(known.get("id"))):
                found[order_id] = version
        if generation == self._versions_generation:
            self._versions.update({i: found[i] for i in missing if i in found})
        return found

    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]:
        account_id = self._account_id(account)
        working = [
            o for o in await self._account_orders(account_id)
            if o.get("ordStatus") in mapping.WORKING_STATUSES
        ]
        await self._contracts_by_id(mapping.wire_id(o.get("contractId")) for o in working)
        live = {mapping.wire_id(o.get("id")) for o in working}
        if time.monotonic() - self._versions_at > VERSION_TTL:
            self._versions.clear()
            self._versions_generation += 1
            self._versions_at = time.monotonic()
        for gone in [i for i in self._versions if i not in live]:
            del self._versions[gone]
        versions = await self._load_versions(live)
        result = []
        for order in working:
            order_id = mapping.wire_id(order.get("id"))
            version = versions.get(order_id)
            if version is None:
                continue  # gone between the two reads
            name = self._contract_name(mapping.wire_id(order.get("contractId")))
            result.append(mapping.working_order(
                order, version, account, contract_name=name, product=await self._product(name),
            ))
        return result

    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        """The account's fills, and its orders that ended unfilled (cancelled, rejected,
        expired), newest first: ``/order/list`` says which orders are the account's."""
        account_id = self._account_id(account)
        orders = await self._account_orders(account_id)
        mine = {mapping.wire_id(o.get("id")): o for o in orders}
        fills = [f for f in await self.client.fill_list()
                 if mapping.wire_id(f.get("orderId")) in mine]
        ended = [o for o in orders if o.get("ordStatus") in mapping.ENDED_STATUSES]
        await self._contracts_by_id(
            mapping.wire_id(x.get("contractId")) for x in (*fills, *ended)
        )
        entries: list[HistoryEntry] = []
        for fill in fills:
            name = self._contract_name(mapping.wire_id(fill.get("contractId")))
            entries.append(mapping.fill_history(
                fill, account, contract_name=name, product=await self._product(name)))
        for order in ended:
            name = self._contract_name(mapping.wire_id(order.get("contractId")))
            entries.append(mapping.ended_order_history(
                order, account, contract_name=name, product=await self._product(name)))
        return sorted((e for e in entries if e.at >= since), key=lambda e: e.at, reverse=True)

    # ------------------------------------------------------------------ orders

    def _validate(self, request: OrderRequest) -> tuple[int, int]:
        account_id = self._account_id(request.account)
        if not request.symbol.strip():
            raise ValidationError("Choose a contract first.", field="symbol", broker=BROKER)
        if request.size <= 0 or request.size != request.size.to_integral_value():
            raise ValidationError(
                "Futures trade in whole contracts: the size must be 1, 2, 3, ...",
                field="size", broker=BROKER,
            )
        if request.order_type is not OrderType.MARKET and (
            request.level is None or request.level <= 0
        ):
            raise ValidationError(
                f"A {request.order_type.value.lower().replace('_', '-')} order needs a price.",
                field="level", broker=BROKER,
            )
        if request.order_type is OrderType.STOP_LIMIT and (
            request.stop_price is None or request.stop_price <= 0
        ):
            raise ValidationError("A stop-limit order needs a stop (trigger) price.",
                                  field="stop_price", broker=BROKER)
        if request.stop_level is not None or request.profit_level is not None:
            raise NotSupported(NO_BRACKETS, broker=BROKER)
        return account_id, int(request.size)

    def _order_body(self, request: OrderRequest, account_id: int, qty: int,
                    account_spec: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "accountSpec": account_spec,
            "accountId": account_id,
            "clOrdId": request.client_ref,
            "action": "Buy" if request.side is Side.BUY else "Sell",
            "symbol": request.symbol.strip().upper(),
            "orderQty": qty,
            "orderType": mapping.WIRE_ORDER_TYPES[request.order_type],
            # Every order from the ticket is one a person clicked.
            "isAutomated": False,
        }
        if request.order_type is OrderType.LIMIT:
            body["price"] = request.level
        elif request.order_type is OrderType.STOP:
            body["stopPrice"] = request.level
        elif request.order_type is OrderType.STOP_LIMIT:
            body["price"] = request.level
            body["stopPrice"] = request.stop_price
        if request.order_type is not OrderType.MARKET:
            if request.good_till is not None:
                body["timeInForce"] = "GTD"
                body["expireTime"] = mapping.wire_time(request.good_till)
            else:
                body["timeInForce"] = "GTC"
        return body

    async def _account_spec(self, account_id: int) -> str:
        # An account's name does not change: any earlier listing will do.
        listed = self._accounts
        if account_id not in listed:
            listed = await self._account_list(fresh=True)
        item = listed.get(account_id)
        if item is None:
            raise ValidationError(
                f"Tradovate lists no account {account_id} for this login.",
                field="account", broker=BROKER,
            )
        return str(item.get("name") or account_id)

    async def place_order(
        self, request: OrderRequest, on_reference: Callable[[str], None] | None = None
    ) -> OrderResult:
        account_id, qty = self._validate(request)
        self._require_live_opt_in("Trading")
        spec = await self._account_spec(account_id)
        body = self._order_body(request, account_id, qty, spec)
        sent_at = utc_now()
        known = set(self._known_orders.get(account_id, ()))
        try:
            reply = await self.client.place_order(body)
        except MaybeSent as exc:
            log.warning("Tradovate order reply lost or unreadable; reconciling")
            return await self._find_placed(request, sent_at, exc.message, exclude=known)
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, reason=exc.message)
        order_id = reply.get("orderId")
        if order_id is None:
            return await self._find_placed(
                request, sent_at, "Tradovate answered the order without an order id.",
                exclude=known,
            )
        ref = str(order_id)
        self._known_orders.setdefault(account_id, set()).add(mapping.wire_id(order_id))
        _hand_over(on_reference, ref)
        return await self._status(ref)

    async def _status(self, ref: str) -> OrderResult:
        """The outcome of an order Tradovate took (it gave an order id)."""
        try:
            item = await self.client.order_item(mapping.wire_id(ref))
        except BrokerError as exc:
            # Taken: the order id is Tradovate's acceptance; only its state is unread.
            return OrderResult(
                OrderStatus.ACCEPTED, broker_ref=ref, deal_ids=(ref,),
                reason=f"Order {ref} accepted; its state could not be read ({exc.message}).",
            )
        status = str(item.get("ordStatus") or "")
        if status == "Rejected":
            return OrderResult(
                OrderStatus.REJECTED, broker_ref=ref, deal_ids=(ref,),
                reason=f"Tradovate rejected order {ref} after taking it.",
            )
        return OrderResult(
            OrderStatus.ACCEPTED, broker_ref=ref, deal_ids=(ref,),
            reason=f"Order {ref} is {status or 'accepted'}.",
        )

    async def _matching_orders(
        self, request: OrderRequest, since: datetime, exclude: set[int]
    ) -> list[dict[str, Any]]:
        """Orders of the account that look like ``request``: its clOrdId when the listing
        carries one, else same contract, side and quantity, created since ``since``."""
        account_id = self._account_id(request.account)
        orders = await self._account_orders(account_id, priority=Priority.INTERACTIVE)
        by_ref = [o for o in orders if o.get("clOrdId") == request.client_ref]
        if by_ref or any("clOrdId" in o for o in orders):
            return by_ref
        contract = await self._contract(request.symbol, Priority.INTERACTIVE)
        contract_id = mapping.wire_id(contract.get("id"))
        action = "Buy" if request.side is Side.BUY else "Sell"
        found = []
        for order in orders:
            created = mapping.parse_time(order.get("timestamp"))
            if (
                mapping.wire_id(order.get("id")) in exclude
                or mapping.wire_id(order.get("contractId")) != contract_id
                or order.get("action") != action
                or created is None
                or created < since - CLOCK_MARGIN
            ):
                continue
            version = await self._version(mapping.wire_id(order.get("id")),
                                          priority=Priority.INTERACTIVE, fresh=True)
            if mapping.number(version, "orderQty") == request.size and (
                version.get("orderType") == mapping.WIRE_ORDER_TYPES[request.order_type]
            ):
                found.append(order)
        return found

    async def _find_placed(
        self, request: OrderRequest, sent_at: datetime, lost: str,
        exclude: set[int] | frozenset[int] = frozenset(),
    ) -> OrderResult:
        """After a lost or unreadable reply: the one order that is ours, if any."""
        try:
            matches = await self._matching_orders(request, sent_at, set(exclude))
        except BrokerError as exc:
            return OrderResult(
                OrderStatus.UNKNOWN,
                reason=(
                    f"{lost} The orders could not be read to find out whether it was placed "
                    f"({exc.message}). Nothing was resent; check them before trying again."
                ),
            )
        if len(matches) == 1:
            ref = str(matches[0].get("id"))
            result = await self._status(ref)
            return OrderResult(
                result.status, broker_ref=ref, deal_ids=(ref,),
                reason=f"The reply was lost; order {ref} was found at Tradovate. "
                       f"{result.reason}",
            )
        if matches:
            raise OutcomeUnknown(
                f"{lost} {len(matches)} new {request.symbol} orders match it; check them on "
                "the orders panel.",
                broker=BROKER,
            )
        raise OutcomeUnknown(
            f"{lost} No new order for it appeared at Tradovate.", broker=BROKER
        )

    async def reconcile_order(
        self, request: OrderRequest, broker_ref: str, *, since: datetime | None = None
    ) -> OrderResult:
        """The outcome of a journalled order: by its order id, else by its clOrdId or as
        the one matching order created since ``since``."""
        self._account_id(request.account)
        if broker_ref:
            try:
                item = await self.client.order_item(mapping.wire_id(broker_ref))
            except BrokerError as exc:
                return OrderResult(
                    OrderStatus.UNKNOWN, broker_ref=broker_ref,
                    reason=f"Tradovate could not be asked about order {broker_ref}: "
                           f"{exc.message}",
                )
            status = str(item.get("ordStatus") or "")
            if status == "Rejected":
                return OrderResult(OrderStatus.REJECTED, broker_ref=broker_ref,
                                   reason=f"Tradovate rejected order {broker_ref}.")
            return OrderResult(
                OrderStatus.ACCEPTED, broker_ref=broker_ref, deal_ids=(broker_ref,),
                reason=f"Order {broker_ref} is {status or 'known'} at Tradovate.",
            )
        if since is None:
            return OrderResult(
                OrderStatus.UNKNOWN,
                reason=(
                    "Tradovate gave no order id and the time the order was sent is not "
                    "known. Check the orders and positions."
                ),
            )
        try:
            return await self._find_placed(request, since, "")
        except OutcomeUnknown as exc:
            raise OutcomeUnknown(exc.message.strip(), broker=BROKER) from None

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        account_id = self._account_id(account)
        self._require_live_opt_in("Cancelling orders")
        wire = _order_number(order_id)
        try:
            reply = await self.client.cancel_order({"orderId": wire, "isAutomated": False})
        except MaybeSent as exc:
            return await self._order_state(wire, account_id, exc.message, want="Canceled")
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, deal_ids=(order_id,), reason=exc.message)
        self._forget_version(wire)
        return OrderResult(
            OrderStatus.ACCEPTED, broker_ref=str(reply.get("commandId") or ""),
            deal_ids=(order_id,), reason="Cancel sent.",
        )

    async def _order_state(
        self, order_id: int, account_id: int, lost: str, *, want: str
    ) -> OrderResult:
        try:
            item = await self.client.order_item(order_id)
        except BrokerError as exc:
            return OrderResult(
                OrderStatus.UNKNOWN, deal_ids=(str(order_id),),
                reason=f"{lost} The order could not be read ({exc.message}).",
            )
        status = str(item.get("ordStatus") or "")
        if status == want:
            return OrderResult(OrderStatus.ACCEPTED, deal_ids=(str(order_id),),
                               reason=f"The reply was lost; the order is {status}.")
        return OrderResult(
            OrderStatus.UNKNOWN, deal_ids=(str(order_id),),
            reason=f"{lost} The order is {status or 'unknown'} for now; nothing was resent.",
        )

    async def modify_order(self, amendment: OrderAmendment) -> OrderResult:
        self._account_id(amendment.account)
        self._require_live_opt_in("Changing orders")
        if amendment.stop_level is not None or amendment.profit_level is not None:
            raise NotSupported(NO_BRACKETS, broker=BROKER)
        wire = _order_number(amendment.order_id)
        current = await self._version(wire, priority=Priority.INTERACTIVE, fresh=True)
        kind = str(current.get("orderType") or "")
        qty = mapping.number(current, "orderQty")
        if amendment.size is not None:
            if amendment.size <= 0 or amendment.size != amendment.size.to_integral_value():
                raise ValidationError("The size must be a whole number of contracts.",
                                      field="size", broker=BROKER)
            qty = amendment.size
        body: dict[str, Any] = {"orderId": wire, "orderType": kind, "isAutomated": False}
        if qty is not None:
            body["orderQty"] = int(qty)
        price = mapping.number(current, "price")
        stop = mapping.number(current, "stopPrice")
        if amendment.level is not None:
            if kind == "Stop":
                stop = amendment.level
            else:
                price = amendment.level
        if amendment.stop_price is not None:
            if kind != "StopLimit":
                raise ValidationError("Only a stop-limit order has a separate stop price.",
                                      field="stop_price", broker=BROKER)
            stop = amendment.stop_price
        if price is not None and kind in ("Limit", "StopLimit"):
            body["price"] = price
        if stop is not None and kind in ("Stop", "StopLimit"):
            body["stopPrice"] = stop
        if current.get("timeInForce"):
            body["timeInForce"] = current["timeInForce"]
        try:
            reply = await self.client.modify_order(body)
        except MaybeSent as exc:
            self._forget_version(wire)
            return OrderResult(
                OrderStatus.UNKNOWN, deal_ids=(amendment.order_id,),
                reason=f"{exc.message} Nothing was resent; check the order.",
            )
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, deal_ids=(amendment.order_id,),
                               reason=exc.message)
        self._forget_version(wire)
        return OrderResult(
            OrderStatus.ACCEPTED, broker_ref=str(reply.get("commandId") or ""),
            deal_ids=(amendment.order_id,), reason="Change sent.",
        )

    # ------------------------------------------------------------------ funding

    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        if kind is not FundingKind.DEMO_TOPUP or not self.is_demo:
            return None
        return FundingRules(
            kind=FundingKind.DEMO_TOPUP,
            currency=mapping.CURRENCY,
            min_amount=DEMO_CHANGE_MIN,
            max_amount=DEMO_CHANGE_MAX,
            allow_negative=True,
            max_resulting_balance=DEMO_MAX_BALANCE,
            cooldown=DEMO_CHANGE_COOLDOWN,
            comment_max_len=DEMO_COMMENT_MAX,
            default_comment=DEMO_DEFAULT_COMMENT,
            demo_only=True,
            notes=DEMO_CHANGE_NOTES,
            title="Demo balance change",
        )

    async def fund(self, request: FundingRequest) -> FundingResult:
        account_id = self._account_id(request.account)
        if request.kind is not FundingKind.DEMO_TOPUP:
            raise NotSupported(NO_DEPOSITS, broker=BROKER)
        if not self.is_demo:
            raise NotSupported(NO_FUNDING, broker=BROKER)
        if request.amount == 0:
            raise ValidationError("The change must not be zero.", field="amount",
                                  broker=BROKER)
        # Read first: a failure here leaves nothing sent, and the figure tells a lost
        # reply's outcome (and which way the server applied the amount).
        try:
            before = mapping.number(
                await self.client.cash_snapshot(account_id, priority=Priority.INTERACTIVE),
                "totalCashValue",
            )
        except Rejected:
            before = None  # e.g. not an account of this user: the change says so itself
        body: dict[str, Any] = {"accountId": account_id, "cashChange": request.amount}
        if request.comment:
            body["comment"] = request.comment
        try:
            reply = await self.client.change_demo_balance(body)
        except MaybeSent as exc:
            return await self._funding_outcome(account_id, request.amount, before, exc.message)
        # A refusal (errorText on HTTP 200) is raised as Rejected with Tradovate's words.
        after = mapping.number(reply, "totalCashValue")
        return FundingResult(
            OrderStatus.ACCEPTED, new_balance=after,
            message=_change_message(request.amount, before, after),
        )

    async def _funding_outcome(
        self, account_id: int, amount: Decimal, before: Decimal | None, lost: str
    ) -> FundingResult:
        try:
            after = mapping.number(
                await self.client.cash_snapshot(account_id, priority=Priority.INTERACTIVE),
                "totalCashValue",
            )
        except BrokerError as exc:
            raise OutcomeUnknown(
                f"{lost} The balance could not be read to find out whether the change was "
                f"made ({exc.message}).",
                broker=BROKER,
            ) from exc
        if before is not None and after is not None and after != before and (
            after - before == amount or after == amount
        ):
            return FundingResult(
                OrderStatus.ACCEPTED, new_balance=after,
                message="The reply was lost; the balance shows the change.",
            )
        raise OutcomeUnknown(
            f"{lost} The balance does not show whether the change was made.", broker=BROKER
        )


def _change_message(amount: Decimal, before: Decimal | None, after: Decimal | None) -> str:
    if after is None:
        return "Demo balance changed."
    text = f"Demo balance changed; the cash is now {format_money(after, mapping.CURRENCY)}."
    if before is not None and after != before + amount and after == amount:
        text += (
            " Tradovate set the balance to the amount instead of adding it (the amount "
            "replaced the balance)."
        )
    return text


def _order_number(order_id: str) -> int:
    try:
        return int(order_id)
    except ValueError as exc:
        raise ValidationError(f"Tradovate order ids are numbers, not {order_id!r}.",
                              broker=BROKER) from exc


def _hand_over(on_reference: Callable[[str], None] | None, ref: str) -> None:
    """Give the caller the order id before reading its state, so a crash cannot lose it."""
    if on_reference is None:
        return
    try:
        on_reference(ref)
    except Exception:
        # The order is at the broker already; losing the note must not lose the outcome.
        log.exception("recording the Tradovate order id %s failed", ref)
