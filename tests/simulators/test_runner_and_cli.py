"""Starting and stopping simulators: in-process runner, Sandbox, and the command line."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from desktop_app.simulators.registry import simulator_names
from desktop_app.simulators.runner import start_sandbox, start_simulator


def test_seed_fixes_the_demo_login_and_accounts() -> None:
    first = start_simulator("capital", seed=21)
    second = start_simulator("capital", seed=21)
    other = start_simulator("capital", seed=22)
    try:
        assert first.port != second.port
        assert first.credentials == second.credentials
        assert first.state.account_ids() == second.state.account_ids()
        assert other.credentials["api_key"] != first.credentials["api_key"]
        assert set(first.credentials) == {"api_key", "identifier", "password"}
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1", first.base_url)
    finally:
        for sim in (first, second, other):
            sim.stop()


def test_stop_is_clean_and_idempotent() -> None:
    sim = start_simulator("capital", seed=1)
    url = f"{sim.base_url}/time"
    assert httpx.get(url).status_code == 200
    sim.stop()
    sim.stop()
    assert not sim.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=1.0)


def test_unknown_simulator_is_refused() -> None:
    assert "capital" in simulator_names()
    with pytest.raises(KeyError, match="capital"):
        start_simulator("nosuchbroker")


def test_sandbox_starts_every_broker_and_prints_the_login(capsys) -> None:
    sims = start_sandbox(seed=4)
    try:
        assert list(sims) == ["capital"]
        sim = sims["capital"]
        printed = capsys.readouterr().out
        assert sim.base_url in printed and sim.credentials["identifier"] in printed
        assert httpx.get(f"{sim.base_url}/time").status_code == 200
    finally:
        for sim in sims.values():
            sim.stop()


def test_command_line_prints_the_url_and_serves_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.simulators", "capital", "--port", "0",
         "--seed", "5", "--session-timeout", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        match = re.search(r"(http://127\.0\.0\.1:\d+/api/v1)", lines[0])
        assert match, lines
        base_url = match.group(1)
        assert any(line.strip().startswith("api_key:") for line in lines[1:])
        key = next(line.split(":", 1)[1].strip() for line in lines if "api_key:" in line)
        assert httpx.get(f"{base_url}/time").status_code == 200
        no_key = httpx.get(f"{base_url}/session/encryptionKey")
        assert no_key.json() == {"errorCode": "error.null.api.key"}
        assert httpx.get(f"{base_url}/session/encryptionKey",
                         headers={"X-CAP-API-KEY": key}).status_code == 200
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


def test_each_simulator_names_its_streams_and_describe_prints_them() -> None:
    from desktop_app.simulators.runner import describe

    expected = {
        "capital": {"streaming API (WebSocket)": "ws://127.0.0.1:{port}/connect"},
        "tradovate": {"market data WebSocket": "ws://127.0.0.1:{port}/v1/websocket"},
        "darwinex": {
            "quote stream (chunked HTTP POST)": "http://127.0.0.1:{port}/quotes/1.0/quotes",
            "quote WebSocket": "ws://127.0.0.1:{port}/quotewebsocket/1.0.0",
        },
    }
    for name, streams in expected.items():
        sim = start_simulator(name, seed=3)
        try:
            urls = {label: url.format(port=sim.port) for label, url in streams.items()}
            assert sim.stream_urls == urls
            printed = describe(sim)
            assert all(f"{label}: {url}" in printed for label, url in urls.items())
        finally:
            sim.stop()
