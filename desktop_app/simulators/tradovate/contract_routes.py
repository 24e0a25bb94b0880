"""/contract, /contractMaturity, /product (its deps: by exchange) and the simulator-only quote
read /md/getQuote."""

from __future__ import annotations

from desktop_app.simulators.tradovate import payloads
from desktop_app.simulators.tradovate.families import family
from desktop_app.simulators.tradovate.pipeline import Ctx, Endpoint, HttpError, Reply, not_found

SUGGEST_DEFAULT = 10


def contract_find(ctx: Ctx) -> Reply:
    name = ctx.query_text("name")
    found = ctx.catalog.contract(name) if not name.isdigit() else None
    if found is None:
        raise not_found(f"Contract {name}")
    return Reply(payloads.contract(found))


def contract_suggest(ctx: Ctx) -> Reply:
    text = ctx.query_text("t")
    limit = ctx.query_int("l") if "l" in ctx.query else SUGGEST_DEFAULT
    return Reply([payloads.contract(c) for c in ctx.catalog.suggest(text, limit)])


def product_find(ctx: Ctx) -> Reply:
    found = ctx.catalog.product(ctx.query_text("name"))
    if found is None:
        raise not_found("Product")
    return Reply(payloads.product(found))


def product_suggest(ctx: Ctx) -> Reply:
    text = ctx.query_text("t")
    limit = ctx.query_int("l") if "l" in ctx.query else SUGGEST_DEFAULT
    return Reply([payloads.product(p) for p in ctx.catalog.suggest_products(text, limit)])


def get_quote(ctx: Ctx) -> Reply:
    """Not part of Tradovate's REST API: real quotes come over the market-data WebSocket
    (``md/subscribeQuote``). This read answers the same quote object, for polling."""
    key = ctx.query.get("symbol") or ctx.query.get("contractid")
    if not key or not key.strip():
        raise HttpError(400, "Missing query parameter symbol")
    found = ctx.catalog.contract(key)
    if found is None:
        raise HttpError(404, "Symbol is inaccessible")
    return Reply(payloads.quote(ctx.state.market, found))


ENDPOINTS = [
    *family("contract", lambda ctx: ctx.catalog.contracts.values(), lambda c: c.contract_id,
            lambda ctx, c: payloads.contract(c), master=lambda c: c.maturity.maturity_id),
    Endpoint("GET", "/contract/find", contract_find),
    Endpoint("GET", "/contract/suggest", contract_suggest),
    *family("contractmaturity", lambda ctx: ctx.catalog.maturities.values(),
            lambda m: m.maturity_id, lambda ctx, m: payloads.maturity(m),
            master=lambda m: m.product.product_id),
    *family("product", lambda ctx: ctx.catalog.products.values(), lambda p: p.product_id,
            lambda ctx, p: payloads.product(p), master=lambda p: p.exchange_id),
    Endpoint("GET", "/product/find", product_find),
    Endpoint("GET", "/product/suggest", product_suggest),
    # Not Tradovate's: served only while state.rest_quotes is on (404 otherwise, as real).
    Endpoint("GET", "/md/getquote", get_quote, market_data_ok=True, rest_quote=True),
]
