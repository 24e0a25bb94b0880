"""`python -m desktop_app.simulators tradovate`: prints the base URL and the demo login."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import httpx

from desktop_app.simulators.runner import start_simulator


def test_seed_fixes_the_login_accounts_and_contracts() -> None:
    first, second, other = (start_simulator("tradovate", seed=s) for s in (21, 21, 22))
    try:
        assert first.credentials == second.credentials
        assert first.state.account_ids() == second.state.account_ids()
        assert set(first.state.catalog.contracts) == set(second.state.catalog.contracts)
        assert other.credentials["password"] != first.credentials["password"]
        assert first.credentials["name"] == "demo_trader" and first.credentials["cid"] == "8"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", first.base_url)
        assert (first.name, first.display_name) == ("tradovate", "Tradovate")
    finally:
        for sim in (first, second, other):
            sim.stop()


def test_command_line_prints_the_url_and_credentials() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.simulators", "tradovate", "--port", "0",
         "--seed", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(8)]
        match = re.search(r"Tradovate simulator \(seed 5\): (http://127\.0\.0\.1:\d+/v1)",
                          lines[0])
        assert match, lines
        printed = dict(line.strip().split(": ", 1) for line in lines[1:7])
        assert set(printed) == {"name", "password", "app_id", "app_version", "cid", "sec"}
        login = httpx.post(f"{match.group(1)}/auth/accesstokenrequest", json={
            "name": printed["name"], "password": printed["password"],
            "appId": printed["app_id"], "appVersion": printed["app_version"],
            "cid": printed["cid"], "sec": printed["sec"], "deviceId": "cli-test"})
        assert "accessToken" in login.json()
        process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
