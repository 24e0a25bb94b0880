"""Tradovate orders: working orders (their latest versions), the account's history,
placing, what became of an order whose reply was lost, cancelling and modifying.

A lost reply to ``placeorder`` raises ``MaybeSent`` and the session reconciles it once
(``reconcile_order``): by the order id when Tradovate gave one, else from ``/order/list``
as the order whose ``clOrdId`` is ours when the listing carries it (Tradovate's Order
entity has no such field; its commands do), else the one order not seen before for the
same contract, side, quantity and type created since the send. Never resent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from desktop_app.brokers.common.reconcile import CLOCK_MARGIN, Candidate
from desktop_app.brokers.tradovate import mapping
from desktop_app.brokers.tradovate.core import NO_BRACKETS, VERSION_TTL, TradovateCore
from desktop_app.brokers.tradovate.errors import BROKER
from desktop_app.domain.errors import BrokerError, NotFound, NotSupported, Rejected, ValidationError
from desktop_app.domain.money import utc_now
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    AccountRef,
    HistoryEntry,
    OrderAmendment,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Side,
    WorkingOrder,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority

log = logging.getLogger(__name__)


class TradovateOrders(TradovateCore):
    # ------------------------------------------------------------------ working orders

    async def _account_orders(
        self, account_id: int, *, priority: Priority = Priority.VISIBLE
    ) -> list[dict[str, Any]]:
        orders = [
            o for o in await self.client.order_list(priority=priority)
            if isinstance(o, dict) and o.get("accountId") is not None
            and mapping.wire_id(o["accountId"]) == account_id
        ]
        self._seen_orders([mapping.wire_id(o.get("id")) for o in orders])
        return orders

    def _seen_orders(self, order_ids: Iterable[int]) -> None:
        now = utc_now()
        for order_id in order_ids:
            self._first_listed.setdefault(order_id, now)

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
        self.check_order(request)
        if request.size != request.size.to_integral_value():
            raise ValidationError(
                "Futures trade in whole contracts: the size must be 1, 2, 3, ...",
                field="size", broker=BROKER,
            )
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
        self, request: OrderRequest, on_reference: OnReference | None = None
    ) -> OrderResult:
        account_id, qty = self._validate(request)
        spec = await self._account_spec(account_id)
        body = self._order_body(request, account_id, qty, spec)
        try:
            reply = await self.client.place_order(body)
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, reason=exc.message)
        # MaybeSent goes up: the session reconciles it (reconcile_order), once.
        order_id = reply.get("orderId")
        if order_id is None:
            raise MaybeSent("Tradovate answered the order without an order id.",
                            broker=BROKER)
        ref = str(order_id)
        self._seen_orders([mapping.wire_id(order_id)])
        self.hand_over(on_reference, ref)
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
        return _order_result(ref, item)

    async def _matching_orders(
        self, request: OrderRequest, since: datetime
    ) -> list[dict[str, Any]]:
        """Orders of the account that look like ``request``: its clOrdId when the listing
        carries one, else same contract, side, quantity and type, created since ``since``
        (less the clock margin) and not listed here before ``since``."""
        account_id = self._account_id(request.account)
        orders = await self._account_orders(account_id, priority=Priority.INTERACTIVE)
        by_ref = [o for o in orders if o.get("clOrdId") == request.client_ref]
        if by_ref or any("clOrdId" in o for o in orders):
            return by_ref
        contract = await self._contract(request.symbol, Priority.INTERACTIVE)
        contract_id = mapping.wire_id(contract.get("id"))
        action = "Buy" if request.side is Side.BUY else "Sell"
        alike: dict[int, dict[str, Any]] = {}
        for order in orders:
            created = mapping.parse_time(order.get("timestamp"))
            order_id = mapping.wire_id(order.get("id"))
            first = self._first_listed.get(order_id)
            if (
                (first is not None and first < since)
                or mapping.wire_id(order.get("contractId")) != contract_id
                or order.get("action") != action
                or created is None
                or created < since - CLOCK_MARGIN
            ):
                continue
            alike[order_id] = order
        if not alike:
            return []
        # Quantity and type are in the orders' latest versions, read fresh and all in
        # one call (``ldeps``): one read per order made each look cost as many requests
        # as orders since the send, and the session's follow-ups of many lost replies
        # then ran through Tradovate's hourly limit (the limiter held everything).
        for order_id in alike:
            self._forget_version(order_id)
        versions = await self._load_versions(alike, priority=Priority.INTERACTIVE)
        found = []
        for order_id, order in alike.items():
            version = versions.get(order_id)
            if version is None:  # its quantity cannot be told: nothing is proven
                raise NotFound(f"Tradovate has no version of order {order_id}.",
                               broker=BROKER)
            if mapping.number(version, "orderQty") == request.size and (
                version.get("orderType") == mapping.WIRE_ORDER_TYPES[request.order_type]
            ):
                found.append(order)
        return found

    def order_lookup(self, request: OrderRequest) -> _Lookup:
        return _Lookup(self)

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        account_id = self._account_id(account)
        self.require_live_opt_in("Cancelling orders")
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
        self.require_live_opt_in("Changing orders")
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



def _order_number(order_id: str) -> int:
    try:
        return int(order_id)
    except ValueError as exc:
        raise ValidationError(f"Tradovate order ids are numbers, not {order_id!r}.",
                              broker=BROKER) from exc


def _order_result(ref: str, item: dict[str, Any]) -> OrderResult:
    status = str(item.get("ordStatus") or "")
    if status == "Rejected":
        return OrderResult(
            OrderStatus.REJECTED, broker_ref=ref, deal_ids=(ref,),
            reason=f"Tradovate rejected order {ref} after taking it.",
        )
    return OrderResult(
        OrderStatus.ACCEPTED, broker_ref=ref, deal_ids=(ref,),
        reason=f"Order {ref} is {status or 'accepted'} at Tradovate.",
    )


class _Lookup:
    """How Tradovate finds the order a request made (``brokers.common.reconcile``)."""

    what = "orders"
    # Tradovate's order list holds the day's orders in every state: complete.
    complete = True

    def __init__(self, service: TradovateOrders) -> None:
        self.service = service

    async def by_reference(self, request: OrderRequest, ref: str) -> OrderResult:
        try:
            item = await self.service.client.order_item(mapping.wire_id(ref))
        except NotFound:
            return OrderResult(OrderStatus.UNKNOWN, broker_ref=ref,
                               reason=f"Tradovate does not list order {ref} (yet).")
        return _order_result(ref, item)

    async def candidates(self, request: OrderRequest, since: datetime) -> list[Candidate]:
        found = await self.service._matching_orders(request, since)
        out = []
        for order in found:
            ref = str(order.get("id"))
            made = mapping.parse_time(order.get("timestamp"))
            out.append(Candidate(ref, made, _order_result(ref, order)))
        return out
