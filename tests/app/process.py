"""The real entry point in a child process, as a person starts it: offscreen, Qt's own
quit behaviour, an isolated TRADING_DASHBOARD_HOME and an in-memory keyring."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

READY = "ready: the window is up"
START_TIMEOUT = 90.0


def app_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "TRADING_DASHBOARD_TEST_ACTION",
                        "TRADING_DASHBOARD_DEBUG")}
    env.update(QT_QPA_PLATFORM="offscreen", TRADING_DASHBOARD_HOME=str(home),
               TRADING_DASHBOARD_KEYRING="memory", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def log_file(home: Path) -> Path:
    return home / "logs" / "trading-dashboard.log"


def log_text(home: Path) -> str:
    path = log_file(home)
    return path.read_text(encoding="utf-8") if path.exists() else ""


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    log: str


def start(home: Path, *args: str, prefix: tuple[str, ...] = (), **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*prefix, sys.executable, "-m", "desktop_app", *args], env=app_env(home, **env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_until_ready(proc: subprocess.Popen, home: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while READY not in log_text(home):
        if proc.poll() is not None:
            raise AssertionError(f"the app ended ({proc.returncode}) before it was ready:\n"
                                 + proc.communicate()[1])
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the app was not ready in time:\n" + log_text(home))
        time.sleep(0.05)


def finish(proc: subprocess.Popen, home: Path, timeout: float = 60.0) -> Finished:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"the app did not quit in time; stderr:\n{err}") from None
    return Finished(proc.returncode, out, err, log_text(home))


def run_and_quit(home: Path, *args: str, action: str = "key:Ctrl+Q",
                 prefix: tuple[str, ...] = (), **env: str) -> Finished:
    """Start, let the window take ``action`` once it is ready, wait for the exit."""
    proc = start(home, *args, prefix=prefix, TRADING_DASHBOARD_TEST_ACTION=action, **env)
    return finish(proc, home, timeout=START_TIMEOUT)
