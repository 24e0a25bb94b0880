"""Darwinex simulator: fault knobs, seeds, and the command line."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from desktop_app.simulators.runner import start_simulator
from tests.simulators.darwinex.dx_http import ACCOUNTS, INFO, TRADING, DarwinexHttp


def test_fail_next_answers_without_processing(
    darwinex_sim, dx: DarwinexHttp, account: int
) -> None:
    state = darwinex_sim.state
    state.fail_next(503, {"status": "Service unavailable"}, "/trading/1.1/investoraccounts",
                    count=2)
    for _ in range(2):
        failed = dx.buy(account, "NTI.4.12", 500)
        assert (failed.status_code, failed.json()) == (503, {"status": "Service unavailable"})
    assert state.orders == []
    assert dx.get(f"{INFO}/products").status_code == 200  # other paths were never affected
    state.fail_next(500, "Internal error")
    assert dx.get(f"{INFO}/products").json() == {"status": "Internal error"}
    assert dx.buy(account, "NTI.4.12", 500).status_code == 200


def test_drop_reply_next_processes_then_hangs_up(
    darwinex_sim, dx: DarwinexHttp, account: int
) -> None:
    darwinex_sim.state.drop_reply_next("/trading/1.1/investoraccounts")
    with pytest.raises(httpx.TransportError):
        dx.buy(account, "NTI.4.12", 500)
    # The order was executed although no answer came back: a client must reconcile.
    assert len(darwinex_sim.state.orders) == 1
    executed = dx.get(f"{ACCOUNTS}/investoraccounts/{account}/orders/executed").json()
    assert executed["totalElements"] == 1
    assert dx.get(f"{TRADING}/productmarket/status").status_code == 200


def test_delay_seconds_holds_replies_back(darwinex_sim, dx: DarwinexHttp) -> None:
    darwinex_sim.state.delay_seconds = 0.3
    started = time.monotonic()
    assert dx.get(f"{TRADING}/productmarket/status").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_seed_fixes_logins_accounts_and_products() -> None:
    first = start_simulator("darwinex", seed=21)
    second = start_simulator("darwinex", seed=21)
    other = start_simulator("darwinex", seed=22)
    try:
        assert set(first.credentials) == {"consumer_key", "consumer_secret", "access_token",
                                          "refresh_token"}
        assert set(first.state.live_credentials) == set(first.credentials)
        assert first.state.live_credentials["access_token"] != first.credentials["access_token"]
        assert first.credentials == second.credentials
        assert first.state.account_ids() == second.state.account_ids()
        assert list(first.state.catalogue.products) == list(second.state.catalogue.products)
        assert other.credentials["consumer_key"] != first.credentials["consumer_key"]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first.base_url)
        assert (first.name, first.display_name) == ("darwinex", "Darwinex")
    finally:
        for sim in (first, second, other):
            sim.stop()


def test_command_line_prints_the_url_and_the_login() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.simulators", "darwinex", "--port", "0",
         "--seed", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        match = re.search(r"Darwinex simulator \(seed 5\): (http://127\.0\.0\.1:\d+)\s*$",
                          lines[0])
        assert match, lines
        login = dict(line.strip().split(": ", 1) for line in lines[1:])
        assert set(login) == {"consumer_key", "consumer_secret", "access_token",
                              "refresh_token"}
        client = DarwinexHttp(match.group(1), login)
        try:
            assert client.get(f"{ACCOUNTS}/investoraccounts").status_code == 200
        finally:
            client.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
