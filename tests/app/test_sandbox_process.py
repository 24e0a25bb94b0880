"""`trading-dashboard --sandbox` run twice as a person would (separate processes, the same
TRADING_DASHBOARD_HOME): the second run's Sandbox has the first run's accounts and
logins, read from what each run prints and from the state file."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from desktop_app.sandbox_state import STATE_FILE


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(TRADING_DASHBOARD_HOME=str(home), TRADING_DASHBOARD_KEYRING="memory",
               QT_QPA_PLATFORM="offscreen")
    return env


def _run_once(home: Path) -> list[str]:
    """Start the app, collect the Sandbox's printed logins, wait for the saved state,
    stop it; returns the printed lines without the URLs (ports change per run)."""
    state_file = home / "data" / "sandbox" / STATE_FILE
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "--sandbox"], env=_env(home),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in process.stdout or ()],
                              daemon=True)
    reader.start()
    printed: list[str] = []
    deadline = time.monotonic() + 90
    try:
        while sum(line.strip().startswith("accounts:") for line in printed) < 3:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, f"no Sandbox logins printed: {printed}"
            with contextlib.suppress(queue.Empty):
                printed.append(lines.get(timeout=1))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    # SIGTERM quits gracefully (exit 0): the Sandbox writes its last state on the way out
    # (its start-up save is skipped when nothing changed since the last run).
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert state_file.exists(), "the Sandbox state was not saved"
    return [line.rstrip() for line in printed if "http://" not in line]


def test_the_sandbox_keeps_its_accounts_and_logins_across_processes(tmp_path: Path) -> None:
    first = _run_once(tmp_path)
    saved = json.loads((tmp_path / "data" / "sandbox" / STATE_FILE).read_text())
    second = _run_once(tmp_path)
    accounts = [line for line in first if line.strip().startswith("accounts:")]
    assert len(accounts) == 3 and all(any(c.isdigit() for c in line) for line in accounts)
    assert [line for line in second if line.strip().startswith("accounts:")] == accounts
    for name in ("api_key", "identifier", "password", "sec", "consumer_key"):
        mine = [line for line in first if line.strip().startswith(f"{name}:")]
        assert mine and mine == [line for line in second if line.strip().startswith(f"{name}:")]
    again = json.loads((tmp_path / "data" / "sandbox" / STATE_FILE).read_text())
    assert again["seed"] == saved["seed"]
