"""Export and import of the shared market (the Sandbox keeps it across restarts).

Prices are not saved: they are a function of the seed, the start instant and the clock,
so a market rebuilt with the same seed and ``started_at`` quotes the same prices. What
is saved is what trading changed: accounts (ledger, positions, working orders,
leverages), the recent deal activity, the id generator, test-knob shocks and overrides,
and the instant of the last sync (orders that the price crossed while the app was
closed fill at the first request after the restart, as at a broker that kept running).
"""

from __future__ import annotations

from typing import Any

from desktop_app.domain.types import InstrumentKind, OrderType, Side
from desktop_app.simulators.accounts import (
    LedgerEntry,
    Leverage,
    SimAccount,
    SimOrder,
    SimPosition,
)
from desktop_app.simulators.deals import AffectedDeal, DealResult
from desktop_app.simulators.market import Market
from desktop_app.simulators.snapshot_codec import (
    dec,
    req_dec,
    req_when,
    rng_state,
    set_rng_state,
    undec,
    unwhen,
    when,
)


def export_market(market: Market) -> dict[str, Any]:
    with market._lock:
        prices = market.prices
        return {
            "seed": market.seed,
            "started_at": market.started_at,
            "last_sync": market.last_sync,
            "rng": rng_state(market._rng),
            "frozen_at": prices.frozen_at,
            "status_overrides": dict(prices.status_overrides),
            "shocks": {s: [list(x) for x in p._shocks] for s, p in prices.paths.items()
                       if p._shocks},
            "accounts": [_account(a) for a in market.accounts()],
            "activity": [_deal(r) for r in market.activity],
        }


def import_market(market: Market, data: dict[str, Any]) -> None:
    """Into a market built with the same seed, instruments and ``started_at``."""
    if int(data["seed"]) != market.seed or float(data["started_at"]) != market.started_at:
        raise ValueError("the saved market was made with another seed or start")
    with market._lock:
        prices = market.prices
        market.last_sync = float(data["last_sync"])
        set_rng_state(market._rng, data["rng"])
        prices.frozen_at = None if data["frozen_at"] is None else float(data["frozen_at"])
        prices.status_overrides = {str(k): str(v) for k, v in data["status_overrides"].items()}
        for symbol, shocks in data["shocks"].items():
            prices.paths[symbol]._shocks = [(float(t), float(o)) for t, o in shocks]
        market._accounts.clear()
        for saved in data["accounts"]:
            account = _unaccount(saved)
            for symbol in {p.symbol for p in account.positions.values()} | {
                    o.symbol for o in account.orders.values()}:
                market.spec(symbol)  # an instrument this market no longer has: KeyError
            market._accounts[account.account_id] = account
        market.activity.clear()
        market.activity.extend(_undeal(d) for d in data["activity"])


def _account(a: SimAccount) -> dict[str, Any]:
    return {
        "id": a.account_id, "name": a.name, "currency": a.currency, "hedging": a.hedging,
        "preferred": a.preferred,
        "leverages": {k.value: [v.current, list(v.available)] for k, v in a.leverages.items()},
        "ledger": [[when(e.at), dec(e.amount), e.kind, e.note, e.reference, e.symbol]
                   for e in a.ledger],
        "positions": [
            [p.deal_id, p.symbol, p.side.value, dec(p.size), dec(p.level), p.leverage,
             when(p.created_at), p.order_id, dec(p.stop_level), dec(p.profit_level),
             p.guaranteed_stop]
            for p in a.positions.values()
        ],
        "orders": [
            [o.deal_id, o.symbol, o.side.value, dec(o.size), o.order_type.value, dec(o.level),
             when(o.created_at), when(o.good_till), dec(o.stop_level), dec(o.profit_level),
             o.guaranteed_stop]
            for o in a.orders.values()
        ],
    }


def _unaccount(d: dict[str, Any]) -> SimAccount:
    account = SimAccount(
        str(d["id"]), str(d["name"]), str(d["currency"]), bool(d["hedging"]),
        bool(d["preferred"]),
        {InstrumentKind(k): Leverage(int(v[0]), tuple(int(x) for x in v[1]))
         for k, v in d["leverages"].items()},
    )
    account.ledger = [LedgerEntry(req_when(at), req_dec(amount), str(kind), str(note),
                                  str(ref), str(symbol))
                      for at, amount, kind, note, ref, symbol in d["ledger"]]
    for (deal_id, symbol, side, size, level, leverage, created, order_id, stop, profit,
         guaranteed) in d["positions"]:
        account.positions[str(deal_id)] = SimPosition(
            str(deal_id), str(symbol), Side(side), req_dec(size), req_dec(level), int(leverage),
            req_when(created), str(order_id), undec(stop), undec(profit), bool(guaranteed))
    for (deal_id, symbol, side, size, kind, level, created, good_till, stop, profit,
         guaranteed) in d["orders"]:
        account.orders[str(deal_id)] = SimOrder(
            str(deal_id), str(symbol), Side(side), req_dec(size), OrderType(kind),
            req_dec(level), req_when(created), unwhen(good_till), undec(stop), undec(profit),
            bool(guaranteed))
    return account


def _deal(r: DealResult) -> dict[str, Any]:
    return {
        "accepted": r.accepted, "reason": r.reason, "status": r.status, "order": r.order_id,
        "account": r.account_id, "symbol": r.symbol,
        "side": r.side.value if r.side else None, "size": dec(r.size), "level": dec(r.level),
        "at": when(r.at), "affected": [[a.deal_id, a.status] for a in r.affected],
        "profit": dec(r.profit), "currency": r.currency, "source": r.source, "kind": r.kind,
    }


def _undeal(d: dict[str, Any]) -> DealResult:
    return DealResult(
        bool(d["accepted"]), str(d["reason"]), d["status"], str(d["order"]), str(d["account"]),
        str(d["symbol"]), Side(d["side"]) if d["side"] else None, undec(d["size"]),
        undec(d["level"]), req_when(d["at"]),
        tuple(AffectedDeal(str(i), str(s)) for i, s in d["affected"]), undec(d["profit"]),
        str(d["currency"]), str(d["source"]), str(d["kind"]),
    )
