"""The broker contract: the same scenarios for every registered broker, against its own
simulator over real loopback HTTP, through the real service and the hub.

A broker qualifies by its spec (``brokers/<name>/spec.py``) and its simulator's contract
hooks (``simulators/<name>/contract.py``); nothing here names a broker. ``run_all`` is what
the parametrised tests call, and what the throw-away broker test calls for its own spec.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desktop_app.brokers.common.spec import BrokerSpec
from desktop_app.domain.errors import RateLimited
from desktop_app.domain.types import (
    Account,
    AccountRef,
    Environment,
    FundingKind,
    FundingRequest,
    Instrument,
    OrderRequest,
    OrderStatus,
    Side,
)
from desktop_app.sandbox import sandbox_connection
from desktop_app.session.connection import Backoff
from desktop_app.session.hub import Hub
from desktop_app.simulators.contract import ContractHooks
from desktop_app.simulators.runner import RunningSimulator, start_simulator
from desktop_app.storage.journal import EntryState, Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from tests.conftest import OPEN_SESSION

WITHIN = 20.0
# A broker that settles orders asynchronously (Upvest: 202, NEW) answers PENDING; the
# position appearing or going is what proves the outcome then.
TAKEN = (OrderStatus.ACCEPTED, OrderStatus.PENDING)


def hooks_for(spec: BrokerSpec, sim: RunningSimulator) -> ContractHooks:
    module = spec.simulator.partition(":")[0]
    found: ContractHooks = importlib.import_module(f"{module}.contract").hooks(sim.state)
    return found


def start(spec: BrokerSpec) -> RunningSimulator:
    sim = start_simulator(spec.simulator, port=0, seed=11)
    # Simulators with trading hours: every market open, as the fixtures of tests/conftest.py.
    clock = getattr(sim.state, "session_clock", None)
    if clock is not None:
        clock.move_to(OPEN_SESSION)
    return sim


async def until(what: str, condition: Callable[[], Any], within: float = WITHIN) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Target:
    spec: BrokerSpec
    sim: RunningSimulator
    hooks: ContractHooks
    hub: Hub

    @property
    def cid(self) -> str:
        return f"sandbox-{self.spec.broker}"

    def accounts(self) -> list[Account]:
        return [a for a in self.hub.accounts() if a.ref.connection == self.cid]


async def connect(spec: BrokerSpec, sim: RunningSimulator) -> Target:
    hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal(),
              connect_backoff=Backoff(initial=0.05, maximum=0.2))
    await hub.start()
    profile, credentials = sandbox_connection(spec.broker, sim)
    await hub.add_connection(profile, credentials, persist=False)
    target = Target(spec, sim, hooks_for(spec, sim), hub)
    await until(f"{spec.display_name} accounts", target.accounts)
    return target


async def close(target: Target) -> None:
    await target.hub.stop()
    target.hub.journal.close()


async def smoke_instrument(target: Target, account: AccountRef) -> tuple[Instrument, Decimal]:
    smoke = target.spec.smoke
    assert smoke is not None, "the broker trades, so its spec names a smoke trade"
    found = await target.hub.search_instruments(account, smoke.search)
    instrument = next(i for i in found if i.symbol.startswith(smoke.symbol_prefix))
    size = smoke.size or (instrument.min_size if instrument.min_size > 0 else Decimal(1))
    return instrument, size


def smoke_order(target: Target, account: AccountRef, instrument: Instrument,
                size: Decimal) -> OrderRequest:
    """The spec's smoke buy: its size unit, and the instrument's buy acknowledgement given."""
    smoke = target.spec.smoke
    assert smoke is not None
    return OrderRequest(account, instrument.symbol, Side.BUY, size, size_unit=smoke.size_unit,
                        currency=smoke.currency,
                        acknowledged=bool(instrument.buy_acknowledgement))


def trades(target: Target) -> bool:
    caps = target.hub.capabilities(target.cid)
    return bool(caps and caps.trading and target.spec.smoke is not None)


# ---------------------------------------------------------------------- scenarios


async def accounts_are_listed(target: Target) -> None:
    accounts = target.accounts()
    assert accounts, "at least one account"
    for account in accounts:
        assert account.ref.broker == target.spec.broker
        assert account.environment is Environment.DEMO  # the Sandbox is demo, by the broker
        assert account.currency
        if account.balance is not None:
            assert account.balance.as_of.tzinfo is not None
    assert not target.hub.is_live(accounts[0].ref)


async def order_placed_seen_and_closed(target: Target) -> None:
    if not trades(target):
        return
    account = target.accounts()[0].ref
    instrument, size = await smoke_instrument(target, account)
    before = target.hooks.placements()
    result = await target.hub.place_order(smoke_order(target, account, instrument, size))
    assert result.status in TAKEN, result.reason
    assert target.hooks.placements() == before + 1
    placed = target.hub.order_journal()[0]
    assert (placed.action, placed.state) == ("place", EntryState.COMPLETED)
    assert placed.order_result() == result
    target.hub.set_focus(account, set(), set())
    position = await until(
        f"the {instrument.symbol} position",
        lambda: next((p for p in target.hub.positions(account)
                      if p.symbol == instrument.symbol), None),
    )
    closed = await target.hub.close_position(account, position.position_id)
    assert closed.status in TAKEN, closed.reason
    entry = target.hub.order_journal()[0]
    assert (entry.action, entry.state) == ("close", EntryState.COMPLETED)
    await until("the position gone", lambda: all(
        p.position_id != position.position_id for p in target.hub.positions(account)))


async def lost_reply_reconciled_once_never_resent(target: Target) -> None:
    if not trades(target):
        return
    account = target.accounts()[0].ref
    instrument, size = await smoke_instrument(target, account)
    conn = target.hub.connection(target.cid)
    assert conn is not None and conn.service is not None
    service = conn.service
    calls: list[str] = []
    real = service.reconcile_order

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append("reconcile")
        return await real(*args, **kwargs)

    service.reconcile_order = counted  # type: ignore[method-assign]
    before = target.hooks.placements()
    target.hooks.lose_next_placement_reply(account.account_id)
    # The same order may have gone out moments ago (run_all): this one is meant.
    result = await target.hub.place_order(smoke_order(target, account, instrument, size),
                                          allow_duplicate=True)
    assert result.status in TAKEN, result.reason
    assert target.hooks.placements() == before + 1  # sent once, never resent
    assert calls == ["reconcile"]  # looked up once
    entry = target.hub.order_journal()[0]
    assert entry.state is EntryState.RECONCILED
    assert entry.order_result() is not None and entry.order_result().deal_ids


async def rate_limit_refusal_is_handled(target: Target) -> None:
    conn = target.hub.connection(target.cid)
    assert conn is not None and conn.service is not None
    target.hooks.rate_limit_next(1)
    try:
        accounts = await conn.service.accounts()
    except RateLimited as exc:  # a broker whose refusal is not waited out says so
        assert exc.user_text()
    else:
        assert accounts


async def funding_where_offered(target: Target) -> None:
    caps = target.hub.capabilities(target.cid)
    assert caps is not None
    if not caps.funding:
        for kind in FundingKind:
            assert caps.why_not(kind.value), "a missing funding kind says why"
        return
    account = target.accounts()[0]
    kind = sorted(caps.funding)[0]
    rules = target.hub.funding_rules(account.ref, kind)
    assert rules is not None
    amount = max(rules.min_amount, Decimal("10.00"))
    result = await target.hub.fund(FundingRequest(account.ref, kind, amount, rules.currency))
    assert result.status in (OrderStatus.ACCEPTED, OrderStatus.PENDING), result.message
    assert target.hub.funding_journal()[0].state in (EntryState.COMPLETED,
                                                     EntryState.RECONCILED)


SCENARIOS = (
    accounts_are_listed,
    order_placed_seen_and_closed,
    lost_reply_reconciled_once_never_resent,
    rate_limit_refusal_is_handled,
    funding_where_offered,
)


async def run_all(spec: BrokerSpec) -> list[str]:
    """Every scenario on a fresh simulator; the names of those that ran."""
    sim = start(spec)
    try:
        target = await connect(spec, sim)
        try:
            ran = []
            for scenario in SCENARIOS:
                await scenario(target)
                ran.append(scenario.__name__)
            return ran
        finally:
            await close(target)
    finally:
        sim.stop()
