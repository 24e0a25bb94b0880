"""Where the app keeps its files: the platform's config, data and log dirs.

``TRADING_DASHBOARD_HOME`` overrides all three (tests, portable installs): ``HOME/config``,
``HOME/data`` and ``HOME/logs``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "trading-dashboard"
HOME_ENV = "TRADING_DASHBOARD_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser() if value else None


def config_dir(*, create: bool = True) -> Path:
    home = _home()
    if home:
        path = home / "config"
    else:
        path = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir(*, create: bool = True) -> Path:
    home = _home()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir(*, create: bool = True) -> Path:
    home = _home()
    path = home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def settings_path() -> Path:
    return config_dir() / "settings.json"


def journal_path() -> Path:
    return data_dir() / "journal.sqlite3"


def lock_path() -> Path:
    """The file whose lock says which process uses the data dir (one app per data dir)."""
    return data_dir() / "trading-dashboard.lock"


def sandbox_dir(*, create: bool = True) -> Path:
    """Where the Sandbox keeps its simulators' state between runs (``HOME/data/sandbox``)."""
    path = data_dir(create=create) / "sandbox"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
