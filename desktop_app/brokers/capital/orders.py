"""Capital.com orders: market deals, working orders, closes and cancels, and what became
of an order whose reply was lost.

Orders are never resent. The dealReference is handed to the journal as soon as the broker
gives it, before the confirm is read. A lost or unreadable reply raises ``MaybeSent``
and the session reconciles it once (``reconcile_order``): with a dealReference by
``GET /confirms``; without one, as the one open deal like the order that appeared after
it was sent (``brokers.common.reconcile``). Once the broker may have taken a write, a
failure to read its outcome is UNKNOWN, never REJECTED: a retry could duplicate it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from desktop_app.brokers.capital import mapping
from desktop_app.brokers.capital.core import CapitalCore
from desktop_app.brokers.capital.errors import level_hint
from desktop_app.brokers.common.reconcile import ATTEMPTS, CLOCK_MARGIN, INTERVAL, Candidate
from desktop_app.domain.errors import (
    BrokerError,
    NotFound,
    Rejected,
)
from desktop_app.domain.money import optional_decimal, to_decimal, utc_now
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    AccountRef,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Side,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority

log = logging.getLogger(__name__)


def order_body(request: OrderRequest) -> dict[str, Any]:
    # Decimals go on the wire as their exact digits (domain/exact_json.py), never floats.
    body: dict[str, Any] = {
        "epic": request.symbol,
        "direction": request.side.value,
        "size": request.size,
    }
    if request.order_type is not OrderType.MARKET:
        assert request.level is not None
        body["level"] = request.level
        body["type"] = request.order_type.value
        if request.good_till is not None:
            body["goodTillDate"] = mapping.wire_time(request.good_till)
    if request.stop_level is not None:
        body["stopLevel"] = request.stop_level
    if request.profit_level is not None:
        body["profitLevel"] = request.profit_level
    return body


def confirm_result(data: dict[str, Any], ref: str) -> OrderResult:
    """A ``GET /confirms/{ref}`` answer as an OrderResult (a close's realised P/L too)."""
    status = str(data.get("dealStatus") or "").upper()
    # Without hedging one deal can close opposite positions too; list the opened first.
    affected = sorted(
        (d for d in data.get("affectedDeals") or [] if d.get("dealId")),
        key=lambda d: d.get("status") != "OPENED",
    )
    deals = tuple(str(d["dealId"]) for d in affected)
    if not deals and data.get("dealId"):
        deals = (str(data["dealId"]),)
    level = optional_decimal(data.get("level"), field="level")
    size = optional_decimal(data.get("size"), field="size")
    profit = optional_decimal(data.get("profit"), field="profit")
    currency = str(data.get("profitCurrency") or "")
    if status == "ACCEPTED":
        return OrderResult(
            OrderStatus.ACCEPTED, broker_ref=ref, deal_ids=deals, level=level, size=size,
            reason=str(data.get("reason") or ""), profit_loss=profit, currency=currency,
        )
    if status == "REJECTED":
        return OrderResult(
            OrderStatus.REJECTED, broker_ref=ref, deal_ids=deals,
            reason=mapping.reason_text(data.get("reason")),
        )
    return OrderResult(
        OrderStatus.PENDING, broker_ref=ref, deal_ids=deals, level=level, size=size,
        reason=f"Capital.com reports the deal as {status or 'pending'}.",
    )


class _Lookup:
    """How Capital.com finds the deal a request made (``brokers.common.reconcile``).

    A market order is looked up in the dealing history (``GET /history/activity``): every
    deal since the send, opened, closed or refused, so that a SELL that closed a BUY
    (no hedging) is found by what it closed, and no match, once the broker has had time,
    proves nothing was done. Working orders are looked up among those working now.
    """

    def __init__(self, service: CapitalOrders, request: OrderRequest) -> None:
        self.service = service
        self.market = request.order_type is OrderType.MARKET
        self.what = "deals" if self.market else "working orders"
        self.complete = self.market

    async def by_reference(self, request: OrderRequest, ref: str) -> OrderResult:
        return await self.service._on_account(
            request.account, lambda: self.service._confirmed(ref), Priority.INTERACTIVE
        )

    async def candidates(self, request: OrderRequest, since: datetime) -> list[Candidate]:
        if self.market:
            return await self._deals(request, since)
        return await self._working(request, since)

    async def _deals(self, request: OrderRequest, since: datetime) -> list[Candidate]:
        service = self.service
        client = service.client
        start = client.broker_time(since - CLOCK_MARGIN)
        end = client.broker_time(utc_now()) + timedelta(minutes=1)
        rows = await service._on_account(
            request.account,
            lambda: client.activity(start=start, end=end, epic=request.symbol,
                                    priority=Priority.INTERACTIVE),
            Priority.INTERACTIVE,
        )
        found = []
        for row in rows:
            details = row.get("details") or {}
            deal_id = str(row.get("dealId") or "")
            made = mapping.parse_time(row.get("dateUTC"))
            status = str(row.get("status") or "").upper()
            if (not deal_id or made is None or row.get("epic") != request.symbol
                    or str(row.get("type") or "").upper() != "POSITION"
                    or str(row.get("source") or "").upper() not in ("USER", "")
                    or str(details.get("direction") or "").upper() != request.side.value
                    or optional_decimal(details.get("size")) != request.size):
                continue
            first = service._first_listed.get(deal_id)
            if first is not None and first < since:
                continue  # listed here before the order was sent: somebody else's
            if status == "REJECTED":
                result = OrderResult(OrderStatus.REJECTED, deal_ids=(deal_id,),
                                     reason="Capital.com's history shows it refused.")
            else:
                result = OrderResult(OrderStatus.ACCEPTED, deal_ids=(deal_id,),
                                     size=request.size,
                                     level=optional_decimal(details.get("level")))
            found.append(Candidate(deal_id, made - client.clock_offset, result))
        return found

    async def _working(self, request: OrderRequest, since: datetime) -> list[Candidate]:
        service = self.service
        client = service.client
        listed = await service._on_account(
            request.account, lambda: client.working_orders(priority=Priority.INTERACTIVE),
            Priority.INTERACTIVE,
        )
        found = []
        for item in listed:
            data = item.get("workingOrderData") or {}
            deal_id = str(data.get("dealId") or "")
            created = mapping.parse_time(data.get("createdDateUTC"))
            size = data.get("orderSize")
            if not deal_id or data.get("epic") != request.symbol or created is None:
                continue
            if size is None or to_decimal(size, field="orderSize") != request.size:
                continue
            if str(data.get("direction")).upper() != request.side.value:
                continue
            level = optional_decimal(data.get("orderLevel"))
            if level != request.level:
                continue
            first = service._first_listed.get(deal_id)
            if first is not None and first < since:
                continue  # listed here before the order was sent: somebody else's
            found.append(Candidate(deal_id, created - client.clock_offset, OrderResult(
                OrderStatus.ACCEPTED, deal_ids=(deal_id,), size=request.size, level=level,
            )))
        return found


class CapitalOrders(CapitalCore):
    async def place_order(
        self, request: OrderRequest, on_reference: OnReference | None = None
    ) -> OrderResult:
        self.check_order(request)
        market = request.order_type is OrderType.MARKET
        body = order_body(request)

        async def send() -> OrderResult:
            try:
                if market:
                    ref = await self.client.open_position(body)
                else:
                    ref = await self.client.create_working_order(body)
            except (Rejected, NotFound) as exc:
                hint = level_hint(exc.code, request.side is Side.BUY)
                reason = f"{exc.message} ({hint})" if hint else exc.message
                return OrderResult(OrderStatus.REJECTED, reason=reason)
            # MaybeSent goes up: the session reconciles it (reconcile_order), once.
            self.hand_over(on_reference, ref)
            return await self._confirmed(ref)

        return await self._on_account(request.account, send, priority=Priority.INTERACTIVE)

    def order_lookup(self, request: OrderRequest) -> _Lookup:
        return _Lookup(self, request)

    async def _confirmed(self, ref: str) -> OrderResult:
        """The confirm of a request the broker took; any failure to read it is UNKNOWN."""
        try:
            data = await self.client.confirm(ref)
            return confirm_result(data, ref)
        except (NotFound, Rejected):
            # The broker took the request (it gave a reference) but has no confirm yet.
            reason = (
                "Capital.com accepted the request but has not confirmed it yet; "
                "check the positions and working orders before trying again."
            )
        except BrokerError as exc:
            log.warning("Capital.com confirm of %s unreadable: %s", ref, exc.message)
            reason = (
                "Capital.com accepted the request, but its confirmation could not be read "
                f"({exc.message}). Nothing was resent; check the positions and working "
                "orders before trying again."
            )
        return OrderResult(OrderStatus.UNKNOWN, broker_ref=ref, reason=reason)

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        self.require_live_opt_in("Closing positions")
        return await self._remove(account, position_id, self.client.close_position, market=True)

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        self.require_live_opt_in("Cancelling orders")
        return await self._remove(
            account, order_id, self.client.delete_working_order, market=False
        )

    async def _remove(
        self,
        account: AccountRef,
        deal_id: str,
        delete: Callable[[str], Awaitable[str]],
        *,
        market: bool,
    ) -> OrderResult:
        """Close a position (``market``) or cancel a working order; an outcome that
        could not be read is settled from the broker's list, never resent."""

        async def remove() -> OrderResult:
            try:
                ref = await delete(deal_id)
            except MaybeSent:
                return await self._gone(deal_id, market=market)
            except (Rejected, NotFound) as exc:
                return OrderResult(OrderStatus.REJECTED, reason=exc.message)
            result = await self._confirmed(ref)
            if result.status is OrderStatus.UNKNOWN:
                return await self._gone(deal_id, market=market, ref=ref)
            return result

        return await self._on_account(account, remove, priority=Priority.INTERACTIVE)

    async def _existing_ids(self, market: bool) -> set[str]:
        if market:
            items = await self.client.positions(priority=Priority.INTERACTIVE)
            return {str((i.get("position") or {}).get("dealId")) for i in items}
        items = await self.client.working_orders(priority=Priority.INTERACTIVE)
        return {str((i.get("workingOrderData") or {}).get("dealId")) for i in items}

    async def _gone(self, deal_id: str, *, market: bool, ref: str = "") -> OrderResult:
        """After a close/cancel whose outcome was not read: is the deal still listed?

        Gone means done. Still listed proves nothing (the broker may act later, or the
        listing may lag), so that, like an unreadable list, is UNKNOWN, never REJECTED.
        """
        what = "position" if market else "working order"
        for attempt in range(ATTEMPTS):
            if attempt:
                await asyncio.sleep(INTERVAL)
            try:
                listed = await self._existing_ids(market)
            except BrokerError as exc:
                return OrderResult(
                    OrderStatus.UNKNOWN, broker_ref=ref, deal_ids=(deal_id,),
                    reason=(
                        f"The outcome was not confirmed and the {what}s could not be read "
                        f"({exc.message}). Nothing was resent; check the {what} before "
                        "trying again."
                    ),
                )
            if deal_id not in listed:
                return OrderResult(
                    OrderStatus.ACCEPTED, broker_ref=ref, deal_ids=(deal_id,),
                    reason="Confirmed by the broker's list.",
                )
        state = "still open" if market else "still working"
        return OrderResult(
            OrderStatus.UNKNOWN, broker_ref=ref, deal_ids=(deal_id,),
            reason=(
                f"Capital.com did not confirm the request and the {what} is {state} for "
                "now. Nothing was resent; check it before trying again."
            ),
        )
