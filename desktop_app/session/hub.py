"""The session hub: the one object the view-models talk to.

It owns the connections (one BrokerService each), the poller and the journal wiring.
Orders and funding requests are journalled *before* they are sent and completed after
the reply; a lost reply is marked ``unknown`` and reconciled with the broker, never
resent (see session.writes for which failure is recorded how). A write runs shielded
from its caller's cancellation and ``stop()`` waits for it. Entries left ``pending`` by
a crash, or ``unknown``, are reconciled once their connection is up at the next start.

Everything here runs on the app's asyncio loop; listeners are called on it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import (
    AuthError,
    BrokerError,
    NotFound,
    NotSupported,
    PermissionDenied,
    Unavailable,
    ValidationError,
)
from desktop_app.domain.limits import BudgetUsage
from desktop_app.domain.money import format_duration, format_money, utc_now
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    Environment,
    FundingKind,
    FundingRequest,
    FundingResult,
    FundingRules,
    HistoryEntry,
    Instrument,
    InstrumentScreen,
    MarketNode,
    OrderAmendment,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Position,
    PricePoint,
    Quote,
    Watchlist,
    WorkingOrder,
    new_client_ref,
)
from desktop_app.net.limiter import Priority, context_priority
from desktop_app.net.request_log import RequestLog
from desktop_app.session.connection import (
    Backoff,
    Connection,
    ServiceFactory,
    error_text,
    registry_factory,
)
from desktop_app.session.duplicates import RecentOrders
from desktop_app.session.events import (
    AccountsUpdated,
    ConnectionChanged,
    ConnectionState,
    Event,
    JournalChanged,
    PositionsUpdated,
    Topic,
    WorkingOrdersUpdated,
)
from desktop_app.session.info import BrokerInfo, ConnectionInfo
from desktop_app.session.poller import ACCOUNT_TOPICS, PollConfig, Poller
from desktop_app.session.writes import (
    CHECK_BALANCE,
    CHECK_POSITIONS,
    FundingLedger,
    JournalledWrite,
    OrderLedger,
    R,
    run_write,
)
from desktop_app.storage.journal import (
    DuplicateRequest,
    EntryState,
    Journal,
    JournalEntry,
    OrderAction,
)
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings

__all__ = ["BrokerInfo", "ConnectionInfo", "Hub"]

log = logging.getLogger(__name__)

SNAPSHOT_RETENTION = timedelta(days=365)

T = TypeVar("T")
Listener = Callable[[Event], None]

# How long stop() and a connection's shutdown wait for orders and funding requests
# in flight: a write is never cut off half-way when it can be helped.
WRITE_GRACE = 10.0


def _restart_note(entry: JournalEntry) -> str:
    if entry.state is EntryState.PENDING:
        return "The app stopped before the broker answered."
    return "Still not known after a restart."


@contextlib.contextmanager
def _interactive() -> Iterator[None]:
    """A person is waiting: requests made inside queue ahead of polling."""
    token = context_priority.set(Priority.INTERACTIVE)
    try:
        yield
    finally:
        context_priority.reset(token)


class Hub:
    def __init__(
        self,
        *,
        settings: Settings,
        secrets: SecretStore,
        journal: Journal,
        request_log: RequestLog | None = None,
        service_factory: ServiceFactory | None = None,
        poll_config: PollConfig | None = None,
        connect_backoff: Backoff | None = None,
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.journal = journal
        self.request_log = request_log if request_log is not None else RequestLog()
        self._factory = service_factory or registry_factory
        self._backoff = connect_backoff or Backoff()
        self._connections: dict[str, Connection] = {}
        self._conn_tasks: dict[str, asyncio.Task[None]] = {}
        self._persisted: set[str] = set()
        self._listeners: list[Listener] = []
        self._tasks: set[asyncio.Task[object]] = set()
        self._accounts: dict[str, tuple[Account, ...]] = {}
        self._positions: dict[AccountRef, tuple[Position, ...]] = {}
        self._orders: dict[AccountRef, tuple[WorkingOrder, ...]] = {}
        self._reconciled: set[str] = set()
        self._in_flight_entries: set[tuple[str, int]] = set()
        self._writes: dict[asyncio.Task[Any], str] = {}  # write task -> connection id
        self.recent_orders = RecentOrders()
        self.write_grace = WRITE_GRACE
        self._started = False
        self._stopped = False
        self.poller = Poller(
            self._publish,
            config=poll_config,
            journal=journal,
            on_health=self._on_poll_health,
            on_fatal=self._on_poll_fatal,
        )

    # ------------------------------------------------------------------ events
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def _publish(self, event: Event) -> None:
        if isinstance(event, AccountsUpdated):
            self._accounts[event.connection_id] = event.accounts
        elif isinstance(event, PositionsUpdated):
            self._positions[event.account] = event.positions
        elif isinstance(event, WorkingOrdersUpdated):
            self._orders[event.account] = event.orders
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one broken view must not stop the others or the poller
                log.exception("a session listener failed on %s", type(event).__name__)

    def _journal_event(self, kind: str, entry_id: int) -> None:
        if kind == "order":
            entry = self.journal.order(entry_id)
        else:
            entry = self.journal.funding_entry(entry_id)
        extra: dict[str, str] = {}
        if entry is not None:
            extra = {"state": entry.state.value, "message": entry.message,
                     "client_ref": entry.client_ref, "action": entry.action}
            if entry.result:
                extra["status"] = str(entry.result.get("status", ""))
        self._publish(JournalChanged(kind, entry_id, extra))

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Connect every saved profile (in parallel, in the background) and start polling."""
        if self._started:
            return
        self._started = True
        self._stopped = False
        self.poller.start()
        self._spawn(self._prune_old_snapshots(), name="prune-snapshots")
        for profile in self.settings.profiles:
            self._persisted.add(profile.connection_id)
            conn = self._new_connection(profile, {})
            self._conn_tasks[profile.connection_id] = self._spawn(
                self._start_saved(conn), name=f"connect:{profile.connection_id}"
            )

    async def _prune_old_snapshots(self) -> None:
        # Bulk delete: off the loop. The chart shows recent history; a year is plenty.
        cutoff = utc_now() - SNAPSHOT_RETENTION
        try:
            await asyncio.to_thread(self.journal.prune_snapshots, cutoff)
        except sqlite3.Error as exc:
            log.warning("old balance snapshots could not be pruned: %s", exc)

    async def stop(self) -> None:
        """Let orders and funding requests in flight finish (up to ``write_grace``
        seconds), then cancel and await every task and close every service. Idempotent.

        A write still running after the grace is cancelled: its entry stays pending (with
        the broker's reference when one came) and is reconciled at the next start.
        """
        if self._stopped:
            return
        self._stopped = True
        self._started = False
        await self.poller.stop()
        await self._wait_writes()
        tasks = [*self._writes, *self._conn_tasks.values(), *self._tasks]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._conn_tasks.clear()
        self._tasks.clear()
        self._writes.clear()
        await asyncio.gather(
            *(c.close() for c in self._connections.values()), return_exceptions=True
        )

    def _spawn(self, coro: Awaitable[T], *, name: str) -> asyncio.Task[T]:
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)  # type: ignore[arg-type]
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("session task %s failed", task.get_name(), exc_info=task.exception())

    # ------------------------------------------------------------------ connections
    def _secret_names(self, broker: str) -> set[str] | None:
        """Names of the broker's secret fields; None when the broker is not registered."""
        from desktop_app.brokers.registry import get_spec

        try:
            spec = get_spec(broker)
        except NotSupported:
            return None
        return set(spec.secret_fields)

    def _split(
        self, broker: str, credentials: Credentials
    ) -> tuple[dict[str, str], dict[str, str]]:
        """(non-secret fields for the profile, secrets for the keyring)."""
        names = self._secret_names(broker)
        if names is None:  # unknown field kinds: treat every one as secret
            return {}, dict(credentials)
        public = {k: v for k, v in credentials.items() if k not in names}
        return public, {k: v for k, v in credentials.items() if k in names}

    def _new_connection(self, profile: ConnectionProfile, credentials: Credentials) -> Connection:
        conn = Connection(
            profile, credentials, request_log=self.request_log,
            on_change=self._on_connection_change, factory=self._factory, backoff=self._backoff,
            on_credentials=self._on_credentials_changed,
        )
        # Assigning to an existing key keeps the connection's place in the list.
        self._connections[profile.connection_id] = conn
        return conn

    def _on_credentials_changed(self, conn: Connection, updates: Credentials) -> None:
        """A service rotated a token or moved to a new account id: keep it for next time.

        Secrets go to the keyring, the rest into the profile; the Sandbox (not
        persisted) keeps them in memory only.
        """
        public, secret = self._split(conn.profile.broker, updates)
        if public:
            conn.profile = replace(conn.profile, fields={**conn.profile.fields, **public})
        cid = conn.connection_id
        if cid not in self._persisted:
            return
        if public:
            names = self._secret_names(conn.profile.broker) or set()
            self.settings.upsert_profile(conn.profile, secret_fields=names)
            self._spawn(self.settings.save_async(), name=f"save-profile:{cid}")
        if secret:
            self._spawn(self.secrets.aset_many(cid, secret), name=f"save-secrets:{cid}")

    def _on_connection_change(self, conn: Connection) -> None:
        if self._connections.get(conn.connection_id) is conn:
            self._publish(ConnectionChanged(conn.connection_id, conn.state, conn.message))

    async def _start_saved(self, conn: Connection) -> None:
        profile = conn.profile
        names = self._secret_names(profile.broker)
        if names is None:
            conn.fail(NotSupported(
                f"The connection '{profile.name}' is for the broker '{profile.broker}', "
                "which this version of the app does not know."
            ))
            return
        stored = await self.secrets.aget_many(profile.connection_id, sorted(names))
        from desktop_app.brokers.registry import get_spec

        required = get_spec(profile.broker).required_secrets
        missing = sorted(required - stored.keys())
        if missing:
            note = "" if self.secrets.persistent else " " + self.secrets.warning
            conn.fail(AuthError(
                f"The saved {', '.join(missing)} for '{profile.name}' could not be found.",
                hint="Edit the connection and enter them again." + note,
            ))
            return
        conn.credentials = stored
        await self._connection_main(conn, None)

    async def _connection_main(
        self, conn: Connection, first: asyncio.Future[None] | None
    ) -> None:
        if not await conn.run(first):
            return
        if self._connections.get(conn.connection_id) is not conn or conn.service is None:
            return
        # Live values first; reconciling may take a few seconds per entry (the broker's
        # confirmation is polled) and shares the connection's budget with the poller.
        self.poller.register(conn.connection_id, conn.service)
        await self._reconcile_journal(conn)

    async def _launch(self, profile: ConnectionProfile, credentials: Credentials) -> None:
        """Create and connect; return after the first attempt, raising if it failed for good."""
        conn = self._new_connection(profile, credentials)
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = self._spawn(
            self._connection_main(conn, first), name=f"connect:{profile.connection_id}"
        )
        # A task cancelled before it ran would never answer: cancel the wait with it.
        task.add_done_callback(lambda _t: first.done() or first.cancel())
        self._conn_tasks[profile.connection_id] = task
        await first

    async def _shut(self, connection_id: str, *, forget: bool) -> Connection | None:
        self.poller.unregister(connection_id)
        task = self._conn_tasks.pop(connection_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._wait_writes(connection_id)
        conn = self._connections.get(connection_id)
        if conn is not None:
            # Detach first so that closing does not announce DISCONNECTED for a
            # connection that is being replaced.
            if forget:
                del self._connections[connection_id]
            await conn.close()
        self._accounts.pop(connection_id, None)
        for cache in (self._positions, self._orders):
            for ref in [r for r in cache if r.connection == connection_id]:
                del cache[ref]
        return conn

    async def add_connection(
        self, profile: ConnectionProfile, credentials: Credentials, *, persist: bool = True
    ) -> None:
        """Add (or replace) a connection and try to log in.

        Non-secret fields go into the profile, secrets into the keyring (``persist``) or
        nowhere but memory (the Sandbox). Returns after the first attempt: raises the
        typed error when it failed for good (bad credentials, ...); when the broker is
        unreachable it returns and keeps retrying in the background.
        """
        if self._stopped:
            raise RuntimeError("the session has been stopped")
        cid = profile.connection_id
        public, secret = self._split(profile.broker, credentials)
        profile = replace(profile, fields={**profile.fields, **public})
        if cid in self._connections:
            await self._shut(cid, forget=False)
        if persist:
            names = self._secret_names(profile.broker) or set(credentials)
            profile = self.settings.upsert_profile(profile, secret_fields=names)
            await self.settings.save_async()
            await self.secrets.aset_many(cid, secret)
            self._persisted.add(cid)
        else:
            self._persisted.discard(cid)
        await self._launch(profile, {**public, **secret})

    async def update_connection(
        self, profile: ConnectionProfile, credentials: Credentials | None
    ) -> None:
        """Change a connection; ``credentials`` None (or missing fields) keeps the current."""
        cid = profile.connection_id
        old = self._connections.get(cid)
        current: dict[str, str] = dict(old.credentials) if old else {}
        if not current and cid in self._persisted:
            names = self._secret_names(profile.broker) or set()
            current = await self.secrets.aget_many(cid, sorted(names))
        merged = {**current, **(credentials or {})}
        persist = cid in self._persisted or old is None
        await self.add_connection(profile, merged, persist=persist)

    async def remove_connection(self, connection_id: str) -> None:
        conn = await self._shut(connection_id, forget=True)
        broker = conn.profile.broker if conn else ""
        if self.settings.remove_profile(connection_id):
            await self.settings.save_async()
        if connection_id in self._persisted or conn is None:
            names = (self._secret_names(broker) if broker else None) or set()
            await self.secrets.adelete_all(connection_id, sorted(names))
        self._persisted.discard(connection_id)
        for entry in self.journal.pending_orders(connection_id):
            if ("order", entry.id) not in self._in_flight_entries:
                self.journal.mark_unknown(entry.id, "The connection was removed before this "
                                          "order could be reconciled. Check at the broker.")
        for entry in self.journal.pending_funding(connection_id):
            if ("funding", entry.id) not in self._in_flight_entries:
                self.journal.mark_funding_unknown(entry.id, "The connection was removed. "
                                                  + CHECK_BALANCE)
        self._publish(ConnectionChanged(connection_id, ConnectionState.DISCONNECTED, "Removed."))
        self._publish(AccountsUpdated(connection_id, (), utc_now()))

    async def reconnect(self, connection_id: str) -> None:
        conn = self._connections.get(connection_id)
        if conn is None:
            raise NotFound(f"There is no connection {connection_id!r}.")
        profile, credentials = conn.profile, dict(conn.credentials)
        await self._shut(connection_id, forget=False)
        await self._launch(profile, credentials)

    async def wait_connected(self, connection_id: str) -> ConnectionState:
        """Until the connection is connected or has failed (use with a timeout)."""
        while True:
            conn = self._connections.get(connection_id)
            if conn is None:
                raise NotFound(f"There is no connection {connection_id!r}.")
            state = await conn.wait_settled()
            if self._connections.get(connection_id) is conn:
                return state

    def connection(self, connection_id: str) -> Connection | None:
        """The live Connection object (diagnostics and tests; view-models use connections())."""
        return self._connections.get(connection_id)

    def connections(self) -> list[ConnectionInfo]:
        return [
            ConnectionInfo(c.profile, c.state, c.message, c.capabilities)
            for c in self._connections.values()
        ]

    def brokers(self) -> list[BrokerInfo]:
        from desktop_app.brokers.registry import broker_specs

        return [
            BrokerInfo(s.broker, s.display_name, s.environments, s.credential_fields)
            for s in broker_specs()
        ]

    def capabilities(self, connection_id: str) -> Capabilities | None:
        conn = self._connections.get(connection_id)
        return conn.capabilities if conn else None

    def _usable(self, connection_id: str) -> Connection:
        if self._stopped:
            raise Unavailable("The app is closing; nothing was sent.")
        conn = self._connections.get(connection_id)
        if conn is None:
            raise NotFound(f"There is no connection {connection_id!r}.")
        if not conn.usable or conn.service is None:
            detail = f": {conn.message}" if conn.message else "."
            raise Unavailable(
                f"'{conn.profile.name}' is not connected ({conn.state.value}){detail}",
                hint="Reconnect it from the connections panel.",
            )
        return conn

    def _on_poll_health(self, connection_id: str, message: str) -> None:
        conn = self._connections.get(connection_id)
        if conn is not None and conn.usable:
            state = ConnectionState.DEGRADED if message else ConnectionState.CONNECTED
            conn.set_state(state, message)

    def _on_poll_fatal(self, connection_id: str, exc: BaseException) -> None:
        conn = self._connections.get(connection_id)
        if conn is not None:
            conn.fail(exc)
            # A connection shown failed must not keep its session alive at the broker.
            self._spawn(self._close_failed(conn), name=f"close-failed:{connection_id}")

    async def _close_failed(self, conn: Connection) -> None:
        await self._wait_writes(conn.connection_id)
        await conn.close_service()

    # ------------------------------------------------------------------ cached views
    def accounts(self) -> list[Account]:
        return [a for cid in self._connections for a in self._accounts.get(cid, ())]

    def positions(self, account: AccountRef) -> tuple[Position, ...]:
        return self._positions.get(account, ())

    def working_orders(self, account: AccountRef) -> tuple[WorkingOrder, ...]:
        return self._orders.get(account, ())

    def set_focus(
        self, account: AccountRef | None, topics: set[Topic], quote_symbols: set[str]
    ) -> None:
        """What is on screen: polled first and most often (see session.poller)."""
        self.poller.set_focus(account, topics, sorted(quote_symbols))

    def budget_usage(self) -> dict[str, list[BudgetUsage]]:
        out = {}
        for cid, conn in self._connections.items():
            limiter = conn.service.limiter if conn.service is not None else None
            if limiter is not None:
                out[cid] = limiter.usage()
        return out

    def balance_history(
        self, account: AccountRef, since: datetime | None = None, *, limit: int = 2000
    ) -> list[tuple[datetime, Decimal, Decimal]]:
        """(at, balance, equity), oldest first: the newest ``limit`` snapshots (a few ms)."""
        return [
            (s.at, s.balance, s.equity) for s in self.journal.snapshots(account, since, limit)
        ]

    async def balance_history_async(
        self, account: AccountRef, since: datetime | None = None, *, limit: int = 20_000
    ) -> list[tuple[datetime, Decimal, Decimal]]:
        """The same, read in a worker thread: for long ranges, off the loop."""
        return await asyncio.to_thread(self.balance_history, account, since, limit=limit)

    def order_journal(self, limit: int = 200) -> list[JournalEntry]:
        return self.journal.orders(limit)

    def funding_journal(self, limit: int = 200) -> list[JournalEntry]:
        return self.journal.funding(limit)

    # ------------------------------------------------------------------ orders
    def _check_live(self, conn: Connection, what: str) -> None:
        if conn.profile.is_live and not conn.profile.live_opt_in:
            raise PermissionDenied(
                f"{what} on the live connection '{conn.profile.name}' is switched off.",
                hint="To use real money, edit the connection and tick 'Allow live trading'.",
            )

    def _validate_order(self, conn: Connection, request: OrderRequest) -> None:
        if request.size <= 0:
            raise ValidationError("The size must be above zero.", field="size")
        if not request.symbol.strip():
            raise ValidationError("Choose an instrument first.", field="symbol")
        caps = conn.capabilities
        if caps is not None and request.order_type not in caps.order_types:
            raise NotSupported(caps.why_not(request.order_type.value))
        if request.order_type is not OrderType.MARKET and (
            request.level is None or request.level <= 0
        ):
            raise ValidationError(
                f"A {request.order_type.value.lower()} order needs a level above zero.",
                field="level",
            )
        self._check_live(conn, "Trading")

    def _refused_entry(self, entry_id: int) -> bool:
        entry = self.journal.order(entry_id)
        result = entry.order_result() if entry is not None else None
        return result is not None and result.status is OrderStatus.REJECTED

    def is_live(self, account: AccountRef) -> bool:
        """Whether a write on this account moves real money: the broker's own word about
        the account (its listed environment) where known, else the profile's label; live
        when either says so."""
        conn = self._connections.get(account.connection)
        if conn is not None and conn.profile.is_live:
            return True
        return any(
            a.ref == account and a.environment is Environment.LIVE
            for a in self._accounts.get(account.connection, ())
        )

    def _refresh_after_trade(self, account: AccountRef) -> None:
        self.poller.note_active_account(account)
        self.poller.refresh(account.connection, account, (Topic.BALANCES, *ACCOUNT_TOPICS))

    async def place_order(
        self, request: OrderRequest, *, allow_duplicate: bool = False
    ) -> OrderResult:
        """Journal, send once, complete. A lost reply is reconciled, never resent.

        An identical order for the same account sent moments ago raises
        ``DuplicateOrder`` (nothing sent) unless ``allow_duplicate`` (the trader
        confirmed that a second one is meant)."""
        conn = self._usable(request.account.connection)
        self._validate_order(conn, request)
        service = conn.service
        assert service is not None
        if not allow_duplicate:
            self.recent_orders.check(request, self._refused_entry)
        try:
            entry_id = self.journal.begin_order(request)  # committed before anything is sent
        except DuplicateRequest as exc:
            raise ValidationError(
                "This order was already sent once (same reference); it is not sent again."
            ) from exc
        self.recent_orders.note(request, entry_id)

        async def reconcile(ref: str) -> OrderResult | None:
            entry = self.journal.order(entry_id)
            assert entry is not None
            return await self._reconcile_placement(service, entry, ref)

        return await self._journalled(
            JournalledWrite(
                OrderLedger(self.journal), entry_id,
                lambda on_ref: service.place_order(request, on_reference=on_ref),
                reconcile, references=True, broker=service.broker,
            ),
            request.account, lambda: self._refresh_after_trade(request.account),
        )

    async def close_position(self, account: AccountRef, position_id: str) -> OrderResult:
        conn = self._usable(account.connection)
        self._check_live(conn, "Closing positions")
        service = conn.service
        assert service is not None
        return await self._target_action(
            service, account, OrderAction.CLOSE, position_id,
            lambda: service.close_position(account, position_id),
        )

    async def cancel_order(self, account: AccountRef, order_id: str) -> OrderResult:
        conn = self._usable(account.connection)
        self._check_live(conn, "Cancelling orders")
        service = conn.service
        assert service is not None
        return await self._target_action(
            service, account, OrderAction.CANCEL, order_id,
            lambda: service.cancel_order(account, order_id),
        )

    async def modify_order(self, amendment: OrderAmendment) -> OrderResult:
        account = amendment.account
        conn = self._usable(account.connection)
        self._check_live(conn, "Changing orders")
        caps = conn.capabilities
        if caps is None or not caps.modify_orders:
            raise NotSupported(caps.why_not("modify_orders") if caps else "Not connected.")
        for name in ("level", "size", "stop_price"):
            value = getattr(amendment, name)
            if value is not None and value <= 0:
                raise ValidationError(f"The new {name.replace('_', ' ')} must be above zero.",
                                      field=name)
        service = conn.service
        assert service is not None
        details = {
            name: str(value)
            for name in ("level", "size", "stop_price", "stop_level", "profit_level")
            if (value := getattr(amendment, name)) is not None
        }
        return await self._target_action(
            service, account, OrderAction.MODIFY, amendment.order_id,
            lambda: service.modify_order(amendment), details=details,
        )

    async def close_all_positions(self, account: AccountRef) -> OrderResult:
        conn = self._usable(account.connection)
        self._check_live(conn, "Closing positions")
        caps = conn.capabilities
        if caps is None or not caps.close_all:
            raise NotSupported(caps.why_not("close_all") if caps else "Not connected.")
        service = conn.service
        assert service is not None
        return await self._target_action(
            service, account, OrderAction.CLOSE_ALL, "",
            lambda: service.close_all_positions(account),
        )

    async def _target_action(
        self,
        service: BrokerService,
        account: AccountRef,
        action: OrderAction,
        target_id: str,
        send: Callable[[], Awaitable[OrderResult]],
        *,
        details: dict[str, str] | None = None,
    ) -> OrderResult:
        entry_id = self.journal.begin_order_action(
            account, action, target_id, new_client_ref(), details
        )

        async def reconcile(_ref: str) -> OrderResult | None:
            if action in (OrderAction.MODIFY, OrderAction.CLOSE_ALL):
                return None
            return await self._target_outcome(service, account, action, target_id)

        return await self._journalled(
            JournalledWrite(
                OrderLedger(self.journal), entry_id, lambda _on_ref: send(), reconcile,
                references=False, broker=service.broker,
            ),
            account, lambda: self._refresh_after_trade(account),
        )

    async def _journalled(
        self, write: JournalledWrite[R], account: AccountRef, refresh: Callable[[], None]
    ) -> R:
        """Run a journalled write (begun by the caller) to its end, whatever the caller does.

        The write runs in a task of its own, shielded: when the caller is cancelled (the
        ticket closes, the app quits) the request and its journal completion go on, and
        ``stop()`` waits for them for a while.
        """
        kind, entry_id = write.ledger.kind, write.entry_id
        self._journal_event(kind, entry_id)
        key = (kind, entry_id)
        self._in_flight_entries.add(key)

        async def flow() -> R:
            try:
                with _interactive():
                    return await run_write(write, lambda: self._journal_event(kind, entry_id))
            finally:
                self._in_flight_entries.discard(key)
                if not self._stopped:
                    refresh()

        task = asyncio.ensure_future(flow())
        task.set_name(f"write:{kind}:{entry_id}")
        self._writes[task] = account.connection
        task.add_done_callback(self._write_done)
        return await asyncio.shield(task)

    def _write_done(self, task: asyncio.Task[Any]) -> None:
        self._writes.pop(task, None)
        if not task.cancelled():
            task.exception()  # retrieved here too: the caller may have gone away

    async def _wait_writes(self, connection_id: str | None = None) -> None:
        """Let writes in flight (on one connection, or all) finish, for a while."""
        tasks = [t for t, cid in self._writes.items() if connection_id in (None, cid)]
        if tasks:
            _done, late = await asyncio.wait(tasks, timeout=self.write_grace)
            if late:
                log.warning("%d order/funding request(s) still in flight; they are "
                            "reconciled at the next start", len(late))

    async def _reconcile_placement(
        self, service: BrokerService, entry: JournalEntry, ref: str
    ) -> OrderResult:
        """Ask the broker for the outcome of a journalled placement."""
        # A deal another journal entry already holds is that entry's: never counted.
        claimed = frozenset(self.journal.claimed_deal_ids(entry))
        return await service.reconcile_order(
            entry.order_request(), ref, since=entry.created, exclude=claimed
        )

    @staticmethod
    async def _target_outcome(
        service: BrokerService, account: AccountRef, action: OrderAction, target_id: str
    ) -> OrderResult | None:
        """Closed / cancelled when the broker no longer lists the target; None: not known."""
        if action is OrderAction.CLOSE:
            ids = {p.position_id for p in await service.positions(account)}
            what = "position is closed"
        else:
            ids = {o.order_id for o in await service.working_orders(account)}
            what = "order is cancelled"
        if target_id in ids:
            return None
        return OrderResult(
            OrderStatus.ACCEPTED, deal_ids=(target_id,),
            reason=f"The broker's list shows the {what}.",
        )

    def _cash_balance(self, account: AccountRef) -> Decimal | None:
        for acc in self._accounts.get(account.connection, ()):
            if acc.ref == account and acc.balance is not None:
                return acc.balance.balance
        return None

    # ------------------------------------------------------------------ funding
    def funding_rules(self, account: AccountRef, kind: FundingKind) -> FundingRules | None:
        """The broker's rules, with ``next_allowed_at`` from the journal when they have a
        cooldown: the last request that may have taken effect starts it."""
        conn = self._connections.get(account.connection)
        if conn is None or conn.service is None:
            return None
        rules = conn.service.funding_rules(account, kind)
        if rules is None or rules.cooldown is None:
            return rules
        last = self.journal.last_funding_at(account, kind.value)
        if last is None:
            return rules
        next_at = last + rules.cooldown
        return replace(rules, next_allowed_at=next_at if next_at > utc_now() else None)

    def _validate_funding(
        self, conn: Connection, request: FundingRequest, rules: FundingRules | None
    ) -> None:
        caps = conn.capabilities
        if rules is None:
            reason = caps.why_not(request.kind.value) if caps else ""
            raise NotSupported(reason or f"{request.kind.value} is not offered here.")
        if rules.demo_only and conn.profile.is_live:
            raise PermissionDenied(
                f"{request.kind.value} works on demo accounts only.",
                hint=rules.notes or "",
            )
        self._check_live(conn, "Moving money")
        amount = request.amount
        if amount == 0 or (amount < 0 and not rules.allow_negative):
            raise ValidationError("The amount must be above zero.", field="amount")
        size = abs(amount)
        if size < rules.min_amount or size > rules.max_amount:
            raise ValidationError(
                f"The amount must be between {format_money(rules.min_amount, rules.currency)} "
                f"and {format_money(rules.max_amount, rules.currency)}.",
                field="amount",
            )
        if rules.next_allowed_at is not None and rules.next_allowed_at > utc_now():
            wait = rules.next_allowed_at - utc_now()
            minutes = max(1, int(wait.total_seconds() + 59) // 60)
            raise ValidationError(
                f"One change per account every {format_duration(rules.cooldown)}: the next "
                f"is allowed at {rules.next_allowed_at:%H:%M} UTC (in {minutes} min).",
                field="amount",
            )
        if rules.max_resulting_balance is not None:
            balance = self._cash_balance(request.account)
            if balance is not None:
                resulting = balance + amount
                if resulting > rules.max_resulting_balance:
                    raise ValidationError(
                        f"The balance would be {format_money(resulting, rules.currency)}; "
                        "it may be at most "
                        f"{format_money(rules.max_resulting_balance, rules.currency)}.",
                        field="amount",
                    )
                if resulting < 0:
                    raise ValidationError(
                        f"The balance would be {format_money(resulting, rules.currency)}, "
                        "below zero.", field="amount",
                    )
        if rules.comment_max_len and len(request.comment) > rules.comment_max_len:
            raise ValidationError(
                f"The comment can be at most {rules.comment_max_len} characters.",
                field="comment",
            )

    async def fund(self, request: FundingRequest) -> FundingResult:
        conn = self._usable(request.account.connection)
        service = conn.service
        assert service is not None
        self._validate_funding(conn, request, self.funding_rules(request.account, request.kind))
        try:
            entry_id = self.journal.begin_funding(request)
        except DuplicateRequest as exc:
            raise ValidationError(
                "This request was already sent once (same reference); it is not sent again."
            ) from exc
        def send(on_ref: Callable[[str], None]) -> Awaitable[FundingResult]:
            return service.fund(request, on_reference=on_ref)

        # No way to look a top-up up afterwards: the trader checks the balance.
        return await self._journalled(
            JournalledWrite(
                FundingLedger(self.journal), entry_id, send, None, references=False,
                broker=service.broker,
            ),
            request.account,
            lambda: self.poller.refresh(request.account.connection, None, (Topic.BALANCES,)),
        )

    # ------------------------------------------------------------------ reconciliation
    async def _reconcile_journal(self, conn: Connection) -> None:
        """Settle what a previous run left pending or unknown on this connection (once
        per run): the broker is asked, nothing is resent."""
        cid = conn.connection_id
        service = conn.service
        if cid in self._reconciled or service is None:
            return
        self._reconciled.add(cid)
        for entry in self.journal.unresolved_orders(cid):
            if ("order", entry.id) in self._in_flight_entries:
                continue
            try:
                with _interactive():
                    await self._reconcile_order_entry(service, entry)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not isinstance(exc, BrokerError):
                    log.exception("reconciling journal entry %s failed", entry.id)
                self.journal.mark_unknown(
                    entry.id, f"{_restart_note(entry)} {error_text(exc)}",
                    entry.order_result(),
                )
            self._journal_event("order", entry.id)
        for entry in self.journal.pending_funding(cid):
            if ("funding", entry.id) in self._in_flight_entries:
                continue
            req = entry.funding_request()
            self.journal.mark_funding_unknown(
                entry.id,
                f"The app stopped before the broker answered this {req.kind.value} of "
                f"{format_money(req.amount, req.currency)}. {CHECK_BALANCE}",
            )
            self._journal_event("funding", entry.id)

    async def _reconcile_order_entry(self, service: BrokerService, entry: JournalEntry) -> None:
        if entry.action == OrderAction.PLACE:
            result = await self._reconcile_placement(service, entry, entry.broker_ref)
        elif entry.action in (OrderAction.MODIFY, OrderAction.CLOSE_ALL):
            # No broker record tells whether an amendment or a close-all took effect.
            result = OrderResult(
                OrderStatus.UNKNOWN,
                reason="Whether it took effect cannot be looked up; the current orders "
                "and positions show it.",
            )
        else:
            action = OrderAction(entry.action)
            target = str(entry.request.get("target_id", ""))
            found = await self._target_outcome(service, entry.account, action, target)
            still = "position is still open" if action is OrderAction.CLOSE else (
                "order is still working")
            result = found or OrderResult(
                OrderStatus.UNKNOWN, deal_ids=(target,),
                reason=f"The {still}; the request has not taken effect so far.",
            )
        if result.status is OrderStatus.UNKNOWN:
            self.journal.mark_unknown(
                entry.id, f"{_restart_note(entry)} {result.reason} {CHECK_POSITIONS}".strip(),
                result,
            )
        else:
            self.journal.reconcile_order(
                entry.id, result,
                message=f"Reconciled after a restart. {result.reason}".strip(),
            )

    # ------------------------------------------------------------------ interactive reads
    async def _call(
        self, connection_id: str, call: Callable[[BrokerService], Awaitable[T]]
    ) -> T:
        conn = self._usable(connection_id)
        assert conn.service is not None  # _usable checked it
        with _interactive():
            return await call(conn.service)

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        return await self._call(account.connection, lambda s: s.quote(account, symbol))

    async def search_instruments(self, account: AccountRef, text: str) -> list[Instrument]:
        return await self._call(
            account.connection, lambda s: s.search_instruments(account, text)
        )

    async def market_navigation(
        self, account: AccountRef, node_id: str | None
    ) -> tuple[list[MarketNode], list[Instrument]]:
        return await self._call(
            account.connection, lambda s: s.market_navigation(account, node_id)
        )

    async def watchlists(self, account: AccountRef) -> list[Watchlist]:
        return await self._call(account.connection, lambda s: s.watchlists(account))

    async def watchlist_instruments(
        self, account: AccountRef, watchlist_id: str
    ) -> list[Instrument]:
        return await self._call(
            account.connection, lambda s: s.watchlist_instruments(account, watchlist_id)
        )

    async def instrument_details(self, account: AccountRef, symbol: str) -> Instrument:
        return await self._call(
            account.connection, lambda s: s.instrument_details(account, symbol)
        )

    async def quote_history(
        self, account: AccountRef, symbol: str, since: datetime
    ) -> list[PricePoint]:
        return await self._call(
            account.connection, lambda s: s.quote_history(account, symbol, since)
        )

    async def history(self, account: AccountRef, since: datetime) -> list[HistoryEntry]:
        return await self._call(account.connection, lambda s: s.history(account, since))

    async def screen_instruments(
        self, account: AccountRef, screen: InstrumentScreen, text: str = ""
    ) -> list[Instrument]:
        return await self._call(
            account.connection, lambda s: s.screen_instruments(account, screen, text)
        )

    async def switch_account(self, account: AccountRef) -> None:
        await self._call(account.connection, lambda s: s.switch_account(account))
        self.poller.note_active_account(account)
        self.poller.refresh(account.connection, account, (Topic.BALANCES, *ACCOUNT_TOPICS))

    async def preferences(self, account: AccountRef) -> AccountPreferences:
        return await self._call(account.connection, lambda s: s.preferences(account))

    async def set_preferences(
        self, account: AccountRef, prefs: AccountPreferences
    ) -> AccountPreferences:
        conn = self._usable(account.connection)
        self._check_live(conn, "Changing account preferences")
        return await self._call(account.connection, lambda s: s.set_preferences(account, prefs))
