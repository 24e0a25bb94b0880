"""DARWIN Info API 2.0: products, filter search, scores, status, histories, candles."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from desktop_app.simulators.darwinex import candles, errors, histories
from desktop_app.simulators.darwinex.parsing import paging, query_int
from desktop_app.simulators.darwinex.payloads import spring_page
from desktop_app.simulators.darwinex.pipeline import Api, Ctx, Endpoint, Reply
from desktop_app.simulators.darwinex.products import BADGES, PERIODS, Product, money

_FILTERS = {"return", "drawdown", "dscore", "d-score", "investors"}
_ORDER_FIELDS = {"return", "drawdown", "dscore", "d-score", "investors"}


def _product(ctx: Ctx) -> Product:
    name = ctx.params["productName"]
    product = ctx.state.catalogue.get(name)
    if product is None:
        raise errors.not_found(f"Product {name} not found.")
    return product


def _summary(product: Product) -> dict[str, Any]:
    return {
        "productName": product.name,
        "shortName": product.short_name,
        "status": product.status,
        "migrationDate": product.migration_ms,
        "validationDate": product.validation_ms,
        "resetDate": 0,
        "currency": product.currency,
    }


def get_products(ctx: Ctx) -> Reply:
    status = (ctx.query.get("status") or "").strip().upper() or None
    if status not in (None, "ACTIVE", "DELETED", "ALL"):
        raise errors.bad_request("status must be ACTIVE or DELETED.")
    page, per_page = paging(ctx.query)
    products = ctx.state.catalogue.by_status(status)
    return Reply(spring_page([_summary(p) for p in products], page, per_page))


def _period(text: Any, default: str) -> str:
    period = str(text if text not in (None, "") else default).lower()
    if period not in PERIODS:
        raise errors.bad_request(f"Unknown period {text}.")
    return period


def _bound(value: Any, key: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(Decimal(str(value)))
    except ArithmeticError:
        raise errors.bad_request(f"{key} must be a number.") from None


def post_products(ctx: Ctx) -> Reply:
    """Filter search: a bare list of matching DARWINs, empty past the last page."""
    body = ctx.body
    period = _period(body.get("period"), "12m")
    now = ctx.now
    conditions: list[tuple[str, str, float | None, float | None]] = []
    filters = body.get("filter") or []
    if not isinstance(filters, list):
        raise errors.bad_request("filter must be a list.")
    for item in filters:
        name = str(item.get("name", "")).lower() if isinstance(item, dict) else ""
        if name not in _FILTERS:
            raise errors.bad_request(f"Unknown filter {name or item}.")
        for option in item.get("options") or [{}]:
            if not isinstance(option, dict):
                raise errors.bad_request("filter options must be objects.")
            conditions.append((name, _period(option.get("period"), period),
                               _bound(option.get("min"), "min"), _bound(option.get("max"), "max")))
    order_field = str(body.get("orderField") or "return").lower()
    if order_field not in _ORDER_FIELDS:
        raise errors.bad_request(f"Unknown orderField {order_field}.")
    descending = str(body.get("order") or "DESC").upper() != "ASC"
    page = _body_int(body, "page", 0)
    per_page = _body_int(body, "perPage", 50)
    if page < 0 or not 1 <= per_page <= 1000:
        raise errors.bad_request("page or perPage out of range.")

    found: list[tuple[float, Product]] = []
    for product in ctx.state.catalogue.by_status("ACTIVE"):
        if all(
            (low is None or product.metric(name, p, now) >= low)
            and (high is None or product.metric(name, p, now) <= high)
            for name, p, low, high in conditions
        ):
            found.append((product.metric(order_field, period, now), product))
    found.sort(key=lambda pair: pair[1].name)
    found.sort(key=lambda pair: pair[0], reverse=descending)
    chosen = found[page * per_page:(page + 1) * per_page]
    return Reply([
        {
            **{k: v for k, v in _summary(p).items() if k in ("productName", "shortName",
                                                                "currency", "status")},
            "return": p.metric("return", period, now),
            "drawdown": p.metric("drawdown", period, now),
            "dscore": p.dscore,
            "investors": p.investors,
        }
        for _, p in chosen
    ])


def _body_int(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key)
    if value is None or value == "":
        return default
    try:
        return int(str(value))
    except ValueError:
        raise errors.bad_request(f"{key} must be an integer.") from None


def get_status(ctx: Ctx) -> Reply:
    """The recorded reply's fields, in its order ([RB] cassette: DWC.4.20's status)."""
    product = _product(ctx)
    now = ctx.now
    quote = product.quote(now)
    _, closes = product.closes(now)
    previous = float(closes[-2]) if len(closes) > 1 else 100.0
    total_return = product.metric("return", "all", now)
    drawdown = product.metric("drawdown", "all", now)
    active = product.active
    market_open = ctx.book.market_is_open()
    return Reply({
        "productName": product.name,
        "quote": quote,
        "quoteDate": int(min(now, product.deleted_s or now) * 1000),
        # Outside trading hours only conditional orders are taken.
        "buyAllowed": active and market_open and product.buy_allowed,
        "sellAllowed": active and market_open and product.sell_allowed,
        "conditionalBuyAllowed": active and product.conditional_buy_allowed,
        "conditionalSellAllowed": active and product.conditional_sell_allowed,
        "returnPercentage": round((float(quote) / previous - 1) * 100, 2),
        "estimatedOpenDate": None if market_open else ctx.book.next_open_ms(now),
        "traderEquity": product.trader_equity,
        "status": product.status,
        "username": product.username,
        "description": f"DARWIN {product.short_name}, a simulated track record.",
        "confirmationDate": product.validation_ms,
        "migrationDate": product.migration_ms or None,
        "productReturn": total_return,
        "drawdown": drawdown,
        "invested": product.invested,
        "currency": product.currency,
        "numInvestors": product.investors,
        "monthlyDivergenceInvestors": 0.0,
        "returnRisk": round(total_return / abs(drawdown), 2) if drawdown else 0.0,
        "communityDarwin": product.community,
        # The DARWIN's D-Leverage as Darwinex publishes it (1.46 in the recording).
        "averageDLeverage": product.d_leverage,
    })


def get_dxscore(ctx: Ctx) -> Reply:
    return Reply(_product(ctx).dscore)


def get_scores(ctx: Ctx) -> Reply:
    product = _product(ctx)
    return Reply({"productName": product.name, **product.scores})


def get_score_badge(ctx: Ctx) -> Reply:
    product = _product(ctx)
    badge = ctx.params["badge"]
    key = BADGES.get(badge.upper(), badge.lower())
    if key not in product.scores or key == "score":
        raise errors.bad_request(f"Unknown badge {badge}.")
    return Reply(product.scores[key])


def get_history(ctx: Ctx) -> Reply:
    product = _product(ctx)
    kind = ctx.params["kind"].lower()
    if kind == "quotes":
        return Reply(_quotes(ctx, product, ctx.now))
    if kind not in histories.KINDS:
        raise errors.not_found(f"Unknown history {kind}.")
    return Reply(histories.history(product, kind, ctx.now))


def _quotes(ctx: Ctx, product: Product, now: float) -> list[list[Any]]:
    start = query_int(ctx.query, "start")
    end = query_int(ctx.query, "end")
    times, closes = product.closes(now)
    rows = []
    for t, close in zip(times, closes, strict=True):
        ms = int(t) * 1000
        if (start is None or ms >= start) and (end is None or ms <= end):
            rows.append([ms, money(float(close))])
    return rows


def get_monthly_divergence(ctx: Ctx) -> Reply:
    _product(ctx)
    return Reply(0.0)


_PRODUCT = "/products/{productName}"
ENDPOINTS = [
    Endpoint("GET", "/products", get_products, Api.INFO),
    Endpoint("POST", "/products", post_products, Api.INFO, json_body=True),
    Endpoint("GET", _PRODUCT + "/status", get_status, Api.INFO),
    Endpoint("GET", _PRODUCT + "/dxscore", get_dxscore, Api.INFO, scores=True),
    Endpoint("GET", _PRODUCT + "/scores", get_scores, Api.INFO, scores=True),
    Endpoint("GET", _PRODUCT + "/scores/{badge}", get_score_badge, Api.INFO, scores=True),
    Endpoint("GET", _PRODUCT + "/history/{kind}", get_history, Api.INFO, scores=True),
    Endpoint("GET", _PRODUCT + "/candles", candles.get_candles, Api.INFO),
    Endpoint("GET", _PRODUCT + "/candles/{timeframe}", candles.get_candles_timeframe, Api.INFO),
    Endpoint("GET", _PRODUCT + "/monthlydivergence", get_monthly_divergence, Api.INFO),
]
