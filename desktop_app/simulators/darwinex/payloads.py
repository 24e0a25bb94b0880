"""The JSON shapes of the replies (field names from the recorded cassettes where known)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop_app.simulators.darwinex.book import (
    Book,
    ConditionalOrder,
    ExecutedOrder,
    InvestorAccount,
    Trade,
)

_UNSORTED = {"sorted": False, "unsorted": True, "empty": True}


def spring_page(items: Sequence[Any], page: int, per_page: int) -> dict[str, Any]:
    """A Spring Data ``Page`` as the Info API's GET /products answers it ([RB] cassette)."""
    total = len(items)
    content = list(items[page * per_page:(page + 1) * per_page])
    total_pages = -(-total // per_page)
    return {
        "content": content,
        "pageable": {
            "sort": dict(_UNSORTED),
            "offset": page * per_page,
            "pageNumber": page,
            "pageSize": per_page,
            "unpaged": False,
            "paged": True,
        },
        "last": page >= total_pages - 1,
        "totalPages": total_pages,
        "totalElements": total,
        "size": per_page,
        "number": page,
        "sort": dict(_UNSORTED),
        "numberOfElements": len(content),
        "first": page == 0,
        "empty": not content,
    }


def account_entry(book: Book, account: InvestorAccount, *, listing: bool) -> dict[str, Any]:
    s = book.summary(account)
    entry: dict[str, Any] = {
        "id": account.account_id,
        "available": s.available,
        "availableToInvest": s.available_to_invest,
        "leverage": account.leverage,
        "equity": s.equity,
        "openPnL": s.open_pnl,
        "invested": s.invested,
        "currency": account.currency,
        "maxRisk": s.equity,
        "risk": s.available,
        "name": account.name,
    }
    if listing:  # the recorded list has these two, the single account does not
        entry["manager"] = None
        entry["follower"] = None
    return entry


def position_entry(book: Book, account: InvestorAccount, trade: Trade) -> dict[str, Any]:
    quote = book.quote(trade.product)
    value = trade.value(quote)
    thresholds = []
    for order_id in trade.threshold_ids():
        order = account.conditional[order_id]
        thresholds.append({"type": order.threshold, "orderId": order.order_id,
                           "amount": order.amount, "quote": order.quote})
    return {
        "productName": trade.product,
        "tradeId": trade.trade_id,
        "invested": trade.invested,
        "amount": value,
        "currentQuote": quote,
        "openQuote": trade.average_quote,
        "averageQuote": trade.average_quote,
        "pnl": value - trade.invested,
        "openDate": trade.opened_ms,
        "thresholds": thresholds,
    }


def conditional_entry(order: ConditionalOrder) -> dict[str, Any]:
    params = order.thresholds
    return {
        "orderId": order.order_id,
        "productName": order.product,
        "side": order.side,
        "type": order.type,
        "amount": order.amount,
        "quote": order.quote,
        "status": order.status,
        "thresholdType": order.threshold,
        "thresholdParameters": (
            {"quoteStopLoss": params.stop_loss, "quoteTakeProfit": params.take_profit}
            if params else None
        ),
        "creationDate": order.created_ms,
        "lastModificationDate": order.modified_ms,
        "closeDate": order.closed_ms,
        "executionQuote": order.execution_quote,
        "executedOrderId": order.executed_order_id,
        "rejectReason": order.reason,
    }


def executed_entry(order: ExecutedOrder) -> dict[str, Any]:
    return {
        "orderId": order.order_id,
        "productName": order.product,
        "side": order.side,
        "amount": order.amount,
        "quote": order.quote,
        "executionDate": order.executed_ms,
        "type": order.type,
        "tradeId": order.trade_id,
        "conditionalOrderId": order.conditional_order_id,
    }


def trade_entry(book: Book, trade: Trade) -> dict[str, Any]:
    if trade.closed_ms is None:
        quote = book.quote(trade.product)
        value = trade.value(quote)
        return {
            "tradeId": trade.trade_id,
            "productName": trade.product,
            "status": "OPEN",
            "openDate": trade.opened_ms,
            "openQuote": trade.average_quote,
            "invested": trade.invested,
            "amount": value,
            "currentQuote": quote,
            "closeDate": None,
            "closeQuote": None,
            "pnl": value - trade.invested + trade.realized,
        }
    return {
        "tradeId": trade.trade_id,
        "productName": trade.product,
        "status": "CLOSED",
        "openDate": trade.opened_ms,
        "openQuote": trade.open_quote,
        "invested": trade.bought,
        "amount": trade.sold,
        "currentQuote": None,
        "closeDate": trade.closed_ms,
        "closeQuote": trade.close_quote,
        "pnl": trade.realized,
    }


def renamed(names: dict[str, str | None], entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` with its fields renamed as ``names`` says (None: left out): a reply as a
    server that names the unconfirmed fields otherwise would send it."""
    if not names:
        return entry
    out: dict[str, Any] = {}
    for key, value in entry.items():
        new = names.get(key, key)
        if new is not None:
            out[new] = value
    return out
