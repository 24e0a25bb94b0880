"""No secret at any log level (issue 9) and a log file (issue 14): real sessions at DEBUG,
then every output and every file written is searched for each secret, plain,
URL-encoded and base64."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tests.app.debug_session import SENTINELS
from tests.app.process import app_env, finish, start, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]


def forms(secret: str) -> set[str]:
    raw = secret.encode()
    return {
        secret, quote(secret, safe=""), quote_plus(secret),
        base64.b64encode(raw).decode(), base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


def leaks(secrets: list[str], blobs: dict[str, bytes]) -> list[str]:
    found = []
    for secret in secrets:
        for form in forms(secret):
            for name, blob in blobs.items():
                if form.encode() in blob:
                    found.append(f"{secret!r} as {form!r} in {name}")
    return found


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file the app wrote, except the Sandbox's simulator state (data/sandbox): that
    is the simulated brokers' own database, which holds the demo logins it issued as a
    broker's would; the app's side of them lives in memory only (persist=False)."""
    server_side = folder / "data" / "sandbox"
    return {str(p): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and server_side not in p.parents}


def test_a_debug_session_with_sentinel_secrets_writes_none_of_them(tmp_path) -> None:
    home, tokens = tmp_path / "home", tmp_path / "tokens.json"
    done = subprocess.run(
        [sys.executable, "-m", "tests.app.debug_session", str(tokens)],
        env=app_env(home), cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count(", closed") == 3  # one trade per broker went through
    issued = json.loads(tokens.read_text())
    assert len(issued) >= 6  # CST, X-SECURITY-TOKEN, Tradovate and Darwinex tokens
    log = (home / "logs" / "trading-dashboard.log").read_text()
    # It really was DEBUG for the libraries that leaked before.
    for logger in ("qasync", "httpcore"):
        assert re.search(rf" DEBUG {logger}[.\w]* ", log), f"no DEBUG line from {logger}"
    assert " INFO httpx " in log  # httpx's request lines (INFO; hidden unless DEBUG)
    assert "SecretStore.set_many" in log and "encrypt_password_sync" in log
    blobs = {"stdout": done.stdout.encode(), "stderr": done.stderr.encode(),
             **files_under(home)}
    assert any(name.endswith("journal.sqlite3") for name in blobs)
    assert leaks([*SENTINELS.values(), *issued], blobs) == []


def _sandbox_secrets(stdout: str) -> list[str]:
    """The Sandbox's demo credentials, which the app prints (on stdout only) for a person
    to enter by hand."""
    wanted = ("api_key", "api_token", "password", "sec", "consumer_secret", "access_token",
              "refresh_token")
    found = re.findall(rf"^\s+({'|'.join(wanted)}): (\S+)$", stdout, re.MULTILINE)
    return [value for _name, value in found]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_the_app_at_debug_keeps_its_sandbox_secrets_out_of_logs(tmp_path) -> None:
    proc = start(tmp_path, "--debug")
    wait_until_ready(proc, tmp_path)
    proc.terminate()
    done = finish(proc, tmp_path)
    assert done.returncode == 0
    secrets = _sandbox_secrets(done.stdout)
    assert len(secrets) >= 7, done.stdout  # every Sandbox broker's (more as brokers come)
    assert " DEBUG qasync" in done.log and " DEBUG httpcore" in done.log
    assert done.stderr  # --debug mirrors the log to the terminal ...
    blobs = {"stderr": done.stderr.encode(), **files_under(tmp_path)}
    assert leaks(secrets, blobs) == []  # ... and neither holds a secret


def test_the_default_log_is_info_in_the_log_folder(tmp_path) -> None:
    proc = start(tmp_path, TRADING_DASHBOARD_TEST_ACTION="close")
    done = finish(proc, tmp_path, timeout=90)
    assert done.returncode == 0 and done.stderr == ""
    assert " INFO desktop_app.logs " in done.log and " DEBUG " not in done.log
    assert "HTTP Request:" not in done.log  # httpx's line per request stays out at INFO
    secrets = _sandbox_secrets(done.stdout)
    assert leaks(secrets, files_under(tmp_path)) == []


def test_the_debug_environment_variable_also_turns_debug_on(tmp_path) -> None:
    proc = start(tmp_path, TRADING_DASHBOARD_TEST_ACTION="close", TRADING_DASHBOARD_DEBUG="1")
    done = finish(proc, tmp_path, timeout=90)
    assert done.returncode == 0
    assert "log level DEBUG" in done.log and " DEBUG qasync" in done.log
