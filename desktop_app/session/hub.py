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
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

from desktop_app.domain.errors import NotSupported
from desktop_app.domain.limits import BudgetUsage
from desktop_app.domain.money import utc_now
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import (
    Account,
    AccountPreferences,
    AccountRef,
    HistoryEntry,
    Instrument,
    InstrumentScreen,
    MarketNode,
    Position,
    PricePoint,
    Quote,
    Watchlist,
    WorkingOrder,
)
from desktop_app.session.connection import Connection
from desktop_app.session.events import Topic
from desktop_app.session.hub_accounts import HubAccounts
from desktop_app.session.hub_connections import HubConnections
from desktop_app.session.hub_core import SNAPSHOT_RETENTION, WRITE_GRACE, T, interactive, log
from desktop_app.session.hub_funding import HubFunding
from desktop_app.session.hub_recovery import HubRecovery
from desktop_app.session.hub_webhooks import HubWebhooks
from desktop_app.session.info import BrokerInfo, ConnectionInfo
from desktop_app.session.poll_config import ACCOUNT_TOPICS
from desktop_app.session.streams import PriceFeed, PriceMode
from desktop_app.storage.journal import JournalEntry

__all__ = ["WRITE_GRACE", "BrokerInfo", "ConnectionInfo", "Hub"]


class Hub(HubConnections, HubRecovery, HubFunding, HubAccounts, HubWebhooks):
    """The one object the view-models talk to (see the module docstring)."""

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
        await self.streams.stop()
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
        # What the brokers said is on disk before the journal closes (or said, if not).
        if not await self.writer.flush(within=self.write_grace):
            log.warning("the journal could not take %d outcome(s) before closing",
                        self.writer.pending)
        self.writer.close()

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
        self.streams.register(conn.connection_id, conn.service)
        await self._reconcile_journal(conn)
        self.follow_funding(conn.connection_id)

    # ------------------------------------------------------------------ cached views
    def accounts(self) -> list[Account]:
        return [a for cid in self._connections for a in self._accounts.get(cid, ())]

    def account(self, ref: AccountRef | None) -> Account | None:
        """One listed account of a connection the hub has, by its reference."""
        if ref is None or ref.connection not in self._connections:
            return None
        return self._account(ref)

    def positions(self, account: AccountRef) -> tuple[Position, ...]:
        return self._positions.get(account, ())

    def working_orders(self, account: AccountRef) -> tuple[WorkingOrder, ...]:
        return self._orders.get(account, ())

    def set_focus(
        self, account: AccountRef | None, topics: set[Topic], quote_symbols: set[str],
        watched: set[str] | None = None,
    ) -> None:
        """What is on screen: streamed where the broker streams (``watched``: symbols
        shown with a price but not polled, the products view), else polled first and
        most often (see session.streams and session.poller)."""
        self.streams.set_focus(account, topics, sorted(quote_symbols), sorted(watched or ()))

    def price_feed(self, connection_id: str) -> PriceFeed:
        """How the connection's prices come now: streaming, polling, reconnecting..."""
        feed = self.streams.feed(connection_id)
        if feed is not None:
            return feed
        caps = self.capabilities(connection_id)
        if caps is not None and caps.quotes:
            return PriceFeed(PriceMode.POLLING, "Prices are read over REST while on screen.")
        return PriceFeed(PriceMode.NONE, caps.why_not("quotes") if caps is not None else "")

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

    # ------------------------------------------------------------------ interactive reads
    async def _call(
        self, connection_id: str, call: Callable[[BrokerService], Awaitable[T]]
    ) -> T:
        conn = self._usable(connection_id)
        assert conn.service is not None  # _usable checked it
        with interactive():
            return await call(conn.service)

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        """A quote now: the broker's REST quote (with its market status), or where the
        broker has none (Tradovate), the stream's first price for the symbol."""
        try:
            quote = await self._call(account.connection, lambda s: s.quote(account, symbol))
        except NotSupported:
            streamed = await self.streams.streamed_quote(account, symbol)
            if streamed is None:
                raise
            return streamed
        self.streams.note_quote(account, quote)
        return quote

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
