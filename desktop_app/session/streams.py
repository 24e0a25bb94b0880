"""Prices as the brokers stream them, for what is on screen (see ``domain.streaming``).

One feed per connection whose broker streams (``capabilities.streaming_quotes``):

- what it streams: on the focused account's connection, the ticket's symbol, the
  products view's selection and the focused account's open positions, in that order of
  relevance; at most the stream's ``max_symbols`` (Capital.com: 40), the rest is polled
  over REST and the status says so. A stream opens when something is wanted and closes
  ``linger`` seconds after nothing is (the trader looking at another broker);
- prices are coalesced: everything that arrives between two frames (``frame`` s) is one
  ``QuoteUpdated`` per symbol; the positions whose P/L the app computes
  (``BrokerService.reprice``, Tradovate) are marked at the latest prices at most every
  ``mark_every`` s (0.1), one ``PositionsUpdated`` per account. A streamed price keeps
  the market status, buy/sell flags and note of the last REST quote of that symbol
  (streams carry prices only);
- a stream that ends is opened again after a back-off (1, 2, 4 ... 30 s; after a
  refusal of the credentials at least 30 s; at once when the adapter knows why it
  ended, e.g. Capital.com's account switch); meanwhile the ticket's symbols are polled
  over REST (``Poller``) where the broker has REST quotes, and no longer once it is back;
- streams carry prices, not market status: the ticket's symbol has its REST quote (with
  its status) read again once no price came for ``quiet_after`` seconds (a closed market
  does not tick), every ``status_every`` seconds while it stays quiet, and at once when
  prices come again after a status that was not TRADEABLE; while prices flow, nothing;
- ``feed(connection_id)`` says streaming / polling / reconnecting with the reason, and
  ``PricesChanged`` announces every change (the status bar).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from desktop_app.domain.errors import AuthError, BrokerError, NotSupported
from desktop_app.domain.money import utc_now
from desktop_app.domain.service import BrokerService
from desktop_app.domain.streaming import QuoteStream, StreamClosed
from desktop_app.domain.types import AccountRef, Position, Quote
from desktop_app.net.limiter import Priority, context_priority
from desktop_app.session.connection import Backoff
from desktop_app.session.events import (
    AccountsUpdated,
    Event,
    PositionsUpdated,
    PricesChanged,
    QuoteUpdated,
    Topic,
)
from desktop_app.session.poller import Poller

log = logging.getLogger(__name__)

FRAME = 1 / 60
MARK_EVERY = 0.1
LINGER = 30.0
STABLE = 10.0  # a stream up this long starts its back-off over when it drops
QUOTE_WAIT = 5.0  # how long a ticket's first quote waits for the stream
AUTH_WAIT = 30.0
AT_ONCE = 0.05
QUIET = 5.0
STATUS_EVERY = 30.0
STREAM_BACKOFF = Backoff(initial=1.0, maximum=30.0)


class PriceMode(StrEnum):
    NONE = "none"  # the broker sends no prices
    POLLING = "polling"  # read over REST: the broker streams none
    IDLE = "idle"  # it streams, but nothing on screen needs a stream now
    CONNECTING = "connecting"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True, slots=True)
class PriceFeed:
    mode: PriceMode
    detail: str = ""
    streamed: tuple[str, ...] = ()
    polled: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Focus:
    account: AccountRef | None = None
    topics: frozenset[Topic] = frozenset()
    quote_symbols: tuple[str, ...] = ()
    watched: tuple[str, ...] = ()  # streamed but not polled (the products view)


@dataclass(eq=False)
class _Feed:
    cid: str
    service: BrokerService
    wanted: list[str] = field(default_factory=list)
    streamed: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)
    overflow: list[str] = field(default_factory=list)
    limit_text: str = ""
    mode: PriceMode = PriceMode.IDLE
    detail: str = ""
    polled: tuple[str, ...] = ()
    failures: int = 0
    down: BrokerError | None = None  # why it is reconnecting
    retry_at: float = 0.0
    up_since: float = 0.0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    watch: asyncio.Task[None] | None = None
    waiters: dict[str, list[asyncio.Future[Quote]]] = field(default_factory=dict)


class Streams:
    def __init__(
        self,
        publish: Callable[[Event], None],
        poller: Poller,
        *,
        backoff: Backoff = STREAM_BACKOFF,
        linger: float = LINGER,
        frame: float = FRAME,
    ) -> None:
        self._publish = publish
        self._poller = poller
        self.backoff = backoff
        self.linger = linger
        self.frame = frame
        self._feeds: dict[str, _Feed] = {}
        self._focus = _Focus()
        self._poll_key: object = None
        self._held: dict[AccountRef, tuple[Position, ...]] = {}
        self._held_at: dict[AccountRef, datetime] = {}
        self._holders: dict[tuple[str, str], set[AccountRef]] = {}  # who holds a symbol
        self._accounts: dict[str, tuple[AccountRef, ...]] = {}
        self._pending: dict[tuple[str, str], Quote] = {}
        self._flush_handle: asyncio.TimerHandle | None = None
        # Positions are marked at most every ``mark_every`` s: a table of a thousand P/Ls
        # is read at that pace, and each mark re-sorts it.
        self.mark_every = MARK_EVERY
        self._marks: dict[AccountRef, dict[str, Quote]] = {}
        self._mark_handle: asyncio.TimerHandle | None = None
        self._last: dict[tuple[str, str], Quote] = {}
        self._base: dict[tuple[str, str], Quote] = {}  # the last REST quote (its status)
        self._publishing = False
        self.quiet_after = QUIET
        self.status_every = STATUS_EVERY
        self._ticked: dict[tuple[str, str], float] = {}  # loop time of the last price
        self._status_read: dict[tuple[str, str], float] = {}
        self._reading: set[tuple[str, str]] = set()
        self._status_tasks: set[asyncio.Task[None]] = set()
        self.flushes = 0  # frames that published something (tests, benchmarks)

    # ------------------------------------------------------------------ control

    def register(self, connection_id: str, service: BrokerService) -> None:
        """A connected service; its prices stream if its broker streams."""
        if not service.capabilities.streaming_quotes:
            return
        feed = self._feeds[connection_id] = _Feed(connection_id, service)
        loop = asyncio.get_running_loop()
        feed.task = loop.create_task(self._run(feed), name=f"prices:{connection_id}")
        feed.watch = loop.create_task(self._watch(feed), name=f"price-status:{connection_id}")
        self._refresh_wanted()

    async def unregister(self, connection_id: str) -> None:
        feed = self._feeds.pop(connection_id, None)
        for key in [k for k in (*self._last, *self._base) if k[0] == connection_id]:
            self._last.pop(key, None)
            self._base.pop(key, None)
        for ref in [r for r in self._held if r.connection == connection_id]:
            self._hold(ref, ())
            self._held_at.pop(ref, None)
        if feed is not None:
            tasks = [t for t in (feed.task, feed.watch) if t is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._update_poll()

    async def stop(self) -> None:
        for cid in list(self._feeds):
            await self.unregister(cid)
        for task in list(self._status_tasks):
            task.cancel()
        await asyncio.gather(*self._status_tasks, return_exceptions=True)
        for handle in (self._flush_handle, self._mark_handle):
            if handle is not None:
                handle.cancel()
        self._flush_handle = self._mark_handle = None

    def set_focus(self, account: AccountRef | None, topics: Iterable[Topic],
                  quote_symbols: Sequence[str], watched: Sequence[str] = ()) -> None:
        """What is on screen (the poller gets what the streams do not cover)."""
        self._focus = _Focus(account, frozenset(topics), tuple(dict.fromkeys(quote_symbols)),
                             tuple(dict.fromkeys(watched)))
        self._refresh_wanted()
        self._update_poll()

    def on_event(self, event: Event) -> None:
        """Every event the hub publishes (the streams' own are skipped)."""
        if self._publishing:
            return
        if isinstance(event, PositionsUpdated):
            self._hold(event.account, event.positions)
            self._held_at[event.account] = event.as_of
            if event.account.connection in self._feeds:
                self._refresh_wanted()
        elif isinstance(event, AccountsUpdated):
            self._accounts[event.connection_id] = tuple(a.ref for a in event.accounts)
        elif isinstance(event, QuoteUpdated):
            self.note_quote(event.account, event.quote)

    def _hold(self, ref: AccountRef, positions: tuple[Position, ...]) -> None:
        old = {p.symbol for p in self._held.get(ref, ())}
        new = {p.symbol for p in positions}
        for symbol in old - new:
            holders = self._holders.get((ref.connection, symbol))
            if holders is not None:
                holders.discard(ref)
                if not holders:
                    del self._holders[(ref.connection, symbol)]
        for symbol in new - old:
            self._holders.setdefault((ref.connection, symbol), set()).add(ref)
        if positions:
            self._held[ref] = positions
        else:
            self._held.pop(ref, None)

    def note_quote(self, account: AccountRef, quote: Quote) -> None:
        """A quote read over REST: its market status and flags go with later streamed
        prices of the same symbol."""
        self._base[(account.connection, quote.symbol)] = quote

    # ------------------------------------------------------------------ reading

    def feed(self, connection_id: str) -> PriceFeed | None:
        """How this connection's prices come now (None: its broker streams none)."""
        feed = self._feeds.get(connection_id)
        if feed is None:
            return None
        detail = feed.detail
        if feed.mode is PriceMode.RECONNECTING and feed.down is not None:
            # Said as it is now: the wait left, and whether REST quotes turned out to exist.
            wait = feed.retry_at - asyncio.get_running_loop().time()
            detail = self._down_text(feed, feed.down, wait)
        return PriceFeed(feed.mode, detail, tuple(sorted(feed.streamed)), feed.polled)

    async def streamed_quote(self, account: AccountRef, symbol: str) -> Quote | None:
        """The symbol's streamed price: the latest, or the first to come within
        ``QUOTE_WAIT`` when it is being subscribed; None when it is not streamed."""
        feed = self._feeds.get(account.connection)
        if feed is None:
            return None
        last = self._last.get((feed.cid, symbol))
        if last is not None and feed.mode in (PriceMode.STREAMING, PriceMode.RECONNECTING):
            return last
        if symbol not in feed.wanted or feed.mode not in (
                PriceMode.CONNECTING, PriceMode.STREAMING, PriceMode.RECONNECTING):
            return None
        waiter: asyncio.Future[Quote] = asyncio.get_running_loop().create_future()
        feed.waiters.setdefault(symbol, []).append(waiter)
        try:
            async with asyncio.timeout(QUOTE_WAIT):
                return await waiter
        except TimeoutError:
            return None
        finally:
            waiting = feed.waiters.get(symbol, [])
            if waiter in waiting:
                waiting.remove(waiter)

    # ------------------------------------------------------------------ what is wanted

    def _wanted(self, cid: str) -> list[str]:
        focus = self._focus
        if focus.account is None or focus.account.connection != cid:
            return []
        ranked = dict.fromkeys(focus.quote_symbols)
        ranked.update(dict.fromkeys(focus.watched))
        if Topic.POSITIONS in focus.topics:
            ranked.update(dict.fromkeys(p.symbol for p in self._held.get(focus.account, ())))
        ranked.pop("", None)
        return list(ranked)

    def _refresh_wanted(self) -> None:
        for feed in self._feeds.values():
            wanted = self._wanted(feed.cid)
            if wanted != feed.wanted:
                feed.wanted = wanted
                feed.refused = {s: r for s, r in feed.refused.items() if s in wanted}
                feed.changed.set()

    def _update_poll(self) -> None:
        """The poller polls the focused symbols no stream covers now."""
        focus = self._focus
        polled = list(focus.quote_symbols)
        feed = self._feeds.get(focus.account.connection) if focus.account else None
        if feed is not None:
            if feed.mode is PriceMode.STREAMING:
                polled = [s for s in polled if s not in feed.streamed]
                polled += [s for s in feed.overflow if s not in polled]
            feed.polled = tuple(polled)
        key = (focus.account, focus.topics, tuple(polled))
        if key != self._poll_key:
            self._poll_key = key
            self._poller.set_focus(focus.account, focus.topics, polled)

    def _set(self, feed: _Feed, mode: PriceMode, detail: str) -> None:
        if (mode, detail) != (feed.mode, feed.detail):
            feed.mode, feed.detail = mode, detail
            if self._feeds.get(feed.cid) is feed:
                self._publish(PricesChanged(feed.cid, mode.value, detail))
        self._update_poll()

    # ------------------------------------------------------------------ one connection

    async def _run(self, feed: _Feed) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not feed.wanted:
                self._set(feed, PriceMode.IDLE, "Prices stream while they are on screen; "
                          "nothing on screen needs them now.")
                feed.changed.clear()
                await feed.changed.wait()
            try:
                stream = feed.service.quote_stream()
            except NotSupported as exc:
                self._set(feed, PriceMode.NONE, exc.message)
                return
            feed.refused.clear()
            feed.limit_text = stream.limit_text
            if feed.failures == 0:
                self._set(feed, PriceMode.CONNECTING, "Opening the price stream…")
            opened = loop.time()
            reason: BrokerError | None
            try:
                await stream.open(functools.partial(self._take, feed.cid))
                reason = await self._steer(feed, stream)
            except BrokerError as exc:
                reason = exc
            except Exception as exc:  # an adapter's bug: said, and tried again later
                log.exception("the %s price stream failed", feed.cid)
                reason = StreamClosed(f"The price stream failed ({type(exc).__name__}).")
            finally:
                feed.streamed.clear()
                await stream.close()
            if reason is None:  # nothing on screen wanted it for a while: closed
                feed.failures = 0
                continue
            if loop.time() - opened >= STABLE:
                feed.failures = 0
            feed.failures += 1
            at_once = isinstance(reason, StreamClosed) and reason.at_once and feed.failures <= 2
            delay = AT_ONCE if at_once else self.backoff.delay(feed.failures)
            if isinstance(reason, AuthError):
                delay = max(delay, AUTH_WAIT)
            feed.down, feed.retry_at = reason, loop.time() + delay
            self._set(feed, PriceMode.RECONNECTING, self._down_text(feed, reason, delay))
            await asyncio.sleep(delay)

    def _down_text(self, feed: _Feed, reason: BrokerError, delay: float) -> str:
        if feed.service.capabilities.quotes:
            meanwhile = "the ticket's prices are read over REST meanwhile"
        else:
            meanwhile = "the broker has no REST prices, so the last streamed ones stay"
        when = "now" if delay < 1 else f"in {delay:.0f} s"
        return f"{reason.user_text()} Trying again {when}; {meanwhile}."

    async def _steer(self, feed: _Feed, stream: QuoteStream) -> BrokerError | None:
        """Keep the stream's subscriptions on what is wanted until it ends (its reason)
        or nothing has been wanted for ``linger`` seconds (None)."""
        ended = asyncio.ensure_future(stream.closed())
        try:
            while True:
                feed.changed.clear()
                await self._sync(feed, stream)
                if ended.done():
                    return ended.result()
                wake = asyncio.ensure_future(feed.changed.wait())
                try:
                    done, _ = await asyncio.wait(
                        {ended, wake}, timeout=None if feed.wanted else self.linger,
                        return_when=asyncio.FIRST_COMPLETED)
                finally:
                    wake.cancel()
                if ended in done:
                    return ended.result()
                if not done:
                    return None
        finally:
            ended.cancel()

    async def _sync(self, feed: _Feed, stream: QuoteStream) -> None:
        limit = stream.max_symbols
        wanted = list(feed.wanted)
        chosen = wanted if limit is None else wanted[:limit]
        feed.overflow = [] if limit is None else wanted[limit:]
        gone = [s for s in feed.streamed if s not in chosen]
        if gone:
            feed.streamed.difference_update(gone)
            await stream.unsubscribe(gone)
        new = [s for s in chosen if s not in feed.streamed and s not in feed.refused]
        if new:
            try:
                refused = await stream.subscribe(new)
            except StreamClosed:
                raise
            except BrokerError as exc:  # e.g. a contract lookup failed: tried again later
                refused = dict.fromkeys(new, exc.user_text())
            feed.refused.update(refused)
            feed.streamed.update(s for s in new if s not in refused)
        if feed.mode is not PriceMode.STREAMING:
            feed.up_since = asyncio.get_running_loop().time()
            feed.down = None
        self._set(feed, PriceMode.STREAMING, self._streaming_text(feed))

    def _streaming_text(self, feed: _Feed) -> str:
        count = len(feed.streamed)
        text = f"Prices stream for {count} symbol{'s' if count != 1 else ''} on screen."
        if feed.overflow:
            text += (f" {count} of {count + len(feed.overflow)} are streamed "
                     f"({feed.limit_text}); the other {len(feed.overflow)} are polled.")
        if feed.refused:
            text += " Not streamed: " + "; ".join(
                f"{s}: {r}" for s, r in sorted(feed.refused.items())) + "."
        return text

    # ------------------------------------------------------------------ prices

    def _take(self, cid: str, quote: Quote) -> None:
        self._pending[(cid, quote.symbol)] = quote
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_later(self.frame, self._flush)

    def _account_of(self, cid: str) -> AccountRef | None:
        focus = self._focus.account
        if focus is not None and focus.connection == cid:
            return focus
        listed = self._accounts.get(cid)
        return listed[0] if listed else None

    def _flush(self) -> None:
        """Every price since the last frame: one update per symbol, one per account."""
        self._flush_handle = None
        now = asyncio.get_running_loop().time()
        pending, self._pending = self._pending, {}
        marks = self._marks
        self._publishing = True
        try:
            for (cid, symbol), quote in pending.items():
                feed = self._feeds.get(cid)
                if feed is None:
                    continue
                key = (cid, symbol)
                base = self._base.get(key)
                if base is not None:
                    quote = replace(base, bid=quote.bid, offer=quote.offer, as_of=quote.as_of)
                    if not base.tradeable:  # prices again: is the market open again?
                        self._maybe_read_status(feed, symbol, now)
                self._last[key] = quote
                self._ticked[key] = now
                for waiter in feed.waiters.pop(symbol, ()):
                    if not waiter.done():
                        waiter.set_result(quote)
                account = self._account_of(cid)
                if account is not None:
                    self._publish(QuoteUpdated(account, quote))
                for ref in self._holders.get((cid, symbol), ()):
                    marks.setdefault(ref, {})[symbol] = quote
            self.flushes += 1
        finally:
            self._publishing = False
        if marks and self._mark_handle is None:
            self._mark_handle = asyncio.get_running_loop().call_later(
                self.mark_every, self._mark_all)

    def _mark_all(self) -> None:
        """The positions held in the symbols priced since the last time, marked at their
        latest prices: one ``PositionsUpdated`` per account."""
        self._mark_handle = None
        marks, self._marks = self._marks, {}
        self._publishing = True
        try:
            for ref, quotes in marks.items():
                self._mark(ref, quotes)
        finally:
            self._publishing = False

    def _mark(self, ref: AccountRef, quotes: dict[str, Quote]) -> None:
        feed = self._feeds.get(ref.connection)
        held = self._held.get(ref, ())
        if feed is None or not held:
            return
        marked: list[Position] | None = None
        reprice = feed.service.reprice
        for row, position in enumerate(held):
            quote = quotes.get(position.symbol)
            if quote is None:
                continue
            moved = reprice(position, quote)
            if moved is not None and moved is not position:
                if marked is None:
                    marked = list(held)
                marked[row] = moved
        if marked is not None:
            positions = tuple(marked)
            self._held[ref] = positions
            self._publish(PositionsUpdated(ref, positions, self._held_at.get(ref, utc_now())))

    # ------------------------------------------------------------------ market status

    async def _watch(self, feed: _Feed) -> None:
        """Re-read the status of the ticket's quiet symbols (see the module docstring)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.05, min(1.0, self.quiet_after / 4)))
            focus = self._focus
            if (focus.account is None or focus.account.connection != feed.cid
                    or feed.mode is not PriceMode.STREAMING):
                continue
            now = loop.time()
            for symbol in focus.quote_symbols:
                if symbol not in feed.streamed:
                    continue
                key = (feed.cid, symbol)
                quiet_since = max(self._ticked.get(key, feed.up_since), feed.up_since)
                read = self._status_read.get(key, -1e18)
                wait = self.quiet_after if read < quiet_since else self.status_every
                if now - max(quiet_since, read) >= wait:
                    self._maybe_read_status(feed, symbol, now)

    def _maybe_read_status(self, feed: _Feed, symbol: str, now: float) -> None:
        account = self._focus.account
        key = (feed.cid, symbol)
        if (account is None or account.connection != feed.cid or key in self._reading
                or symbol not in self._focus.quote_symbols
                or not feed.service.capabilities.quotes
                or now - self._status_read.get(key, -1e18) < self.quiet_after):
            return
        self._reading.add(key)
        self._status_read[key] = now
        task = asyncio.get_running_loop().create_task(
            self._read_status(feed, account, symbol), name=f"price-status:{feed.cid}")
        self._status_tasks.add(task)
        task.add_done_callback(self._status_tasks.discard)

    async def _read_status(self, feed: _Feed, account: AccountRef, symbol: str) -> None:
        key = (feed.cid, symbol)
        context_priority.set(Priority.VISIBLE)  # this task's own context
        try:
            quote = await feed.service.quote(account, symbol)
        except BrokerError as exc:
            log.info("the status of %s could not be read: %s", symbol, exc.user_text())
            return
        finally:
            self._reading.discard(key)
        if self._feeds.get(feed.cid) is not feed:
            return
        self._base[key] = quote
        last = self._last.get(key)
        if last is not None and last.as_of > quote.as_of:
            quote = replace(quote, bid=last.bid, offer=last.offer, as_of=last.as_of)
        self._last[key] = quote
        self._publishing = True
        try:
            self._publish(QuoteUpdated(account, quote))
        finally:
            self._publishing = False
