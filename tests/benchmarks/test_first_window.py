"""Time to first window: a cold process, imports included, until the window is painted."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from tests.benchmarks.conftest import QUICK, median, report


def test_time_to_first_window() -> None:
    runs = 3 if QUICK else 7
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            env = {
                **os.environ,
                "QT_QPA_PLATFORM": "offscreen",
                "TRADING_DASHBOARD_HOME": home,
                "TRADING_DASHBOARD_KEYRING": "memory",
            }
            out = subprocess.run(
                [sys.executable, "-m", "desktop_app", "--first-window"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
        line = next(ln for ln in out.splitlines() if ln.startswith("first window:"))
        times.append(float(line.split(":")[1].split()[0]))
    report(
        f"time to first window (median of {runs} cold starts)",
        median(times),
        1000,
        f"min {min(times):.0f} ms, max {max(times):.0f} ms",
    )
    assert all(t > 0 for t in times)
