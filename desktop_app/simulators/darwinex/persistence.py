"""Export and import of the Darwinex simulator's state (the Sandbox's state file).

Application keys, the DARWIN catalogue and the first account ids come from the seed and
the first start (``origin``); saved is what changed since: the investor accounts (cash,
leverage, open and closed trades, conditional orders, executed orders), accounts made by
a demo reset and the ids never to be given again, the products' flags and held quotes,
and the tokens: refresh tokens rotate, so the newest pair of each application is what a
client holds, and it must still work after a restart. Access-token expiry runs on the
monotonic clock and is carried across on the wall clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_app.simulators.darwinex.book import (
    ConditionalOrder,
    ExecutedOrder,
    InvestorAccount,
    Trade,
)
from desktop_app.simulators.darwinex.tokens import AccessToken
from desktop_app.simulators.snapshot_codec import (
    dec,
    from_row,
    rng_state,
    set_rng_state,
    to_row,
    undec,
)

if TYPE_CHECKING:
    from desktop_app.simulators.darwinex.state import DarwinexState

_ACCOUNT_LISTS = ("open_trades", "closed_trades", "conditional", "executed", "created_at")


def export_state(state: DarwinexState) -> dict[str, Any]:
    with state.lock:
        now, mono = state.clock(), state.monotonic()
        tokens = state.tokens
        return {
            "origin": state.origin,
            "rng": rng_state(state._rng),
            "removed": sorted(state._removed),
            "next_id": state.book._next_id,
            "products": {
                name: {"flags": [p.buy_allowed, p.sell_allowed, p.conditional_buy_allowed,
                                 p.conditional_sell_allowed],
                       "pin": dec(p.pin), "shocks": [list(x) for x in p.path._shocks]}
                for name, p in state.catalogue.products.items()
                if p.pin is not None or p.path._shocks or not (
                    p.buy_allowed and p.sell_allowed and p.conditional_buy_allowed
                    and p.conditional_sell_allowed)
            },
            "accounts": [_account(a, now, mono) for a in state.book.accounts.values()],
            "orders": [to_row(o) for o in state.orders],
            "access": [[t.value, t.client.consumer_key, now + (t.expires_at - mono)]
                       for t in tokens._access.values()],
            "refresh": [[r, c.consumer_key, a] for r, (c, a) in tokens._refresh.items()],
            "latest": {k: list(v) for k, v in tokens.latest.items()},
        }


def _account(a: InvestorAccount, now: float, mono: float) -> dict[str, Any]:
    row = to_row(a, skip=_ACCOUNT_LISTS)
    row["created_at"] = now - (mono - a.created_at)
    row["open_trades"] = [to_row(t) for t in a.open_trades.values()]
    row["closed_trades"] = [to_row(t) for t in a.closed_trades]
    row["conditional"] = [to_row(o) for o in a.conditional.values()]
    row["executed"] = [to_row(o) for o in a.executed]
    return row


def import_state(state: DarwinexState, data: dict[str, Any]) -> None:
    from desktop_app.simulators.darwinex.state import DEMO, LIVE

    with state.lock:
        now, mono = state.clock(), state.monotonic()
        set_rng_state(state._rng, data["rng"])
        state._removed = {int(i) for i in data["removed"]}
        state.book._next_id = int(data["next_id"])
        for name, saved in data["products"].items():
            product = state.catalogue.products[name]
            (product.buy_allowed, product.sell_allowed, product.conditional_buy_allowed,
             product.conditional_sell_allowed) = (bool(f) for f in saved["flags"])
            product.pin = undec(saved["pin"])
            product.path._shocks = [(float(t), float(o)) for t, o in saved["shocks"]]
            product.closes_cache = None
        state.book.accounts = {}
        for row in data["accounts"]:
            account = from_row(InvestorAccount, row, created_at=mono - (now - row["created_at"]))
            account.open_trades = {t.product: t for t in
                                   (from_row(Trade, r) for r in row["open_trades"])}
            account.closed_trades = [from_row(Trade, r) for r in row["closed_trades"]]
            account.conditional = {o.order_id: o for o in
                                   (from_row(ConditionalOrder, r) for r in row["conditional"])}
            account.executed = [from_row(ExecutedOrder, r) for r in row["executed"]]
            state.book.accounts[account.account_id] = account
        state.orders[:] = [from_row(ExecutedOrder, r) for r in data["orders"]]
        tokens = state.tokens
        clients = tokens.clients
        tokens._access = {
            str(value): AccessToken(str(value), clients[str(key)], mono + (float(at) - now))
            for value, key, at in data["access"]
        }
        tokens._refresh = {str(r): (clients[str(key)], str(a)) for r, key, a in data["refresh"]}
        tokens.latest = {str(k): (str(v[0]), str(v[1])) for k, v in data["latest"].items()}
        for env in (DEMO, LIVE):
            login = state._logins[env]
            pair = tokens.latest.get(login["consumer_key"])
            if pair is not None:
                login["access_token"], login["refresh_token"] = pair
