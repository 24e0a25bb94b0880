"""/markets, /marketnavigation, /watchlists, /prices and /clientsentiment."""

from __future__ import annotations

from typing import Any

from desktop_app.domain.types import InstrumentKind
from desktop_app.simulators.capital import errors
from desktop_app.simulators.capital.errors import CapitalError
from desktop_app.simulators.capital.parsing import parse_utc_text, req_str
from desktop_app.simulators.capital.payloads import (
    bar_entry,
    instrument_type,
    market_details,
    market_summary,
)
from desktop_app.simulators.capital.pipeline import Ctx, Endpoint, Reply
from desktop_app.simulators.capital.state import Watchlist
from desktop_app.simulators.pricepath import stable_key, unit_noise

RESOLUTIONS = {
    "MINUTE": 60,
    "MINUTE_5": 300,
    "MINUTE_15": 900,
    "MINUTE_30": 1800,
    "HOUR": 3600,
    "HOUR_4": 14_400,
    "DAY": 86_400,
    "WEEK": 604_800,
}
_MAX_EPICS = 50
_MAX_BARS = 1000
_NODE = "hierarchy_v1."
# Top-level groups and their leaves; the names mimic the [PM] examples.
_GROUPS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "commons_group": [
        ("commons.most_traded", "Most Traded", ("EURUSD", "GOLD", "US500", "BTCUSD", "OIL_CRUDE")),
        ("commons.weekend_trading", "Weekend Trading", ("BTCUSD", "ETHUSD")),
    ],
    "currencies_group": [("currencies.majors", "Majors", ())],
    "commodities_group": [
        ("commodities.metals", "Metals", ("GOLD", "SILVER")),
        ("commodities.energy", "Energy", ("OIL_CRUDE", "NATURALGAS")),
    ],
    "indices_group": [
        ("indices.americas", "Americas", ("US500", "US100")),
        ("indices.europe", "Europe", ("UK100", "DE40")),
    ],
    "shares_group": [("shares.us", "US shares", ())],
    "cryptocurrencies_group": [("cryptocurrencies.major", "Major", ())],
}
_GROUP_KINDS = {
    "currencies.majors": InstrumentKind.CURRENCY,
    "shares.us": InstrumentKind.SHARE,
    "cryptocurrencies.major": InstrumentKind.CRYPTO,
}


def _spec_or_404(ctx: Ctx, epic: str) -> str:
    if epic not in ctx.market.instruments:
        raise CapitalError(404, errors.NOT_FOUND_EPIC)
    return epic


def get_markets(ctx: Ctx) -> Reply:
    market, clock = ctx.market, ctx.clock
    if "searchTerm" in ctx.query:
        term = (ctx.query.get("searchTerm") or "").strip().lower()
        if not term:
            raise CapitalError(400, errors.NULL_SEARCH_TERM)
        found = [
            s.symbol
            for s in market.instruments.values()
            if term in s.symbol.lower() or term in s.name.lower()
        ]
        return Reply({"markets": [market_summary(market, e, clock) for e in found]})
    if "epics" in ctx.query:
        epics = [e.strip() for e in (ctx.query.get("epics") or "").split(",") if e.strip()]
        if not epics:
            raise CapitalError(400, errors.NULL_EPIC)
        if len(epics) > _MAX_EPICS:
            raise CapitalError(400, errors.INVALID_EPICS)
        account = ctx.account
        return Reply({
            "marketDetails": [
                market_details(market, e, account, clock,
                               ctx.state.stop_limit_percent(market.spec(e)))
                for e in epics if e in market.instruments
            ]
        })
    # Without parameters: every market (since 2023-08-04).
    return Reply({"markets": [market_summary(market, e, clock) for e in market.instruments]})


def get_market(ctx: Ctx) -> Reply:
    epic = _spec_or_404(ctx, ctx.params["epic"])
    return Reply(market_details(ctx.market, epic, ctx.account, ctx.clock,
                                ctx.state.stop_limit_percent(ctx.market.spec(epic))))


def get_navigation(ctx: Ctx) -> Reply:
    return Reply({"nodes": [{"id": _NODE + group, "name": group} for group in _GROUPS]})


def _leaf_epics(ctx: Ctx, leaf: str, listed: tuple[str, ...]) -> list[str]:
    kind = _GROUP_KINDS.get(leaf)
    if kind is None:
        return [e for e in listed if e in ctx.market.instruments]
    return [s.symbol for s in ctx.market.instruments.values() if s.kind is kind]


def get_navigation_node(ctx: Ctx) -> Reply:
    node = ctx.params["nodeId"]
    try:
        limit = int(ctx.query.get("limit") or 500)
    except ValueError as exc:
        raise CapitalError(400, errors.INVALID_LIMIT) from exc
    if limit <= 0:
        raise CapitalError(400, errors.INVALID_LIMIT)
    name = node.removeprefix(_NODE)
    if name in _GROUPS:
        return Reply({
            "nodes": [{"id": _NODE + leaf, "name": title} for leaf, title, _ in _GROUPS[name]]
        })
    for leaves in _GROUPS.values():
        for leaf, _title, listed in leaves:
            if leaf == name:
                epics = _leaf_epics(ctx, leaf, listed)[:limit]
                return Reply({
                    "nodes": [],
                    "markets": [market_summary(ctx.market, e, ctx.clock) for e in epics],
                })
    raise CapitalError(404, errors.NOT_FOUND_NODE)


