"""`trading-dashboard --smoke`: one demo trade per Sandbox broker, through the same
view-models the window uses.

For each registered broker with a smoke trade in its spec: pick its first demo account in the
accounts model, search an instrument in the order ticket, Buy through
``OrderTicketViewModel.submit`` (what the Buy button calls), wait until the position
shows in the positions table model, close it through ``PositionsViewModel.close_position``
(what the Close button calls), and wait until the row is gone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal

from desktop_app.brokers.registry import SPECS, BrokerSpec, SmokeTrade
from desktop_app.domain.types import OrderStatus, OrderType, Side
from desktop_app.session.events import ConnectionState
from desktop_app.session.hub import Hub
from desktop_app.viewmodels.app_vm import AppViewModel

STEP_TIMEOUT = 20.0
TAKEN = (OrderStatus.ACCEPTED, OrderStatus.PENDING)


class SmokeFailed(Exception):
    pass


async def _until(what: str, condition: Callable[[], object], within: float = STEP_TIMEOUT):
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SmokeFailed(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


async def run_smoke(app_vm: AppViewModel, hub: Hub) -> str:
    """Every Sandbox broker's trade; the first line (Capital.com) carries its timing."""
    lines = []
    for spec in SPECS:
        if spec.smoke is not None and any(
            c.profile.sandbox and c.profile.broker == spec.broker for c in hub.connections()
        ):
            lines.append(await _smoke_trade(app_vm, hub, spec, spec.smoke))
    if not lines:
        raise SmokeFailed("no Sandbox connection was created")
    return "; ".join(lines)


async def _smoke_trade(
    app_vm: AppViewModel, hub: Hub, spec: BrokerSpec, trade: SmokeTrade
) -> str:
    infos = [c for c in hub.connections()
             if c.profile.sandbox and c.profile.broker == spec.broker]
    conn = infos[0]
    state = await asyncio.wait_for(hub.wait_connected(conn.profile.connection_id), STEP_TIMEOUT)
    if state is not ConnectionState.CONNECTED:
        info = next(
            c for c in hub.connections() if c.profile.connection_id == conn.profile.connection_id
        )
        raise SmokeFailed(f"{conn.profile.name} did not connect: {info.message}")

    accounts = app_vm.accounts
    row = await _until(
        f"the {conn.profile.name} accounts in the accounts panel",
        lambda: next(
            (
                r
                for r in accounts.rows()
                if r.ref and r.ref.connection == conn.profile.connection_id
            ),
            None,
        ),
    )
    accounts.select(row.ref)
    ref = row.ref
    await _until("the connection's capabilities", app_vm.ticket.capabilities)

    ticket = app_vm.ticket
    found = await ticket.search(trade.search)
    instrument = next((i for i in found if i.symbol.startswith(trade.symbol_prefix)), None)
    if instrument is None:
        raise SmokeFailed(f"the ticket's search found no {trade.symbol_prefix}")
    symbol = instrument.symbol
    ticket.choose(instrument)
    caps = ticket.capabilities()
    if caps is not None and caps.quotes:
        await _until(f"a live quote for {symbol}", lambda: ticket.quote)
    ticket.set_order_type(OrderType.MARKET)
    ticket.sizing.set_unit(trade.size_unit)
    if instrument.buy_acknowledgement:
        ticket.sizing.set_acknowledged(True)  # what the trader ticks in the ticket
    size = trade.size or (instrument.min_size if instrument.min_size > 0 else Decimal(1))
    ticket.set_size_text(str(size))
    result = await asyncio.wait_for(ticket.submit(Side.BUY), STEP_TIMEOUT)
    # A broker that settles asynchronously (Upvest) answers PENDING; the position shows.
    if result is None or result.status not in TAKEN:
        raise SmokeFailed(f"the order was not accepted: {ticket.result_text}")

    positions = app_vm.positions
    sent = time.perf_counter()
    position_id = await _until(
        f"the new {symbol} position in the positions table",
        lambda: next(
            (
                positions.positions.key(r)
                for r in range(positions.positions.rowCount())
                if positions.positions.item(r).symbol == symbol
            ),
            None,
        ),
    )
    seen_after = time.perf_counter() - sent
    task = positions.close_position(position_id)
    if task is None:
        raise SmokeFailed(f"the positions panel refused to close {position_id}")
    closed = await asyncio.wait_for(task, STEP_TIMEOUT)
    if closed is None or closed.status not in TAKEN:
        raise SmokeFailed(f"closing {position_id} failed")
    await _until(
        "the closed position to leave the positions table",
        lambda: positions.positions.row_of(position_id) < 0,
    )
    level = f" @ {result.level}" if result.level is not None else ""
    return (
        f"{conn.profile.name} account {ref.account_id}: BUY {size} {symbol}{level}, "
        f"position {position_id} in the positions table after {seen_after:.2f} s, closed"
    )
