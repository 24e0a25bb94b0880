"""Entry point: display and folder checks, logging, one app per data folder, one qasync
loop, the Sandbox or saved profiles, --smoke.

Exit status: 0 after a clean quit (File → Quit, Ctrl+Q, closing the window, SIGINT,
SIGTERM); 1 when --smoke fails; 2 when the app cannot start here (no display, a data or
settings folder that cannot exist); 3 when another app holds the data folder.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Sequence  # noqa: E402

from desktop_app import __version__  # noqa: E402
from desktop_app.display_check import display_problem  # noqa: E402


def process_age() -> float:
    """Seconds since this process started (interpreter start-up included where known)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _T0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="trading-dashboard",
        description="Trading Dashboard: balances, positions, demo trading and funding "
        "across brokers. With no profile configured it opens on the offline Sandbox.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="offscreen on the Sandbox: place, see and close one demo order, print a line, exit",
    )
    parser.add_argument(
        "--sandbox", action="store_true", help="use the Sandbox even when profiles exist"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="log everything (DEBUG) to the log file and the terminal; secrets stay masked",
    )
    parser.add_argument(
        "--first-window",
        action="store_true",
        help="print the time to first window and exit (used by the benchmarks)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.smoke:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        # The smoke run must not touch the trader's own settings, keyring or journal.
        os.environ.setdefault("TRADING_DASHBOARD_HOME", tempfile.mkdtemp(prefix="td-smoke-"))
        os.environ.setdefault("TRADING_DASHBOARD_KEYRING", "memory")
    problem = display_problem()
    if problem:
        print(f"trading-dashboard: {problem}", file=sys.stderr)
        return 2
    from desktop_app.storage.folders import unusable_folder

    problem = unusable_folder()
    if problem:
        print(f"trading-dashboard: cannot start: {problem}", file=sys.stderr)
        return 2
    from desktop_app.logs import setup_logging

    logging_setup = setup_logging(debug=args.debug)
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtWidgets import QApplication  # PySide6 before qasync: it picks the binding

    from desktop_app.lifecycle import DashboardApplication
    from desktop_app.runtime import Startup, run_app
    from desktop_app.single_instance import RaiseServer, ask_running_to_raise
    from desktop_app.storage.instance_lock import InstanceLock
    from desktop_app.storage.paths import data_dir

    app = QApplication.instance() or DashboardApplication([sys.argv[0]])
    app.setApplicationName("Trading Dashboard")
    app.setOrganizationName("trading-dashboard")
    folder = data_dir()
    lock = InstanceLock()
    if not lock.acquire():
        if ask_running_to_raise(folder):
            print(f"trading-dashboard: already running with the data folder {folder}; "
                  "its window was brought to the front", file=sys.stderr)
        else:
            print(f"trading-dashboard: cannot start: another Trading Dashboard is using the "
                  f"data folder {folder} and did not answer (if it hangs, end it first)",
                  file=sys.stderr)
        logging_setup.close()
        return 3
    startup = Startup(notes=list(logging_setup.notes), log_folder=logging_setup.folder,
                      raise_server=RaiseServer(folder) if lock.held else None)
    try:
        # asyncio.Runner (3.11+) takes the loop factory; asyncio.run only does from 3.12.
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            return runner.run(run_app(app, args, process_age, startup))
    except KeyboardInterrupt:  # before the loop's own signal handling was in place
        return 130
    finally:
        if startup.raise_server is not None:
            startup.raise_server.close()
        lock.release()
        logging.getLogger(__name__).info("Trading Dashboard stopped")
        logging_setup.close()
