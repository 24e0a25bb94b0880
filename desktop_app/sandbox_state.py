"""The Sandbox's state file: every simulator's state in one JSON document.

``state.json`` under ``storage.paths.sandbox_dir()``::

    {"version": 1, "seed": 123456, "saved_at": "...", "simulators": {"capital": {...}, ...}}

Written whole to a temporary file, flushed to disk and renamed over the old one, so a
crash leaves either the old or the new state, never half. A file that cannot be read, or
one written by a newer version of the app, is moved aside (never deleted) and the caller
starts a fresh Sandbox and says so. Everything here is blocking file work: call it from
a worker thread, never on the app's loop.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_VERSION = 1
STATE_FILE = "state.json"
BEFORE_RESET = "state-before-reset.json"


@dataclass
class Loaded:
    seed: int | None = None
    simulators: dict[str, dict[str, Any]] = field(default_factory=dict)
    notice: str | None = None  # what the trader should be told (a file moved aside)


class SandboxStateFile:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / STATE_FILE
        self._last: bytes | None = None

    def load(self) -> Loaded:
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            return Loaded()
        try:
            data = json.loads(content)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            version = data.get("version")
            if not isinstance(version, int):
                raise ValueError("no version")
            if version > STATE_VERSION:
                moved = self.move_aside("newer")
                return Loaded(notice=(
                    f"The saved Sandbox was written by a newer version of the app; it was "
                    f"moved to {moved} and a new Sandbox was started."))
            seed = data["seed"]
            simulators = data["simulators"]
            if not isinstance(seed, int) or not isinstance(simulators, dict):
                raise ValueError("no seed or simulators")
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            moved = self.move_aside("damaged")
            log.warning("Sandbox state %s unreadable (%s); moved to %s", self.path, exc, moved)
            return Loaded(notice=(
                f"The saved Sandbox could not be read ({exc}); it was moved to {moved} and a "
                "new Sandbox was started."))
        self._last = content
        return Loaded(seed, simulators)

    def save(self, seed: int, simulators: dict[str, dict[str, Any]]) -> bool:
        """Write the state if it changed since the last save; True when written."""
        body = {"version": STATE_VERSION, "seed": seed, "simulators": simulators}
        content = json.dumps(body, separators=(",", ":")).encode()
        if content == self._last:
            return False
        stamped = dict(body, saved_at=datetime.now(UTC).isoformat(timespec="seconds"))
        self._write(json.dumps(stamped, separators=(",", ":")).encode())
        self._last = content
        return True

    def _write(self, content: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def move_aside(self, why: str) -> Path:
        """Rename the state file to ``state.<why>-<UTC time>.json``; returns the new path."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.directory / f"state.{why}-{stamp}.json"
        counter = 1
        while target.exists():
            counter += 1
            target = self.directory / f"state.{why}-{stamp}-{counter}.json"
        os.replace(self.path, target)
        self._last = None
        return target

    def discard(self) -> Path | None:
        """For a reset on purpose: the state becomes ``state-before-reset.json`` (one
        step back is kept; an older one is replaced)."""
        self._last = None
        if not self.path.exists():
            return None
        target = self.directory / BEFORE_RESET
        os.replace(self.path, target)
        return target
