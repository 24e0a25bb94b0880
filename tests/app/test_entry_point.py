"""The installed entry point, run as a person would: a separate process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from desktop_app.brokers.registry import SPECS


def _env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(TRADING_DASHBOARD_HOME=str(tmp_path), TRADING_DASHBOARD_KEYRING="memory")
    env.update(extra)
    return env


def test_smoke_trades_on_the_sandbox_and_exits_zero(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--smoke"],
        env=_env(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("smoke: ok: ")
    assert "BUY" in lines[0] and "closed" in lines[0] and "first window" in lines[0]
    trading = [s.display_name for s in SPECS if s.smoke is not None]
    for broker in trading:  # one trade per Sandbox broker
        assert f"{broker} Sandbox account" in lines[0]
    assert lines[0].count(", closed") == len(trading) >= 4


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland check is Linux's")
def test_without_a_display_the_app_says_how_to_get_one(tmp_path) -> None:
    env = _env(tmp_path)
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app"], env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "DISPLAY is not set" in done.stderr and "Xvfb" in done.stderr
    assert "qt.qpa.plugin" not in done.stderr
