"""Quitting is clean on every road (issue 8) and signals quit gracefully (issue 9): the
real entry point in a child process, Qt's default quit-on-last-window behaviour, exit
status 0, nothing on stderr."""

from __future__ import annotations

import signal
import sys
import time

import pytest

from tests.app.process import finish, log_text, run_and_quit, start, wait_until_ready

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="POSIX signals; Windows has no SIGTERM for a GUI app"
)


@pytest.mark.parametrize(
    ("action", "why"),
    [("key:Ctrl+Q", "the window was closed"), ("close", "the window was closed")],
    ids=["ctrl-q", "window-close"],
)
def test_quit_from_the_window_exits_zero_with_nothing_on_stderr(tmp_path, action, why) -> None:
    done = run_and_quit(tmp_path, action=action)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert f"quitting: {why}" in done.log
    assert "Trading Dashboard stopped" in done.log
    # The layout was saved on the way out, as a close always does.
    assert '"geometry": "' in (tmp_path / "config" / "settings.json").read_text()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_quits_the_window_gracefully(tmp_path, signum) -> None:
    proc = start(tmp_path)
    wait_until_ready(proc, tmp_path)
    sent = time.monotonic()
    proc.send_signal(signum)
    done = finish(proc, tmp_path, timeout=30)
    took = time.monotonic() - sent
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert f"quitting: {signal.Signals(signum).name} received" in done.log
    assert "Trading Dashboard stopped" in done.log
    # Within the write grace (10 s) plus the Sandbox's own stop; Ctrl-C used to do nothing.
    assert took < 20, f"took {took:.1f} s"
    print(f"{signal.Signals(signum).name}: quit in {took:.2f} s")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_smoke_with_one_line(tmp_path, signum) -> None:
    proc = start(tmp_path, "--smoke")
    deadline = time.monotonic() + 60
    # Logged by the secret store, made just before the session starts: we are in run_app.
    while "secrets kept in memory only" not in log_text(tmp_path):
        assert proc.poll() is None and time.monotonic() < deadline, "smoke did not start"
        time.sleep(0.02)
    proc.send_signal(signum)
    done = finish(proc, tmp_path, timeout=30)
    name = signal.Signals(signum).name
    assert done.returncode == 128 + signum, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.strip().splitlines() == [
        f"smoke: interrupted ({name} received) before it finished"
    ]
    assert "Traceback" not in done.stderr + done.stdout
    assert "Trading Dashboard stopped" in done.log
