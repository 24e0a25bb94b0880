"""One process per data folder: the lock is exclusive across processes and is dropped
when its holder dies."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from desktop_app.storage.instance_lock import InstanceLock
from desktop_app.storage.paths import lock_path


def _holder(path: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from desktop_app.storage.instance_lock import InstanceLock
            lock = InstanceLock(Path({str(path)!r}))  # kept: a dropped lock object unlocks
            assert lock.acquire()
            print("held", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_is_refused_until_the_first_dies() -> None:
    path = lock_path()
    holder = _holder(path)
    try:
        lock = InstanceLock(path)
        assert lock.acquire() is False and not lock.held and lock.problem == ""
    finally:
        holder.kill()  # no clean release: the OS drops the lock with the process
        holder.wait()
    assert lock.acquire() is True and lock.held
    lock.release()
    assert not lock.held


def test_a_folder_that_cannot_hold_a_lock_file_is_reported_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    lock = InstanceLock(tmp_path / "a-file" / "x.lock")
    assert lock.acquire() is True  # the app starts; the journal says what it cannot do
    assert not lock.held and "cannot be locked" in lock.problem