def get_watchlists(ctx: Ctx) -> Reply:
    return Reply({
        "watchlists": [
            {
                "id": w.watchlist_id,
                "name": w.name,
                "editable": w.editable,
                "deleteable": w.editable,
                "defaultSystemWatchlist": w.default_system,
            }
            for w in ctx.state.watchlists.values()
        ]
    })


def _watchlist(ctx: Ctx, not_found: str) -> Watchlist:
    found = ctx.state.watchlists.get(ctx.params["watchlistId"])
    if found is None:
        raise CapitalError(404, not_found)
    return found


def get_watchlist(ctx: Ctx) -> Reply:
    watchlist = _watchlist(ctx, errors.INVALID_WATCHLIST)
    return Reply({
        "markets": [market_summary(ctx.market, e, ctx.clock) for e in watchlist.epics]
    })


def post_watchlist(ctx: Ctx) -> Reply:
    name = str(ctx.body.get("name") or "")
    if not 1 <= len(name) <= 20:
        raise CapitalError(400, errors.WATCHLIST_NAME_SIZE)
    requested = [str(e) for e in ctx.body.get("epics") or []]
    epics = [e for e in requested if e in ctx.market.instruments]
    watchlist_id = ctx.state.new_watchlist_id()
    ctx.state.watchlists[watchlist_id] = Watchlist(watchlist_id, name, epics)
    status = "SUCCESS" if len(epics) == len(requested) else "SUCCESS_NOT_ALL_INSTRUMENTS_ADDED"
    return Reply({"watchlistId": watchlist_id, "status": status})


def put_watchlist(ctx: Ctx) -> Reply:
    watchlist = _watchlist(ctx, errors.NOT_FOUND_WATCHLIST)
    epic = _spec_or_404(ctx, req_str(ctx.body, "epic"))
    if epic not in watchlist.epics:
        watchlist.epics.append(epic)
    return Reply({"status": "SUCCESS"})


def delete_watchlist(ctx: Ctx) -> Reply:
    _watchlist(ctx, errors.NOT_FOUND_WATCHLIST)
    del ctx.state.watchlists[ctx.params["watchlistId"]]
    return Reply({"status": "SUCCESS"})


def delete_watchlist_epic(ctx: Ctx) -> Reply:
    watchlist = _watchlist(ctx, errors.NOT_FOUND_WATCHLIST)
    epic = ctx.params["epic"]
    if epic not in watchlist.epics:
        raise CapitalError(404, errors.NOT_FOUND_EPIC)
    watchlist.epics.remove(epic)
    return Reply({"status": "SUCCESS"})


def get_prices(ctx: Ctx) -> Reply:
    epic = _spec_or_404(ctx, ctx.params["epic"])
    resolution = (ctx.query.get("resolution") or "MINUTE").upper()
    if resolution not in RESOLUTIONS:
        raise CapitalError(400, errors.INVALID_RESOLUTION)
    try:
        count = int(ctx.query.get("max") or 10)
    except ValueError as exc:
        raise CapitalError(400, errors.INVALID_MAX) from exc
    if not 1 <= count <= _MAX_BARS:
        raise CapitalError(400, errors.INVALID_MAX)
    start_text, end_text = ctx.query.get("from"), ctx.query.get("to")
    start = parse_utc_text(start_text, "from").timestamp() if start_text else None
    end = parse_utc_text(end_text, "to").timestamp() if end_text else None
    if start is not None and end is not None and end < start:
        raise CapitalError(400, errors.INVALID_TO)
    bars = ctx.market.bars(epic, RESOLUTIONS[resolution], start=start, end=end, count=count)
    spec = ctx.market.spec(epic)
    return Reply({
        "prices": [bar_entry(bar, ctx.clock) for bar in bars],
        "instrumentType": instrument_type(spec),
    })


def _sentiment(ctx: Ctx, epic: str) -> dict[str, Any]:
    long_pct = round(20 + 70 * unit_noise(stable_key(ctx.state.seed, "sentiment", epic), 0), 2)
    return {
        "marketId": epic,
        "longPositionPercentage": long_pct,
        "shortPositionPercentage": round(100 - long_pct, 2),
    }


def get_sentiments(ctx: Ctx) -> Reply:
    ids = [e.strip() for e in (ctx.query.get("marketIds") or "").split(",") if e.strip()]
    if not ids:
        raise CapitalError(400, errors.null("marketIds").code)
    for epic in ids:
        _spec_or_404(ctx, epic)
    return Reply({"clientSentiments": [_sentiment(ctx, e) for e in ids]})


def get_sentiment(ctx: Ctx) -> Reply:
    return Reply(_sentiment(ctx, _spec_or_404(ctx, ctx.params["marketId"])))


ENDPOINTS = [
    Endpoint("GET", "/markets", get_markets),
    Endpoint("GET", "/markets/{epic}", get_market),
    Endpoint("GET", "/marketnavigation", get_navigation),
    Endpoint("GET", "/marketnavigation/{nodeId}", get_navigation_node),
    Endpoint("GET", "/watchlists", get_watchlists),
    Endpoint("POST", "/watchlists", post_watchlist),
    Endpoint("GET", "/watchlists/{watchlistId}", get_watchlist),
    Endpoint("PUT", "/watchlists/{watchlistId}", put_watchlist),
    Endpoint("DELETE", "/watchlists/{watchlistId}", delete_watchlist),
    Endpoint("DELETE", "/watchlists/{watchlistId}/{epic}", delete_watchlist_epic),
    Endpoint("GET", "/prices/{epic}", get_prices),
    Endpoint("GET", "/clientsentiment", get_sentiments),
    Endpoint("GET", "/clientsentiment/{marketId}", get_sentiment),
]
