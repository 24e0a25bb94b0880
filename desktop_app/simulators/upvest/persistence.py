"""Export and import of the Upvest simulator's state (the Sandbox's state file).

The tenant's ids and secret, the instruments and the first users come from the seed and
the first start (``origin``, the anchor of the price paths); saved is everything a desk
changes: users, account groups and their cash, accounts with their status, orders with
their executions, positions, virtual cash requests, webhooks (their queues are not kept:
Upvest would deliver them again, a restart starts the deliveries afresh) and the
prices set by hand. The client's and Upvest's webhook key pairs are made afresh at each
start (the Sandbox reads the new PEM file; the receiver fetches the new verify key).

What was under way is scheduled again from the saved statuses: approvals, closures,
market orders NEW or PROCESSING, executions not settled, virtual cash not confirmed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_app.simulators.snapshot_codec import from_row, rng_state, set_rng_state, to_row
from desktop_app.simulators.upvest import lifecycle, orders
from desktop_app.simulators.upvest.model import (
    Account,
    Group,
    Order,
    Position,
    User,
    VirtualCash,
    Webhook,
)

if TYPE_CHECKING:
    from desktop_app.simulators.upvest.state import UpvestState

VERSION = 1


def export_state(state: UpvestState) -> dict[str, Any]:
    with state.lock:
        return {
            "version": VERSION,
            "origin": state.origin,
            "rng": rng_state(state._rng),
            "users": [to_row(u) for u in state.users.values()],
            "groups": [to_row(g) for g in state.groups.values()],
            "accounts": [to_row(a) for a in state.accounts.values()],
            "orders": [to_row(o) for o in state.orders.values()],
            "positions": [to_row(p, refs={"instrument": lambda i: i.isin})
                          for p in state.positions.values()],
            "virtual_cash": [to_row(v) for v in state.virtual_cash.values()],
            "webhooks": [to_row(h, skip=("queue", "attempts", "retry_at"))
                         for h in state.webhooks.values()],
            "shocks": {isin: [list(s) for s in path._shocks]
                       for isin, path in state.paths.items() if path._shocks},
        }


def import_state(state: UpvestState, data: dict[str, Any]) -> None:
    if data.get("version") != VERSION:
        raise ValueError(f"an Upvest simulator state of version {data.get('version')!r}")
    with state.lock:
        set_rng_state(state._rng, data["rng"])
        state.users = {u.id: u for u in (from_row(User, r) for r in data["users"])}
        state.groups = {g.id: g for g in (from_row(Group, r) for r in data["groups"])}
        state.accounts = {a.id: a for a in (from_row(Account, r) for r in data["accounts"])}
        state.orders = {o.id: o for o in (from_row(Order, r) for r in data["orders"])}
        instruments = state.instruments
        state.positions = {}
        for row in data["positions"]:
            position = from_row(Position, row,
                                refs={"instrument": lambda isin: instruments[str(isin)]})
            state.positions[(position.account_id, position.instrument.isin)] = position
        state.virtual_cash = {v.id: v for v in (from_row(VirtualCash, r)
                                                for r in data["virtual_cash"])}
        state.webhooks = {h.id: h for h in (from_row(Webhook, r) for r in data["webhooks"])}
        for isin, shocks in data["shocks"].items():
            state.paths[isin]._shocks = [(float(t), float(o)) for t, o in shocks]
        _resume(state)


def _resume(state: UpvestState) -> None:
    """Schedule again what was under way when the state was saved."""
    for account in state.accounts.values():
        if account.status == "PENDING_APPROVAL":
            lifecycle.schedule_approval(state, account)
        elif account.status == "CLOSING":
            lifecycle.schedule_closure(state, account)
    for order in state.orders.values():
        if order.status == "NEW" and order.order_type == "MARKET" and not state.hold_orders:
            state.schedule(state.processing_delay, lambda o=order: orders.process(state, o))
        elif order.status == "PROCESSING":
            state.schedule(state.fill_delay, lambda o=order: orders.fill(state, o))
        for execution in order.executions:
            if execution.status == "FILLED":
                state.schedule(state.settlement_delay,
                               lambda o=order, e=execution: orders.settle(state, o, e))
    for item in state.virtual_cash.values():
        if item.status == "ISSUED":
            lifecycle.schedule_confirmation(state, item)
