"""Export and import of the Tradovate simulator's state (the Sandbox's state file).

The user, password, ``sec``, account ids and listed contracts come from the seed and
the first start (``origin``); saved is what changed since: the market (cash, open
contracts, working orders), Tradovate's own records (orders with their versions, fills,
execution reports, position records, the id counters), which accounts are active, the
demo balance changes with their times (the one-an-hour rule holds across a restart) and
the access tokens with their sessions (a token handed out stays good until it expires).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_app.simulators.market_state import export_market, import_market
from desktop_app.simulators.snapshot_codec import from_row, to_row
from desktop_app.simulators.tradovate.trading import (
    ExecutionReport,
    Fill,
    Order,
    OrderVersion,
    PositionRecord,
)

if TYPE_CHECKING:
    from desktop_app.simulators.tradovate.catalog import Contract
    from desktop_app.simulators.tradovate.state import TradovateState

_CONTRACT = {"contract": lambda c: c.contract_id}


def export_state(state: TradovateState) -> dict[str, Any]:
    with state.lock:
        book = state.book
        return {
            "origin": state.market.started_at,
            "market": export_market(state.market),
            "active": {str(a.account_id): a.active for a in state.accounts.values()},
            "ids": dict(book.ids._next),
            "orders": [to_row(o, refs=_CONTRACT) for o in book.orders.values()],
            "fills": [to_row(f) for f in book.fills],
            "reports": [to_row(r) for r in book.reports],
            "positions": [to_row(p, refs=_CONTRACT) for p in book.positions.values()],
            "balance_changes": [to_row(c) for c in state.balance_changes],
            "last_balance_change": {str(k): v for k, v in state._last_balance_change.items()},
            "next_session": state._next_session,
            "tokens": [[t.value, t.session.session_id, t.session.device_id, t.session.app_id,
                        t.session.opened_at, t.expires_at, t.market_data, t.md_value]
                       for t in state.tokens.values()],
        }


def import_state(state: TradovateState, data: dict[str, Any]) -> None:
    from desktop_app.simulators.tradovate.state import BalanceChange, Session, Token

    def contract(contract_id: Any) -> Contract:
        found = state.catalog.contract(int(contract_id))
        if found is None:
            raise ValueError(f"saved contract {contract_id} is not listed")
        return found

    refs = {"contract": contract}
    with state.lock:
        import_market(state.market, data["market"])
        for account_id, active in data["active"].items():
            state.accounts[int(account_id)].active = bool(active)
        book = state.book
        book.ids._next = {str(k): int(v) for k, v in data["ids"].items()}
        book.orders = {}
        for row in data["orders"]:
            versions = [from_row(OrderVersion, v) for v in row["versions"]]
            order = from_row(Order, row, refs=refs, versions=versions)
            book.orders[order.order_id] = order
        book.fills = [from_row(Fill, row) for row in data["fills"]]
        book.reports = [from_row(ExecutionReport, row) for row in data["reports"]]
        book.positions = {}
        for row in data["positions"]:
            record = from_row(PositionRecord, row, refs=refs)
            book.positions[(record.account_id, record.contract.contract_id)] = record
        state.balance_changes = [from_row(BalanceChange, row) for row in data["balance_changes"]]
        state._last_balance_change = {int(k): float(v)
                                      for k, v in data["last_balance_change"].items()}
        state._next_session = int(data["next_session"])
        sessions: dict[int, Session] = {}
        state.tokens = {}
        for value, sid, device, app, opened, expires, md, md_value in data["tokens"]:
            session = sessions.setdefault(int(sid), Session(int(sid), str(device), str(app),
                                                            float(opened)))
            state.tokens[str(value)] = Token(str(value), session, float(expires), bool(md),
                                             str(md_value))
