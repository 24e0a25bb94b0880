"""Event-loop lag while prices stream in at 200 updates a second over 1,000 open positions.

The app's own objects from the stream's sink on: ``session.streams`` (coalescing per
frame, marking positions at streamed prices), the Hub, every view-model (AppViewModel)
and the MainWindow (offscreen) with the positions table sorted by P/L as a trader sorts
it. What is NOT the app's: the brokers. ``BenchService`` is an imitation of a broker
service (positions of its own, Tradovate's P/L rule in ``reprice``), and
``ScriptedStream`` an imitation of a broker's network side that hands the sink exactly
``RATE`` prices a second, round-robin over the subscribed symbols. No peer's code is
run, so no peer baseline is printed.

Two layouts of the 1,000 positions:

- across brokers: three connections (400, 300 and 300 positions), the focused account's
  400 on screen and streaming (the app streams what is on screen), the others polled;
- worst case: all 1,000 on the focused account, every streamed price moving 20 of them.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from desktop_app.brokers.common.base import BrokerBase
from desktop_app.brokers.tradovate.mapping import marked
from desktop_app.domain.capabilities import Capabilities
from desktop_app.domain.config import ConnectionProfile, Credentials
from desktop_app.domain.errors import BrokerError
from desktop_app.domain.money import utc_now
from desktop_app.domain.streaming import QuoteSink, QuoteStream, StreamClosed
from desktop_app.domain.types import (
    Account,
    AccountRef,
    AccountStatus,
    Balance,
    Environment,
    Position,
    Quote,
    Side,
)
from desktop_app.net.request_log import RequestLog
from desktop_app.session.events import PositionsUpdated, QuoteUpdated
from desktop_app.session.hub import Hub
from desktop_app.storage.journal import Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.app_vm import AppViewModel
from tests.benchmarks.conftest import QUICK, percentile, report

RATE = 200  # prices a second
SYMBOLS = 50
PROBE_S = 0.005
PL_COLUMN = 5


class ScriptedStream:
    """An imitation of a broker's network side: ``RATE`` prices a second to the sink."""

    max_symbols: int | None = None
    limit_text = ""

    def __init__(self, service: BenchService) -> None:
        self.service = service
        self._symbols: list[str] = []
        self._ended = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    async def open(self, sink: QuoteSink) -> None:
        self._task = asyncio.get_running_loop().create_task(self._emit(sink))

    async def subscribe(self, symbols: Sequence[str]) -> dict[str, str]:
        self._symbols.extend(s for s in symbols if s not in self._symbols)
        return {}

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        self._symbols = [s for s in self._symbols if s not in symbols]

    async def closed(self) -> BrokerError:
        await self._ended.wait()
        return StreamClosed("closed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._ended.set()

    async def _emit(self, sink: QuoteSink) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            await asyncio.sleep(0.004)
            due = int((loop.time() - start) * RATE) - self.sent
            for _ in range(due):
                if not self._symbols:
                    break
                symbol = self._symbols[self.sent % len(self._symbols)]
                self.sent += 1
                sink(self.service.tick(symbol, self.sent))


class BenchService(BrokerBase):
    """An imitation broker: one account holding ``positions`` positions over 50 symbols."""

    broker = "bench"
    display_name = "Bench"

    def __init__(self, profile: ConnectionProfile, credentials: Credentials,
                 request_log: RequestLog) -> None:
        super().__init__(profile, credentials)
        self.count = int(profile.fields["positions"])
        self.ref = AccountRef(profile.connection_id, self.broker, "A1")
        self.prices = {f"S{i:02d}": Decimal(1000 + 10 * i) for i in range(SYMBOLS)}
        self.streams: list[ScriptedStream] = []
        self.marked: dict[str, Position] = {}
        opened = utc_now()
        self.held = [
            Position(self.ref, f"P{i:05d}", f"S{i % SYMBOLS:02d}", f"Market {i % SYMBOLS}",
                     Side.BUY if i % 2 else Side.SELL, Decimal(1 + i % 5),
                     self.prices[f"S{i % SYMBOLS:02d}"] - 5 + i % 11,
                     self.prices[f"S{i % SYMBOLS:02d}"], Decimal(0), "USD", opened)
            for i in range(self.count)
        ]

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(quotes=True, streaming_quotes=True, close_positions=True)

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def accounts(self) -> list[Account]:
        money = Decimal("100000.00")
        return [Account(self.ref, "Bench account", "USD", AccountStatus.ENABLED,
                        Environment.DEMO, balance=Balance(money, money, money, Decimal(0),
                                                          "USD", utc_now()))]

    async def positions(self, account: AccountRef) -> list[Position]:
        # As Tradovate's read does: each position at the latest streamed price (kept by
        # ``reprice``), so a REST read and the stream agree.
        return [self.marked.get(p.position_id, p) for p in self.held]

    async def quote(self, account: AccountRef, symbol: str) -> Quote:
        return self.quote_now(symbol)

    def quote_now(self, symbol: str) -> Quote:
        price = self.prices.get(symbol, Decimal(100))
        return Quote(symbol, price, price + Decimal("0.5"), utc_now())

    def tick(self, symbol: str, n: int) -> Quote:
        self.prices[symbol] += Decimal((n * 7919) % 9 - 4) / 4
        return self.quote_now(symbol)

    def quote_stream(self) -> QuoteStream:
        stream = ScriptedStream(self)
        self.streams.append(stream)
        return stream

    def reprice(self, position: Position, quote: Quote) -> Position | None:
        # Tradovate's P/L rule (a value per point of 1) through its own code.
        moved = marked(position, quote, Decimal(1))
        self.marked[position.position_id] = moved
        return moved


def _profile(cid: str, positions: int) -> ConnectionProfile:
    return ConnectionProfile(cid, "bench", f"Bench {cid}", fields={"positions": str(positions)})


def _run(qrun, layout: dict[str, int]) -> dict[str, float]:
    duration = 4.0 if QUICK else 15.0
    services: dict[str, BenchService] = {}

    def factory(profile: ConnectionProfile, credentials: Credentials,
                request_log: RequestLog) -> BenchService:
        services[profile.connection_id] = BenchService(profile, credentials, request_log)
        return services[profile.connection_id]

    async def scenario() -> dict[str, float]:
        journal = Journal()
        hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=journal,
                  service_factory=factory)
        vm = AppViewModel(hub, hub.settings)
        window = MainWindow(vm)
        window.resize(1600, 900)
        window.show()
        counts = {"quotes": 0, "positions": 0}

        def note(event: object) -> None:
            if isinstance(event, QuoteUpdated):
                counts["quotes"] += 1
            elif isinstance(event, PositionsUpdated):
                counts["positions"] += 1

        hub.subscribe(note)
        await hub.start()
        for cid, count in layout.items():
            await hub.add_connection(_profile(cid, count), {}, persist=False)
        focused = AccountRef(next(iter(layout)), "bench", "A1")
        while vm.accounts.selected is None:  # noqa: ASYNC110 (no awaitable for it)
            await asyncio.sleep(0.05)
        vm.accounts.select(focused)
        table = window.findChild(QTableView, "positions.table")
        table.sortByColumn(PL_COLUMN, Qt.SortOrder.DescendingOrder)
        found = await vm.ticket.search("S00")
        vm.ticket.choose(found[0] if found else None)
        while table.model().rowCount() < layout[focused.connection]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # the stream is up and subscribed
        stream = services[focused.connection].streams[-1]
        sent, counts["quotes"], counts["positions"] = stream.sent, 0, 0
        applied = vm.positions.positions.signals_emitted
        lags: list[float] = []
        loop = asyncio.get_running_loop()
        cpu = time.thread_time()  # the loop thread's own CPU: the load of others aside
        end = loop.time() + duration
        while loop.time() < end:
            t = time.perf_counter()
            await asyncio.sleep(PROBE_S)
            lags.append(max(0.0, (time.perf_counter() - t - PROBE_S) * 1000))
        figures = {
            "cpu ms/s": (time.thread_time() - cpu) * 1000 / duration,
            "prices/s": (stream.sent - sent) / duration,
            "QuoteUpdated/s": counts["quotes"] / duration,
            "PositionsUpdated/s": counts["positions"] / duration,
            "table signals/s": (vm.positions.positions.signals_emitted - applied) / duration,
            "rows": float(table.model().rowCount()),
            "p50": percentile(lags, 50), "p99": percentile(lags, 99), "max": max(lags),
            "probes": float(len(lags)),
        }
        window.close()
        await vm.aclose()
        await hub.stop()
        journal.close()
        return figures

    return qrun(scenario(), timeout=duration + 60)


