"""Darwinex orders: amounts of account currency; buys with stop loss / take profit,
sells, conditional (limit and stop) orders, stop-outs, and what became of an order whose
reply was lost.

A lost or unreadable reply to a buy or sell raises ``MaybeSent`` and the session
reconciles it once (``reconcile_order``): by Darwinex's orderId when it gave one, else
from ``orders/executed`` (conditional orders: pending and executed) as the one order of
the same product, side and amount made since the send. Nothing is ever resent, except
once after a 401 (see client.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop_app.brokers.common.reconcile import CLOCK_MARGIN, Candidate
from desktop_app.brokers.darwinex import fields, mapping
from desktop_app.brokers.darwinex.client import MAX_PAGES, page_items
from desktop_app.brokers.darwinex.core import MIN_AMOUNT, MIN_AMOUNT_TEXT, NO_STOP_LIMIT, _text
from desktop_app.brokers.darwinex.errors import BROKER
from desktop_app.brokers.darwinex.status import DarwinexStatus
from desktop_app.domain.errors import (
    BrokerError,
    NotFound,
    NotSupported,
    PermissionDenied,
    RateLimited,
    Rejected,
    ValidationError,
)
from desktop_app.domain.money import format_money, optional_decimal, to_decimal, utc_now
from desktop_app.domain.service import OnReference
from desktop_app.domain.types import (
    AccountRef,
    OrderAmendment,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Side,
)
from desktop_app.net.http import MaybeSent
from desktop_app.net.limiter import Priority

log = logging.getLogger(__name__)


def _executed_at(item: dict[str, Any]) -> datetime | None:
    """When a listed executed order was executed; None when it does not say."""
    try:
        executed = fields.EXECUTED_ORDER.read(item)["executed"]
    except fields.UnreadableReply:
        return None
    return executed if isinstance(executed, datetime) else None


def _number(value: object) -> Decimal | None:
    try:
        return optional_decimal(value)
    except BrokerError:
        return None


class DarwinexOrders(DarwinexStatus):
    def _validate(self, request: OrderRequest) -> None:
        self.check_order(request)
        # The minimum is a buy's (a sale may be of what is left); see core.MIN_AMOUNT.
        if request.side is Side.BUY and request.size < MIN_AMOUNT:
            raise ValidationError(MIN_AMOUNT_TEXT, field="size", broker=BROKER)
        if request.side is Side.SELL and (
            request.stop_level is not None or request.profit_level is not None
        ):
            raise ValidationError(
                "Darwinex takes a stop loss and take profit with buys only.",
                field="stop_level", broker=BROKER,
            )

    async def _check_tradeable(self, request: OrderRequest) -> None:
        """Refuse locally what Darwinex would refuse now, with the reason; nothing is sent."""
        try:
            market = await self._market_status(Priority.INTERACTIVE)
            status = await self._product_status(
                request.symbol, Priority.INTERACTIVE, reuse=0.0
            )
        except NotFound as exc:
            raise Rejected(f"Darwinex does not know {request.symbol} ({exc.message}).",
                           code="unknown_product", broker=BROKER) from None
        except (Rejected, PermissionDenied, RateLimited, ValidationError):
            raise
        except BrokerError as exc:
            # Nothing has been sent yet: say so plainly rather than leave it unknown.
            raise Rejected(
                f"The order was not sent: Darwinex's market status could not be read "
                f"({exc.message}).", code="not_sent", broker=BROKER,
            ) from None
        why = self._refusal(request.symbol, request.side, request.order_type, status, market)
        if why:
            raise Rejected(why, code="not_allowed_now", broker=BROKER)

    @staticmethod
    def _thresholds(request: OrderRequest) -> dict[str, Decimal] | None:
        params: dict[str, Decimal] = {}
        if request.stop_level is not None:
            params["quoteStopLoss"] = request.stop_level
        if request.profit_level is not None:
            params["quoteTakeProfit"] = request.profit_level
        return params or None

    def _body(self, request: OrderRequest) -> dict[str, Any]:
        # Decimals go on the wire as their exact digits (domain/exact_json.py).
        body: dict[str, Any] = {"amount": request.size, "productName": request.symbol}
        if request.order_type is not OrderType.MARKET:
            assert request.level is not None
            body["quote"] = request.level
            body["side"] = request.side.value
            body["type"] = mapping.condition(request.side, request.order_type)
        thresholds = self._thresholds(request)
        if thresholds is not None:
            body["thresholdParameters"] = thresholds
        return body

    async def place_order(
        self, request: OrderRequest, on_reference: OnReference | None = None
    ) -> OrderResult:
        self._validate(request)
        await self._check_tradeable(request)
        account_id = request.account.account_id
        body = self._body(request)
        market = request.order_type is OrderType.MARKET
        try:
            if not market:
                reply = await self._on_account(
                    request.account, lambda: self.client.create_conditional(account_id, body)
                )
            elif request.side is Side.BUY:
                reply = await self._on_account(
                    request.account, lambda: self.client.buy(account_id, body)
                )
            else:
                reply = await self._on_account(
                    request.account, lambda: self.client.sell(account_id, body)
                )
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, reason=exc.message)
        # MaybeSent goes up: the session reconciles it (reconcile_order), once.
        try:
            order_id = fields.ORDER_REPLY.read(reply if isinstance(reply, dict) else {})[
                "order_id"]
        except fields.UnreadableReply:
            # A success without an id: taken, but which order it made is not known.
            raise MaybeSent("Darwinex accepted the order but sent no order id.",
                            broker=BROKER) from None
        self._first_seen.setdefault(order_id, utc_now())
        self.hand_over(on_reference, order_id)
        what = "Invested" if request.side is Side.BUY else "Sold"
        reason = (f"{what} {format_money(request.size, self._currency(request.account))} "
                  f"in {request.symbol}.") if market else "Conditional order placed."
        return OrderResult(
            OrderStatus.ACCEPTED, broker_ref=order_id, deal_ids=(order_id,),
            size=request.size, level=request.level, reason=reason,
        )

    async def _executed_since(
        self, account_id: str, product: str, earliest: datetime, priority: Priority
    ) -> tuple[list[dict[str, Any]], bool]:
        """``product``'s executed orders from ``orders/executed``, page by page, and
        whether what was read holds every one made since ``earliest``.

        One page is not the record: a busy account lists more orders since a send than a
        page holds, and an order beyond the first page, taken for missing, would be
        settled "not executed" though it was. Darwinex does not document the list's
        order: reading stops early only once the pages read run newest first and have
        gone past ``earliest``; else at the last page (``MAX_PAGES`` at most: beyond that
        the record read is not complete and proves nothing missing)."""
        items: list[dict[str, Any]] = []
        previous: datetime | None = None
        newest_first = True
        for page in range(MAX_PAGES):
            data = await self.client.executed_orders(
                account_id, product=product, page=page, priority=priority
            )
            found, last = page_items(data)
            items.extend(found)
            if last:
                return items, True
            for item in found:
                made = _executed_at(item)
                if made is None:
                    continue
                if previous is not None and made > previous:
                    newest_first = False
                previous = made
            if newest_first and previous is not None and previous < earliest:
                return items, True
        return items, False

    async def _matching(
        self, request: OrderRequest, since: datetime, priority: Priority = Priority.INTERACTIVE
    ) -> tuple[list[dict[str, Any]], bool]:
        """Orders at Darwinex that look like ``request``, made since ``since`` (less the
        clock margin) and not seen here before ``since``; and whether the lists read were
        complete (see ``_executed_since``)."""
        account_id = request.account.account_id
        complete = True
        if request.order_type is OrderType.MARKET:
            items, complete = await self._executed_since(
                account_id, request.symbol, since - CLOCK_MARGIN, priority
            )
        else:
            items = []
            # A new conditional order is pending, or executed if the quote was crossed.
            for state in ("pending", "executed"):
                items += await self.client.conditional_orders(
                    account_id, state, product=request.symbol, priority=priority
                )
        shape = (fields.EXECUTED_ORDER if request.order_type is OrderType.MARKET
                 else fields.CONDITIONAL_ORDER)
        found = []
        for item in items:
            try:
                got = shape.read(item)
            except fields.UnreadableReply:
                continue  # a field that was not sent never matches (logged by read)
            first = self._first_seen.get(got["order_id"])
            if first is not None and first < since:
                continue
            if (got["product"], got["side"], got["amount"]) != (
                request.symbol, request.side, request.size
            ):
                continue
            if request.order_type is not OrderType.MARKET and (
                got["quote"] != request.level
                or got["type"].upper() != mapping.condition(request.side, request.order_type)
            ):
                continue
            made = got["executed" if request.order_type is OrderType.MARKET else "created"]
            if made >= since - CLOCK_MARGIN:
                found.append({**item, "_made": made, "_id": got["order_id"]})
        return found, complete

    def order_lookup(self, request: OrderRequest) -> _Lookup:
        return _Lookup(self)

    @staticmethod
    def _known(request: OrderRequest, order_id: str, data: dict[str, Any]) -> OrderResult:
        status = _text(data.get("status")).upper()
        if status in ("REJECTED", "CANCELLED", "DELETED"):
            # The conditional order was placed; it has ended since.
            reason = f"Darwinex lists the conditional order as {status.lower()}."
        else:
            reason = "Darwinex lists the order."
        # The amount and quote as Darwinex lists them; one it did not send stays unknown.
        return OrderResult(
            OrderStatus.ACCEPTED, broker_ref=order_id, deal_ids=(order_id,),
            size=_number(data.get("amount")), level=_number(data.get("quote")),
            reason=reason,
        )

    async def _sell_allowed(self, account: AccountRef, product: str | None) -> None:
        """A stop-out sells: refuse it locally while Darwinex takes no sells."""
        market = await self._market_status(Priority.INTERACTIVE)
        if market.get("allowSell") is False:
            raise Rejected(self._market_note(Side.SELL, {}, market), code="not_allowed_now",
                           broker=BROKER)
        if product is not None:
            try:
                status = await self._product_status(product, Priority.INTERACTIVE, reuse=0.0)
            except NotFound:
                return  # the stop-out itself will say so
            if status.get("sellAllowed") is False:
                raise Rejected(f"Selling {product} is not possible at the moment.",
                               code="not_allowed_now", broker=BROKER)

    async def _write(
        self, account: AccountRef, send: Callable[[], Awaitable[Any]], done: str,
        target: str,
    ) -> OrderResult:
        try:
            await self._on_account(account, send)
        except (Rejected, NotFound) as exc:
            return OrderResult(OrderStatus.REJECTED, deal_ids=(target,) if target else (),
                               reason=exc.message)
        return OrderResult(OrderStatus.ACCEPTED, deal_ids=(target,) if target else (),
                           reason=done)

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        """Sell the whole investment in one DARWIN (``stopout/{productName}``)."""
        self.check_account(account)
        self.require_live_opt_in("Closing positions")
        await self._on_account(account, lambda: self._sell_allowed(account, position_id))
        return await self._write(
            account, lambda: self.client.stopout(account.account_id, position_id),
            f"Sold the whole investment in {position_id}.", position_id,
        )

    async def close_all_positions(self, account: AccountRef) -> OrderResult:
        """Sell every DARWIN of the account in one call (``stopout``)."""
        self.check_account(account)
        self.require_live_opt_in("Closing positions")
        await self._on_account(account, lambda: self._sell_allowed(account, None))
        return await self._write(
            account, lambda: self.client.stopout(account.account_id),
            "Sold every investment of the account.", "",
        )

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        self.check_account(account)
        self.require_live_opt_in("Cancelling orders")
        return await self._write(
            account, lambda: self.client.delete_conditional(account.account_id, order_id),
            "Conditional order cancelled.", order_id,
        )

    async def modify_order(self, amendment: OrderAmendment) -> OrderResult:
        """``PUT conditionalorders/{id}`` with the amount and quote (unchanged ones as they
        are) and, when a stop or profit is given, both thresholds."""
        account = amendment.account
        self.check_account(account)
        self.require_live_opt_in("Changing orders")
        if amendment.stop_price is not None:
            raise NotSupported(NO_STOP_LIMIT, broker=BROKER)
        if amendment.size is not None and amendment.size < MIN_AMOUNT:
            raise ValidationError(MIN_AMOUNT_TEXT, field="size", broker=BROKER)
        account_id = account.account_id
        try:
            current = await self._on_account(
                account, lambda: self.client.conditional_order(account_id, amendment.order_id)
            )
        except NotFound as exc:
            raise Rejected(exc.message, code=exc.code, broker=BROKER) from None
        status = _text(current.get("status")).upper()
        if status and status != "PENDING":
            raise Rejected(
                f"Conditional order {amendment.order_id} is {status.lower()}; it cannot be "
                "changed.", broker=BROKER,
            )
        body: dict[str, Any] = {
            "amount": amendment.size if amendment.size is not None
            else to_decimal(current.get("amount"), field="amount"),
            "quote": amendment.level if amendment.level is not None
            else to_decimal(current.get("quote"), field="quote"),
        }
        if amendment.stop_level is not None or amendment.profit_level is not None:
            params = current.get("thresholdParameters") or {}
            stop = amendment.stop_level if amendment.stop_level is not None else (
                optional_decimal(params.get("quoteStopLoss")))
            profit = amendment.profit_level if amendment.profit_level is not None else (
                optional_decimal(params.get("quoteTakeProfit")))
            body["thresholdParameters"] = {
                k: v for k, v in (("quoteStopLoss", stop), ("quoteTakeProfit", profit))
                if v is not None
            }
        return await self._write(
            account,
            lambda: self.client.amend_conditional(account_id, amendment.order_id, body),
            "Conditional order changed.", amendment.order_id,
        )



class _Lookup:
    """How Darwinex finds the order a request made (``brokers.common.reconcile``)."""

    def __init__(self, service: DarwinexOrders) -> None:
        self.service = service
        self._read_all = True  # whether the last ``candidates`` read the whole record

    @property
    def what(self) -> str:
        return "orders"

    @property
    def complete(self) -> bool:
        # Executed orders (market) and pending + executed conditional orders: every
        # order made since the send is in one of them, once every page was read.
        return self._read_all

    async def by_reference(self, request: OrderRequest, ref: str) -> OrderResult:
        service = self.service
        account_id = request.account.account_id
        try:
            if request.order_type is OrderType.MARKET:
                data = await service._on_account(
                    request.account, lambda: service.client.executed_order(account_id, ref)
                )
            else:
                data = await service._on_account(
                    request.account, lambda: service.client.conditional_order(account_id, ref)
                )
        except NotFound:
            return OrderResult(OrderStatus.UNKNOWN, broker_ref=ref,
                               reason=f"Darwinex does not list order {ref} (yet).")
        return service._known(request, ref, data)

    async def candidates(self, request: OrderRequest, since: datetime) -> list[Candidate]:
        service = self.service
        items, self._read_all = await service._on_account(
            request.account, lambda: service._matching(request, since)
        )
        out = []
        for item in items:
            order_id = item["_id"]
            out.append(Candidate(order_id, item["_made"], OrderResult(
                OrderStatus.ACCEPTED, broker_ref=order_id, deal_ids=(order_id,),
                size=request.size, level=request.level,
            )))
        return out
