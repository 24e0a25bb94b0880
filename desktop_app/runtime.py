"""The running app: storage, hub, view-models and window on one qasync loop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from desktop_app.net.request_log import RequestLog
from desktop_app.sandbox import OPEN_SESSION, SandboxControl, session_time_from_env
from desktop_app.session.hub import Hub
from desktop_app.smoke import SmokeFailed, run_smoke
from desktop_app.storage.journal import Journal
from desktop_app.storage.paths import sandbox_dir
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.viewmodels.app_vm import AppViewModel
from desktop_app.viewmodels.gc_guard import GcGuard

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
    return SandboxControl(hub, state_dir=sandbox_dir(), session_time=at,
                          report=app_vm.report_error)


async def run_app(
    app: QApplication, args: argparse.Namespace, process_age: Callable[[], float]
) -> int:
    qInstallMessageHandler(_qt_message)
    gc_guard = GcGuard(app)
    settings = Settings.load()
    journal = Journal()
    secrets = SecretStore()
    hub = Hub(settings=settings, secrets=secrets, journal=journal, request_log=RequestLog())
    app_vm = AppViewModel(hub, settings)
    window = MainWindow(app_vm)
    window.show()
    app.processEvents()
    first_window = process_age()
    sandbox = _sandbox_control(hub, app_vm, args)
    app_vm.sandbox.set_controller(sandbox)
    closed = asyncio.get_running_loop().create_future()
    app.lastWindowClosed.connect(lambda: closed.done() or closed.set_result(None))
    try:
        if args.first_window:
            print(f"first window: {first_window * 1000:.0f} ms", flush=True)
            return 0
        if not secrets.persistent and secrets.warning:
            app_vm.report_error(secrets.warning)
        await hub.start()
        use_sandbox = args.smoke or args.sandbox or not settings.profiles
        if use_sandbox:
            app_vm.statusMessage.emit("Starting the Sandbox (local simulators)…")
            await sandbox.open()
        if args.smoke:
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
        await closed
        return 0
    finally:
        window.hide()
        await app_vm.aclose()
        await hub.stop()
        journal.close()
        await sandbox.close()  # saves the Sandbox's state
        with contextlib.suppress(RuntimeError):
            window.deleteLater()
        gc_guard.stop()