def _print(name: str, f: dict[str, float]) -> None:
    report(f"stream lag p50, {name}", f["p50"])
    report(f"loop thread CPU per second, {name}", f["cpu ms/s"], None,
           f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    report(f"stream lag p99, {name}", f["p99"], 16,
           f"max {f['max']:.1f} ms over {f['probes']:.0f} probes; {f['prices/s']:.0f} "
           f"prices/s in, {f['QuoteUpdated/s']:.0f} QuoteUpdated/s, "
           f"{f['PositionsUpdated/s']:.0f} PositionsUpdated/s, "
           f"{f['table signals/s']:.0f} table signals/s, {f['rows']:.0f} rows sorted by P/L")


def test_stream_lag_with_1000_positions_across_brokers(qapp, qrun) -> None:
    figures = _run(qrun, {"bench-1": 400, "bench-2": 300, "bench-3": 300})
    _print("1,000 positions across 3 brokers (400 on screen)", figures)
    assert figures["prices/s"] >= RATE * 0.9
    assert figures["rows"] == 400


def test_stream_lag_with_1000_positions_on_screen(qapp, qrun) -> None:
    figures = _run(qrun, {"bench-1": 1000})
    _print("1,000 positions on screen", figures)
    assert figures["prices/s"] >= RATE * 0.9
    assert figures["rows"] == 1000
