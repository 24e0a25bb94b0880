"""A small in-memory BrokerService for the poller's and the hub's unit tests.

Used where the Capital simulator would make a test slow or timing-dependent (exact
intervals, budgets of a few requests, scripted failures). It implements the read side
of the BrokerService protocol (what the poller calls) and scriptable writes over a
real RateLimiter; every call takes a limiter slot like a real adapter does. A write
fails *before* it is sent with ``fail("place_order", ...)`` (or ``close_position``,
``cancel_order``, ``fund``) and *after* it was taken with ``fail("confirm", ...)``
(``fund_balance`` for funding); ``gates[name]`` holds a write after its send until set.
The tests against the real Capital service are in test_poller_capital.py,
test_hub_capital.py and test_journal_crash.py.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from desktop_app.brokers.common.base import BrokerBase
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.errors import NotSupported
from desktop_app.domain.money import utc_now
from desktop_app.domain.types import (
    Account,
    AccountRef,
    AccountStatus,
    Balance,
    Environment,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    OrderRequest,
    OrderResult,
    OrderStatus,
    Position,
    Quote,
    Side,
    WorkingOrder,
)
from desktop_app.net.limiter import Budget, RateLimiter


class FakeService(BrokerBase):
    """Built on the real service base, so it answers every contract member."""

    broker = "fake"
    display_name = "Fake"

    def __init__(
        self,
        connection_id: str,
        account_ids: tuple[str, ...] = ("A", "B"),
        *,
        switching: bool = False,
        working_orders: bool = True,
        budget: Budget | None = None,
    ) -> None:
        super().__init__(ConnectionProfile(connection_id, "fake", "Fake"), {})
        # On the loop's clock: the scheduling tests run the loop in virtual time.
        self.rate_limiter = RateLimiter([budget or Budget("all", 20, 1.0)],
                                        clock=lambda: asyncio.get_running_loop().time())
        self._limiter = self.rate_limiter
        self._caps = Capabilities(working_orders=working_orders, quotes=True,
                                  account_switching=switching)
        self.account_ids = account_ids
        self.active = account_ids[0]
        self.calls: list[tuple[float, str, str]] = []  # (monotonic, method, target)
        self.failures: dict[str, deque[BaseException]] = {}
        self.balance = Decimal("1000.00")
        self.closed = False
        self.sent: list[tuple[str, str]] = []  # writes that reached the "broker"
        self.reconciles: list[tuple[str, datetime | None]] = []  # (broker_ref, since)
        self.reconcile_result = OrderResult(OrderStatus.UNKNOWN, reason="No trace of it.")
        self.gates: dict[str, asyncio.Event] = {}
        self.open_positions = {"P-A", "P-B"}

    @property
    def capabilities(self) -> Capabilities:
        return self._caps

    def ref(self, account_id: str) -> AccountRef:
        return AccountRef(self.connection_id, self.broker, account_id)

    def fail(self, method: str, *errors: BaseException) -> None:
        self.failures.setdefault(method, deque()).extend(errors)

    async def _call(self, method: str, target: str = "") -> None:
        await self.rate_limiter.acquire()
        self.calls.append((asyncio.get_running_loop().time(), method, target))
        queue = self.failures.get(method)
        if queue:
            raise queue.popleft()

    def count(self, method: str, target: str | None = None) -> int:
        return sum(1 for _, m, t in self.calls if m == method and target in (None, t))

    async def _on(self, account: AccountRef) -> None:
        if self._caps.account_switching and account.account_id != self.active:
            await self._call("switch", account.account_id)
            self.active = account.account_id

    async def connect(self) -> None:
        await self._call("connect")

    async def close(self) -> None:
        self.closed = True

    async def accounts(self) -> list[Account]:
        await self._call("accounts")
        now = utc_now()
        return [
            Account(
                self.ref(a), f"Account {a}", "USD", AccountStatus.ENABLED, Environment.DEMO,
                active=a == self.active,
                balance=Balance(self.balance, self.balance, self.balance, Decimal(0), "USD", now),
            )
            for a in self.account_ids
        ]

    async def positions(self, account: AccountRef) -> list[Position]:
        await self._on(account)
        await self._call("positions", account.account_id)
        return [
            Position(account, pid, "GOLD", "Gold", Side.BUY, Decimal(1),
                     Decimal(2000), Decimal(2001), Decimal(1), "USD", utc_now())
            for pid in [f"P-{account.account_id}"] if pid in self.open_positions
        ]

    async def working_orders(self, account: AccountRef) -> list[WorkingOrder]:
        if not self._caps.working_orders:
            raise NotSupported("no working orders here")
        await self._on(account)
        await self._call("working_orders", account.account_id)
        return []

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        await self._call("quote", symbol)
        return Quote(symbol, Decimal("1.1"), Decimal("1.2"), utc_now())

    # -- writes -------------------------------------------------------------------
    async def _held(self, name: str) -> None:
        gate = self.gates.get(name)
        if gate is not None:
            await gate.wait()

    async def place_order(
        self, request: OrderRequest, on_reference: Callable[[str], None] | None = None
    ) -> OrderResult:
        await self._call("place_order", request.symbol)
        self.sent.append(("place_order", request.client_ref))
        ref = f"ref-{len(self.sent)}"
        if on_reference is not None:
            on_reference(ref)
        await self._held("place_order")
        await self._call("confirm", ref)
        return OrderResult(OrderStatus.ACCEPTED, broker_ref=ref, deal_ids=(f"D-{len(self.sent)}",))

    async def reconcile_order(
        self, request: OrderRequest, broker_ref: str, *, since: datetime | None = None,
        exclude: frozenset[str] = frozenset(), final: bool = False,
        peers: tuple[datetime, ...] = (), rank: int = 0,
    ) -> OrderResult:
        self.reconciles.append((broker_ref, since))
        await self._call("reconcile_order", broker_ref)
        return self.reconcile_result

    async def _target_write(self, method: str, target: str) -> OrderResult:
        await self._call(method, target)
        self.sent.append((method, target))
        self.open_positions.discard(target)
        await self._held(method)
        await self._call("confirm", target)
        return OrderResult(OrderStatus.ACCEPTED, deal_ids=(target,))

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        return await self._target_write("close_position", position_id)

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        return await self._target_write("cancel_order", order_id)

    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        if kind is not FundingKind.DEMO_TOPUP:
            return None
        return FundingRules(kind, "USD", Decimal(1), Decimal(10_000))

    async def fund(
        self, request: FundingRequest, on_reference: Callable[[str], None] | None = None
    ) -> FundingResult:
        await self._call("fund", request.client_ref)
        self.sent.append(("fund", request.client_ref))
        self.balance += request.amount
        await self._held("fund")
        await self._call("fund_balance")
        return FundingResult(OrderStatus.ACCEPTED, new_balance=self.balance)
