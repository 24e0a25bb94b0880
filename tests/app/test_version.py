"""`trading-dashboard --version`, run as a person would: a separate process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from desktop_app import __version__


def test_version_prints_the_version_and_exits_zero(tmp_path) -> None:
    # No display is needed: the version is answered before Qt is touched.
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--version"], env=env, capture_output=True,
        text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"trading-dashboard {__version__}"
    assert done.stderr == ""


def test_the_installed_command_answers_too() -> None:
    command = shutil.which("trading-dashboard", path=str(Path(sys.executable).parent))
    assert command, "the trading-dashboard script is not installed beside this Python"
    done = subprocess.run([command, "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, f"trading-dashboard {__version__}")
