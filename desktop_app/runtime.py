"""The running app: storage, hub, view-models and window on one qasync loop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.lifecycle import QuitRequests, bring_to_front, perform_test_action
from desktop_app.net.request_log import RequestLog
from desktop_app.sandbox import OPEN_SESSION, SandboxControl, session_time_from_env
from desktop_app.session.hub import Hub
from desktop_app.single_instance import RaiseServer
from desktop_app.smoke import SmokeFailed, run_smoke
from desktop_app.storage.journal_open import open_journal
from desktop_app.storage.paths import sandbox_dir
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.app_vm import AppViewModel
from desktop_app.viewmodels.gc_guard import GcGuard, freeze_long_lived, frozen_count

log = logging.getLogger(__name__)

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
# Said by the offscreen platform (smoke runs) for every dock; meaningless there.
_QT_NOISE = ("This plugin does not support propagateSizeHints",)


def _qt_message(mode: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    if not message.startswith(_QT_NOISE):
        logging.getLogger("qt").log(_QT_LEVELS.get(mode, logging.WARNING), message)


def _sandbox_control(hub: Hub, app_vm: AppViewModel, args: argparse.Namespace) -> SandboxControl:
    """The smoke run gets a throw-away Sandbox with every market open; the app's keeps its
    state and reads the real clock (or ``TRADING_DASHBOARD_SANDBOX_TIME``)."""
    if args.smoke:
        return SandboxControl(hub, state_dir=None, announce=False, session_time=OPEN_SESSION,
                              report=app_vm.report_error)
    try:
        at = session_time_from_env()
    except ValueError as exc:
        app_vm.report_error(str(exc))
        at = None
    try:
        state_dir: Path | None = sandbox_dir()
    except OSError as exc:  # a read-only data folder: the journal's note says more
        app_vm.report_error(
            f"The Sandbox cannot keep its state in {sandbox_dir(create=False)} "
            f"({exc.strerror or exc}); it starts afresh and is forgotten when you quit."
        )
        state_dir = None
    return SandboxControl(hub, state_dir=state_dir, session_time=at,
                          report=app_vm.report_error)


async def run_app(
    app: QApplication,
    args: argparse.Namespace,
    process_age: Callable[[], float],
    startup: Startup | None = None,
) -> int:
    """Run until asked to quit (see ``desktop_app.lifecycle``); returns the exit status."""
    startup = startup or Startup()
    qInstallMessageHandler(_qt_message)
    gc_guard = GcGuard(app)
    quit_requests = QuitRequests(app)
    settings = Settings.load()
    opened = await asyncio.to_thread(open_journal)
    journal = opened.journal
    secrets = SecretStore()
    hub = Hub(settings=settings, secrets=secrets, journal=journal, request_log=RequestLog())
    app_vm = AppViewModel(hub, settings)
    window = MainWindow(app_vm)
    window.closed.connect(lambda: quit_requests.request("the window was closed"))
    if startup.log_folder is not None:
        window.set_log_folder(str(startup.log_folder))
    if startup.raise_server is not None:
        startup.raise_server.raiseRequested.connect(lambda: bring_to_front(window))
    window.show()
    app.processEvents()
    first_window = process_age()
    sandbox = _sandbox_control(hub, app_vm, args)
    app_vm.sandbox.set_controller(sandbox)
    try:
        if args.first_window:
            print(f"first window: {first_window * 1000:.0f} ms", flush=True)
            return 0
        if not secrets.persistent and secrets.warning:
            app_vm.report_error(secrets.warning)
        report_start_problems(window, [*startup.notes, *opened.notes])
        body = asyncio.ensure_future(_start_and_smoke(args, hub, app_vm, sandbox, first_window))
        await asyncio.wait({body, quit_requests.requested}, return_when=asyncio.FIRST_COMPLETED)
        if not body.done():  # asked to quit while starting or during --smoke
            body.cancel()
            await asyncio.gather(body, return_exceptions=True)
            if args.smoke:
                why = quit_requests.requested.result()
                print(f"smoke: interrupted ({why}) before it finished", file=sys.stderr,
                      flush=True)
                signum = quit_requests.signal_number
                return 128 + signum if signum else 1
            return 0
        status = body.result()
        if status is not None:
            return status
        freeze_long_lived()
        log.info("ready: the window is up and the connections are started; %d long-lived "
                 "objects left out of later garbage collections", frozen_count())
        perform_test_action(window)
        await quit_requests.requested
        return 0
    finally:
        quit_requests.close()
        if window.isVisible():
            window.close()  # saves the layout, as the close button does
        await app_vm.aclose()
        await hub.stop()
        journal.close()
        await sandbox.close()  # saves the Sandbox's state
        with contextlib.suppress(RuntimeError):
            window.deleteLater()
        gc_guard.stop()


def report_start_problems(window: MainWindow, problems: Sequence[str]) -> QMessageBox | None:
    """Tell the trader what was wrong at start and what was kept: a message over the
    window (not modal: the app is usable meanwhile), the activity log (brought in front)
    and the log file. The settings' own warning is in the activity log already (the app
    view-model puts it there) and joins the message."""
    for text in problems:
        log.warning("%s", text)
        window.vm.report_error(text)
    shown = [*problems, *filter(None, [window.vm.settings.load_warning])]
    if not shown:
        return None
    window.docks["activity"].raise_()
    box = QMessageBox(QMessageBox.Icon.Warning, "Trading Dashboard",
                      "The app started, but not everything was as it should be.",
                      QMessageBox.StandardButton.Ok, window)
    box.setObjectName("startProblems")
    box.setInformativeText("\n\n".join(shown))
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box


@dataclass
class Startup:
    """What the entry point learnt before the loop: problems to show in the window, the
    log folder (File → Open log folder), the listener for later starts."""

    notes: Sequence[str] = ()
    log_folder: Path | None = None
    raise_server: RaiseServer | None = None


async def _start_and_smoke(
    args: argparse.Namespace,
    hub: Hub,
    app_vm: AppViewModel,
    sandbox: SandboxControl,
    first_window: float,
) -> int | None:
    """Start the session (and the Sandbox); with --smoke run it and return the exit
    status, else None: the app then runs until asked to quit."""
    await hub.start()
    use_sandbox = args.smoke or args.sandbox or not hub.settings.profiles
    if use_sandbox:
        app_vm.statusMessage.emit("Starting the Sandbox (local simulators)…")
        await sandbox.open()
    if not args.smoke:
        return None
    started = time.perf_counter()
    try:
        line = await run_smoke(app_vm, hub)
    except SmokeFailed as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    took = time.perf_counter() - started
    print(
        f"smoke: ok: {line}; first window {first_window * 1000:.0f} ms; "
        f"trade round trip {took:.2f} s",
        flush=True,
    )
    return 0
