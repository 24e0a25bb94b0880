"""Keeps balances, positions, working orders and ticket quotes fresh within each budget.

What is refreshed, how often (``PollConfig``; the target intervals):

- balances: one ``accounts()`` call covers every account of a connection. Every 2 s for
  the focused account's connection while balances are on screen, else every 10 s.
- positions / working orders: every 1 s for the focused account while its panel is on
  screen; every 15 s otherwise ("background").
- quotes: every 0.5 s for each symbol the ticket shows (``quote_symbols``), focused
  connection only; never in the background.

Accounts that need a session switch (brokers with ``account_switching``, e.g.
Capital.com, where positions and orders can only be read on the session's active
account): the non-active accounts' positions and working orders are polled only while
the account is focused, never in the background, because each poll would switch the
session away from the account the trader is looking at and back. Their balances still
come with every ``accounts()`` call.

A broker whose every account costs requests of its own and that publishes no limits
(``poll_all_accounts=False``, LWork) has positions and working orders polled for the
focused account only, never in the background.

Budget, per connection, on its default (per-second) limiter budget:

- the poller starts at most ``budget_share`` (65 %) of the budget's limit per window
  (a service may say otherwise with ``poll_budget_share``: Tradovate's clicks skip its
  default budget, so its poller takes 90 %),
  spread evenly over the window (one start per ``period / share-of-limit``), and only
  while more than the other 35 % is free, so clicks (orders, searches, the ticket's
  first quote) never queue behind polling;
- due jobs start in order: what is on screen (``VISIBLE``) before the rest
  (``BACKGROUND``), then the most overdue relative to its interval. The background
  gets what the visible jobs' rates leave, but at least one start per window. When
  the visible jobs want more than the share, every visible interval stretches by the
  same factor;
- requests made by a job queue in the limiter at the job's priority
  (``net.limiter.context_priority``); the limiter enforces the hard cap, so polling can
  never provoke a 429;
- ``refresh()`` (after an order, a close, a top-up) is part of a click: it runs at once,
  at INTERACTIVE priority, outside the share.

An operator's desk (a connection listing more than ``desk_accounts`` accounts, e.g.
Upvest's thousands): only the focused account's positions and working orders are
polled (others' come when the broker says they changed, or when focused), and of each
listing only the focused account's balance is published on its own and snapshotted to
the journal; the listing itself (``AccountsUpdated``) carries every balance.

Errors back off exponentially per (connection, topic) (1 s, 2 s, 4 s … 60 s);
``AuthError`` (and ``PermissionDenied`` on the account list) stop polling that
connection (``on_fatal``); ``PermissionDenied`` on one account backs off like any other
error, ``AccountMoved`` (a demo reset gave the account a new id) re-reads the accounts, and
``NotSupported`` drops the topic for it. Every published value carries its as-of time;
balances also go to the journal as (throttled) snapshots.
"""

from __future__ import annotations

import asyncio
import logging
import math
import operator
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from desktop_app.domain.errors import (
    AccountMoved,
    AuthError,
    BrokerError,
    NotSupported,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    Unavailable,
)
from desktop_app.domain.money import utc_now
from desktop_app.domain.service import BrokerService
from desktop_app.domain.types import Account, AccountRef
from desktop_app.net.limiter import Priority, context_priority
from desktop_app.session.connection import error_text
from desktop_app.session.events import (
    AccountsUpdated,
    BalanceUpdated,
    Event,
    PollFailed,
    PositionsUpdated,
    QuoteUpdated,
    Topic,
    WorkingOrdersUpdated,
)
from desktop_app.session.journal_writer import JournalWriter
from desktop_app.session.poll_config import ACCOUNT_TOPICS, AFTER_CLICK_ORDER, Focus, PollConfig
from desktop_app.storage.journal import Journal

log = logging.getLogger(__name__)

JobKey = tuple[str, Topic, str, str]  # connection, topic, account id, symbol

@dataclass
class _Job:
    conn: str
    topic: Topic
    account: AccountRef | None
    symbol: str = ""
    last_start: float = -math.inf
    forced: bool = False
    in_flight: bool = False
    runs: int = 0


@dataclass(frozen=True, slots=True)
class _Slots:
    visible: bool  # may a visible job start now?
    background: bool  # may a background job start now?
    retry_at: float  # when to look again otherwise


