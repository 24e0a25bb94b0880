"""/currency and /exchange: the reference entities that products point at (``currencyId``,
``exchangeId``), read as TV-SPEC's generic families plus ``find`` and ``suggest``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_app.simulators.tradovate import payloads
from desktop_app.simulators.tradovate.catalog import CURRENCIES, EXCHANGES
from desktop_app.simulators.tradovate.families import family
from desktop_app.simulators.tradovate.pipeline import Ctx, Endpoint, Reply, not_found

SUGGEST_DEFAULT = 10


def _named(name: str, names: Callable[[], dict[int, str]],
           render: Callable[[int], dict[str, Any]]) -> list[Endpoint]:
    """``/{name}/find?name=`` (exact, any case) and ``/{name}/suggest?t=&l=`` (contains)."""

    def find(ctx: Ctx) -> Reply:
        wanted = ctx.query_text("name").upper()
        for ident, text in names().items():
            if text.upper() == wanted:
                return Reply(render(ident))
        raise not_found(name.capitalize())

    def suggest(ctx: Ctx) -> Reply:
        needle = ctx.query_text("t").upper()
        limit = ctx.query_int("l") if "l" in ctx.query else SUGGEST_DEFAULT
        found = [ident for ident, text in names().items() if needle in text.upper()]
        return Reply([render(ident) for ident in found[:limit]])

    return [Endpoint("GET", f"/{name}/find", find), Endpoint("GET", f"/{name}/suggest", suggest)]


def _currency_names() -> dict[int, str]:
    return {ident: name for ident, (name, _symbol) in CURRENCIES.items()}


ENDPOINTS = [
    *family("currency", lambda ctx: list(CURRENCIES), lambda ident: ident,
            lambda ctx, ident: payloads.currency(ident)),
    *_named("currency", _currency_names, payloads.currency),
    *family("exchange", lambda ctx: list(EXCHANGES), lambda ident: ident,
            lambda ctx, ident: payloads.exchange(ident)),
    *_named("exchange", lambda: EXCHANGES, payloads.exchange),
]
