"""One app per data folder: an OS file lock on ``trading-dashboard.lock`` in it.

filelock (the lock tox and virtualenv use) rather than our own fcntl/msvcrt code: one
API for flock on Unix and LockFileEx on Windows, and the OS drops the lock when the
process dies, so a crash never leaves the folder locked. Its "soft" fallback (a marker
file, for file systems without flock) is turned off for that reason: a stale marker
would keep the app from starting after a crash.
"""

from __future__ import annotations

import logging
from pathlib import Path

from filelock import FileLock, Timeout

from desktop_app.storage.paths import lock_path

log = logging.getLogger(__name__)


class InstanceLock:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or lock_path()
        self._lock = FileLock(self.path, thread_local=False, fallback_to_soft=False)
        self.problem = ""  # why the folder could not be locked at all, if so

    def acquire(self) -> bool:
        """True when this process now holds the folder (or it cannot be locked at all,
        see ``problem``); False when another process holds it."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        except OSError as exc:  # a read-only folder, a file system without locks
            self.problem = f"{self.path} cannot be locked ({exc.strerror or exc})"
            log.warning("instance lock: %s", self.problem)
            return True
        return True

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()
