"""One app per data folder (issue 9): a second start raises the running window, or says
in one line why it cannot start; it never opens the same journal."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.app.process import app_env, finish, start, wait_until_ready


def test_a_second_start_raises_the_running_window_and_exits(tmp_path) -> None:
    first = start(tmp_path)
    try:
        wait_until_ready(first, tmp_path)
        second = subprocess.run(
            [sys.executable, "-m", "desktop_app"], env=app_env(tmp_path),
            capture_output=True, text=True, timeout=60,
        )
        assert second.returncode == 3
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert "already running" in lines[0] and "brought to the front" in lines[0]
        assert str(tmp_path / "data") in lines[0]
        assert second.stdout == ""  # it started no Sandbox of its own
    finally:
        first.terminate()
    done = finish(first, tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    assert "a second start asked for the window" in done.log


def test_a_folder_held_by_something_that_does_not_answer_is_refused(tmp_path) -> None:
    # Another process holds the lock but is not the app: nobody answers the raise request.
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys, time
            from desktop_app.storage.instance_lock import InstanceLock
            lock = InstanceLock()
            assert lock.acquire()
            print("held", flush=True)
            time.sleep(60)
        """)],
        env=app_env(tmp_path), stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        second = subprocess.run(
            [sys.executable, "-m", "desktop_app"], env=app_env(tmp_path),
            capture_output=True, text=True, timeout=60,
        )
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 3
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trading-dashboard: cannot start:"), lines
    assert "did not answer" in lines[0]
    # Once the holder has gone (a crash included), the folder is free again at once.
    again = start(tmp_path, TRADING_DASHBOARD_TEST_ACTION="key:Ctrl+Q")
    done = finish(again, tmp_path, timeout=90)
    assert done.returncode == 0, done.stderr
