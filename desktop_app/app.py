"""Entry point: display check, one qasync loop, the Sandbox or saved profiles, --smoke."""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
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
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtWidgets import QApplication  # PySide6 before qasync: it picks the binding

    from desktop_app.runtime import run_app

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Trading Dashboard")
    app.setOrganizationName("trading-dashboard")
    try:
        # asyncio.Runner (3.11+) takes the loop factory; asyncio.run only does from 3.12.
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            return runner.run(run_app(app, args, process_age))
    except KeyboardInterrupt:
        return 130
