"""Export and import of the LWork simulator's state (the Sandbox's state file).

The tenant (id, API token), the users (login, password, user id), the MT servers and the
demo account types come from the seed; prices from the seed and the first start
(``origin``). Saved is what changed since: every MT account (balance, credit, group,
leverage, positions, pending orders, closed trades; the ones opened through the API
too), the cash flow (deposits with their jobs and payment state, withdrawals with the
bank details given, transfers), account-opening tasks, the holders' base, finance and
ID info, the id generators and the clock offset of ``advance_clock``. The tenant's RSA
key pair is made afresh at each start (its PEM file is printed and read anew), so it is
not saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_app.simulators.lwork.book import MtAccount, Trade
from desktop_app.simulators.snapshot_codec import (
    from_row,
    rng_state,
    set_rng_state,
    to_row,
)

if TYPE_CHECKING:
    from desktop_app.simulators.lwork.state import LWorkState

_TRADE_LISTS = ("positions", "pending", "history")


def export_state(state: LWorkState) -> dict[str, Any]:
    with state.lock:
        book = state.book
        return {
            "origin": state.market.started_at,
            "offset": state._offset,
            "rng": rng_state(book._rng),
            "next_ticket": book._next_ticket,
            "next_login": dict(state._next_login),
            "next_record": state._next_record,
            "accounts": [_account(a) for a in book.accounts.values()],
            "cash": [to_row(e) for e in state.cash],
            "tasks": [dict(t) for t in state.tasks],
            "users": {u.user_id: {"base": u.base, "finance": u.finance, "cert": u.cert}
                      for u in state.users.values()},
        }


def _account(account: MtAccount) -> dict[str, Any]:
    row = to_row(account, refs={"server": lambda s: s.server_id}, skip=_TRADE_LISTS)
    for name in _TRADE_LISTS:
        row[name] = [to_row(t) for t in getattr(account, name)]
    return row


def import_state(state: LWorkState, data: dict[str, Any]) -> None:
    """Into a simulator built with the same seed and ``origin``."""
    from desktop_app.simulators.lwork.state import CashEntry

    if float(data["origin"]) != state.market.started_at:
        raise ValueError("the saved LWork state was made with another start")
    with state.lock:
        book = state.book
        state._offset = float(data["offset"])
        set_rng_state(book._rng, data["rng"])
        book._next_ticket = int(data["next_ticket"])
        state._next_login = {str(k): int(v) for k, v in data["next_login"].items()}
        state._next_record = int(data["next_record"])
        servers = state.servers
        book.accounts = {}
        for row in data["accounts"]:
            account = from_row(MtAccount, row, refs={"server": lambda i: servers[str(i)]},
                               **{name: [from_row(Trade, t) for t in row[name]]
                                  for name in _TRADE_LISTS})
            book.accounts[account.login] = account
        state.cash = [from_row(CashEntry, row) for row in data["cash"]]
        state.tasks = [dict(t) for t in data["tasks"]]
        for user_id, saved in data["users"].items():
            user = state.users[str(user_id)]
            user.base, user.finance, user.cert = (dict(saved["base"]), dict(saved["finance"]),
                                                  dict(saved["cert"]))
