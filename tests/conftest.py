"""Test-wide set-up: offscreen Qt, an isolated config/data/keyring, a qasync loop."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import asyncio
import gc
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    # Simulator threads run Python too; a cycle collection there could free Qt objects
    # left by an earlier test off the GUI thread (seen as segfaults in Qt's timer
    # dispatch). Collect only here, on the main thread, after every test.
    gc.disable()


@pytest.fixture(autouse=True)
def _collect_on_main_thread() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings, journal and secrets of a test live under its own tmp dir."""
    home = tmp_path / "app-home"
    home.mkdir()
    monkeypatch.setenv("TRADING_DASHBOARD_HOME", str(home))
    monkeypatch.setenv("TRADING_DASHBOARD_KEYRING", "memory")
    return home


@pytest.fixture(autouse=True)
def _english_numbers() -> Iterator[None]:
    """Tests type English numbers ("0.01"), whatever the locale of the machine running
    them; a test of another locale sets its own (QLocale.setDefault) and is undone here."""
    from PySide6.QtCore import QLocale

    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
    yield
    QLocale.setDefault(before)


@pytest.fixture
def aio_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A plain asyncio loop for tests below the view-models (no Qt)."""
    loop = asyncio.new_event_loop()
    errors: list[dict] = []
    loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    assert not errors, f"unhandled exceptions in the loop: {errors}"


@pytest.fixture
def run(aio_loop: asyncio.AbstractEventLoop):
    """run(coro) -> result, on the test's own asyncio loop."""

    def _run(coro, timeout: float = 30.0):
        return aio_loop.run_until_complete(asyncio.wait_for(coro, timeout))

    return _run


# Closed qasync loops keep timers on an internal QObject and are freed only by the cycle
# collector; freeing one later, while Qt dispatches timers, crashed the run
# (QTimerInfoList::activateTimers). Keeping them until the process ends avoids that.
_CLOSED_LOOPS: list[asyncio.AbstractEventLoop] = []


@pytest.fixture
def qloop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on pytest-qt's QApplication; an unhandled error fails the test."""
    import PySide6  # noqa: F401  (qasync must see PySide6 first)
    import qasync

    from desktop_app.viewmodels.gc_guard import GcGuard

    # Hiding or closing a test's last window must not quit the app and stop the loop.
    qapp.setQuitOnLastWindowClosed(False)
    # As in the app: Qt objects are only ever collected on this thread.
    guard = GcGuard()
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    errors: list[dict] = []
    loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    _CLOSED_LOOPS.append(loop)
    asyncio.set_event_loop(None)
    guard.stop()
    guard.deleteLater()
    assert not errors, f"unhandled exceptions in the loop: {errors}"


@pytest.fixture
def qrun(qloop: asyncio.AbstractEventLoop):
    """qrun(coro) -> result, driving the qasync loop (and so Qt events) meanwhile."""

    def _run(coro, timeout: float = 30.0):
        return qloop.run_until_complete(asyncio.wait_for(coro, timeout))

    return _run


# Every market of every simulator is open at this instant (a Wednesday, 09:00 in Chicago):
# the simulator fixtures pin their session clock here and tick on from it, so tests that
# trade pass on any day at any hour. Market-hours tests move it themselves.
OPEN_SESSION = datetime(2025, 1, 15, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _tradovate_reads_the_open_session(monkeypatch):
    """Tradovate's adapter says whether the session is open from the app's own clock (the
    broker sends only the session's times); the simulators' sessions are pinned at
    OPEN_SESSION, so the adapter reads that instant too, ticking on. Market-hours tests
    set ``service.now`` themselves."""
    started = time.monotonic()
    monkeypatch.setattr("desktop_app.brokers.tradovate.core.utc_now",
                        lambda: OPEN_SESSION + timedelta(seconds=time.monotonic() - started))


@pytest.fixture
def capital_sim():
    """A Capital.com simulator on 127.0.0.1 (free port, seed 7, sessions idle out after 600 s)."""
    from desktop_app.simulators.runner import start_simulator

    sim = start_simulator("capital", port=0, seed=7, session_idle_timeout=600.0)
    sim.state.session_clock.move_to(OPEN_SESSION)
    yield sim
    sim.stop()


@pytest.fixture
def tradovate_sim():
    """A Tradovate simulator on 127.0.0.1 (free port, seed 7, demo environment)."""
    from desktop_app.simulators.runner import start_simulator

    sim = start_simulator("tradovate", port=0, seed=7)
    sim.state.session_clock.move_to(OPEN_SESSION)
    yield sim
    sim.stop()


@pytest.fixture
def darwinex_sim():
    """A Darwinex simulator on 127.0.0.1 (free port, seed 7)."""
    from desktop_app.simulators.runner import start_simulator

    sim = start_simulator("darwinex", port=0, seed=7)
    sim.state.session_clock.move_to(OPEN_SESSION)
    yield sim
    sim.stop()
