"""How the running app is asked to quit, and only ever by one road.

File → Quit, Ctrl+Q, closing the window, the platform's own quit request (a session
logging out, the Dock's Quit on macOS), SIGINT and SIGTERM all settle one future,
``QuitRequests.requested``. ``run_app`` awaits it, shuts down (in-flight writes finish
or stay journalled, see ``Hub.stop``) and returns; only then does the loop stop.

Qt must never end its event loop by itself: qasync's ``run_until_complete`` runs inside
``QApplication.exec()``, and when Qt quits first (its default once the last window
closes) the coroutine is abandoned mid-way: "Event loop stopped before Future completed."
So quitting on the last window is off and Qt's Quit event is turned into a request.

Signals: a Python signal handler only runs when the interpreter next gets control, which
inside Qt's loop may be never. The loop's own ``add_signal_handler`` writes the signal
to a socket that qasync watches with a ``QSocketNotifier``, so Qt wakes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

log = logging.getLogger(__name__)

QUIT_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Test-only: an input to give the window once it is up ("key:Ctrl+Q" or "close").
TEST_ACTION_ENV = "TRADING_DASHBOARD_TEST_ACTION"


class DashboardApplication(QApplication):
    """The QApplication; its Quit event asks ``QuitRequests`` instead of ending exec()."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.quit_handler: QuitRequests | None = None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Quit and self.quit_handler is not None:
            self.quit_handler.request("the application was asked to quit")
            return True  # swallowed: run_app shuts down, then the loop stops Qt
        return super().event(event)


class QuitRequests(QObject):
    """One future for every way of asking the app to quit; ``requested`` holds why."""

    def __init__(self, app: QApplication) -> None:
        super().__init__()
        self._app = app
        self._loop = asyncio.get_running_loop()
        self.requested: asyncio.Future[str] = self._loop.create_future()
        self.signal_number: int | None = None
        app.setQuitOnLastWindowClosed(False)
        app.lastWindowClosed.connect(self._last_window_closed)
        if isinstance(app, DashboardApplication):
            app.quit_handler = self
        self._signals: list[int] = []
        for signum in QUIT_SIGNALS:
            try:
                self._loop.add_signal_handler(signum, self._on_signal, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                # Windows' loops have no add_signal_handler: Ctrl-C there is Qt's console
                # handler's business; SIGTERM does not exist for a GUI process.
                continue
            self._signals.append(signum)

    def _last_window_closed(self) -> None:
        self.request("the window was closed")

    def _on_signal(self, signum: int) -> None:
        if self.signal_number is None:
            self.signal_number = signum
        self.request(f"{signal.Signals(signum).name} received")

    def request(self, why: str) -> None:
        if not self.requested.done():
            log.info("quitting: %s", why)
            self.requested.set_result(why)

    def close(self) -> None:
        """Stop listening: the app is shutting down (a second signal is ignored until
        the loop closes, so the write grace is never cut short)."""
        if isinstance(self._app, DashboardApplication) and self._app.quit_handler is self:
            self._app.quit_handler = None
        with contextlib.suppress(RuntimeError, TypeError):
            self._app.lastWindowClosed.disconnect(self._last_window_closed)
        # The handlers stay until the loop closes (it removes them): a repeated Ctrl-C
        # during shutdown must not raise KeyboardInterrupt in the middle of the journal.


def perform_test_action(window: QWidget) -> None:
    """Give the window the input named by TRADING_DASHBOARD_TEST_ACTION (tests only).

    ``key:<sequence>`` sends a real key press through Qt's shortcut map (so Ctrl+Q
    reaches the same QAction as the keyboard); ``close`` closes the window as its title
    bar's close button does.
    """
    spec = os.environ.get(TEST_ACTION_ENV, "").strip()
    if not spec:
        return
    kind, _, argument = spec.partition(":")
    if kind == "close":
        window.close()
    elif kind == "key":
        from PySide6.QtTest import QTest

        combination = QKeySequence(argument)[0]
        window.activateWindow()
        QTest.keyClick(window, combination.key(), combination.keyboardModifiers())
    else:
        log.warning("unknown %s %r", TEST_ACTION_ENV, spec)


def bring_to_front(window: QWidget) -> None:
    """Show the window over the others (a second start asked for it)."""
    state = window.windowState() & ~Qt.WindowState.WindowMinimized
    window.setWindowState(state | Qt.WindowState.WindowActive)
    window.show()
    window.raise_()
    window.activateWindow()
