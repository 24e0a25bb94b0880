"""Damaged files are moved aside under a timestamped name, never deleted."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from desktop_app.domain.money import utc_now

# SQLite keeps a database's recent writes beside it; they belong with it.
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")


def aside_name(path: Path, label: str, now: datetime) -> Path:
    """``journal.sqlite3`` -> ``journal.damaged-20250102T030405Z.sqlite3`` (``-2``, ``-3``
    ... when that exists already)."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    stem, suffix = path.stem, path.suffix
    candidate = path.with_name(f"{stem}.{label}-{stamp}{suffix}")
    n = 2
    while candidate.exists() or any(
        candidate.with_name(candidate.name + s).exists() for s in COMPANION_SUFFIXES
    ):
        candidate = path.with_name(f"{stem}.{label}-{stamp}-{n}{suffix}")
        n += 1
    return candidate


def move_aside(path: Path, label: str, *, clock: Callable[[], datetime] = utc_now) -> Path:
    """Rename ``path`` (and its SQLite companions) aside; returns the new path."""
    target = aside_name(path, label, clock())
    os.rename(path, target)
    for suffix in COMPANION_SUFFIXES:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.rename(companion, target.with_name(target.name + suffix))
    return target


def copy_aside(path: Path, label: str, *, clock: Callable[[], datetime] = utc_now) -> Path:
    """Keep a copy of ``path`` aside (the original stays in use); returns the copy."""
    target = aside_name(path, label, clock())
    shutil.copy2(path, target)
    return target
