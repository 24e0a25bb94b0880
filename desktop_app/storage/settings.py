"""The settings file: connection profiles (never secrets), theme, window layout, UI prefs.

JSON in the config dir, written atomically (temp file + ``os.replace``) so a crash
mid-write leaves the previous file intact. A file that cannot be read at all (not UTF-8,
not JSON, nested too deeply) is moved aside as ``settings.damaged-<UTC time>.json`` and
the app starts with defaults; one with parts that cannot be used (a profile without an
id, an id with ``:``) starts with the rest, and the file as it was is copied aside as
``settings.original-<UTC time>.json``. ``load_warning`` says which, for the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from desktop_app.domain.config import ConnectionProfile
from desktop_app.domain.types import AccountRef, Environment
from desktop_app.storage.aside import copy_aside, move_aside
from desktop_app.storage.paths import settings_path

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
# "system" follows the OS colour scheme (the UI asks Qt); dark and light override it.
THEMES = ("system", "dark", "light")
DEFAULT_THEME = "system"

# Field names that are secrets for every broker we know. Profiles carry only the
# non-secret login fields; these are dropped even if a caller passes them by mistake.
SECRET_FIELD_NAMES = frozenset(
    {
        "password", "api_key", "apikey", "secret", "api_secret", "token", "access_token",
        "refresh_token", "private_key", "client_secret", "consumer_secret", "sec", "cid_secret",
    }
)


ALERTS_KEY = "alerts"
TABLES_KEY = "tables"
# The kinds of alert, each on or off in the preferences.
ALERT_KINDS = (
    "order_filled", "working_order_filled", "working_order_cancelled", "position_closed",
    "connection_lost", "funding_settled",
)
MIN_LOST_AFTER, MAX_LOST_AFTER, DEFAULT_LOST_AFTER = 5, 3600, 30


@dataclass(frozen=True, slots=True)
class AlertPrefs:
    enabled: frozenset[str] = frozenset(ALERT_KINDS)
    sound: bool = False  # a beep with each alert; off unless the trader turns it on
    # Seconds a connection may be down before that is an alert.
    connection_lost_after: int = DEFAULT_LOST_AFTER


def _is_secret_name(name: str) -> bool:
    return name.lower().replace("-", "_") in SECRET_FIELD_NAMES


def _clean_fields(fields: dict[str, str], secret_fields: Iterable[str] = ()) -> dict[str, str]:
    extra = {s.lower() for s in secret_fields}
    kept = {}
    for key, value in fields.items():
        if _is_secret_name(key) or key.lower() in extra:
            log.warning("dropped secret field %r from a profile: secrets go to the keyring", key)
            continue
        kept[key] = value
    return kept


def profile_to_dict(profile: ConnectionProfile) -> dict[str, Any]:
    return {
        "connection_id": profile.connection_id,
        "broker": profile.broker,
        "name": profile.name,
        "environment": profile.environment.value,
        "fields": _clean_fields(dict(profile.fields)),
        "base_url": profile.base_url,
        "live_opt_in": profile.live_opt_in,
        "sandbox": profile.sandbox,
    }


def profile_from_dict(data: Any) -> ConnectionProfile:
    if not isinstance(data, dict):
        raise ValueError("a profile must be an object")
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise ValueError("profile fields must be an object")
    base_url = data.get("base_url")
    connection_id = _str(data, "connection_id", required=True)
    if ":" in connection_id:  # the keyring's keys are "<connection id>:<field>"
        raise ValueError(f"its id {connection_id!r} contains ':', which an id cannot hold")
    return ConnectionProfile(
        connection_id=connection_id,
        broker=_str(data, "broker", required=True),
        name=_str(data, "name") or _str(data, "connection_id"),
        environment=Environment(data.get("environment", Environment.DEMO.value)),
        fields=_clean_fields({str(k): str(v) for k, v in fields.items()}),
        base_url=str(base_url) if base_url else None,
        live_opt_in=bool(data.get("live_opt_in", False)),
        sandbox=bool(data.get("sandbox", False)),
    )


def _str(data: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"missing {key}")
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text")
    return value


def _account_to_dict(ref: AccountRef | None) -> dict[str, str] | None:
    if ref is None:
        return None
    return {"connection": ref.connection, "broker": ref.broker, "account_id": ref.account_id}


def _account_from_dict(data: Any) -> AccountRef | None:
    if not isinstance(data, dict):
        return None
    try:
        return AccountRef(
            str(data["connection"]), str(data["broker"]), str(data["account_id"])
        )
    except KeyError:
        return None


def _why_unreadable(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"it is not UTF-8 text: byte {exc.start} is 0x{exc.object[exc.start]:02x}"
    if isinstance(exc, RecursionError):
        return "its contents are nested too deeply"
    return str(exc)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` so that readers see either the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


class Settings:
    """Everything the app remembers between runs except secrets and the journal."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        self.version = SETTINGS_VERSION
        self.profiles: list[ConnectionProfile] = []
        self.theme = DEFAULT_THEME
        # base64 of QMainWindow.saveGeometry() / saveState(): opaque to this layer.
        self.window_geometry = ""
        self.window_state = ""
        self.selected_account: AccountRef | None = None
        self.prefs: dict[str, Any] = {}
        # Set by load() when the file could not be used; the UI shows it once.
        self.load_warning = ""
        self._snapshots = 0
        self._written = 0
        self._write_lock = threading.Lock()

    # -- profiles -----------------------------------------------------------------
    def profile(self, connection_id: str) -> ConnectionProfile | None:
        return next((p for p in self.profiles if p.connection_id == connection_id), None)

    def upsert_profile(
        self, profile: ConnectionProfile, *, secret_fields: Iterable[str] = ()
    ) -> ConnectionProfile:
        """Add or replace a profile; fields named in ``secret_fields`` are dropped."""
        clean = replace(profile, fields=_clean_fields(dict(profile.fields), secret_fields))
        for i, existing in enumerate(self.profiles):
            if existing.connection_id == clean.connection_id:
                self.profiles[i] = clean
                break
        else:
            self.profiles.append(clean)
        return clean

    def remove_profile(self, connection_id: str) -> bool:
        before = len(self.profiles)
        self.profiles = [p for p in self.profiles if p.connection_id != connection_id]
        if self.selected_account and self.selected_account.connection == connection_id:
            self.selected_account = None
        return len(self.profiles) != before

    # -- misc prefs ---------------------------------------------------------------
    def get_pref(self, key: str, default: Any = None) -> Any:
        return self.prefs.get(key, default)

    def set_pref(self, key: str, value: Any) -> None:
        json.dumps(value)  # fail now, not at save time, on a value JSON cannot hold
        self.prefs[key] = value

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"theme must be one of {THEMES}")
        self.theme = theme

    # -- alerts and table layouts (kept in ``prefs``; read leniently) --------------
    def alert_prefs(self) -> AlertPrefs:
        raw = self.prefs.get(ALERTS_KEY)
        if not isinstance(raw, dict):
            return AlertPrefs()
        off = raw.get("off")
        after = raw.get("connection_lost_after")
        return AlertPrefs(
            enabled=frozenset(ALERT_KINDS) - frozenset(off if isinstance(off, list) else ()),
            sound=raw.get("sound") is True,
            connection_lost_after=(
                min(max(after, MIN_LOST_AFTER), MAX_LOST_AFTER)
                if isinstance(after, int) and not isinstance(after, bool)
                else DEFAULT_LOST_AFTER
            ),
        )

    def set_alert_prefs(self, prefs: AlertPrefs) -> None:
        # What is off is stored, so a kind added later starts on.
        self.prefs[ALERTS_KEY] = {
            "off": sorted(set(ALERT_KINDS) - prefs.enabled),
            "sound": prefs.sound,
            "connection_lost_after": prefs.connection_lost_after,
        }

    def table_states(self) -> dict[str, str]:
        """Per table (its object name): its header's saved state, base64 (opaque here)."""
        raw = self.prefs.get(TABLES_KEY)
        if not isinstance(raw, dict):
            return {}
        return {str(k): v for k, v in raw.items() if isinstance(v, str)}

    def set_table_states(self, states: dict[str, str]) -> None:
        self.prefs[TABLES_KEY] = dict(states)

    def reset_layout(self) -> None:
        """Docks, window size and table columns back to the defaults at the next start."""
        self.window_geometry = ""
        self.window_state = ""
        self.prefs.pop(TABLES_KEY, None)

    # -- (de)serialisation --------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SETTINGS_VERSION,
            "profiles": [profile_to_dict(p) for p in self.profiles],
            "theme": self.theme,
            "window": {"geometry": self.window_geometry, "state": self.window_state},
            "selected_account": _account_to_dict(self.selected_account),
            "prefs": self.prefs,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def _apply(self, data: dict[str, Any]) -> list[str]:
        """Take what can be read from ``data``; return notes on what was skipped."""
        notes: list[str] = []
        version = data.get("version", 1)
        if not isinstance(version, int):
            raise ValueError("version must be a number")
        if version > SETTINGS_VERSION:
            notes.append(
                f"the settings were written by a newer version of the app (format {version});"
                " unknown entries are ignored"
            )
        raw_profiles = data.get("profiles", [])
        if not isinstance(raw_profiles, list):
            raise ValueError("profiles must be a list")
        seen: set[str] = set()
        for raw in raw_profiles:
            try:
                profile = profile_from_dict(raw)
            except (ValueError, TypeError) as exc:
                notes.append(f"a connection profile could not be read ({exc}) and was skipped")
                continue
            if profile.connection_id in seen:
                continue
            seen.add(profile.connection_id)
            self.profiles.append(profile)
        theme = data.get("theme", DEFAULT_THEME)
        self.theme = theme if theme in THEMES else DEFAULT_THEME
        window = data.get("window") or {}
        if isinstance(window, dict):
            self.window_geometry = str(window.get("geometry") or "")
            self.window_state = str(window.get("state") or "")
        self.selected_account = _account_from_dict(data.get("selected_account"))
        prefs = data.get("prefs") or {}
        self.prefs = dict(prefs) if isinstance(prefs, dict) else {}
        return notes

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read the file; a missing one gives defaults, a damaged one is moved aside."""
        settings = cls(path)
        target = settings.path
        try:
            raw = target.read_bytes()
        except FileNotFoundError:
            return settings
        except OSError as exc:
            settings.load_warning = (
                f"The settings file {target} could not be read ({exc.strerror or exc}); "
                "defaults are used for this run."
            )
            return settings
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("the file does not hold a settings object")
            notes = settings._apply(data)
        except (ValueError, TypeError, RecursionError) as exc:
            return cls._damaged(target, _why_unreadable(exc))
        if notes:
            try:
                copy = copy_aside(target, "original")
                kept = f"the file as it was is kept as {copy.name} in {copy.parent}"
            except OSError as exc:
                kept = f"a copy of the file could not be kept ({exc.strerror or exc})"
            settings.load_warning = "Settings: " + "; ".join(notes) + f"; {kept}."
            log.warning("%s (%s)", settings.load_warning, target)
        return settings

    @classmethod
    def _damaged(cls, target: Path, why: str) -> Settings:
        fresh = cls(target)
        try:
            kept = f"it was moved aside as {move_aside(target, 'damaged').name}"
        except OSError as exc:
            kept = f"it could not be moved aside ({exc.strerror or exc})"
        fresh.load_warning = (
            f"The settings file could not be read ({why}); {kept} in {target.parent} and "
            "default settings are used. Connections may need to be added again."
        )
        log.warning("%s", fresh.load_warning)
        return fresh

    def _snapshot(self) -> tuple[int, str]:
        self._snapshots += 1
        return self._snapshots, self.to_json()

    def _write(self, generation: int, text: str) -> None:
        # A save started earlier can finish later (async saves run in a thread); it must
        # not put older settings over newer ones already on disk.
        with self._write_lock:
            if generation <= self._written:
                return
            atomic_write_text(self.path, text)
            self._written = generation

    def save(self) -> None:
        """Write now (a few ms: small file, fsync). Prefer ``save_async`` on the loop."""
        self._write(*self._snapshot())

    async def save_async(self) -> None:
        """Snapshot on the loop, write in a thread; the newest snapshot always wins."""
        generation, text = self._snapshot()
        await asyncio.to_thread(self._write, generation, text)
