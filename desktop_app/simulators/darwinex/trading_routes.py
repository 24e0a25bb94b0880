"""Trading API 1.1: market status, leverage, buy/sell, conditional orders, stop-out.

Success bodies are UNCONFIRMED (no recording exists): buy, sell and a new conditional
order answer ``{"orderId": <int>}``; amend, cancel and stop-out answer 200 with an empty
body; leverage answers ``{"leverage": <number>}`` as recorded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from desktop_app.simulators.darwinex import errors
from desktop_app.simulators.darwinex.book import Thresholds
from desktop_app.simulators.darwinex.parsing import (
    opt_decimal,
    opt_quote,
    req_decimal,
    req_str,
    thresholds,
)
from desktop_app.simulators.darwinex.pipeline import Api, Ctx, Endpoint, Reply

_MINUTE_MS = 60_000


def get_market_status(ctx: Ctx) -> Reply:
    is_open = ctx.book.market_is_open()
    # Open: quotes move on at the next minute; closed: nothing changes until it opens.
    next_update = (int(ctx.now * 1000) // _MINUTE_MS + 1) * _MINUTE_MS if is_open else (
        ctx.book.next_open_ms(ctx.now))
    return Reply({
        "allowBuy": is_open,
        "allowSell": is_open,
        "allowConditionalBuy": True,
        "allowConditionalSell": True,
        "epochTimestampNextUpdate": next_update,
    })


def get_leverage(ctx: Ctx) -> Reply:
    return Reply({"leverage": ctx.account.leverage})


def put_leverage(ctx: Ctx) -> Reply:
    leverage = ctx.book.set_leverage(ctx.account, req_decimal(ctx.body, "leverage"))
    return Reply({"leverage": leverage})


def post_buy(ctx: Ctx) -> Reply:
    order = ctx.book.buy(
        ctx.account,
        req_str(ctx.body, "productName"),
        req_decimal(ctx.body, "amount"),
        thresholds(ctx.body) or Thresholds(),
    )
    return Reply({"orderId": order.order_id})


def post_sell(ctx: Ctx) -> Reply:
    order = ctx.book.sell(
        ctx.account, req_str(ctx.body, "productName"), req_decimal(ctx.body, "amount"))
    return Reply({"orderId": order.order_id})


def post_conditional(ctx: Ctx) -> Reply:
    body = ctx.body
    order = ctx.book.create_conditional(
        ctx.account,
        req_str(body, "productName"),
        req_str(body, "side").upper(),
        req_str(body, "type").upper(),
        req_decimal(body, "amount"),
        _req_quote(body),
        thresholds(body) or Thresholds(),
    )
    return Reply({"orderId": order.order_id})


def _req_quote(body: dict[str, Any]) -> Decimal:
    quote = opt_quote(body, "quote")
    if quote is None:
        raise errors.bad_request("quote is required.")
    return quote


def _order_id(ctx: Ctx) -> int:
    text = ctx.params["orderId"]
    try:
        return int(text)
    except ValueError:
        raise errors.bad_request(f"Invalid conditional order id {text}.") from None


def put_conditional(ctx: Ctx) -> Reply:
    amount = opt_decimal(ctx.body, "amount")
    quote = opt_quote(ctx.body, "quote")
    new_thresholds = thresholds(ctx.body)
    if amount is None and quote is None and new_thresholds is None:
        raise errors.bad_request("Nothing to change: send amount, quote or thresholdParameters.")
    ctx.book.amend_conditional(ctx.account, _order_id(ctx), amount, quote, new_thresholds)
    return Reply(empty=True)


def delete_conditional(ctx: Ctx) -> Reply:
    ctx.book.cancel_conditional(ctx.account, _order_id(ctx))
    return Reply(empty=True)


def post_stopout(ctx: Ctx) -> Reply:
    ctx.book.stopout(ctx.account, None)
    return Reply(empty=True)


def post_stopout_product(ctx: Ctx) -> Reply:
    ctx.book.stopout(ctx.account, ctx.params["productName"])
    return Reply(empty=True)


_ACCOUNT = "/investoraccounts/{accountId}"
ENDPOINTS = [
    Endpoint("GET", "/productmarket/status", get_market_status, Api.TRADING),
    Endpoint("GET", _ACCOUNT + "/leverage", get_leverage, Api.TRADING),
    Endpoint("PUT", _ACCOUNT + "/leverage", put_leverage, Api.TRADING, json_body=True),
    Endpoint("POST", _ACCOUNT + "/orders/buy", post_buy, Api.TRADING, json_body=True),
    Endpoint("POST", _ACCOUNT + "/orders/sell", post_sell, Api.TRADING, json_body=True),
    Endpoint("POST", _ACCOUNT + "/conditionalorders", post_conditional, Api.TRADING,
             json_body=True),
    Endpoint("PUT", _ACCOUNT + "/conditionalorders/{orderId}", put_conditional, Api.TRADING,
             json_body=True),
    # darwinexapis sends {"0": 0} with these three: any body is ignored.
    Endpoint("DELETE", _ACCOUNT + "/conditionalorders/{orderId}", delete_conditional,
             Api.TRADING),
    Endpoint("POST", _ACCOUNT + "/stopout", post_stopout, Api.TRADING),
    Endpoint("POST", _ACCOUNT + "/stopout/{productName}", post_stopout_product, Api.TRADING),
]
