"""The hub's shared core: its state, events, tasks, and the journalled write runner that
orders, funding and account lifecycle requests all go through (see ``session.hub``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from desktop_app.domain.errors import NotFound, OutcomeUnknown, PermissionDenied, Unavailable
from desktop_app.domain.types import (
    Account,
    AccountRef,
    Environment,
    OrderStatus,
    Position,
    WorkingOrder,
)
from desktop_app.net.limiter import Priority, context_priority
from desktop_app.net.request_log import RequestLog
from desktop_app.session.connection import Backoff, Connection, ServiceFactory, registry_factory
from desktop_app.session.duplicates import RecentOrders
from desktop_app.session.events import (
    AccountsUpdated,
    Event,
    JournalChanged,
    JournalTrouble,
    PositionsUpdated,
    Topic,
    WorkingOrdersUpdated,
)
from desktop_app.session.journal_writer import JournalWriter
from desktop_app.session.poll_config import ACCOUNT_TOPICS, PollConfig
from desktop_app.session.poller import Poller
from desktop_app.session.streams import Streams
from desktop_app.session.writes import JournalledWrite, R, run_write
from desktop_app.storage.journal import Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings

log = logging.getLogger(__name__)
# A listing this long is indexed as it arrives, not when first asked (an operator's desk).
INDEX_AHEAD_FROM = 200

SNAPSHOT_RETENTION = timedelta(days=365)

T = TypeVar("T")
Listener = Callable[[Event], None]

# How long stop() and a connection's shutdown wait for orders and funding requests
# in flight: a write is never cut off half-way when it can be helped.
WRITE_GRACE = 10.0
# How long a write's answer waits for its journal entry to be written (normally ms).
JOURNAL_WAIT = 1.0


@contextlib.contextmanager
def interactive() -> Iterator[None]:
    """A person is waiting: requests made inside queue ahead of polling."""
    token = context_priority.set(Priority.INTERACTIVE)
    try:
        yield
    finally:
        context_priority.reset(token)


class HubCore:
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
        # Every journal write goes through here: off the loop, in order, kept when the
        # journal cannot take it (see session.journal_writer).
        self.writer = JournalWriter(journal)
        self.writer.on_trouble = self._journal_trouble
        self.request_log = request_log if request_log is not None else RequestLog()
        self._factory = service_factory or registry_factory
        self._backoff = connect_backoff or Backoff()
        self._connections: dict[str, Connection] = {}
        self._conn_tasks: dict[str, asyncio.Task[None]] = {}
        self._persisted: set[str] = set()
        self._listeners: list[Listener] = []
        self._tasks: set[asyncio.Task[object]] = set()
        self._accounts: dict[str, tuple[Account, ...]] = {}
        # Per connection: the listing the live set was taken from, and its live accounts.
        # Per listing, by the broker's account id: the live ones, and every account.
        self._live_refs: dict[str, tuple[tuple[Account, ...], frozenset[str]]] = {}
        self._by_ref: dict[str, tuple[tuple[Account, ...], dict[str, Account]]] = {}
        self._positions: dict[AccountRef, tuple[Position, ...]] = {}
        self._orders: dict[AccountRef, tuple[WorkingOrder, ...]] = {}
        self._reconciled: set[str] = set()
        self._in_flight_entries: set[tuple[str, int]] = set()
        self._writes: dict[asyncio.Task[Any], str] = {}  # write task -> connection id
        # Funding followed until it settles (session.hub_followup): a task and its
        # wake-up per connection; per journal entry (when to look next, looks so far).
        self._follow_tasks: dict[str, asyncio.Task[None]] = {}
        self._follow_wake: dict[str, asyncio.Event] = {}
        self._follow_tracks: dict[int, tuple[float, int]] = {}
        self.recent_orders = RecentOrders()
        self.write_grace = WRITE_GRACE
        self._started = False
        self._stopped = False
        self.poller = Poller(
            self._publish,
            config=poll_config,
            journal=journal,
            writer=self.writer,
            on_health=self._on_poll_health,
            on_fatal=self._on_poll_fatal,
        )
        # Streamed prices for what is on screen; the poller polls what they do not cover.
        self.streams = Streams(self._publish, self.poller)

    # ------------------------------------------------------------------ events
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def _publish(self, event: Event) -> None:
        self.streams.on_event(event)
        if isinstance(event, AccountsUpdated):
            if self._environment_disagrees(event.connection_id, event.accounts):
                return  # refused: the connection failed with the reason, nothing listed
            self._accounts[event.connection_id] = event.accounts
            if len(event.accounts) >= INDEX_AHEAD_FROM:
                self._index_soon(event.connection_id)
        elif isinstance(event, PositionsUpdated):
            self._positions[event.account] = event.positions
        elif isinstance(event, WorkingOrdersUpdated):
            self._orders[event.account] = event.orders
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # one broken view must not stop the others or the poller
                log.exception("a session listener failed on %s", type(event).__name__)

    def _environment_disagrees(self, connection_id: str, accounts: tuple[Account, ...]) -> bool:
        raise NotImplementedError  # HubConnections

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

    def _journal_trouble(self, message: str) -> None:
        self._publish(JournalTrouble(message, self.writer.pending))

    def _spawn(self, coro: Awaitable[T], *, name: str) -> asyncio.Task[T]:
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("session task %s failed", task.get_name(), exc_info=task.exception())

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

    def _check_live(self, conn: Connection, what: str) -> None:
        if conn.profile.is_live and not conn.profile.live_opt_in:
            raise PermissionDenied(
                f"{what} on the live connection '{conn.profile.name}' is switched off.",
                hint="To use real money, edit the connection and tick 'Allow live trading'.",
            )

    def _refresh_after_trade(self, account: AccountRef) -> None:
        self.poller.note_active_account(account)
        self.poller.refresh(account.connection, account, (Topic.BALANCES, *ACCOUNT_TOPICS))

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
            unknown = False
            try:
                with interactive():
                    result = await run_write(write, lambda: self._journal_event(kind, entry_id))
                unknown = result.status in (OrderStatus.UNKNOWN, OrderStatus.PENDING)
                return result
            except OutcomeUnknown:
                unknown = True
                raise
            finally:
                # The outcome's journal write normally takes a few ms: wait for it, so a
                # caller who lists the journal sees it; a journal that cannot take it does
                # not hold the answer back (kept in memory and written later).
                await self.writer.flush(within=JOURNAL_WAIT)
                self._in_flight_entries.discard(key)
                if not self._stopped:
                    refresh()
                    # Still looking: asked again a few times, never resent (funding
                    # is followed by session.hub_followup, from the funding call).
                    if unknown and kind == "order":
                        self._follow_up(kind, entry_id)

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

    def _account(self, ref: AccountRef) -> Account | None:
        """The account as last listed by its broker (None before the first listing).

        Every panel asks when an account is selected: at a desk of thousands a scan
        per question made a click on an account take 20-55 ms, so each listing is
        indexed once."""
        found = self._listing_index(ref.connection).get(ref.account_id)
        return found if found is not None and found.ref == ref else None

    def _listing_index(self, connection: str) -> dict[str, Account]:
        listed = self._accounts.get(connection, ())
        cached = self._by_ref.get(connection)
        if cached is None or cached[0] is not listed:
            # By the broker's id (a string hashes in C; an AccountRef's hash is Python
            # code: 3 ms at 5,000 accounts).
            cached = (listed, {a.ref.account_id: a for a in listed})
            self._by_ref[connection] = cached
        return cached[1]

    def _live_ids(self, connection: str) -> frozenset[str]:
        """The ids of the listing's accounts the broker lists as live."""
        listed = self._accounts.get(connection, ())
        cached = self._live_refs.get(connection)
        if cached is None or cached[0] is not listed:
            cached = (listed, frozenset(
                a.ref.account_id for a in listed if a.environment is Environment.LIVE))
            self._live_refs[connection] = cached
        return cached[1]

    def _index_soon(self, connection: str) -> None:
        """A long listing's indexes, each in a loop turn of its own right after it
        arrives: built when first asked, they took 3-4 ms of the frame that selects the
        desk's first account."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a test driving the hub by hand): built when first asked
        loop.call_soon(self._listing_index, connection)
        loop.call_soon(self._live_ids, connection)

    def _cash_balance(self, account: AccountRef) -> Decimal | None:
        listed = self._account(account)
        if listed is None or listed.balance is None:
            return None
        return listed.balance.balance


    async def _connection_main(
        self, conn: Connection, first: asyncio.Future[None] | None
    ) -> None:
        raise NotImplementedError  # the Hub: connect, register for polling, reconcile

    def _follow_up(self, kind: str, entry_id: int) -> None:
        raise NotImplementedError  # HubRecovery: look an unknown outcome up again later

    def _on_poll_health(self, connection_id: str, message: str) -> None:
        raise NotImplementedError

    def _on_poll_fatal(self, connection_id: str, exc: BaseException) -> None:
        raise NotImplementedError