@dataclass
class _Conn:
    service: BrokerService
    accounts: tuple[Account, ...] = ()
    active_account: str | None = None
    stamps: deque[float] = field(default_factory=deque)  # our own request starts
    bg_stamps: deque[float] = field(default_factory=deque)  # ... of background jobs
    in_flight: int = 0
    failing: dict[Topic, str] = field(default_factory=dict)
    unsupported: set[Topic] = field(default_factory=set)
    health: str = ""


def _degrading(exc: BaseException) -> bool:
    """Errors that make the whole connection's values go stale (not a bad symbol)."""
    return isinstance(exc, Unavailable | RateLimited | ProtocolError) or not isinstance(
        exc, BrokerError
    )


MIN_WAIT = 1e-4  # seconds


def _loop_time() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:  # not on the loop (a test reading the schedule): the same clock
        return time.monotonic()


class Poller:
    def __init__(
        self,
        publish: Callable[[Event], None],
        *,
        config: PollConfig | None = None,
        journal: Journal | None = None,
        on_health: Callable[[str, str], None] | None = None,
        on_fatal: Callable[[str, BaseException], None] | None = None,
        clock: Callable[[], float] | None = None,
        writer: JournalWriter | None = None,
    ) -> None:
        """``clock``: seconds, default the running loop's own time (the loop's timers and
        the schedule then agree, also on a loop whose time is virtual in tests)."""
        self.config = config or PollConfig()
        self._publish = publish
        self._journal = journal
        self._writer = writer
        self._on_health = on_health
        self._on_fatal = on_fatal
        self._clock = clock or _loop_time
        self._conns: dict[str, _Conn] = {}
        self._jobs: dict[JobKey, _Job] = {}
        self._failures: dict[tuple[str, Topic], int] = {}
        self._retry_at: dict[tuple[str, Topic], float] = {}
        self._focus = Focus()
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # (monotonic time, job key, priority) of every start, for diagnostics and tests.
        self.started: deque[tuple[float, JobKey, Priority]] = deque(maxlen=20_000)

    # -- control ------------------------------------------------------------------
    def start(self) -> None:
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(
                self._run(), name="session-poller"
            )

    async def stop(self) -> None:
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        self._runner = None
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def register(self, connection_id: str, service: BrokerService) -> None:
        self._conns[connection_id] = _Conn(service)
        self._wake.set()

    def unregister(self, connection_id: str) -> None:
        self._conns.pop(connection_id, None)
        for key in [k for k in self._jobs if k[0] == connection_id]:
            del self._jobs[key]
        for failed in [k for k in self._failures if k[0] == connection_id]:
            self._failures.pop(failed, None)
            self._retry_at.pop(failed, None)
        current = asyncio.current_task() if self._tasks else None
        for task in list(self._tasks):
            if task is not current and task.get_name().startswith(f"poll:{connection_id}:"):
                task.cancel()

    def set_focus(
        self, account: AccountRef | None, topics: Iterable[Topic], quote_symbols: Iterable[str]
    ) -> None:
        """What the trader is looking at. ``quote_symbols`` are polled for ``account``'s
        connection (the QUOTES topic is implied by a non-empty list)."""
        self._focus = Focus(account, frozenset(topics), tuple(dict.fromkeys(quote_symbols)))
        self._wake.set()

    @property
    def focus(self) -> Focus:
        return self._focus

    def refresh(
        self,
        connection_id: str,
        account: AccountRef | None = None,
        topics: Iterable[Topic] = (Topic.BALANCES, *ACCOUNT_TOPICS),
    ) -> None:
        """Refresh these now (e.g. after an order), ahead of everything else."""
        if connection_id not in self._conns:
            return
        for topic in topics:
            if topic is Topic.BALANCES:
                job = self._job((connection_id, topic, "", ""), None)
            elif topic in ACCOUNT_TOPICS and account is not None:
                job = self._job((connection_id, topic, account.account_id, ""), account)
            else:
                continue
            job.forced = True
        self._wake.set()

    def accounts(self, connection_id: str) -> tuple[Account, ...]:
        conn = self._conns.get(connection_id)
        return conn.accounts if conn else ()

    def note_active_account(self, account: AccountRef) -> None:
        """An interactive call switched the session to ``account``."""
        conn = self._conns.get(account.connection)
        if conn is not None:
            conn.active_account = account.account_id

    # -- scheduling -----------------------------------------------------------------
    def _job(self, key: JobKey, account: AccountRef | None) -> _Job:
        job = self._jobs.get(key)
        if job is None:
            job = self._jobs[key] = _Job(key[0], key[1], account, key[3])
        return job

    def _plan(self) -> list[tuple[_Job, Priority, float]]:
        """Every job that should run now or later, with its priority and interval."""
        cfg = self.config
        focus = self._focus
        plan: list[tuple[_Job, Priority, float]] = []
        for cid, conn in self._conns.items():
            caps = conn.service.capabilities
            focus_here = focus.account is not None and focus.account.connection == cid

            def add(
                key: JobKey, account: AccountRef | None, visible: bool, conn: _Conn = conn
            ) -> None:
                topic = key[1]
                if topic in conn.unsupported:
                    return
                if visible:
                    plan.append((self._job(key, account), Priority.VISIBLE, cfg.visible[topic]))
                    return
                interval = cfg.background.get(topic)
                if interval is not None:
                    plan.append((self._job(key, account), Priority.BACKGROUND, interval))

            add((cid, Topic.BALANCES, "", ""), None,
                focus_here and Topic.BALANCES in focus.topics)

            refs = [a.ref for a in conn.accounts]
            if len(refs) > cfg.desk_accounts:
                refs = [focus.account] if focus_here and focus.account is not None else []
            elif focus_here and focus.account is not None and focus.account not in refs:
                refs.append(focus.account)  # focused before its accounts were listed
            for ref in refs:
                focused = ref == focus.account
                needs_switch = caps.account_switching and conn.active_account != ref.account_id
                for topic in ACCOUNT_TOPICS:
                    if topic is Topic.WORKING_ORDERS and not caps.working_orders:
                        continue
                    if needs_switch and not focused:
                        continue
                    if not caps.poll_all_accounts and not focused:
                        continue
                    add((cid, topic, ref.account_id, ""), ref, focused and topic in focus.topics)

            if focus_here and caps.quotes and focus.account is not None:
                for symbol in focus.quote_symbols:
                    add((cid, Topic.QUOTES, focus.account.account_id, symbol), focus.account,
                        True)

        # A refresh asked for after a click (an order, a top-up) is part of that click:
        # it queues as INTERACTIVE and does not wait for the poller's share.
        plan = [(j, Priority.INTERACTIVE if j.forced else p, i) for j, p, i in plan]
        planned = {id(j) for j, _, _ in plan}
        for job in self._jobs.values():
            if job.forced and id(job) not in planned and job.conn in self._conns:
                plan.append((job, Priority.INTERACTIVE, 0.0))
        return plan

    def _slots(self, conn: _Conn, now: float, visible_rate: float) -> _Slots:
        """What the poller may start now on one connection, and when to look again."""
        limiter = conn.service.limiter
        if limiter is not None:
            budget = next(b for b in limiter.budgets if b.name == limiter.default)
            limit, period = budget.limit, budget.period
            # A service whose clicks do not draw on its default budget lets the poller
            # have more of it (``poll_budget_share``).
            share = conn.service.poll_budget_share or self.config.budget_share
            cap = max(1, math.floor(limit * share))
            # Leave (limit - cap) for interactive requests; in-flight jobs may not have
            # taken their slot yet, so count them as taken.
            free = limiter.headroom(budget.name) - (limit - cap) - conn.in_flight
        else:
            period = 1.0
            cap = limit = max(1, self.config.fallback_rate)
            free = cap
        for stamps in (conn.stamps, conn.bg_stamps):
            while stamps and stamps[0] <= now - period:
                stamps.popleft()
        # Spread our starts evenly over the window instead of spending it in a burst,
        # so that refreshes come at a steady pace.
        spaced_until = conn.stamps[-1] + period / cap if conn.stamps else -math.inf
        # What visible jobs will need this window is kept for them; the background
        # still gets one start per window so that it never starves.
        bg_cap = max(1, cap - math.ceil(visible_rate * period))
        if now < spaced_until:
            return _Slots(False, False, spaced_until)
        if len(conn.stamps) >= cap:
            return _Slots(False, False, conn.stamps[0] + period)
        if free <= 0 or conn.in_flight >= self.config.max_in_flight:
            return _Slots(False, False, now + self.config.budget_recheck)
        if len(conn.bg_stamps) >= bg_cap:
            return _Slots(True, False, conn.bg_stamps[0] + period)
        return _Slots(True, True, now)

    def _tick(self) -> float:
        """Start what is due and allowed; return seconds until the next check."""
        now = self._clock()
        plan = self._plan()
        visible_rate: dict[str, float] = {}
        for job, priority, interval in plan:
            if priority is Priority.VISIBLE and interval > 0:
                visible_rate[job.conn] = visible_rate.get(job.conn, 0.0) + 1 / interval
        candidates: list[tuple[int, float, int, _Job]] = []
        next_at = math.inf
        for job, priority, interval in plan:
            if job.in_flight:
                continue
            retry_at = self._retry_at.get((job.conn, job.topic), -math.inf)
            due_at = now if job.forced else max(job.last_start + interval, retry_at)
            if due_at > now:
                next_at = min(next_at, due_at)
                continue
            overdue = math.inf if job.forced or job.last_start == -math.inf else (
                (now - job.last_start) / interval if interval > 0 else math.inf
            )
            candidates.append((int(priority), -overdue, AFTER_CLICK_ORDER[job.topic], job))
        # Visible first, then the most overdue; after a click what the trader waits to
        # see (the new position) goes before the balances. Stable for the rest.
        candidates.sort(key=lambda c: (c[0], c[1], c[2]))
        slots: dict[str, _Slots] = {}
        for prio, _, _, job in candidates:
            conn = self._conns[job.conn]
            if prio == Priority.INTERACTIVE:
                self._dispatch(conn, job, Priority.INTERACTIVE, now)
                continue
            slot = slots.get(job.conn)
            if slot is None:
                slot = slots[job.conn] = self._slots(
                    conn, now, visible_rate.get(job.conn, 0.0)
                )
            background = prio == Priority.BACKGROUND
            if not (slot.background if background else slot.visible):
                next_at = min(next_at, slot.retry_at)
                continue
            self._dispatch(conn, job, Priority(prio), now)
            # One start per connection per tick: the next one waits for its spacing.
            slots[job.conn] = _Slots(False, False, now)
            next_at = min(next_at, now)
        return max(0.0, next_at - now) if next_at < math.inf else 60.0

    def _dispatch(self, conn: _Conn, job: _Job, priority: Priority, now: float) -> None:
        job.in_flight = True
        job.forced = False
        job.last_start = now
        job.runs += 1
        conn.in_flight += 1
        conn.stamps.append(now)
        if priority is Priority.BACKGROUND:
            conn.bg_stamps.append(now)
        key: JobKey = (job.conn, job.topic, job.account.account_id if job.account else "",
                       job.symbol)
        self.started.append((now, key, priority))
        task = asyncio.get_running_loop().create_task(
            self._run_job(conn, job, priority), name=f"poll:{job.conn}:{job.topic.value}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            delay = self._tick()
            if delay <= 0:
                await asyncio.sleep(0)
                continue
            # A wake-up a hair away (float residue of a window edge) would fire at once on
            # a coarse clock and spin the loop: wait at least a tenth of a millisecond.
            delay = max(delay, MIN_WAIT)
            # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that
            # arrives as the wait ends, and stop() would then wait for a task that runs on.
            timer = loop.call_later(delay, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()

    # -- one refresh ----------------------------------------------------------------
    async def _run_job(self, conn: _Conn, job: _Job, priority: Priority) -> None:
        context_priority.set(priority)  # this task's own context: see net.limiter
        try:
            await self._fetch(conn, job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self._conns.get(job.conn) is conn:
                self._failed(conn, job, exc)
        else:
            if self._conns.get(job.conn) is conn:
                self._succeeded(conn, job)
        finally:
            job.in_flight = False
            conn.in_flight -= 1
            self._wake.set()

    async def _fetch(self, conn: _Conn, job: _Job) -> None:
        service = conn.service
        current = self._conns.get(job.conn) is conn
        if job.topic is Topic.BALANCES:
            accounts = tuple(await service.accounts())
            as_of = utc_now()
            if self._conns.get(job.conn) is not conn:
                return
            previous, conn.accounts = conn.accounts, accounts
            # A desk's thousands of accounts, listed again unchanged (the adapter gives
            # the same objects back): every listener's pass over them (4-5 ms at 5,000
            # accounts, in one turn of the loop) would find nothing new.
            if not (accounts and len(accounts) == len(previous)
                    and all(map(operator.is_, accounts, previous))):
                active = next((a.ref.account_id for a in accounts if a.active), None)
                if active is not None:
                    conn.active_account = active
                self._publish(AccountsUpdated(job.conn, accounts, as_of))
            if len(accounts) > self.config.desk_accounts:
                # A desk: the list carries every balance; the focused one is its own.
                focus = self._focus.account
                accounts = tuple(a for a in accounts if a.ref == focus)
            for listed in accounts:
                if listed.balance is not None:
                    self._publish(BalanceUpdated(listed.ref, listed.balance))
                    self._snapshot(listed)
            return
        account = job.account
        if account is None or not current:
            return
        if job.topic is Topic.POSITIONS:
            positions = tuple(await service.positions(account))
            if self._conns.get(job.conn) is conn:
                self._publish(PositionsUpdated(account, positions, utc_now()))
        elif job.topic is Topic.WORKING_ORDERS:
            orders = tuple(await service.working_orders(account))
            if self._conns.get(job.conn) is conn:
                self._publish(WorkingOrdersUpdated(account, orders, utc_now()))
        elif job.topic is Topic.QUOTES:
            quote = await service.quote(account, job.symbol)
            if self._conns.get(job.conn) is conn:
                self._publish(QuoteUpdated(account, quote))
        if job.topic in ACCOUNT_TOPICS and service.capabilities.account_switching:
            conn.active_account = account.account_id

    def _snapshot(self, account: Account) -> None:
        journal, balance = self._journal, account.balance
        if journal is None or balance is None or journal.closed:
            return
        if self._writer is not None:
            # Off the loop (a locked journal must not freeze the window); a lost snapshot
            # only thins the chart.
            self._writer.maybe("balance snapshot",
                               lambda: journal.add_balance(account.ref, balance))
            return
        try:
            journal.add_balance(account.ref, balance)
        except Exception:  # a full disk must not stop the live view
            log.exception("could not store a balance snapshot")

    def _succeeded(self, conn: _Conn, job: _Job) -> None:
        key = (job.conn, job.topic)
        self._failures.pop(key, None)
        self._retry_at.pop(key, None)
        if conn.failing.pop(job.topic, None) is not None:
            self._report_health(job.conn, conn)

    def _failed(self, conn: _Conn, job: _Job, exc: BaseException) -> None:
        message = error_text(exc)
        self._publish(PollFailed(job.conn, job.topic, message, job.account))
        if isinstance(exc, AccountMoved):
            # The broker replaced the account (a demo reset): re-read the account list
            # at once; the old account's jobs go when the focus moves off it.
            self.refresh(job.conn, None, (Topic.BALANCES,))
            return
        if isinstance(exc, AuthError) or (
            isinstance(exc, PermissionDenied) and job.account is None
        ):
            self.unregister(job.conn)
            if self._on_fatal is not None:
                self._on_fatal(job.conn, exc)
            return
        if isinstance(exc, NotSupported):
            conn.unsupported.add(job.topic)
            return
        if not isinstance(exc, BrokerError):
            log.error("polling %s %s failed", job.conn, job.topic.value, exc_info=exc)
        key = (job.conn, job.topic)
        failures = self._failures[key] = self._failures.get(key, 0) + 1
        delay = min(self.config.backoff_max, self.config.backoff_initial * 2 ** (failures - 1))
        if isinstance(exc, RateLimited) and exc.retry_after:
            delay = max(delay, exc.retry_after)
        self._retry_at[key] = self._clock() + delay
        if _degrading(exc):
            conn.failing[job.topic] = message
            self._report_health(job.conn, conn)

    def _report_health(self, cid: str, conn: _Conn) -> None:
        message = next(iter(conn.failing.values()), "")
        if message:
            message = f"{message} Values shown may be out of date."
        if message != conn.health:
            conn.health = message
            if self._on_health is not None:
                self._on_health(cid, message)

    # -- introspection (status bar, tests) -------------------------------------------
    def backoff_remaining(self, connection_id: str, topic: Topic) -> float:
        at = self._retry_at.get((connection_id, topic))
        return max(0.0, at - self._clock()) if at is not None else 0.0

    def failures(self, connection_id: str, topic: Topic) -> int:
        return self._failures.get((connection_id, topic), 0)
